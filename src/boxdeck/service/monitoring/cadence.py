"""How long to wait before the next poll of one backend.

Steady boxes are polled slowly (cheap on the server, idle CPU near zero); anything in motion — a transitional
state, an optimistic action, a user action seconds ago — is polled about once a second so the screen follows
it.

Failures back off exponentially with jitter (clients that failed together must not retry together), but never
past the *probe cap*: after an outage of any length the screen must be fresh within
:data:`RECOVERY_INTERVALS` steady intervals of the server answering again, so a failing backend is probed at
least every :data:`PROBE_INTERVALS` steady intervals (the rest of the promise is the probe's own answer time).
Jitter spans the upper half of the current ceiling, so once capped a dead server gets one request per
1.125 steady intervals on average: fewer than a healthy one.

A server's Retry-After is honoured up to :data:`MAX_RETRY_AFTER`.

Failures are sorted into kinds (:class:`FailureKind`) so that a kind can be given its own pace: the monitor
looks the probe cap up per kind (``Monitor.failure_caps``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Final

__all__ = [
    "MAX_RETRY_AFTER",
    "PROBE_INTERVALS",
    "RECOVERY_INTERVALS",
    "FailureKind",
    "backoff_delay",
    "cadence_delay",
    "capped_retry_after",
    "failure_kind",
    "probe_cap",
]

#: The promise: after an outage, fresh within this many steady intervals of the server answering again.
RECOVERY_INTERVALS: Final = 2.0

#: A failing backend is probed at least this often (in steady intervals); the other half interval of
#: :data:`RECOVERY_INTERVALS` is left for the probe itself to be answered.
PROBE_INTERVALS: Final = 1.5

#: The longest Retry-After honoured, in seconds (five minutes). A server asking for more (or a bogus header
#: asking for days) is retried after this long: a dashboard that stops looking for hours is worse than one
#: that asks a rate-limited server once every few minutes.
MAX_RETRY_AFTER: Final = 300.0

#: Refused credentials are asked again this rarely (seconds): they will not fix themselves, and a server
#: asked every few seconds with a bad token may lock the account. The dashboard's `r` asks again at once.
AUTH_RETRY: Final = 120.0


class FailureKind(StrEnum):
    """Why the last poll of a backend failed, as far as pacing the next one goes."""

    UNREACHABLE = "unreachable"
    """No HTTP answer: refused, dropped, timed out."""
    SERVER = "server"
    """An HTTP error (5xx, an unexpected status) or an unreadable answer."""
    RATE_LIMITED = "rate-limited"
    """429, or any status that came with a Retry-After."""
    AUTH = "auth"
    """401 or 403: the credentials were refused; retrying will not fix them."""


def failure_kind(status: int | None, retry_after: float | None) -> FailureKind:
    if status in (401, 403):
        return FailureKind.AUTH
    if status == 429 or (retry_after is not None and retry_after > 0):
        return FailureKind.RATE_LIMITED
    if status is None:
        return FailureKind.UNREACHABLE
    return FailureKind.SERVER


def capped_retry_after(retry_after: float | None) -> float | None:
    """The server's Retry-After as honoured: at most :data:`MAX_RETRY_AFTER`; None when absent or not
    positive."""
    if retry_after is None or not retry_after > 0:
        return None
    return min(retry_after, MAX_RETRY_AFTER)


def probe_cap(steady_interval: float, max_backoff: float) -> float:
    """The longest wait between two polls of a failing backend (before any Retry-After)."""
    return max(0.0, min(max_backoff, PROBE_INTERVALS * steady_interval))


def backoff_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    rng: Callable[[], float],
    floor: float = 0.0,
    retry_after: float | None = None,
) -> float:
    """Exponential backoff with jitter: uniform in the upper half of ``min(cap, base·2^(failures-1))``, never
    below ``floor`` nor below the (capped) Retry-After."""
    if failures <= 0:
        raise ValueError("backoff_delay needs at least one failure")
    ceiling = min(cap, base * 2.0 ** min(failures - 1, 30))
    delay = max(floor, ceiling * (0.5 + 0.5 * rng()))
    honoured = capped_retry_after(retry_after)
    if honoured is not None:
        delay = max(delay, honoured)
    return delay


def cadence_delay(*, busy: bool, busy_interval: float, steady_interval: float) -> float:
    return busy_interval if busy else steady_interval
