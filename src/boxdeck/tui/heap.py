"""Keep Python's cyclic garbage collector off the dashboard's long-lived heap.

With thousands of boxes the heap holds hundreds of thousands of long-lived objects (api models, boxes, table
cells), and polls and repaints allocate enough to trigger full (generation 2) collections that walk all of
them; a key pressed during one waits for it. Almost none of those objects is garbage, so after each poll the
surviving heap is moved out of the collector's sight with `gc.freeze()`: later collections only look at what
was allocated since. In the 20,000-row benchmark that is the difference between several full collections a
minute of up to 0.8 s each and none (bench/ANALYSIS.md).

Each poll also leaves cyclic garbage behind (httpx's responses and their streams, widgets a screen
recomposed): freezing it would keep it until the next thaw, and the heap grew by megabytes a minute that way.
So the young heap is collected just before each freeze; frozen objects are not walked, so that collection
costs what the poll allocated, not the whole heap. Cycles among objects that were alive when frozen and died
later are reclaimed every `thaw_every` seconds, when the heap is thawed and collected once in full.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["HeapFreezer"]


class HeapFreezer:
    """Call `settled()` whenever a poll's data has been taken in (the app does, on every finished poll)."""

    def __init__(
        self,
        *,
        thaw_every: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thaw_every = thaw_every
        self._clock = clock
        self._thawed_at = clock()

    def settled(self) -> None:
        now = self._clock()
        if now - self._thawed_at >= self.thaw_every:
            self._thawed_at = now
            gc.unfreeze()  # the collection below then reclaims what died among frozen objects too
        gc.collect()  # the garbage of this poll, before it would be frozen with the rest
        gc.freeze()

    def close(self) -> None:
        """Hand the heap back to the collector (the app quits; a test's next app starts clean)."""
        gc.unfreeze()
