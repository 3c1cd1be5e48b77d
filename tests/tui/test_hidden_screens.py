"""A screen nobody sees costs nothing: the Devboxes screen asks for its rows' steps and repositories while it
is shown, and stops asking once another screen is shown."""

from __future__ import annotations

from typing import Any

from support.tui import SIZE, table, until


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
