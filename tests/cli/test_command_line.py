"""The command line as a gh or fly user expects it: every command in `--help`, global flags before or after
the command, `--version` anywhere, a suggestion for a typo, bad values refused with the accepted ones."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from boxdeck import __version__
from boxdeck.cli.parser import COMMANDS, STATES, build_parser
from boxdeck.service.boxes import Backend, StateKind, known_states
from boxdeck.sim import SimServer


def boxdeck(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIKA_", "DEVBOX_", "BOXDECK_"))}
    return subprocess.run([sys.executable, "-m", "boxdeck", *args], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)


def test_help_lists_every_command_with_one_line() -> None:
    result = boxdeck("--help")
    assert result.returncode == 0 and result.stderr == ""
    section = result.stdout.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^    (\S+)\s+\S", section, re.M)
    assert listed == list(COMMANDS) == ["ls", "ssh", "watch", "ssh-config", "code", "sim", "completion"]
    for name in ("ls", "ssh", "watch", "completion"):  # each command has its own help
        sub = boxdeck(name, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: boxdeck {name}")
        # The commands that reach an account list the global options too.
        assert ("--profile NAME" in sub.stdout) is (name != "completion")


def test_sim_help_is_the_simulators_own() -> None:
    result = boxdeck("sim", "--help")
    assert result.returncode == 0 and "--manual-clock" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "work", "--read-only", "--amika-token-file", "t", "ls"],
        ["ls", "--profile", "work", "--read-only", "--amika-token-file", "t"],
        ["--profile", "home", "ls", "--profile", "work", "--read-only", "--amika-token-file", "t"],
    ],
    ids=["before", "after", "after-wins"],
)
def test_global_flags_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.command, args.profile, args.read_only, args.amika_token_file) == ("ls", "work", True, "t")


def test_global_flags_given_nowhere_keep_their_defaults() -> None:
    args = build_parser().parse_args(["watch", "box"])
    assert (args.profile, args.config, args.read_only, args.amika_token_file) == (None, None, None, None)


def test_a_flag_before_the_command_reaches_it(sim: SimServer, cli_timing, run_cli, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.good]\namika_url = "{sim.base_url}"\namika_token = "{sim.amika_token}"\n'
        f'[profiles.bad]\namika_url = "{sim.base_url}"\namika_token = "amk_wrong_token_0000"\n'
    )
    config.chmod(0o600)
    good = run_cli("--config", str(config), "--profile", "good", "ls", "--json")
    assert good.code == 0, good.err
    assert {b["backend"] for b in json.loads(good.out)} == {"amika"}
    bad = run_cli("--config", str(config), "--profile", "bad", "ls", "--json")
    assert bad.code == 1 and "HTTP 401" in bad.err
    assert run_cli("ls", "--json", "--config", str(config), "--profile", "good").code == 0


@pytest.mark.parametrize(
    "argv", [["--version"], ["-V"], ["ls", "-V"], ["--profile", "x", "watch", "box", "--version"],
             ["sim", "-V"], ["nosuchcommand", "-V"]]
)
def test_version_anywhere(argv: list[str], run_cli) -> None:
    result = run_cli(*argv)
    assert (result.code, result.out, result.err) == (0, f"boxdeck {__version__}\n", "")


def test_version_after_double_dash_belongs_to_the_remote_command(run_cli) -> None:
    result = run_cli("ssh", "box", "--", "prog", "-V")
    assert result.out == "" and result.code == 2  # it went on to resolve the box (nothing configured)
    assert "no backend configured" in result.err


def test_version_from_a_real_process() -> None:
    result = boxdeck("ls", "--version")
    assert (result.returncode, result.stdout) == (0, f"boxdeck {__version__}\n")


@pytest.mark.parametrize(
    ("typo", "suggestion"), [("lss", "ls"), ("wach", "watch"), ("shh", "ssh"), ("completions", "completion")]
)
def test_an_unknown_command_suggests_the_closest(typo: str, suggestion: str, run_cli) -> None:
    result = run_cli(typo)
    assert result.code == 2
    assert f"unknown command {typo!r} (did you mean {suggestion!r}?)" in result.err
    assert "Traceback" not in result.err


def test_bad_option_values_fail_with_the_accepted_ones(sim_env: SimServer, run_cli) -> None:
    bogus = run_cli("ls", "--state", "bogus")
    assert bogus.code == 2 and bogus.out == ""
    assert "unknown state 'bogus'" in bogus.err
    assert "ready, transitional, stopped, failed, gone, unknown" in bogus.err and "provisioning" in bogus.err
    assert run_cli("ls", "--state", "ready,redy").code == 2
    assert "did you mean 'ready'" in run_cli("ls", "--state", "redy").err
    backend = run_cli("ls", "--backend", "amikaa")
    assert backend.code == 2 and "did you mean 'amika'" in backend.err and "amika, devbox" in backend.err
    shell = run_cli("completion", "tcsh")
    assert shell.code == 2 and "bash, zsh, fish" in shell.err
    assert run_cli("ls", "--state", "READY", "--json").code == 0  # case does not matter


def test_the_accepted_states_are_the_ones_boxdeck_knows() -> None:
    assert set(STATES) == set(known_states()) >= {"active", "started", "provisioning", "ready", "destroyed"}
    assert {"amika", "devbox"} == {b.value for b in Backend} and len(StateKind) == 6


@pytest.mark.parametrize("flag", [["--demo"], ["--theme", "nord"], ["--watch", "a"], ["--no-log"]])
def test_dashboard_flags_with_a_command_are_a_usage_error(flag: list[str], run_cli) -> None:
    result = run_cli(*flag, "ls")
    assert result.code == 2 and f"{flag[0]}: only for the dashboard, not for ls" in result.err


def test_sim_takes_its_own_options_only_after_it(run_cli) -> None:
    result = run_cli("--read-only", "sim")
    assert result.code == 2 and "sim takes only its own options" in result.err
