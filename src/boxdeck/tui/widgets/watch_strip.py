"""One or two lines above the footer: boxes waited on ("connect when ready") and credentials about to expire.

Hidden when there is nothing to say. It checks once a second from the app's state (the waits and the
credentials are app-wide, so every box screen shows the same strip) and redraws only when its words changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from boxdeck.service.access.expiry import clock_left
from boxdeck.service.text.sanitize import sanitize, single_line
from boxdeck.tui.connect import PIN_MARK


class WatchStrip(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes="watch-strip")
        self.display = False
        self._shown: object = None  # what was last drawn (plain text and styles)
        self._fitted: int | None = None  # its number of lines when none was wider than the strip

    def on_mount(self) -> None:
        self.set_interval(1.0, self.update_strip)
        self.update_strip()

    def render_strip(self) -> Text:
        app: Any = self.app
        out = Text()
        now = app.now()
        for wait, _box, line in getattr(app, "wait_lines", lambda _now: [])(now):
            if out:
                out.append("\n")
            out.append(f"{PIN_MARK} connect when ready ", style="bold")
            out.append(single_line(sanitize(wait.name), limit=40), style="bold")
            out.append(f"  {line}")
            out.append("   (⏎ on it to stop waiting)", style="italic")
        for credential, left in getattr(app, "expiring_now", list)():
            if out:
                out.append("\n")
            out.append("⚠ ", style="bold")
            out.append(f"{credential.label} expires in {clock_left(left)}")
            if credential.box_key:
                out.append("   (R on the box renews it)", style="italic")
        return out

    def update_strip(self) -> None:
        """Redraw only when the words changed (nothing to say, the usual case, costs nothing each second),
        and re-lay-out the screen only when the strip's height may change: shown or hidden, or lines added,
        removed or too long to fit unwrapped."""
        if not self.is_mounted:
            return
        text = self.render_strip()
        shown = (text.plain, tuple((s.start, s.end, str(s.style)) for s in text.spans))
        if shown == self._shown:
            return
        lines = tuple(line.cell_len for line in text.split("\n", allow_blank=True)) if text.plain else ()
        width = self.content_size.width
        fits = bool(lines) and width > 0 and max(lines) <= width
        same_height = fits and self._fitted == len(lines) and self.display
        self._shown = shown
        self._fitted = len(lines) if fits else None
        self.display = bool(text.plain)
        self.update(text, layout=not same_height)
