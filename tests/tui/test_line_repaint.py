"""The once-a-second lines (the header, the `#freshness` line, the watch strip) repaint themselves without
re-laying-out the screen (benchmark 5b, idle CPU). What is painted on the screen must still follow their
words, and the watch strip must still take exactly the room its lines need."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import SIZE, select, table, until
from support.tui_fixtures import sim_now


def screen_lines(app: Any) -> list[str]:
    """The screen as it is painted: every line's text, from the widgets' render caches."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def painted(app: Any, words: str) -> bool:
    return any(words in line for line in screen_lines(app))


def shifted(app: Any, world: Any) -> list[float]:
    """Make the app's clock run `offset[0]` seconds ahead of the simulator's."""
    offset = [0.0]
    base = sim_now(world)
    app.deck.now = lambda: base() + timedelta(seconds=offset[0])
    return offset


def loaded(app: Any) -> Any:
    return lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0


async def test_the_header_and_freshness_line_paint_their_new_words(make_app, world):
    app = make_app()
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await until(pilot, lambda: painted(app, "updated just now") and painted(app, "● ok · just now"))
        await pilot.pause()  # the "Loading…" line may just have hidden: let the layout follow
        regions = {w.id: w.region for w in app.screen.query("#health-bar, #freshness, BoxTable")}
        offset[0] = 3
        await until(pilot, lambda: painted(app, "updated 3 s ago") and painted(app, "● ok · 3 s ago"))
        offset[0] = 75
        await until(pilot, lambda: painted(app, "updated 1 m ago") and painted(app, "● ok · 1 m ago"))
        assert not painted(app, "3 s ago")
        assert {w.id: w.region for w in app.screen.query("#health-bar, #freshness, BoxTable")} == regions


async def test_the_watch_strip_paints_its_countdown_and_takes_its_room(make_app, world):
    app = make_app()
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.pause()  # the "Loading…" line just hid: let the layout follow before measuring
        full = table(app).region
        name = next(box.name for box in app.screen.boxes.values() if box.state == "initializing")
        key = await select(pilot, app, name)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        assert isinstance(app.screen, SandboxesScreen) and (key in app.deck.main.waits)
        strip = app.screen.query_one("#watch-strip")
        await until(pilot, lambda: strip.display and painted(app, f"connect when ready {name}"))
        assert strip.region.height == 2  # its top border and one line
        assert table(app).region.height == full.height - 2  # the table gave up that room
        shown = strip.region
        offset[0] = 7
        await until(pilot, lambda: painted(app, "waiting 7s"))
        offset[0] = 12  # longer words, still one line
        await until(pilot, lambda: painted(app, "waiting 12s"))
        assert strip.region == shown
        assert not painted(app, "waiting 7s")
        await pilot.press("enter")  # stop waiting: the strip goes, the table takes its room back
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await until(pilot, lambda: key not in app.deck.main.waits)
        await until(pilot, lambda: not strip.display and table(app).region == full)
        assert not painted(app, "connect when ready")


async def test_the_spinner_animates_only_rows_in_view(make_app, world):
    """A frame written to a row out of view would re-render the whole visible table for nothing; the row
    animates once it scrolls into view."""
    app = make_app()
    async with app.run_test(size=(120, 14)) as pilot:  # a few rows in view
        await until(pilot, loaded(app))
        screen = app.screen
        boxes = table(app)
        moving = [k for k in boxes.ordered_keys() if screen.boxes[k].state == "initializing"]
        assert moving, "the demo world has a sandbox initializing"
        key = moving[0]
        boxes.action_first()
        await pilot.pause()
        if key in boxes.visible_keys():
            boxes.set_sort("name", not boxes.sort_reverse)  # sort it out of view: look from the other end
            boxes.action_first()
            await pilot.pause()
        assert key not in boxes.visible_keys()
        before = boxes.get_cell(key, "state").plain
        for _ in range(3):
            screen._spin()
        assert boxes.get_cell(key, "state").plain == before  # out of view: not written
        await select(pilot, app, screen.boxes[key].name)  # scrolls it into view
        assert key in boxes.visible_keys()
        screen._spin()
        assert boxes.get_cell(key, "state").plain != before  # in view: the next frame
