"""`boxdeck --profile/--config/--watch/--theme`: the config file end to end through the launcher.

Flags > environment > profile, tokens from `{ env = … }` and inline values, the permission rule with its
chmod fix, clear errors with exit status 2, warnings shown once in the app, `--watch` services reaching the
app, the profile switcher — against the session simulator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from boxdeck.cli.parser import parse_dashboard_args
from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import Service, Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.sim import SimServer
from boxdeck.tui import launch
from support.tui import SIZE, notifications, until


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Settings, dict[str, Any]]]:
    calls: list[tuple[Settings, dict[str, Any]]] = []

    def fake_run_app(settings: Settings, demo: Any = None, **context: Any) -> int:
        calls.append((settings, {"demo": demo, **context}))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return calls


def write_config(path: Path, sim: SimServer, *, mode: int = 0o600, extra: str = "") -> Path:
    path.write_text(
        f"""
default_profile = "a"

[settings]
theme = "textual-light"
write_grant_minutes = 7
clipboard_clear_seconds = 30

[settings.keymap]
refresh = "f5"

[profiles.a]
amika_url = "{sim.base_url}"
amika_token = {{ env = "SIM_AMIKA_TOKEN" }}
devbox_url = "{sim.base_url}"
sprites_token = {{ env = "SIM_SPRITES_TOKEN" }}
read_only = true

[profiles.b]
amika_url = "{sim.base_url}"
amika_token = {{ value = "{sim.amika_token}" }}
{extra}
""",
        encoding="utf-8",
    )
    os.chmod(path, mode)
    return path


@pytest.fixture
def config_file(tmp_path: Path, world: SimServer) -> Path:
    return write_config(tmp_path / "config.toml", world)


def env_for(sim: SimServer, **more: str) -> dict[str, str]:
    return {"SIM_AMIKA_TOKEN": sim.amika_token, "SIM_SPRITES_TOKEN": sim.sprites_token, **more}


async def polls_ok(settings: Settings) -> bool:
    async with Service.from_settings(settings) as service:
        results = []
        for backend in service.monitor.backends:
            await service.monitor.poll(backend)
            results.append(service.monitor.health(backend).status == "ok")
        return bool(results) and all(results)


async def test_a_profile_with_env_tokens_reaches_the_simulator(runs, config_file, world):
    assert launch.main(["--config", str(config_file)], env_for(world)) == 0
    settings, context = runs[0]
    config: AppConfig = context["config"]
    assert config.profile == "a"  # default_profile
    assert settings.amika.url == world.base_url and settings.amika.token == world.amika_token
    assert settings.devbox.sprites_token == world.sprites_token
    assert settings.read_only and not config.read_only_locked  # the profile's read-only: `w` can lift it
    assert config.theme == "textual-light" and config.write_grant_minutes == 7
    assert config.clipboard_clear_seconds == 30 and dict(config.keymap) == {"refresh": "f5"}
    assert await polls_ok(settings)


async def test_an_inline_token_at_0600_works(runs, config_file, world):
    assert launch.main(["--config", str(config_file), "--profile", "b"], {}) == 0
    settings, context = runs[0]
    assert context["config"].profile == "b"
    assert settings.amika.token == world.amika_token and settings.devbox is None
    assert not settings.read_only
    assert await polls_ok(settings)


def test_flags_beat_the_environment_which_beats_the_profile(runs, config_file, world):
    env = env_for(world, AMIKA_API_URL="https://env.example", BOXDECK_PROFILE="b")
    assert launch.main(["--config", str(config_file)], env) == 0
    settings, context = runs[-1]
    assert context["config"].profile == "b"  # BOXDECK_PROFILE
    assert settings.amika.url == "https://env.example"  # env over the profile's URL
    assert settings.amika.token == world.amika_token  # the profile's token: nothing else gave one

    argv = ["--config", str(config_file), "--amika-url", "https://flag.example", "--amika-token", "flag-tok",
            "--profile", "a", "--read-only", "--theme", "textual-dark"]
    assert launch.main(argv, env) == 0
    settings, context = runs[-1]
    config = context["config"]
    assert config.profile == "a"  # the flag over BOXDECK_PROFILE
    assert settings.amika.url == "https://flag.example" and settings.amika.token == "flag-tok"
    assert settings.devbox.sprites_token == world.sprites_token  # still the profile's (env source)
    assert config.read_only_locked and config.theme == "textual-dark"


def test_a_readable_file_with_an_inline_token_is_refused_with_the_fix(runs, tmp_path, world, capsys):
    path = write_config(tmp_path / "config.toml", world, mode=0o644)
    assert launch.main(["--config", str(path)], env_for(world)) == 2
    err = capsys.readouterr().err
    assert err.startswith("boxdeck: ") and f"chmod 600 {path}" in err
    assert "Traceback" not in err and world.amika_token not in err
    assert runs == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[profiles.a]\namika_url = "http://x"\nthis is not toml\n', "invalid TOML at line 3, column"),
        ('[profiles.a]\namika_token = { env = "NOT_SET_ANYWHERE" }\n', "NOT_SET_ANYWHERE"),
    ],
)
def test_config_errors_exit_2_with_one_line(runs, tmp_path, capsys, text, words):
    path = tmp_path / "config.toml"
    path.write_text(text)
    os.chmod(path, 0o600)
    assert launch.main(["--config", str(path)], {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("boxdeck: ") and words in err and "Traceback" not in err
    assert runs == []


def test_an_unknown_profile_exits_2(runs, config_file, capsys, world):
    assert launch.main(["--config", str(config_file), "--profile", "nope"], env_for(world)) == 2
    err = capsys.readouterr().err
    assert "unknown profile 'nope'" in err and "a, b" in err
    assert launch.main(["--config", str(config_file), "--watch", "b,zzz"], env_for(world)) == 2
    assert "--watch: unknown profile 'zzz'" in capsys.readouterr().err


def test_watch_without_a_config_file_says_so(runs, capsys):
    assert launch.main(["--watch", "nope"], {}) == 2  # the test's home has no config file
    err = capsys.readouterr().err
    assert err.startswith("boxdeck: --watch nope: no such profile, because there is no config file")
    assert runs == []


def test_warnings_travel_to_the_app_not_to_stderr(runs, tmp_path, world, capsys):
    path = write_config(tmp_path / "config.toml", world, extra="colour = 'blue'\n")
    assert launch.main(["--config", str(path), "--profile", "b"], {}) == 0
    assert capsys.readouterr().err == ""
    warnings = runs[0][1]["config"].warnings
    assert any("profiles.b.colour" in w for w in warnings)


async def test_config_warnings_are_one_notification_at_start(make_app, world):
    config = AppConfig(settings=Settings(None, None), warnings=("first problem", "second problem"))
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: notifications(app))
        notes = [n for n in notifications(app) if n.startswith("Configuration")]
        assert len(notes) == 1 and "first problem" in notes[0] and "second problem" in notes[0]


def test_watch_resolves_each_profile_on_its_own(runs, config_file, world):
    env = env_for(world, AMIKA_API_KEY="must-not-leak-into-watched-profiles")
    argv = ["--config", str(config_file), "--profile", "a", "--watch", "a,b", "--watch", "b"]
    assert launch.main(argv, env) == 0
    settings, context = runs[0]
    watch = context["watch"]
    assert list(watch) == ["b"]  # the main profile is not watched twice; names deduplicated
    assert watch["b"].amika.token == world.amika_token  # b's own inline token, not the env's
    assert settings.amika.token == "must-not-leak-into-watched-profiles"  # env beats the main profile


def test_watched_services_reach_the_app_constructor(monkeypatch, config_file, world):
    from boxdeck.tui.context import Deck

    made: list[Deck] = []

    class FakeApp:
        def __init__(self, deck: Deck) -> None:
            made.append(deck)

        return_code = 0

        def run(self) -> None:
            pass

    import boxdeck.tui.app

    monkeypatch.setattr(boxdeck.tui.app, "BoxdeckApp", FakeApp)
    assert launch.main(["--config", str(config_file), "--watch", "b"], env_for(world)) == 0
    deck = made[0]
    assert set(deck.profiles) == {"", "b"}
    watched = deck.profiles["b"].service
    assert watched.settings.amika.url == world.base_url
    assert deck.main.label == "a" and deck.config.profile == "a"
    assert deck.request_log is not None and deck.prefs is not None
    assert isinstance(deck.switcher, launch.ProfileSwitcher)
    assert deck.profile_names() == ["a", "b"]  # what the palette offers to switch to


async def test_the_profile_switcher_builds_another_profiles_service(config_file, world):
    import argparse

    args = parse_dashboard_args(["--config", str(config_file), "--amika-token", "flag-only"])
    env = env_for(world, AMIKA_API_KEY="env-only", BOXDECK_PROFILE="a")
    switcher = launch.ProfileSwitcher(args, env)
    service = await switcher("b")
    try:
        assert isinstance(args, argparse.Namespace) and args.amika_token == "flag-only"  # untouched
        assert service.settings.amika.token == world.amika_token  # b's own, not the flag's or env's
        await service.monitor.poll(Backend.AMIKA)
        assert service.monitor.health(Backend.AMIKA).status == "ok"
        assert switcher.built == [service]
    finally:
        await service.aclose()
    with pytest.raises(launch.ConfigError, match="unknown profile"):
        await switcher("nope")


def test_demo_ignores_the_config_and_environment_but_honours_theme_and_read_only(runs, tmp_path, world):
    bad = tmp_path / "config.toml"
    bad.write_text("this is not toml")
    env = {"BOXDECK_CONFIG": str(bad), "AMIKA_API_KEY": "real-token", "BOXDECK_PROFILE": "work"}
    os.environ.update(env)  # the demo must not look at the real environment either
    try:
        assert launch.main(["--demo", "--read-only", "--theme", "textual-light", "--no-log"], env) == 0
    finally:
        for key in env:
            os.environ.pop(key, None)
    settings, context = runs[0]
    config = context["config"]
    assert context["demo"] is not None and settings.amika.token == context["demo"].amika_token
    assert config.theme == "textual-light" and config.read_only_locked and settings.read_only
    assert context["log"] is False
