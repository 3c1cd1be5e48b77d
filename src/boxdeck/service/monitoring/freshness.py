"""How fresh a backend's data is, in words: "updated 2 s ago", "failed 3 s ago — last ok 1 m ago".

A live dashboard that silently stops updating is worse than none: the user acts on a state that is long gone.
So every screen says how old its data is, and says it loudly (the UI colours it with the theme's error colour)
when the last poll failed. The wording lives here, away from any UI, so the header, the screens and the tests
share it.

- :func:`freshness` — one backend's :class:`~boxdeck.service.monitoring.health.Health` at ``now``. When the
  server asked to be left alone (a Retry-After), the words count it down: "rate limited · retrying in 42 s".
- :func:`summarize` — several backends (and profiles) at once, for a screen that shows them together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from boxdeck.service.monitoring.health import Health
from boxdeck.service.text.timefmt import ago, aware

__all__ = ["Freshness", "FreshnessStatus", "freshness", "retry_words", "summarize"]

FreshnessStatus = Literal["unconfigured", "connecting", "fresh", "failing"]


@dataclass(frozen=True, slots=True)
class Freshness:
    """``text`` for a screen's status line, ``short`` for a crowded header."""

    status: FreshnessStatus
    text: str
    short: str

    @property
    def failing(self) -> bool:
        return self.status == "failing"


def _seconds(since: datetime, now: datetime) -> float:
    return max(0.0, (aware(now) - aware(since)).total_seconds())


def retry_words(health: Health, now: datetime) -> str | None:
    """"rate limited · retrying in 42 s" while a Retry-After runs (the seconds left rounded up, so it reads
    1 s until the poll is due); None without one."""
    retry_at = health.retry_at
    if retry_at is None:
        return None
    what = "rate limited" if health.last_status == 429 else "server busy"
    left = math.ceil((aware(retry_at) - aware(now)).total_seconds() - 1e-6)
    if left <= 0:
        return f"{what} · retrying now"
    if left < 60:
        return f"{what} · retrying in {left} s"
    return f"{what} · retrying in {left // 60} m {left % 60} s"


def _updated(seconds: float, on_time: float) -> str:
    return "just now" if seconds < on_time else ago(seconds)


def freshness(health: Health | None, now: datetime, *, on_time: float = 0.0) -> Freshness:
    """One backend: not configured, connecting (no answer yet), fresh, or failing (with the last success).

    `on_time`: how old the data may get while polls keep their schedule (`Monitor.on_schedule`). Until then
    it reads "just now", and the seconds count once a poll is late: a healthy dashboard's line does not
    change (and repaint) every second for nothing, and a count that starts means something."""
    if health is None or not health.configured:
        return Freshness("unconfigured", "not configured", "")
    if health.consecutive_failures:
        attempt = health.last_attempt or health.failing_since
        failed = f"failed {ago(_seconds(attempt, now))}" if attempt is not None else "failing"
        failed = retry_words(health, now) or failed
        if health.last_success is not None:
            last_ok = f"last ok {ago(_seconds(health.last_success, now))}"
        else:
            last_ok = "no data yet"
        return Freshness("failing", f"{failed} — {last_ok}", failed)
    if health.last_success is None:
        return Freshness("connecting", "connecting…", "connecting…")
    when = _updated(_seconds(health.last_success, now), on_time)
    return Freshness("fresh", f"updated {when}", when)


def summarize(items: Iterable[tuple[str, Health]], now: datetime, *, on_time: float = 0.0) -> Freshness:
    """Several labelled backends as one line.

    Fresh ones are summed up by the stalest ("updated 4 s ago": everything on screen is at most that old);
    each failing one is named ("Devbox (work) failed 3 s ago — last ok 1 m ago"), failures first.
    """
    fresh: list[float] = []
    failing: list[str] = []
    connecting = 0
    for label, health in items:
        f = freshness(health, now, on_time=on_time)
        if f.status == "failing":
            failing.append(f"{label} {f.text}" if label else f.text)
        elif f.status == "connecting":
            connecting += 1
        elif f.status == "fresh" and health.last_success is not None:
            fresh.append(_seconds(health.last_success, now))
    parts = list(failing)
    if fresh:
        parts.append(f"{'others ' if failing else ''}updated {_updated(max(fresh), on_time)}")
    if connecting and not fresh:
        parts.append("connecting…")
    if not parts:
        return Freshness("unconfigured", "not configured", "")
    text = " · ".join(parts)
    if failing:
        return Freshness("failing", text, failing[0])
    if fresh:
        return Freshness("fresh", text, _updated(max(fresh), on_time))
    return Freshness("connecting", text, "connecting…")
