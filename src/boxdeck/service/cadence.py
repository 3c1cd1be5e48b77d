"""How long to wait before the next poll of one backend.

Steady boxes are polled slowly (cheap on the server, idle CPU near zero); anything in motion — a transitional
state, an optimistic action, a user action seconds ago — is polled about once a second so the screen follows
it. Failures back off exponentially with full jitter (clients that failed together must not retry together)
and never sooner than the server's Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["MAX_RETRY_AFTER", "backoff_delay", "cadence_delay"]

#: A Retry-After longer than this is treated as this: a bogus header must not freeze the dashboard for days.
MAX_RETRY_AFTER = 3600.0


def backoff_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    rng: Callable[[], float],
    floor: float = 0.0,
    retry_after: float | None = None,
) -> float:
    """Full-jitter exponential backoff: uniform in [floor, min(cap, base·2^(failures-1))], ≥ Retry-After."""
    if failures <= 0:
        raise ValueError("backoff_delay needs at least one failure")
    ceiling = min(cap, base * 2 ** min(failures - 1, 30))
    delay = max(floor, rng() * ceiling)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def cadence_delay(*, busy: bool, busy_interval: float, steady_interval: float) -> float:
    return busy_interval if busy else steady_interval
