"""Read-only by default, with a time-limited grant of write access.

A profile pointed at production can say ``read_only = true``: watching is the common case, and a stray ``d``
must not delete a colleague's box. When the user does mean to act, one key grants write access for N minutes
(default 10) and the header shows it as ``[RW 9m]``; it lapses by itself, so nobody forgets a production
profile in write mode overnight.

``locked=True`` is for ``--read-only`` on the command line: a hard read-only that no key can lift (the person
who started boxdeck asked for it, e.g. on a shared screen).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["DEFAULT_GRANT_MINUTES", "WriteGrant"]

DEFAULT_GRANT_MINUTES = 10.0


class WriteGrant:
    def __init__(
        self,
        read_only_default: bool,
        minutes: float = DEFAULT_GRANT_MINUTES,
        clock: Callable[[], float] = time.monotonic,
        *,
        locked: bool = False,
    ) -> None:
        self.read_only_default = read_only_default or locked
        self.minutes = minutes
        self.locked = locked
        self._clock = clock
        self._until: float | None = None

    def allowed(self) -> bool:
        """Whether a mutating action may run now."""
        if not self.read_only_default:
            return True
        return self.remaining() > 0

    def grant(self) -> bool:
        """Allow writes for ``minutes`` from now (re-granting extends). False when locked read-only."""
        if self.locked or self.minutes <= 0:
            return False
        if self.read_only_default:
            self._until = self._clock() + self.minutes * 60.0
        return True

    def revoke(self) -> None:
        """Back to read-only at once."""
        self._until = None

    def remaining(self) -> float:
        """Seconds of write access left; ``inf`` when the profile is read-write, 0 when read-only."""
        if not self.read_only_default:
            return math.inf
        if self._until is None:
            return 0.0
        left = self._until - self._clock()
        if left <= 0:
            self._until = None
            return 0.0
        return left

    @property
    def granted(self) -> bool:
        """A temporary grant is running."""
        return self.read_only_default and self.remaining() > 0

    def badge(self) -> str:
        """``[RW]`` (a read-write profile), ``[RO]``, or ``[RW 9m]`` while a grant runs (minutes, ceil)."""
        if not self.read_only_default:
            return "[RW]"
        left = self.remaining()
        if left <= 0:
            return "[RO]"
        return f"[RW {max(1, math.ceil(left / 60.0))}m]"
