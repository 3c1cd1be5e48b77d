"""`boxdeck ssh` end to end: the printed and the executed command, waiting, ambiguity, no prompts."""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from boxdeck.sim import SimServer
from boxdeck.subcommands import ssh as ssh_cmd

AMIKA_CMD = re.compile(r"ssh -p (\d+) (\S+)@(\S+)")
DEVBOX_CMD = re.compile(r"ssh -p (\d+) (\S+)@(127\.0\.0\.1)")


def test_print_amika_command(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "acme/platform", "--print")
    assert result.code == 0, result.err
    m = AMIKA_CMD.fullmatch(result.out.strip())
    assert m, result.out
    token = m.group(2)
    assert len(token) >= 20  # Amika's SSH user is the access token itself
    assert token not in result.err  # the user asked for it on stdout; stderr never holds it


def test_print_devbox_command(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "api-dev", "--print")
    assert result.code == 0, result.err
    assert DEVBOX_CMD.fullmatch(result.out.strip()), result.out


def test_id_and_backend_prefix_resolve(sim_env: SimServer, run_cli) -> None:
    dv = next(d for d in sim_env.world.devbox.devboxes.values() if d.name == "api-dev")
    by_id = run_cli("ssh", dv.id, "--print")
    assert by_id.code == 0 and DEVBOX_CMD.fullmatch(by_id.out.strip())
    prefixed = run_cli("ssh", "devbox:api-dev", "--print")
    assert prefixed.code == 0 and DEVBOX_CMD.fullmatch(prefixed.out.strip())


def test_ambiguous_name_lists_candidates(sim_env: SimServer, run_cli) -> None:
    sim_env.world.amika.create({"name": "api-dev"})
    sim_env.advance(30)
    result = run_cli("ssh", "api-dev", "--print")
    assert result.code == 2
    assert "ambiguous" in result.err
    assert "amika:api-dev" in result.err and "devbox:api-dev" in result.err
    assert result.out == ""
    amika = run_cli("ssh", "amika:api-dev", "--print")
    assert amika.code == 0 and AMIKA_CMD.fullmatch(amika.out.strip())


def test_unknown_name_suggests(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "api-deb", "--print")
    assert result.code == 1
    assert "no box named 'api-deb'" in result.err and "api-dev" in result.err


def test_not_ready_without_wait_suggests_wait(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--print")
    assert result.code == 1
    assert "not ready" in result.err and "--wait" in result.err
    assert result.out == ""


def test_failed_box_says_why(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "data-pipeline", "--print")
    assert result.code == 1
    assert "failed: Cloning northwind/api failed" in result.err
    stopped = run_cli("ssh", "old-experiment", "--print")
    assert stopped.code == 1 and "stopped" in stopped.err


def test_wait_then_print_amika(sim_env: SimServer, cli_timing, run_cli) -> None:
    initializing = next(s.name for s in sim_env.world.amika.sandboxes.values() if s.state == "initializing")
    result = run_cli("ssh", initializing, "--wait", "--print")
    assert result.code == 0, result.err
    assert AMIKA_CMD.fullmatch(result.out.strip())
    assert "initializing → started" in result.err
    assert "is ready (started)" in result.err
    assert cli_timing.sleeps and max(cli_timing.sleeps) <= 5.0  # the monitor's cadence, not a hand-rolled one


def test_wait_then_print_devbox(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--wait", "--print")
    assert result.code == 0, result.err
    assert DEVBOX_CMD.fullmatch(result.out.strip())
    assert "publish_access success" in result.err


def test_wait_timeout(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--wait", "--timeout", "2", "--print")
    assert result.code == 124
    assert "gave up" in result.err and result.out == ""


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` on PATH that records its argv and exits 7: the real process path, minus the network."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "argv.txt"
    script = bindir / "ssh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit 7\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return record


class NoInput(io.StringIO):
    """A stdin that is not a terminal and must never be read (a prompt would hang a script)."""

    def isatty(self) -> bool:
        return False

    def read(self, *args: object) -> str:
        raise AssertionError("boxdeck read stdin")

    readline = read


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_runs_ssh_and_returns_its_exit_code(sim_env: SimServer, run_cli, fake_ssh: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", NoInput())
    result = run_cli("ssh", "acme/platform", "--", "uname", "-a")
    assert result.code == 7
    argv = fake_ssh.read_text().splitlines()
    # stdin is not a terminal: ssh must not prompt either.
    assert argv[:2] == ["-o", "BatchMode=yes"]
    assert sim_env.ssh is not None
    assert argv[2:4] == ["-p", str(sim_env.ssh.port)] and argv[4].endswith("@127.0.0.1")
    assert argv[5:] == ["uname", "-a"]
    assert argv[4].split("@")[0] not in result.err + result.out


def test_runs_the_devbox_command_given_by_the_service(sim_env: SimServer, run_cli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(ssh_cmd, "run_command", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(ssh_cmd, "stdin_is_terminal", lambda: True)
    result = run_cli("ssh", "web-preview")
    assert result.code == 0, result.err
    assert sim_env.ssh is not None and seen and seen[0][:3] == ["ssh", "-p", str(sim_env.ssh.port)]
    assert seen[0][3].endswith("@127.0.0.1")  # the session's own command
    assert "BatchMode=yes" not in seen[0]
    assert result.out == ""


def test_missing_ssh_binary(sim_env: SimServer, run_cli, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli("ssh", "api-dev")
    assert result.code == 127
    assert "ssh not found" in result.err


def test_prefix_for_an_unconfigured_backend(sim_env: SimServer, run_cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMIKA_API_KEY")
    result = run_cli("ssh", "amika:acme/platform", "--print")
    assert result.code == 2 and "amika is not configured" in result.err
