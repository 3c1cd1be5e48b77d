"""The header bar: one tab per screen with its backend's health, the read-only flag and the demo marker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.freshness import freshness
from boxdeck.service.monitoring.health import Health
from boxdeck.tui.context import Deck
from boxdeck.tui.format import Palette, local_time


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    title: str
    backend: Backend | None


def health_words(health: Health | None) -> tuple[str, str]:
    """(icon, words) for a backend's health."""
    if health is None or not health.configured or health.status == "unconfigured":
        return "○", "not configured"
    status = health.status
    if status == "ok":
        return "●", "ok"
    if status == "slow":
        return "◐", "slow"
    if status == "failing":
        since = local_time(health.failing_since) if health.failing_since else "?"
        return "✗", f"failing since {since}"
    return "…", "connecting"


class HealthBar(Static):
    """Renders literal text only; updated by its screen's message handlers."""

    def __init__(self, deck: Deck, tabs: tuple[Tab, ...], current: str) -> None:
        super().__init__("", markup=False, id="health-bar")
        self._deck = deck
        self._tabs = tabs
        self._current = current
        self._health: dict[Backend, Health] = {
            backend: deck.main.monitor.health(backend) for backend in Backend
        }
        self._palette = Palette()
        self._at: datetime | None = None  # "now" for the freshness words, set by tick()
        self._shown: object = None

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self._redraw()

    def set_health(self, backend: Backend, health: Health) -> None:
        self._health[backend] = health
        self._redraw()

    def on_mount(self) -> None:
        # Each backend's "2 s ago" is kept current; only this one line is redrawn, and only when its words
        # changed and its screen is the one showing.
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        if self.is_mounted and not self.screen.is_current:
            return
        self._at = self._deck.now()
        self._redraw()

    def sync(self) -> None:
        """The monitor's health as it is now, at the time it is now: what the freshness line below says too
        (a HealthChanged still queued must not leave the header a poll behind)."""
        self._health = {backend: self._deck.main.monitor.health(backend) for backend in Backend}
        self._at = self._deck.now()
        self._redraw()

    def refresh_badge(self) -> None:
        """The write grant started or lapsed."""
        self._redraw()

    def _redraw(self) -> None:
        p = self._palette
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(" boxdeck ", style="bold")
        for tab in self._tabs:
            current = tab.key == self._current
            out.append("  ")
            out.append(f" {tab.key} {tab.title} ", style="bold reverse" if current else "bold")
            if tab.backend is None:
                continue
            health = self._health.get(tab.backend)
            icon, words = health_words(health)
            status = health.status if health else "unconfigured"
            colour = {"ok": p.success, "slow": p.warning, "failing": p.error}.get(status, p.muted)
            out.append(f" {icon} {words}", style=colour)
            fresh = freshness(health, self._at) if self._at is not None and health is not None else None
            if fresh is not None and fresh.short and fresh.status != "connecting":
                out.append(f" · {fresh.short}", style=colour if fresh.failing else p.muted)
        badge = self._deck.badge
        if badge:
            out.append("   ")
            out.append(badge, style=f"bold {p.warning if badge == '[RO]' else p.accent}")
        if self._deck.demo:
            out.append("   ")
            out.append("demo", style=f"italic {p.accent}")
        if any(h.status == "failing" for h in self._health.values()):
            out.append("   e: errors", style=p.muted)
        shown = (out.plain, tuple((s.start, s.end, str(s.style)) for s in out.spans))
        if shown != self._shown:  # the 1 s tick redraws nothing when the words did not change
            self._shown = shown
            # One line of fixed size (`#health-bar`: height 1, width 100%): repaint this line only. The
            # default `update()` also re-lays-out the whole screen, which re-rendered the table every second.
            self.update(out, layout=False)
