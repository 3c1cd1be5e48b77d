"""Where the subcommands get their settings: flags > environment > profile, as the dashboard does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from boxdeck.sim import SimServer

WRONG = "amk_wrong_token_0000"


def amika_names(out: str) -> set[str]:
    return {b["name"] for b in json.loads(out) if b["backend"] == "amika"}


def write_profile(tmp_path: Path, sim: SimServer, *, amika_token: str, mode: int = 0o600) -> Path:
    path = tmp_path / "boxdeck.toml"
    path.write_text(
        'default_profile = "work"\n'
        "[profiles.work]\n"
        f'amika_url = "{sim.base_url}"\n'
        f'amika_token = "{amika_token}"\n'
        f'devbox_url = "{sim.base_url}"\n'
        f'sprites_token = "{sim.sprites_token}"\n'
        "[profiles.other]\n"
        f'amika_url = "{sim.base_url}"\n'
        f'amika_token = "{WRONG}"\n'
    )
    os.chmod(path, mode)
    return path


def test_flags_beat_the_environment(sim: SimServer, cli_timing, run_cli,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMIKA_API_URL", sim.base_url)
    monkeypatch.setenv("AMIKA_API_KEY", WRONG)
    assert run_cli("ls", "--json").code == 1  # the environment alone: wrong token
    good = run_cli("ls", "--json", "--amika-token", sim.amika_token)
    assert good.code == 0, good.err
    assert "acme/platform" in amika_names(good.out)

    monkeypatch.setenv("AMIKA_API_KEY", sim.amika_token)
    bad_flag = run_cli("ls", "--json", "--amika-token", WRONG)
    assert bad_flag.code == 1 and "HTTP 401" in bad_flag.err


def test_environment_beats_the_profile(sim: SimServer, cli_timing, run_cli, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_profile(tmp_path, sim, amika_token=WRONG)
    assert run_cli("ls", "--json", "--config", str(config)).code == 1  # the profile's token is wrong
    monkeypatch.setenv("AMIKA_API_KEY", sim.amika_token)
    result = run_cli("ls", "--json", "--config", str(config))
    assert result.code == 0, result.err
    assert "acme/platform" in amika_names(result.out)
    # Devbox came from the profile alone.
    assert any(b["backend"] == "devbox" for b in json.loads(result.out))


def test_profile_selection_and_config_via_environment(sim: SimServer, cli_timing, run_cli, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_profile(tmp_path, sim, amika_token=sim.amika_token)
    monkeypatch.setenv("BOXDECK_CONFIG", str(config))
    assert run_cli("ls", "--json").code == 0
    other = run_cli("ls", "--json", "--profile", "other")
    assert other.code == 1 and "HTTP 401" in other.err
    unknown = run_cli("ls", "--profile", "nope")
    assert unknown.code == 2 and "unknown profile 'nope'" in unknown.err


def test_unsafe_config_file_is_refused(sim: SimServer, cli_timing, run_cli, tmp_path: Path) -> None:
    config = write_profile(tmp_path, sim, amika_token=sim.amika_token, mode=0o644)
    result = run_cli("ls", "--config", str(config))
    assert result.code == 2
    assert "chmod 600" in result.err
    assert sim.amika_token not in result.err
    assert "Traceback" not in result.err
