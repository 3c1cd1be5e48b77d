"""A screen nobody sees costs nothing: the Devboxes screen asks for its rows' steps and repositories while it
is shown, and stops asking once another screen is shown; a hidden screen's timers stop, and the spinner runs
only while a moving box is on screen."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from boxdeck.service.boxes import StateKind
from boxdeck.tui.screens.boxes import BoxesScreen
from support.tui import SIZE, table, until


def loaded(app: Any) -> Any:
    return lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0


async def test_the_devboxes_screen_stops_watching_its_rows_when_it_is_hidden(make_app: Any) -> None:
    app = make_app(initial_mode="devboxes")
    monitor = app.deck.main.monitor
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0)
        await until(pilot, lambda: bool(monitor.watched))
        await pilot.press("1")
        await until(pilot, lambda: app.current_mode == "sandboxes")
        await pilot.pause(1.0)  # several polls at the test cadence: nothing watches the devboxes again
        assert monitor.watched == frozenset()
        await pilot.press("2")
        await until(pilot, lambda: bool(monitor.watched))  # shown again: watched again


def count_calls(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> Counter[int]:
    """How many times each screen (by id) has run `cls.name` since the patch: the timers bind it at mount."""
    calls: Counter[int] = Counter()
    original = getattr(cls, name)

    def counting(self: Any, *args: Any) -> Any:
        calls[id(self)] += 1
        return original(self, *args)

    monkeypatch.setattr(cls, name, counting)
    return calls


async def test_a_hidden_screen_stops_ticking_and_ticks_again_when_shown(make_app: Any, monkeypatch) -> None:
    """The once-a-second words (header, freshness line, watch strip) of a screen nobody sees cost nothing:
    measured against the shown screen's own ticks."""
    ticks = count_calls(monkeypatch, BoxesScreen, "_tick_freshness")
    app = make_app(spinner_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        sandboxes = app.screen
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "devboxes" and table(app).row_count > 0)
        devboxes = app.screen
        await until(pilot, lambda: ticks[id(devboxes)] >= 2)
        await pilot.press("1")
        await until(pilot, lambda: app.screen is sandboxes)
        await pilot.pause()
        hidden_at, shown_at = ticks[id(devboxes)], ticks[id(sandboxes)]
        await until(pilot, lambda: ticks[id(sandboxes)] >= shown_at + 3)
        assert ticks[id(devboxes)] == hidden_at
        assert not devboxes.spinning
        await pilot.press("2")
        await until(pilot, lambda: ticks[id(devboxes)] >= hidden_at + 2)  # shown again: ticking again


async def test_the_spinner_runs_only_while_a_moving_box_is_in_view(make_app: Any, monkeypatch) -> None:
    ticks = count_calls(monkeypatch, BoxesScreen, "_tick_freshness")
    app = make_app(spinner_interval=0.3)
    async with app.run_test(size=(120, 14)) as pilot:  # a few rows in view
        await until(pilot, loaded(app))
        screen = app.screen
        boxes = table(app)
        still = next(b.name for b in screen.boxes.values() if b.kind is not StateKind.TRANSITIONAL)
        await pilot.press("slash", *still, "enter")  # only settled boxes in view
        assert boxes.row_count > 0
        assert not any(screen.boxes[k].kind is StateKind.TRANSITIONAL for k in boxes.visible_keys())
        await until(pilot, lambda: not screen.spinning)
        frame, at = screen.frame, ticks[id(screen)]
        await until(pilot, lambda: ticks[id(screen)] >= at + 2)  # two seconds: six spinner periods
        assert screen.frame == frame  # nothing moving in view: no spinner tick
        await pilot.press("slash", "escape", "slash", *"initializing", "enter")  # a moving box in view
        assert any(screen.boxes[k].kind is StateKind.TRANSITIONAL for k in boxes.visible_keys())
        await until(pilot, lambda: screen.spinning and screen.frame >= frame + 3)
        await pilot.press("2")  # hidden: the spinner stops too
        await until(pilot, lambda: app.current_mode == "devboxes")
        await pilot.pause()
        assert not screen.spinning
        frame = screen.frame
        at = ticks[id(app.screen)]
        await until(pilot, lambda: ticks[id(app.screen)] >= at + 2)
        assert screen.frame == frame
