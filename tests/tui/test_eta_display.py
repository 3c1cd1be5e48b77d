"""ETAs learned from history: shown once samples exist, "slower than usual" past the p90, kept on disk."""

from __future__ import annotations

from typing import Any

from boxdeck.service.configuration.paths import history_file
from boxdeck.service.history.eta import PHASE_PROVISION, EtaHistory, EtaKey, box_group
from boxdeck.tui.screens.all_boxes import SLOW, AllBoxesScreen
from support.tui import SIZE, detail_text, select, table, until


def box_named(app: Any, name: str) -> Any:
    monitor = app.deck.main.service.monitor
    for backend in monitor.backends:
        snapshot = monitor.snapshot(backend)
        for box in snapshot.boxes.values() if snapshot else ():
            if box.name == name:
                return box
    raise AssertionError(name)


def eta(app: Any, key: str) -> str:
    return table(app).get_cell(key, "eta").plain


def detail(app: Any) -> str:
    return detail_text(app)


def loaded(app: Any) -> Any:
    def check() -> bool:
        screen = app.screen
        shown = isinstance(screen, AllBoxesScreen) and bool(screen.query("BoxTable"))
        return shown and table(app).row_count > 15

    return check


async def test_eta_appears_with_history_and_turns_slower_than_usual(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await until(pilot, loaded(app))
        devbox = box_named(app, "new-devbox")  # requested a moment ago
        sandbox = box_named(app, "rose-valencia")  # initializing
        tracker = app.deck.main.eta
        assert tracker.phase_of(devbox.key) is not None and tracker.phase_of(sandbox.key) is not None
        # No history yet: no guess.
        assert eta(app, devbox.key) == "" and eta(app, sandbox.key) == ""
        assert app.deck.eta_history.path == history_file()  # the (test's) state dir
        dev_key = EtaKey("devbox", box_group(devbox), PHASE_PROVISION)
        sb_key = EtaKey("amika", box_group(sandbox), PHASE_PROVISION)
        for seconds in (300, 330, 360):
            app.deck.eta_history.record(dev_key, seconds)
        for seconds in (0.1, 0.2, 0.3):  # it has been initializing longer than that: past the p90
            app.deck.eta_history.record(sb_key, seconds)
        await until(pilot, lambda: eta(app, devbox.key).startswith("ready in ~"))
        await until(pilot, lambda: eta(app, sandbox.key) == "slower than usual")
        attention = table(app).get_cell(sandbox.key, "attention")
        assert attention.sort_key == (SLOW,) and attention.plain == "!"
        # The detail panes of screens 1 and 2 say it too.
        await pilot.press("1")
        await until(pilot, lambda: not isinstance(app.screen, AllBoxesScreen) and table(app).row_count > 0)
        await select(pilot, app, "rose-valencia")
        await until(pilot, lambda: "slower than usual" in detail(app))
        await pilot.press("2")
        await until(pilot, lambda: table(app).row_count > 0)
        await select(pilot, app, "new-devbox")
        await until(pilot, lambda: "ready in ~" in detail(app))
    # Kept on disk: the next run starts with what this one learned.
    assert EtaHistory(history_file()).samples(dev_key) == [300, 330, 360]


async def test_a_finished_provision_becomes_a_sample(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.deck.main.service.monitor
        await until(pilot, lambda: monitor.snapshot(monitor.backends[-1]) is not None)
        devbox = box_named(app, "new-devbox")
        key = EtaKey("devbox", box_group(devbox), PHASE_PROVISION)
        assert app.deck.eta_history.samples(key) == []
        world.advance(900)
        await until(pilot, lambda: app.deck.eta_history.samples(key), timeout=10)
        assert app.deck.eta_history.samples(key)[0] > 0
