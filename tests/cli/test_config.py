"""Where the subcommands get their settings: flags > environment > profile, as the dashboard does."""

from __future__ import annotations

import json
import os
import sys
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


def lazy_profile(tmp_path: Path, sim: SimServer, amika_token: str) -> Path:
    path = tmp_path / "lazy.toml"
    path.write_text(
        "[profiles.work]\n"
        f'amika_url = "{sim.base_url}"\n'
        f"amika_token = {amika_token}\n"
        f'devbox_url = "{sim.base_url}"\n'
        f'sprites_token = "{sim.sprites_token}"\n'
    )
    os.chmod(path, 0o600)
    return path


def test_a_command_resolves_only_the_tokens_it_needs(sim: SimServer, cli_timing, run_cli,
                                                     tmp_path: Path) -> None:
    """The Amika token comes from a password-manager command: a Devbox-only command must not run it."""
    marker = tmp_path / "asked"
    tool = tmp_path / "password_manager.py"
    tool.write_text(f"open({str(marker)!r}, 'w').write('asked')\nprint({sim.amika_token!r})\n")
    config = lazy_profile(tmp_path, sim, f'{{ command = "{sys.executable} {tool.as_posix()}" }}')
    for argv in (["ls", "--json", "--backend", "devbox"], ["ssh", "devbox:api-dev", "--print"],
                 ["watch", "devbox:api-dev", "--json"]):
        result = run_cli(*argv, "--config", str(config))
        assert result.code == 0, (argv, result.err)
        assert not marker.exists(), argv
    both = run_cli("ls", "--json", "--config", str(config))
    assert both.code == 0 and marker.exists()
    assert {b["backend"] for b in json.loads(both.out)} == {"amika", "devbox"}


def test_a_missing_variable_of_the_other_backend_does_not_matter(sim: SimServer, cli_timing, run_cli,
                                                                 tmp_path: Path) -> None:
    config = lazy_profile(tmp_path, sim, '{ env = "WORK_AMIKA_KEY_NOT_SET" }')
    devbox = run_cli("ls", "--backend", "devbox", "--config", str(config))
    assert devbox.code == 0 and devbox.err == ""
    both = run_cli("ls", "--config", str(config))
    assert both.code == 2 and "WORK_AMIKA_KEY_NOT_SET" in both.err


def test_a_misspelt_config_key_is_a_warning_with_a_suggestion(sim: SimServer, cli_timing, run_cli,
                                                              tmp_path: Path) -> None:
    config = lazy_profile(tmp_path, sim, f'"{sim.amika_token}"')
    config.write_text(config.read_text() + "read_onyl = true\n")
    result = run_cli("ls", "--json", "--config", str(config))
    assert result.code == 0
    assert "warning: " in result.err
    assert "'profiles.work.read_onyl' ignored (did you mean 'read_only'?)" in result.err
