"""`boxdeck --amika-token-file PATH` (and the sprites/user ones) through the launcher, and `boxdeck ls` with
them against the simulator: the token never needs to be in argv, where every user of the machine sees it.

Same precedence as the plain flags (over the environment and the profile); `-` reads stdin, after which the
dashboard takes its keys from the terminal; a profile switched to does not inherit a file's token; a bad
file stops boxdeck with exit status 2 and a message that never quotes it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from boxdeck.cli import main as cli_main
from boxdeck.cli.parser import parse_dashboard_args
from boxdeck.service.configuration.config import Settings
from boxdeck.sim import SimServer
from boxdeck.tui import launch

FILE_TOKEN = "amk_FROM_FILE_4c2d9e7b1a0f3e86"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    calls: list[Settings] = []

    def fake_run_app(settings: Settings, demo: Any = None, **context: Any) -> int:
        calls.append(settings)
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return calls


def secret_file(tmp_path: Path, name: str, token: str) -> Path:
    path = tmp_path / name
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path


def test_the_files_give_the_tokens_over_the_environment_and_the_profile(runs, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\namika_token = "amk_profile_1234"\nsprites_token = "spr_profile_1234"\n')
    config.chmod(0o600)
    argv = [
        "--config", str(config),
        "--amika-token-file", str(secret_file(tmp_path, "amika", FILE_TOKEN)),
        "--user-token-file", str(secret_file(tmp_path, "user", "usr_from_file_5678")),
    ]
    env = {"AMIKA_API_KEY": "amk_from_env_9999", "DEVBOX_USER_TOKEN": "usr_from_env_9999"}
    assert launch.main(argv, env) == 0
    settings = runs[0]
    assert settings.amika is not None and settings.amika.token == FILE_TOKEN
    assert settings.devbox is not None and settings.devbox.user_token == "usr_from_file_5678"
    assert settings.devbox.sprites_token == "spr_profile_1234"  # no file for it: the profile still counts
    assert all(FILE_TOKEN not in a for a in argv)


def test_dash_reads_the_token_from_stdin_and_hands_the_terminal_back(
    runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"spr_from_a_pipe_2468\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    handed: list[bool] = []
    monkeypatch.setattr(launch, "terminal_as_stdin", lambda: handed.append(True))
    assert launch.main(["--sprites-token-file", "-"], {}) == 0
    assert runs[0].devbox is not None and runs[0].devbox.sprites_token == "spr_from_a_pipe_2468"
    assert handed == [True]


@pytest.mark.parametrize(
    ("content", "mode", "words"),
    [("", 0o600, "empty"), (FILE_TOKEN, 0o644, "chmod 600"), (f"{FILE_TOKEN}\nmore", 0o600, "one line")],
    ids=["empty", "readable-by-others", "two-lines"],
)
def test_a_bad_token_file_stops_with_status_2(
    runs, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, mode: int, words: str
) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    path.chmod(mode)
    assert launch.main(["--amika-token-file", str(path)], {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("boxdeck: --amika-token-file") and words in err and FILE_TOKEN not in err
    assert runs == []


def test_a_token_and_its_file_together_are_refused(runs, tmp_path: Path, capsys) -> None:
    path = secret_file(tmp_path, "amika", FILE_TOKEN)
    assert launch.main(["--amika-token", "amk_x_1234", "--amika-token-file", str(path)], {}) == 2
    assert "either --amika-token or --amika-token-file" in capsys.readouterr().err


def test_a_switched_profile_does_not_inherit_a_files_token(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.a]\namika_token = { env = "A_TOKEN" }\n[profiles.b]\namika_token = { env = "B_TOKEN" }\n'
    )
    config.chmod(0o600)
    path = secret_file(tmp_path, "amika", FILE_TOKEN)
    args = parse_dashboard_args(["--config", str(config), "--amika-token-file", str(path)])
    env = {"A_TOKEN": "amk_profile_a_1234", "B_TOKEN": "amk_profile_b_1234"}
    launch.resolve_token_files(args)
    assert launch.resolve_config(args, env).settings.amika.token == FILE_TOKEN  # type: ignore[union-attr]
    switched = launch.ProfileSwitcher(args, env).resolve("b")
    assert switched.settings.amika is not None and switched.settings.amika.token == "amk_profile_b_1234"


def test_ls_with_token_files_against_the_simulator(
    sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "ls", "--json",
        "--amika-url", sim.base_url, "--amika-token-file", str(secret_file(tmp_path, "a", sim.amika_token)),
        "--devbox-url", sim.base_url,
        "--sprites-token-file", str(secret_file(tmp_path, "s", sim.sprites_token)),
    ]
    assert cli_main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert '"backend": "amika"' in out and '"backend": "devbox"' in out
