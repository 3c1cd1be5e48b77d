"""The dashboard keeps the cyclic GC off its long-lived heap: frozen after each poll, without freezing the
poll's own garbage, thawed and collected in full now and then (so cycles that died frozen are reclaimed), and
handed back when the app quits; worker threads give the interpreter back to the event loop quickly."""

from __future__ import annotations

import gc
import os
import sys
import weakref

import pytest

from boxdeck.tui.heap import HeapFreezer, malloc_trim
from support.tui import SIZE, table, until


class Cycle:
    """An object that refers to itself: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


def cycle_ref() -> weakref.ref[Cycle]:
    return weakref.ref(Cycle())  # dropped at once: cyclic garbage


def test_the_garbage_of_a_poll_is_reclaimed_not_frozen() -> None:
    heap = HeapFreezer(thaw_every=600, clock=lambda: 0.0)
    try:
        dead = cycle_ref()
        heap.settled()
        assert dead() is None
        assert gc.get_freeze_count() > 0  # what survived is out of the collector's sight
    finally:
        heap.close()
    assert gc.get_freeze_count() == 0


def test_cycles_that_die_after_being_frozen_are_reclaimed_at_the_next_thaw() -> None:
    now = [0.0]
    heap = HeapFreezer(thaw_every=600, clock=lambda: now[0])
    try:
        alive: list[Cycle] = [Cycle()]
        ref = weakref.ref(alive[0])
        heap.settled()  # frozen while alive
        alive.clear()
        now[0] = 599
        heap.settled()
        assert ref() is not None  # kept frozen until the thaw
        now[0] = 600
        heap.settled()
        assert ref() is None
    finally:
        heap.close()


async def test_the_app_freezes_its_heap_once_polls_land_and_thaws_it_on_quit(make_app) -> None:
    gc.unfreeze()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0)
        await until(pilot, lambda: gc.get_freeze_count() > 0)
    assert gc.get_freeze_count() == 0


async def test_worker_threads_hand_the_interpreter_back_quickly_while_the_app_runs(make_app) -> None:
    """Big polls are parsed and diffed in worker threads; the event loop must not wait 5 ms behind one each
    time it comes back from waiting for input. The process's own setting is given back on quit."""
    own = sys.getswitchinterval()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert sys.getswitchinterval() <= 0.001 < own
    assert sys.getswitchinterval() == own


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(malloc_trim is None, reason="the C library has no malloc_trim (not glibc)")
def test_memory_a_poll_freed_goes_back_to_the_system() -> None:
    """Blocks freed among live ones stay resident in the allocator's arena; after a poll they are returned."""
    heap = HeapFreezer(thaw_every=600, clock=lambda: 0.0)
    try:
        blocks = [b"\x01" * 100_000 for _ in range(800)]
        kept = blocks[1::2]  # every other block stays alive: the freed ones are holes between them
        blocks.clear()
        before = resident_bytes()
        heap.settled()
        assert before - resident_bytes() > 20_000_000  # of the 40 MB freed
        assert len(kept) == 400
    finally:
        heap.close()


def test_memory_is_handed_back_after_a_poll_with_changes_and_otherwise_at_most_every_interval() -> None:
    """A trim costs a millisecond and the next poll faults the pages back in: the polls of an idle fleet (no
    changes, each freeing what the next takes again) do not each pay for it; a churning fleet's do."""
    now = [0.0]
    released: list[float] = []
    heap = HeapFreezer(thaw_every=600, clock=lambda: now[0], release=lambda: released.append(now[0]),
                       release_every=30)
    try:
        for t, changed in ((0, False), (5, False), (10, True), (15, True), (29, False), (30, False),
                           (35, False), (61, False)):
            now[0] = t
            heap.settled(changed=changed)
        assert released == [0, 10, 15, 61]
    finally:
        heap.close()
