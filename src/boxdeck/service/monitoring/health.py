"""Per-backend health: what the header shows (ok, slow, failing since…, the last error on demand).

The tracker is mutable and private to the monitor; what leaves it is a frozen `Health`, so the UI can keep
the value it rendered and compare it with the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.cadence import FailureKind, capped_retry_after, failure_kind

__all__ = ["Health", "HealthStatus", "HealthTracker"]

HealthStatus = Literal["unconfigured", "unknown", "ok", "slow", "failing"]


@dataclass(frozen=True)
class Health:
    backend: Backend
    configured: bool
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    latency_s: float | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    """Sanitized and redacted; kept after recovery so "last error" can still be shown on demand."""
    slow_threshold: float = 2.0
    retry_after: float | None = None
    """The server's Retry-After on the last failure, if it sent one."""
    last_status: int | None = None
    """The HTTP status of the last attempt's failure (401, 503, …); None after a success, and when the last
    failure had no status (the server could not be reached)."""

    @property
    def failure_kind(self) -> FailureKind | None:
        """Why the last poll failed, for pacing the next one; None while the backend is not failing."""
        if not self.consecutive_failures:
            return None
        return failure_kind(self.last_status, self.retry_after)

    @property
    def retry_at(self) -> datetime | None:
        """When the server's Retry-After (as honoured, capped) runs out; None without one."""
        wait = capped_retry_after(self.retry_after) if self.consecutive_failures else None
        if wait is None or self.last_attempt is None:
            return None
        return self.last_attempt + timedelta(seconds=wait)

    @property
    def status(self) -> HealthStatus:
        if not self.configured:
            return "unconfigured"
        if self.consecutive_failures:
            return "failing"
        if self.last_success is None:
            return "unknown"
        if self.latency_s is not None and self.latency_s > self.slow_threshold:
            return "slow"
        return "ok"


class HealthTracker:
    """Accumulates attempts for one backend; `health` is the frozen view of now."""

    def __init__(self, backend: Backend, *, configured: bool, slow_threshold: float) -> None:
        self._health = Health(backend=backend, configured=configured, slow_threshold=slow_threshold)

    @property
    def health(self) -> Health:
        return self._health

    def success(self, at: datetime, latency_s: float) -> None:
        h = self._health
        self._health = Health(
            backend=h.backend,
            configured=h.configured,
            last_success=at,
            last_attempt=at,
            latency_s=latency_s,
            consecutive_failures=0,
            failing_since=None,
            last_error=h.last_error,
            slow_threshold=h.slow_threshold,
        )

    def failure(
        self,
        at: datetime,
        error: str,
        *,
        latency_s: float | None,
        retry_after: float | None,
        status: int | None = None,
    ) -> None:
        h = self._health
        self._health = Health(
            backend=h.backend,
            configured=h.configured,
            last_success=h.last_success,
            last_attempt=at,
            latency_s=latency_s if latency_s is not None else h.latency_s,
            consecutive_failures=h.consecutive_failures + 1,
            failing_since=h.failing_since or at,
            last_error=error,
            slow_threshold=h.slow_threshold,
            retry_after=retry_after,
            last_status=status,
        )
