"""Lenient timestamp parsing.

Servers disagree on ISO-8601 spelling (``Z`` vs ``+00:00``, milliseconds, microseconds, nanoseconds), and one
bad timestamp must never make a whole listing unreadable, so anything unparseable becomes ``None`` instead of
raising.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["parse_timestamp"]


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware UTC datetime for an ISO-8601 string (or datetime), or None when it cannot be read.

    A timestamp without an offset is taken to be UTC, because every source in the wire references emits UTC
    and a naive datetime would not compare with the aware ones elsewhere in the app.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
