"""Warn once before a credential expires, and once when it has expired.

SSH grants (Amika), access sessions (Devbox) and copied commands carry an ``expires_at``. The UI shows a live
countdown; this module decides *when to say something*: one "expiring" warning when a credential has
``warn_before`` seconds (default 5 min) or less left, and one "expired" notice when it runs out — each at
most once per credential. A renewed credential has a new ``expires_at`` and so counts as a new one.

UI-free: the caller lists the credentials it knows about each tick and shows the events it gets back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from boxdeck.service.text.timefmt import aware, duration

__all__ = ["DEFAULT_WARN_BEFORE", "Credential", "ExpiryEvent", "ExpiryWarnings", "clock_left", "seconds_left"]

DEFAULT_WARN_BEFORE = 300.0


@dataclass(frozen=True, slots=True)
class Credential:
    """Something that stops working at ``expires_at`` (None: the server gave no expiry)."""

    key: str  # identity, e.g. "grant:acme/platform" or "access:<devbox id>:<session id>"
    label: str  # what the user reads: "SSH grant of sandbox acme/platform"
    expires_at: datetime | None
    box_key: str | None = None  # the row it belongs to, when known (renew acts on it)


@dataclass(frozen=True, slots=True)
class ExpiryEvent:
    credential: Credential
    kind: Literal["expiring", "expired"]
    seconds_left: float

    @property
    def message(self) -> str:
        label = self.credential.label
        if self.kind == "expired":
            return f"{label} has expired."
        return f"{label} expires in {duration(self.seconds_left)}."


def seconds_left(credential: Credential, now: datetime) -> float | None:
    if credential.expires_at is None:
        return None
    return (aware(credential.expires_at) - aware(now)).total_seconds()


def clock_left(seconds: float | None) -> str:
    """A precise countdown: "4:59", "1:02:03"; "expired" at or past zero; "" when unknown."""
    if seconds is None:
        return ""
    if seconds <= 0:
        return "expired"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ExpiryWarnings:
    """Remembers which credentials it has warned about; :meth:`check` returns only what is new."""

    def __init__(self, warn_before: float = DEFAULT_WARN_BEFORE) -> None:
        self.warn_before = warn_before
        self._alive: set[tuple[str, datetime]] = set()  # seen with time left
        self._warned: set[tuple[str, datetime]] = set()
        self._expired: set[tuple[str, datetime]] = set()

    def check(self, credentials: Iterable[Credential], now: datetime) -> list[ExpiryEvent]:
        """The warnings due now. A credential first seen already expired says nothing (it was never shown
        alive); one first seen with less than ``warn_before`` left is warned about at once."""
        events: list[ExpiryEvent] = []
        present: set[tuple[str, datetime]] = set()
        for credential in credentials:
            left = seconds_left(credential, now)
            if left is None or credential.expires_at is None:
                continue
            ident = (credential.key, credential.expires_at)
            present.add(ident)
            if left > 0:
                self._alive.add(ident)
                if left <= self.warn_before and ident not in self._warned:
                    self._warned.add(ident)
                    events.append(ExpiryEvent(credential, "expiring", left))
            elif ident in self._alive and ident not in self._expired:
                self._expired.add(ident)
                self._warned.add(ident)
                events.append(ExpiryEvent(credential, "expired", left))
        # Forget what is no longer listed (revoked, renewed, box gone), so memory does not grow.
        self._alive &= present
        self._warned &= present
        self._expired &= present
        return events

    def expiring(self, credentials: Iterable[Credential], now: datetime) -> list[tuple[Credential, float]]:
        """Credentials with time left but within ``warn_before``, soonest first (for a live countdown)."""
        out = []
        for credential in credentials:
            left = seconds_left(credential, now)
            if left is not None and 0 < left <= self.warn_before:
                out.append((credential, left))
        return sorted(out, key=lambda pair: pair[1])
