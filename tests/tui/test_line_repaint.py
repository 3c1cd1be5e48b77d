"""The once-a-second lines (the header, the `#freshness` line, the watch strip) repaint themselves without
re-laying-out the screen (benchmark 5b, idle CPU). What is painted on the screen must still follow their
words, and the watch strip must still take exactly the room its lines need."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

from boxdeck.service.monitoring.snapshot import compute_diff, make_snapshot
from boxdeck.tui.messages import BoxesChanged
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.box_table import BoxTable
from boxdeck.tui.widgets.detail_pane import DetailPane
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



#: Two states of the same width: the state column keeps its width, so only the changed row is repainted.
TOGGLE = {"started": "stopped", "stopped": "started"}


def flip(screen: Any, keys: list[str]) -> Any:
    """A diff against what `screen` shows, with the boxes of row `keys` started if stopped, or stopped."""
    source, snapshot = next(iter(screen.snapshots.items()))
    chosen = {screen.entries[k].box.key for k in keys}
    boxes = [dataclasses.replace(b, state=TOGGLE[b.state]) if b.key in chosen else b
             for b in snapshot.boxes.values()]
    new = make_snapshot(snapshot.backend, boxes, snapshot.details, snapshot.taken_at)
    return BoxesChanged(source[0], compute_diff(snapshot, new))


async def test_a_change_out_of_view_repaints_nothing_and_one_in_view_repaints_its_row(make_app, monkeypatch):
    """Polls bring changes all the time, mostly to rows nobody sees: those must not repaint the table, the
    detail pane or the borders; a change in view repaints that one row."""
    painted: Counter[str] = Counter()
    for cls in (BoxTable, DetailPane):
        original = cls.render_line

        def counting(self: Any, y: int, original: Any = original) -> Any:
            painted[type(self).__name__] += 1
            return original(self, y)

        monkeypatch.setattr(cls, "render_line", counting)
    app = make_app(steady=60.0, busy=60.0)  # no poll in between: only the diffs below change the rows
    async with app.run_test(size=(120, 12)) as pilot:  # a few rows in view
        await until(pilot, loaded(app))
        screen, boxes = app.screen, table(app)
        await until(pilot, lambda: boxes.cursor_key in screen._sessions)  # the detail is complete
        in_view = boxes.visible_keys()
        toggles = [k for k in boxes.ordered_keys() if screen.entries[k].box.state in TOGGLE]
        away = [k for k in toggles if k not in in_view]
        near = [k for k in toggles if k in in_view and k != boxes.cursor_key]
        assert away and near, "the demo world has started or stopped sandboxes in view and out of it"
        await pilot.pause()
        painted.clear()
        screen.post_message(flip(screen, away))
        await pilot.pause(0.1)
        screen.post_message(flip(screen, near[:1]))
        await until(pilot, lambda: painted["BoxTable"] > 0)
        await pilot.pause(0.1)
        assert painted == {"BoxTable": 1}  # the one row in view, and nothing for the rows out of view
