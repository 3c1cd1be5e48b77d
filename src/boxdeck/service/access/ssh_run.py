"""Run ssh attached to the user's terminal: Ctrl-C goes to ssh, and its last error lines are kept.

Two things go wrong when a program simply calls `subprocess.call(["ssh", …])` from a Python process that
has the terminal's foreground process group:

- Ctrl-C while ssh connects is delivered to both processes. Python's default handler turns it into a
  KeyboardInterrupt in the caller (a dashboard dies under the user). Ignoring SIGINT (SIG_IGN) would be
  inherited through exec, and ssh could no longer be interrupted; a Python handler is reset to the default
  in the child, so ssh still dies of Ctrl-C while the caller carries on.
- ssh explains a failure on stderr ("Permission denied (publickey)", "Connection refused"), which a
  dashboard repaints over the moment it takes the terminal back. ssh's stderr is teed through a pipe to the
  real stderr (prompts go to /dev/tty, so ssh stays interactive) while its last lines are kept.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Final

from boxdeck.service.text.sanitize import single_line

__all__ = ["EXIT_SIGNAL_BASE", "SshExit", "interrupts_go_to_child", "run_attached", "status_of"]

EXIT_SIGNAL_BASE: Final = 128
#: How much of ssh's stderr is kept to find its last lines in (the rest is only passed through).
_KEEP_BYTES: Final = 16 * 1024
#: How long to wait for ssh's stderr to close after ssh exited (a helper it started may still hold it).
_DRAIN_SECONDS: Final = 2.0


@dataclass(frozen=True)
class SshExit:
    """How ssh ended: its exit status (128+N when signal N killed it) and its last stderr lines, sanitized
    (server text: redact them before showing, they may hold the SSH user, which can be a token)."""

    status: int
    stderr_tail: tuple[str, ...] = ()

    @property
    def interrupted(self) -> bool:
        return self.status == EXIT_SIGNAL_BASE + signal.SIGINT


def status_of(returncode: int) -> int:
    """A `Popen.returncode` as a shell reports it: a negative N (killed by signal N) becomes 128+N."""
    return EXIT_SIGNAL_BASE - returncode if returncode < 0 else returncode


@contextlib.contextmanager
def interrupts_go_to_child() -> Iterator[None]:
    """While a child has the terminal, Ctrl-C is the child's: this process ignores it through a Python
    handler (not SIG_IGN, which the child would inherit through exec). Off the main thread nothing changes
    (signals can only be handled there)."""
    try:
        previous = signal.signal(signal.SIGINT, _ignore)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _ignore(_signum: int, _frame: object) -> None:
    """Ctrl-C reached this process too; the child has it."""


class _Tee(threading.Thread):
    """Copies a pipe to a file descriptor as it comes, keeping the last bytes."""

    def __init__(self, source: IO[bytes], target_fd: int) -> None:
        super().__init__(name="ssh stderr", daemon=True)
        self.source = source
        self.target_fd = target_fd
        self.kept = bytearray()
        self._lock = threading.Lock()

    def run(self) -> None:
        fd = self.source.fileno()
        forward = True
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            if forward:
                forward = _write_all(self.target_fd, chunk)
            with self._lock:
                self.kept += chunk
                del self.kept[:-_KEEP_BYTES]
        with contextlib.suppress(OSError):
            self.source.close()

    def tail(self, lines: int) -> tuple[str, ...]:
        with self._lock:
            text = bytes(self.kept).decode("utf-8", errors="replace")
        kept = [single_line(line, limit=300) for line in text.splitlines()]
        return tuple([line for line in kept if line][-lines:]) if lines > 0 else ()


def _write_all(fd: int, data: bytes) -> bool:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:  # our stderr is gone: keep reading so ssh never blocks on a full pipe
        return False
    return True


def run_attached(argv: Sequence[str], *, keep_lines: int = 5, stderr_fd: int = 2) -> SshExit:
    """Run `argv` with this terminal (stdin and stdout inherited), its stderr teed to `stderr_fd`; Ctrl-C
    interrupts it, not this process. ``OSError`` when it cannot be started (ssh not installed)."""
    with interrupts_go_to_child():
        process = subprocess.Popen(list(argv), stderr=subprocess.PIPE)
        assert process.stderr is not None
        tee = _Tee(process.stderr, stderr_fd)
        tee.start()
        returncode = process.wait()
        tee.join(_DRAIN_SECONDS)
    return SshExit(status_of(returncode), tee.tail(keep_lines))
