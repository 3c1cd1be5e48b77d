"""One or two lines above the keys: boxes waited on ("connect when ready") and credentials about to expire.

Hidden when there is nothing to say. It reads the deck once a second (the waits and the credentials are the
dashboard's, so every box screen shows the same strip) and redraws only when its words changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from boxdeck.service.access.expiry import clock_left
from boxdeck.service.access.waits import PIN_MARK
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.monitoring.provisioning import progress
from boxdeck.service.monitoring.snapshot import Snapshot
from boxdeck.service.text.sanitize import single_line
from boxdeck.service.text.timefmt import duration
from boxdeck.tui.context import Deck

__all__ = ["WatchStrip", "progress_words"]


def progress_words(box: Box, snapshot: Snapshot | None) -> str:
    """The state, and for a devbox the provisioning step ("provisioning 2/4 inject_credentials")."""
    state = single_line(box.display_state, limit=40)
    if box.backend is Backend.DEVBOX and snapshot is not None:
        label, _kind = progress(snapshot.details.get(box.key))
        if label:
            return f"{state} {label}"
    return state


class WatchStrip(Static):
    """The boxes people wait on and the credentials about to expire; its screen calls `update_strip` once a
    second while it is shown (one timer a screen, paused while hidden, drives everything that ticks)."""

    def __init__(self, deck: Deck, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes="watch-strip")
        self.deck = deck
        self.display = False
        self._shown: object = None  # what was last drawn (plain text and styles)
        self._fitted: int | None = None  # its number of lines when none was wider than the strip

    def on_mount(self) -> None:
        self.update_strip()

    def render_strip(self) -> Text:
        deck = self.deck
        out = Text()
        now = deck.now()
        for profile in deck.profiles.values():
            for wait in profile.waits:
                snapshot = profile.monitor.snapshot(wait.backend)
                box = snapshot.boxes.get(wait.key) if snapshot is not None else None
                parts = [progress_words(box, snapshot)] if box is not None else []
                eta = profile.eta_of(box, now)[0] if box is not None else ""
                parts += [eta, f"waiting {duration((now - wait.since).total_seconds())}"]
                if out:
                    out.append("\n")
                out.append(f"{PIN_MARK} connect when ready ", style="bold")
                out.append(single_line(wait.name, limit=40), style="bold")
                out.append("  " + " · ".join(p for p in parts if p))
                out.append("   (⏎ on it to stop waiting)", style="italic")
        for credential, left in deck.expiry.expiring(deck.credentials(), now):
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
