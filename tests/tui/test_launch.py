"""`boxdeck` / `boxdeck --demo`: flags, environment fallbacks, clear errors, the demo simulator's lifetime."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from boxdeck.tui import launch


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Capture what the launcher would run instead of opening a full-screen app."""
    calls: list[tuple[Any, Any]] = []

    def fake_run_app(settings: Any, demo: Any = None, **_context: Any) -> int:
        base = demo.base_url if demo is not None else None
        alive = httpx.get(f"{base}/_sim/health").status_code if base else None
        calls.append((settings, (demo, base, alive)))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return calls


def test_flags_win_over_the_environment(runs):
    env = {
        "AMIKA_API_KEY": "env-token",
        "AMIKA_API_URL": "https://env.example",
        "DEVBOX_SPRITES_TOKEN": "spr",
    }
    assert (
        launch.main(["--amika-url", "https://flag.example", "--read-only", "--steady-interval", "9"], env)
        == 0
    )
    settings, _ = runs[0]
    assert settings.amika.url == "https://flag.example" and settings.amika.token == "env-token"
    assert settings.devbox is not None and settings.devbox.sprites_token == "spr"
    assert settings.read_only and settings.steady_interval == 9


def test_nothing_configured_still_opens_the_dashboard(runs):
    assert launch.main([], {}) == 0
    settings, _ = runs[0]
    assert settings.amika is None and settings.devbox is None


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--amika-url", "ftp://example.com", "--amika-token", "t"], "not an http(s) URL"),
        (["--amika-url", "http://example.com", "--amika-token", "t"], "--allow-insecure"),
        (["--steady-interval", "0"], "--steady-interval"),
    ],
)
def test_bad_configuration_exits_2_with_a_message(runs, capsys, argv, words):
    assert launch.main(argv, {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("boxdeck: ") and words in err
    assert "Traceback" not in err
    assert runs == []


def test_demo_runs_against_a_simulator_and_stops_it(runs):
    env = {"AMIKA_API_KEY": "real-token-from-the-environment"}
    assert launch.main(["--demo"], env) == 0
    settings, (sim, base, alive) = runs[0]
    assert alive == 200  # the simulator was up while the app ran
    assert base.startswith("http://127.0.0.1:")
    assert settings.amika.url == base and settings.devbox.url == base
    assert settings.amika.token == sim.amika_token  # never the user's real token
    assert settings.devbox.sprites_token == sim.sprites_token
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/_sim/health", timeout=1)  # stopped on quit


def test_cli_dispatches_to_the_dashboard(runs, monkeypatch):
    from boxdeck.cli import dispatch, main

    monkeypatch.setattr(dispatch, "has_terminal", lambda args: True)
    assert main(["--read-only"]) == 0
    assert runs[0][0].read_only


def test_the_demo_pins_its_simulators_host_key_only_while_it_runs() -> None:
    from boxdeck.service.access.hostkeys import KnownHosts

    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"k" * 32
    key = "ssh-ed25519 " + base64.b64encode(blob).decode()
    known = KnownHosts()
    with launch.pinned_host_key(lambda: ("127.0.0.1", 40022, key)) as settled:
        assert settled.wait(5)  # pinned by a thread: the dashboard never waits for the SSH side
        assert known.entry("127.0.0.1", 40022) == key
    assert known.entry("127.0.0.1", 40022) is None
    with launch.pinned_host_key(lambda: None):
        pass
    assert not known.path.exists() or "40022" not in known.path.read_text()
