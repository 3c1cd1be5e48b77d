"""Each backend's health in full: last success, latency, failures and the last error, as literal text."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from boxdeck.service.monitoring.health import Health
from boxdeck.tui.format import clean, timestamp
from boxdeck.tui.modals.base import BoxdeckModal
from boxdeck.tui.widgets.health_bar import health_words

TITLES = {"amika": "Amika sandboxes", "devbox": "Latitude devboxes"}


def health_text(health: Health, now: datetime) -> Text:
    out = Text()
    icon, words = health_words(health)
    out.append(f"{TITLES.get(health.backend.value, health.backend.value)}: ", style="bold")
    out.append(f"{icon} {words}\n")
    if not health.configured:
        return out
    latency = f"{health.latency_s * 1000:.0f} ms" if health.latency_s is not None else "-"
    rows = [
        ("last success", timestamp(health.last_success, now)),
        ("last attempt", timestamp(health.last_attempt, now)),
        ("latency", latency),
        ("failures", str(health.consecutive_failures)),
    ]
    for label, value in rows:
        out.append(f"  {label:<14}", style="bold")
        out.append(f"{value}\n")
    out.append(f"  {'last error':<14}", style="bold")
    out.append(clean(health.last_error) if health.last_error else "none")
    out.append("\n")
    return out


class ErrorsModal(BoxdeckModal[None]):
    BINDINGS = [Binding("escape,e,q", "close", "Close", id="boxdeck.errors.close")]

    def __init__(self, healths: list[Health], now: datetime) -> None:
        super().__init__(classes="modal errors")
        self._healths = healths
        self._now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Backends: health and last error", markup=False, id="title")
            with VerticalScroll(id="health", classes="body"):
                for health in self._healths:
                    yield Static(health_text(health, self._now), markup=False, classes="health")
            with Vertical(id="foot"):
                yield Static("Esc closes", markup=False, classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
