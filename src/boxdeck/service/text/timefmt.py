"""Short relative times for table cells ("12s", "4m") and expiry countdowns.

Server clocks drift from ours by a second or two, so a timestamp a moment in the future reads as "0s" rather
than "in 1s" — a freshly created box would otherwise flicker between the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["countdown", "duration", "relative"]

_SKEW_S = 2.0


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def duration(seconds: float) -> str:
    """A non-negative span in its largest whole unit: 12s, 4m, 3h, 2d."""
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def relative(dt: datetime | None, now: datetime) -> str:
    """Age of `dt` at `now`: "12s", "4m", "3h", "2d"; "in 4m" for the future; "-" when unknown."""
    if dt is None:
        return "-"
    delta = (_aware(now) - _aware(dt)).total_seconds()
    if delta >= -_SKEW_S:
        return duration(delta)
    return f"in {duration(-delta)}"


def countdown(dt: datetime | None, now: datetime) -> str:
    """Time left until an expiry: "expires in 4m", "expired"; "-" when there is no expiry."""
    if dt is None:
        return "-"
    left = (_aware(dt) - _aware(now)).total_seconds()
    if left <= 0:
        return "expired"
    return f"expires in {duration(left)}"
