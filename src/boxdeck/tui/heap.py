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

Then the memory polls freed goes back to the system. A fleet's list bodies are megabytes, read, split and
parsed in pieces across the event loop and worker threads; glibc keeps what they freed in its arenas, holes
among live blocks that only `malloc_trim` returns. In a ten-minute churning world at 10,000 + 10,000 boxes
that was 60 MB of the dashboard's 205 MB resident, growing as threads got arenas of their own; trimmed after
every poll that brought changes, 158 MB (bench/ANALYSIS.md). A trim costs about 1 ms and the next poll
faults the returned pages back in, so after polls that changed nothing (an idle fleet: each frees what the
next takes again) it runs at most every `release_every` seconds; trimming only that often in the churning
world left 200 MB resident.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import time
from collections.abc import Callable

__all__ = ["HeapFreezer", "malloc_trim"]


def _find_malloc_trim() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)`; None where the C library has none (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


#: Hands the allocator's free pages back to the system; None where the C library cannot.
malloc_trim = _find_malloc_trim()


class HeapFreezer:
    """Call `settled()` whenever a poll's data has been taken in (the app does, on every finished poll)."""

    def __init__(
        self,
        *,
        thaw_every: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        release: Callable[[], object] | None = malloc_trim,
        release_every: float = 30.0,
    ) -> None:
        self.thaw_every = thaw_every
        self.release_every = release_every
        self._clock = clock
        self._release = release
        self._thawed_at = clock()
        self._released_at: float | None = None

    def settled(self, *, changed: bool = True) -> None:
        """`changed`: the poll brought changes (boxes came, went or moved), so what it freed is handed back
        now; otherwise at most every `release_every` seconds."""
        now = self._clock()
        if now - self._thawed_at >= self.thaw_every:
            self._thawed_at = now
            gc.unfreeze()  # the collection below then reclaims what died among frozen objects too
        gc.collect()  # the garbage of this poll, before it would be frozen with the rest
        gc.freeze()
        released = self._released_at
        due = changed or released is None or now - released >= self.release_every
        if self._release is not None and due:
            self._released_at = now
            self._release()

    def close(self) -> None:
        """Hand the heap back to the collector (the app quits; a test's next app starts clean)."""
        gc.unfreeze()
