"""The dashboard keeps the cyclic GC off its long-lived heap: frozen after each poll, thawed and collected in
full now and then (so frozen cyclic garbage is reclaimed), and handed back when the app quits."""

from __future__ import annotations

import gc

from boxdeck.tui.heap import HeapFreezer
from support.tui import SIZE, table, until


class Collector:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def freeze(self) -> None:
        self.calls.append("freeze")

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")

    def collect(self, generation: int = 2) -> int:
        self.calls.append(f"collect{generation}")
        return 0


def test_freezes_after_each_poll_and_thaws_with_a_full_collection_every_so_often() -> None:
    now = [0.0]
    gc_ = Collector()
    heap = HeapFreezer(thaw_every=600, clock=lambda: now[0], collector=gc_)
    heap.settled()
    now[0] = 599
    heap.settled()
    assert gc_.calls == ["freeze", "freeze"]
    now[0] = 600
    heap.settled()
    assert gc_.calls[2:] == ["unfreeze", "collect2", "freeze"]
    now[0] = 1000
    heap.settled()  # the next thaw is 600 s after the last one, not after start
    assert gc_.calls[5:] == ["freeze"]
    heap.close()
    assert gc_.calls[-1] == "unfreeze"


async def test_the_app_freezes_its_heap_once_polls_land_and_thaws_it_on_quit(make_app) -> None:
    gc.unfreeze()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0)
        await until(pilot, lambda: gc.get_freeze_count() > 0)
    assert gc.get_freeze_count() == 0
