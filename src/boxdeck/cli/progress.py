"""The stderr progress display of `watch` and `ssh --wait`.

Two audiences: a person at a terminal wants one live status that redraws in place (elapsed time ticking, the
current step, an ETA) with the history of changes scrolling above it; a CI log or a pipe wants one plain line
per change and no cursor tricks, because redraws turn a log file into a mess of carriage returns. The mode is
picked from whether the stream is a terminal; colour only on a terminal and never when NO_COLOR is set
(https://no-color.org).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from boxdeck.service.boxes import StateKind

__all__ = ["Line", "Progress", "color_enabled"]

#: A line of the display: plain text, or a rich `Text` (never markup: server text is shown literally).
Line = str | Text

_STYLES = {
    StateKind.READY: "green",
    StateKind.TRANSITIONAL: "yellow",
    StateKind.STOPPED: "dim",
    StateKind.FAILED: "red",
    StateKind.GONE: "dim",
    StateKind.UNKNOWN: "magenta",
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

    `status(lines)` replaces the live block; `event(line)` prints a line that stays, above the block. Rich
    draws both: it measures lines in terminal cells (a CJK name takes two a character), crops each status
    line to the terminal's width so the block never wraps (a wrapped line would leave a stale copy behind on
    the next redraw) and moves the cursor itself. Every line must already be sanitized (server text reaches
    here only through `service.text`) and is never parsed as markup. Nothing here raises on a closed
    stderr: progress is a courtesy, never a reason to fail.
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
        encoding = (getattr(self.stream, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding.startswith("utf")
        self._frame = 0
        self._console = Console(
            file=self.stream,
            force_terminal=self.live,
            force_interactive=self.live,
            force_jupyter=False,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            markup=False,
            emoji=False,
            highlight=False,
            _environ=dict(os.environ if environ is None else environ),
        )
        self._live: Live | None = None

    # -- styling ---------------------------------------------------------------------------------------------

    def paint(self, text: str, kind: StateKind | None = None, *, style: str | None = None) -> Text:
        """`text` in the colour of `kind` (or `style`); plain when colour is off."""
        chosen = style if style is not None else (_STYLES.get(kind) if kind is not None else None)
        return Text(text, style=chosen or "")

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

    def status(self, lines: Sequence[Line]) -> None:
        """Redraw the live block (a no-op when not on a terminal: a log gets events only)."""
        if not (self.enabled and self.live):
            return
        block = Group(*(_cropped(line) for line in lines))
        try:
            if self._live is None:
                self._live = Live(
                    block, console=self._console, auto_refresh=False, transient=True,
                    redirect_stdout=False, redirect_stderr=False, vertical_overflow="visible",
                )
                self._live.start(refresh=True)
            else:
                self._live.update(block, refresh=True)
        except (OSError, ValueError):  # stderr closed: progress is a courtesy, never a reason to fail
            self.enabled = False

    def event(self, line: Line) -> None:
        """A line that stays, printed above the live block (which Rich draws again below it). Never wrapped
        or cropped by Rich: a log keeps the whole line."""
        if not self.enabled:
            return
        try:
            self._console.print(line if isinstance(line, Text) else Text(line), soft_wrap=True)
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        """Remove the live block, leaving the cursor at the start of a clean line."""
        live, self._live = self._live, None
        if live is None:
            return
        try:
            live.stop()
        except (OSError, ValueError):
            self.enabled = False


def _cropped(line: Line) -> Text:
    text = line.copy() if isinstance(line, Text) else Text(line)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
