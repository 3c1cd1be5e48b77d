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


@dataclass(frozen=True, slots=True)
class Detail:
    """How much the header says: the first level that fits the terminal's width is drawn."""

    freshness: str  # whose "2 s ago": "all" backends', the "notable" ones' (failing, slow, waiting), only the
    # "current" tab's when notable, or "none"
    words: bool  # "ok", "failing since 09:30" after each health icon
    compact: bool = False  # no app name, one-space gaps
    titles: bool = True  # every tab's title (else the current tab's only)


#: Most first; the last keeps every tab number, its health icon and the current tab's title in 80 columns.
DETAIL_LEVELS = (
    Detail("all", words=True),
    Detail("notable", words=True),
    Detail("current", words=True),
    Detail("current", words=False),
    Detail("none", words=False),
    Detail("none", words=False, compact=True),
    Detail("none", words=False, compact=True, titles=False),
)


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
        self.tick()

    def tick(self) -> None:
        """Each backend's "2 s ago" kept current (its screen calls this once a second while shown): only this
        one line is redrawn, and only when its words changed."""
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

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        width = self.size.width
        out = self._line(DETAIL_LEVELS[0])
        for detail in DETAIL_LEVELS[1:]:
            if not width or out.cell_len <= width:
                break
            out = self._line(detail)
        shown = (out.plain, tuple((s.start, s.end, str(s.style)) for s in out.spans))
        if shown != self._shown:  # the 1 s tick redraws nothing when the words did not change
            self._shown = shown
            # One line of fixed size (`#health-bar`: height 1, width 100%): repaint this line only. The
            # default `update()` also re-lays-out the whole screen, which re-rendered the table every second.
            self.update(out, layout=False)

    def _line(self, detail: Detail) -> Text:
        p = self._palette
        gap = " " if detail.compact else "   "
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(" " if detail.compact else " boxdeck ", style="bold")
        for tab in self._tabs:
            current = tab.key == self._current
            out.append(gap[:2])
            title = f" {tab.title}" if current or detail.titles else ""
            out.append(f" {tab.key}{title} ", style="bold reverse" if current else "bold")
            if tab.backend is None:
                continue
            health = self._health.get(tab.backend)
            icon, words = health_words(health)
            status = health.status if health else "unconfigured"
            colour = {"ok": p.success, "slow": p.warning, "failing": p.error}.get(status, p.muted)
            out.append(f" {icon} {words}" if detail.words else icon, style=colour)
            fresh = (freshness(health, self._at, on_time=self._deck.main.monitor.on_schedule)
                     if self._at is not None and health is not None else None)
            notable = fresh is not None and health is not None and (
                fresh.failing or status != "ok" or health.retry_at is not None
            )
            wanted = detail.freshness == "all" or (notable and (
                detail.freshness == "notable" or (detail.freshness == "current" and current)))
            if wanted and fresh is not None and fresh.short and fresh.status != "connecting":
                out.append(f" · {fresh.short}", style=colour if fresh.failing else p.muted)
        badge = self._deck.badge
        if badge:
            out.append(gap)
            out.append(badge, style=f"bold {p.warning if badge == '[RO]' else p.accent}")
        if self._deck.demo:
            out.append(gap)
            out.append("demo", style=f"italic {p.accent}")
        if detail.titles and any(h.status == "failing" for h in self._health.values()):
            out.append(f"{gap}e: errors", style=p.muted)
        return out
