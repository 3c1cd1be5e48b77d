"""Keep Python's cyclic garbage collector off the dashboard's long-lived heap.

With thousands of boxes the heap holds hundreds of thousands of long-lived objects (api models, boxes, table
cells), and every poll allocates enough to trigger full (generation 2) collections that walk all of them: in
the 5,000-row benchmark 54 full collections took 10.8 s, up to 375 ms each, and a key pressed during one waits
for it. None of those objects is garbage, and almost none is part of a reference cycle (refcounting frees
them when a snapshot is replaced), so after each poll the surviving heap is moved out of the collector's
sight with `gc.freeze()`: later collections only look at what was allocated since.

The price of freezing is that cyclic garbage among frozen objects is never collected. So every
`thaw_every` seconds the heap is thawed and collected once, in full (one pause of the old size, instead of
dozens a minute), before freezing again.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["HeapFreezer"]


class _Collector(Protocol):
    def freeze(self) -> None: ...

    def unfreeze(self) -> None: ...

    def collect(self, generation: int = 2) -> int: ...


class HeapFreezer:
    """Call `settled()` whenever a poll's data has been taken in (the app does, on every finished poll)."""

    def __init__(
        self,
        *,
        thaw_every: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        collector: _Collector = gc,
    ) -> None:
        self.thaw_every = thaw_every
        self._clock = clock
        self._gc = collector
        self._thawed_at = clock()

    def settled(self) -> None:
        now = self._clock()
        if now - self._thawed_at >= self.thaw_every:
            self._thawed_at = now
            self._gc.unfreeze()
            self._gc.collect()  # whatever cyclic garbage got frozen since the last thaw
        self._gc.freeze()

    def close(self) -> None:
        """Hand the heap back to the collector (the app quits; a test's next app starts clean)."""
        self._gc.unfreeze()
