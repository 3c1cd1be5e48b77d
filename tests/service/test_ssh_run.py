"""Running ssh on the user's terminal: Ctrl-C is ssh's, not ours; ssh's last error lines are kept.

Real child processes stand in for ssh: `kill -INT "$PPID"` is the terminal's Ctrl+C reaching us, and
`kill -INT "$$"` the same Ctrl+C reaching ssh (the terminal signals its whole foreground process group).
"""

from __future__ import annotations

import os
import signal
import sys

import pytest

from boxdeck.service.access.ssh_run import SshExit, interrupts_go_to_child, run_attached, status_of

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")

CTRL_C = 'kill -INT "$PPID"; kill -INT "$$"; exit 0'


def run(script: str, **options: int) -> SshExit:
    try:
        return run_attached(["sh", "-c", script], **options)
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C while ssh ran interrupted the caller")


def test_ctrl_c_interrupts_the_child_and_not_the_caller() -> None:
    before = signal.getsignal(signal.SIGINT)
    ended = run(CTRL_C)
    assert ended.status == 130 and ended.interrupted  # ssh itself died of the Ctrl+C
    assert signal.getsignal(signal.SIGINT) is before


def test_the_child_can_be_interrupted_even_when_the_caller_ignored_ctrl_c() -> None:
    # SIG_IGN is inherited through exec: a caller that ignores SIGINT must not pass that on to ssh.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert run(CTRL_C).status == 130
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_interrupt_of_the_caller_alone_is_ignored_while_the_child_runs() -> None:
    before = signal.getsignal(signal.SIGINT)
    try:
        with interrupts_go_to_child():
            os.kill(os.getpid(), signal.SIGINT)  # handled here: a no-op, no KeyboardInterrupt
            assert signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, signal.SIG_DFL)
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C while ssh ran interrupted the caller")
    assert signal.getsignal(signal.SIGINT) is before


def test_stderr_is_passed_through_and_its_last_lines_kept(capfd: pytest.CaptureFixture[str]) -> None:
    lines = [f"debug1: line {n}" for n in range(20)] + [
        "ssh: connect to host ssh.example port 2222: Connection refused",
    ]
    script = "".join(f"echo '{line}' >&2; " for line in lines) + "exit 255"
    ended = run(script, keep_lines=3)
    assert ended.status == 255
    assert ended.stderr_tail == (*lines[-3:],)
    assert capfd.readouterr().err.splitlines() == lines  # the user saw everything, as ssh printed it


def test_kept_lines_are_sanitized(capfd: pytest.CaptureFixture[str]) -> None:
    ended = run(r"printf '\033]52;c;ZXZpbA==\007\033[31mPermission denied\033[0m\r\n\r\n' >&2; exit 255")
    assert ended.stderr_tail == ("Permission denied",)
    capfd.readouterr()


def test_a_lot_of_stderr_never_blocks_the_child() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        ended = run("i=0; while [ $i -lt 5000 ]; do echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >&2; "
                    "i=$((i+1)); done; echo last >&2; exit 3", stderr_fd=devnull)
    finally:
        os.close(devnull)
    assert ended.status == 3 and ended.stderr_tail[-2:] == ("x" * 39, "last")
    assert run("exit 0", keep_lines=0) == SshExit(0, ())


def test_a_missing_program_is_an_os_error() -> None:
    with pytest.raises(OSError):
        run_attached(["/nonexistent/ssh"])


@pytest.mark.parametrize(("returncode", "status"), [(0, 0), (255, 255), (-2, 130), (-15, 143)])
def test_status_as_a_shell_reports_it(returncode: int, status: int) -> None:
    assert status_of(returncode) == status
