"""Writing to stdout when whoever reads it may be gone.

`boxdeck ls --json | head -1` closes the pipe after one line and `boxdeck ls > /dev/full` cannot write at all.
Neither is boxdeck's failure to report with a traceback: a closed pipe ends quietly with 141 (128 + SIGPIPE,
what a shell reports for a Unix tool killed by SIGPIPE), any other write error with one line on stderr and 1.
"""

from __future__ import annotations

import os
import sys

#: Not `typing.TYPE_CHECKING`: importing typing costs `--version` a third of its start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_WRITE_FAILED",
    "OutputClosed",
    "flush_out",
    "silence_stdout",
    "write_out",
]

EXIT_BROKEN_PIPE = 141
EXIT_WRITE_FAILED = 1


class OutputClosed(Exception):
    """stdout cannot be written: `code` is the exit status, `str(e)` what to say on stderr (empty for a
    closed pipe, where the reader left on purpose)."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code


def write_out(text: str, stream: TextIO | None = None) -> None:
    """Write and flush at once, so a reader sees each piece as it happens and a failure is raised here."""
    out = stream if stream is not None else sys.stdout
    try:
        out.write(text)
        out.flush()
    except OSError as exc:
        raise _closed(exc) from None


def flush_out() -> None:
    """Flush stdout now (what argparse printed is still buffered), rather than at interpreter exit, where a
    failure would print a traceback-like warning and exit 120."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        raise _closed(exc) from None


def _closed(exc: OSError) -> OutputClosed:
    if isinstance(exc, BrokenPipeError):
        return OutputClosed(EXIT_BROKEN_PIPE)
    return OutputClosed(EXIT_WRITE_FAILED, f"cannot write to stdout: {exc.strerror or type(exc).__name__}")


def silence_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered would fail again when Python flushes it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
