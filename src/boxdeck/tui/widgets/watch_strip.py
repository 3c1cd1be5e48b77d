"""One or two lines above the footer: boxes waited on ("connect when ready") and credentials about to expire.

Hidden when there is nothing to say. It redraws itself once a second from the app's state (the waits and
the credentials are app-wide, so every box screen shows the same strip).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from boxdeck.service.expiry import clock_left
from boxdeck.service.text import sanitize, single_line
from boxdeck.tui.connect import PIN_MARK


class WatchStrip(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes="watch-strip")
        self.display = False

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
        if not self.is_mounted:
            return
        text = self.render_strip()
        self.display = bool(text.plain)
        self.update(text)
