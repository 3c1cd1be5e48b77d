"""How boxdeck words a span of time; every duration it shows is written here.

- :func:`duration`: compact, for table cells and progress lines ("12s", "4m", "3h", "2d");
- :func:`ago`: how old something is, in a sentence ("just now", "2 s ago", "1 m ago");
- :func:`rough_duration`: an estimate, rounded as an estimate should be ("40 s", "3 min", "1 h 20 min");
- :func:`relative` and :func:`countdown`: a timestamp's age ("4m", "in 4m") and an expiry ("expires in 4m").

Server clocks drift from ours by a second or two, so a timestamp a moment in the future reads as "0s" rather
than "in 1s" — a freshly created box would otherwise flicker between the two. A timestamp without a zone is
taken as UTC (that is what the servers mean).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ago", "aware", "countdown", "duration", "relative", "rough_duration"]

_SKEW_S = 2.0
_UNITS = ((86400, "d"), (3600, "h"), (60, "m"))


def aware(dt: datetime) -> datetime:
    """``dt`` with a zone: a naive timestamp is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def duration(seconds: float, *, sep: str = "") -> str:
    """A non-negative span in its largest whole unit: 12s, 4m, 3h, 2d (``sep=" "``: 12 s, 4 m)."""
    s = int(max(0.0, seconds))
    for size, unit in _UNITS:
        if s >= size:
            return f"{s // size}{sep}{unit}"
    return f"{s}{sep}s"


def ago(seconds: float) -> str:
    """``"just now"`` under a second, else ``"2 s ago"``, ``"1 m ago"``, ``"3 h ago"``, ``"2 d ago"``."""
    return "just now" if seconds < 1 else f"{duration(seconds, sep=' ')} ago"


def rough_duration(seconds: float) -> str:
    """``7 s``, ``40 s`` (rounded to 5 s above 10 s), ``3 min``, ``1 h 20 min`` — an ETA is a rough number."""
    s = max(0.0, seconds)
    if s < 10:
        return f"{max(1, round(s))} s"
    if s < 60:
        return f"{min(55, int(5 * round(s / 5)))} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def relative(dt: datetime | None, now: datetime) -> str:
    """Age of `dt` at `now`: "12s", "4m", "3h", "2d"; "in 4m" for the future; "-" when unknown."""
    if dt is None:
        return "-"
    delta = (aware(now) - aware(dt)).total_seconds()
    if delta >= -_SKEW_S:
        return duration(delta)
    return f"in {duration(-delta)}"


def countdown(dt: datetime | None, now: datetime) -> str:
    """Time left until an expiry: "expires in 4m", "expired"; "-" when there is no expiry."""
    if dt is None:
        return "-"
    left = (aware(dt) - aware(now)).total_seconds()
    if left <= 0:
        return "expired"
    return f"expires in {duration(left)}"
