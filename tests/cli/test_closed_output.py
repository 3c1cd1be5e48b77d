"""Real processes writing to a pipe nobody reads any more (`| head -1`) or to a full disk (`> /dev/full`):
they end quietly with 141 or 1, never with a traceback or Python's "Exception ignored" at exit; and the
dashboard refuses to start where there is no terminal, instead of running until killed."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from boxdeck.sim import SimServer

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def sim_env(sim: SimServer) -> dict[str, str]:
    return {
        "AMIKA_API_URL": sim.base_url, "AMIKA_API_KEY": sim.amika_token,
        "DEVBOX_API_URL": sim.base_url, "DEVBOX_SPRITES_TOKEN": sim.sprites_token,
    }


def run(args: list[str], *, stdout: int, env: dict[str, str] | None = None,
        stdin: int = subprocess.DEVNULL) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AMIKA_", "DEVBOX_", "BOXDECK_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "boxdeck", *args], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
        env={**base, **(env or {})}, timeout=60,
    )
    return proc.returncode, proc.stderr.decode()


def closed_pipe() -> int:
    """The write end of a pipe whose read end is already closed: every write gets EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


COMMANDS = [
    pytest.param(["ls", "--json"], id="ls-json"),
    pytest.param(["ls"], id="ls-table"),
    pytest.param(["watch", "feature-payments", "--json", "--timeout", "2"], id="watch-json"),
    pytest.param(["ssh", "api-dev", "--print"], id="ssh-print"),
    pytest.param(["--help"], id="help"),
    pytest.param(["completion", "bash"], id="completion"),
    pytest.param(["--version"], id="version"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_closed_pipe_ends_quietly_with_141(args: list[str], sim: SimServer) -> None:
    write = closed_pipe()
    try:
        code, err = run(args, stdout=write, env=sim_env(sim))
    finally:
        os.close(write)
    assert code == 141, err
    assert err == ""


@needs_dev_full
@pytest.mark.parametrize("args", COMMANDS)
def test_a_full_disk_is_one_line_and_status_1(args: list[str], sim: SimServer) -> None:
    with FULL.open("wb") as full:
        code, err = run(args, stdout=full.fileno(), env=sim_env(sim))
    assert code == 1, err
    assert err == "boxdeck: cannot write to stdout: No space left on device\n"


def test_head_reads_the_first_line_and_the_rest_stops(sim: SimServer) -> None:
    env = {**os.environ, **sim_env(sim)}
    out = subprocess.run(
        [
            "bash", "-c",
            f"'{sys.executable}' -m boxdeck ls --json | head -1; echo \"status=${{PIPESTATUS[0]}}\" >&2",
        ],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert out.stdout == "[\n"
    assert out.stderr.strip() in ("status=0", "status=141")  # 0 when it was all written before head left


@pytest.mark.parametrize("args", [[], ["--demo"], ["--read-only", "--profile", "x"]])
def test_the_dashboard_refuses_to_start_without_a_terminal(args: list[str]) -> None:
    code, err = run(args, stdout=subprocess.PIPE)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("boxdeck: the dashboard needs a terminal")
    assert "boxdeck ls" in err and "boxdeck watch" in err


def test_a_terminal_on_stdout_but_not_on_stdin_is_refused_too() -> None:
    parent, child = pty.openpty()
    try:
        code, err = run([], stdout=child)
    finally:
        os.close(child)
        os.close(parent)
    assert code == 2 and "needs a terminal" in err


def test_has_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from boxdeck.cli import dispatch
    from boxdeck.cli.parser import build_parser

    parse = build_parser().parse_args
    terminals: set[str] = set()
    monkeypatch.setattr(dispatch, "_isatty", lambda stream: stream in terminals)
    monkeypatch.setattr(sys, "stdin", "stdin")
    monkeypatch.setattr(sys, "stdout", "stdout")
    assert not dispatch.has_terminal(parse([]))
    terminals.add("stdout")
    assert not dispatch.has_terminal(parse([]))
    # A token piped in on stdin: the dashboard reads its keys from /dev/tty instead.
    assert dispatch.has_terminal(parse(["--amika-token-file", "-"]))
    terminals.add("stdin")
    assert dispatch.has_terminal(parse([]))
    terminals.discard("stdout")
    assert not dispatch.has_terminal(parse(["--amika-token-file", "-"]))
