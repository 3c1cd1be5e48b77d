"""The stderr progress display of `watch` and `ssh --wait`.

Two audiences: a person at a terminal wants one live status that redraws in place (elapsed time ticking, the
current step, an ETA) with the history of changes scrolling above it; a CI log or a pipe wants one plain line
per change and no cursor tricks, because redraws turn a log file into a mess of carriage returns. The mode is
picked from whether the stream is a terminal; colour only on a terminal and never when NO_COLOR is set
(https://no-color.org).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from boxdeck.service.boxes import StateKind

__all__ = ["Progress", "color_enabled"]

_COLORS = {
    StateKind.READY: "32",  # green
    StateKind.TRANSITIONAL: "33",  # yellow
    StateKind.STOPPED: "2",  # dim
    StateKind.FAILED: "31",  # red
    StateKind.GONE: "2",
    StateKind.UNKNOWN: "35",
}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ASCII_SPINNER = "|/-\\"
#: Step marks, and their ASCII stand-ins for a stream that cannot encode them (LANG=C in some CI images).
MARKS = {"ok": ("✓", "ok"), "failed": ("✗", "x"), "running": ("…", "..")}


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_enabled(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return _isatty(stream) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


class Progress:
    """A live block of status lines (terminal only) plus permanent event lines (always).

    `status(lines)` replaces the live block; `event(line)` prints a line that stays, above the block. Every
    line must already be sanitized: server text reaches here only through `service.text`. Nothing here
    raises on a closed stderr: progress is a courtesy, never a reason to fail.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        color: bool | None = None,
        enabled: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = _isatty(self.stream) if live is None else live
        self.color = color_enabled(self.stream, environ) if color is None else color
        self._block: list[str] = []
        self._drawn = 0
        self._frame = 0
        encoding = (getattr(self.stream, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding.startswith("utf")

    # -- styling ---------------------------------------------------------------------------------------------

    def paint(self, text: str, kind: StateKind | None = None, *, code: str | None = None) -> str:
        sgr = code if code is not None else (_COLORS.get(kind) if kind is not None else None)
        if not self.color or not sgr:
            return text
        return f"\x1b[{sgr}m{text}\x1b[0m"

    def spinner(self) -> str:
        self._frame += 1
        frames = SPINNER if self.unicode else ASCII_SPINNER
        return frames[self._frame % len(frames)]

    def mark(self, name: str) -> str:
        fancy, plain = MARKS[name]
        return fancy if self.unicode else plain

    def arrow(self) -> str:
        return "→" if self.unicode else "->"

    # -- output ----------------------------------------------------------------------------------------------

    def status(self, lines: Sequence[str]) -> None:
        """Redraw the live block (a no-op when not on a terminal: a log gets events only)."""
        if not (self.enabled and self.live):
            return
        self._block = list(lines)
        self._write(self._erase() + self._render())

    def event(self, line: str) -> None:
        """A line that stays. On a terminal it replaces the live block, which the next `status()` draws again
        below it (so a burst of events costs one redraw, not one per event)."""
        if not self.enabled:
            return
        self._write((self._erase() if self.live else "") + line + "\n")

    def close(self) -> None:
        """Remove the live block, leaving the cursor at the start of a clean line."""
        if self.enabled and self.live and self._drawn:
            self._write(self._erase())
        self._block = []

    # -- terminal mechanics ----------------------------------------------------------------------------------

    def _width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def _render(self) -> str:
        """The block, each line cut to the terminal width: a wrapped line would break the cursor-up count."""
        width = self._width()
        out = [_cut(line, width) for line in self._block]
        self._drawn = len(out)
        return "\n".join(out)

    def _erase(self) -> str:
        if not self._drawn:
            return ""
        up = f"\x1b[{self._drawn - 1}A" if self._drawn > 1 else ""
        self._drawn = 0
        return f"\r{up}\x1b[J"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is a courtesy, never a reason to fail
            self.enabled = False


def _cut(line: str, width: int) -> str:
    """Cut to `width` visible characters, keeping SGR colour codes (which take no columns) intact."""
    out: list[str] = []
    visible = 0
    i = 0
    while i < len(line):
        if line.startswith("\x1b[", i):
            end = line.find("m", i)
            if end != -1:
                out.append(line[i : end + 1])
                i = end + 1
                continue
        if visible >= width:
            out.append("\x1b[0m" if "\x1b[" in line else "")
            break
        out.append(line[i])
        visible += 1
        i += 1
    return "".join(out)
