"""Bulk select (space, *, escape) and bulk stop/delete: one confirmation, per-box failures, nothing twice."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from boxdeck.service.actions.bulk import SELECT_MARK
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import SIZE, cell, deleted, detail_text, key_of, notifications, plain, select, table, until


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


def marked(app: Any, name: str) -> bool:
    return cell(app, key_of(app, name), "name").startswith(SELECT_MARK)


async def mark(pilot: Any, app: Any, *names: str) -> None:
    for name in names:
        await select(pilot, app, name)
        await pilot.press("space")


def title(app: Any) -> str:
    return plain(app.screen.query_one("#title", Static).content).strip()


async def test_space_marks_rows_and_the_selection_survives_diffs_and_the_filter(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "black-moscow", "ivory-dublin")
        assert marked(app, "black-moscow") and marked(app, "ivory-dublin")
        assert not marked(app, "acme/platform")
        await pilot.press("space")  # again: unmarks ivory-dublin
        assert not marked(app, "ivory-dublin")
        await pilot.press("space")
        world.advance(5)  # polls keep coming: marks stay
        await pilot.pause(0.6)
        assert marked(app, "black-moscow")
        await pilot.press("slash", *"ivory", "enter")
        await until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("escape")  # selection first
        assert app.screen.marks == set()
        await mark(pilot, app, "ivory-dublin")
        await pilot.press("escape")  # the selection again, the filter stays
        assert table(app).row_count == 1
        await pilot.press("escape")  # no selection: now the filter goes
        await until(pilot, lambda: table(app).row_count > 1)
        await pilot.press("space")
        assert marked(app, "ivory-dublin") and app.screen.marks == {key_of(app, "ivory-dublin")}


async def test_a_mark_goes_when_its_row_does(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "black-moscow", "ivory-dublin")
        gone = key_of(app, "ivory-dublin")
        world.world.amika.delete("ivory-dublin")
        await pilot.press("r")
        await until(pilot, lambda: gone not in table(app).ordered_keys())
        assert app.screen.live_marks() == {key_of(app, "black-moscow")}


async def test_star_marks_every_row_shown(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("slash", *"rose", "enter")
        await until(pilot, lambda: table(app).row_count == 2)
        await pilot.press("asterisk")
        assert app.screen.marks == set(table(app).ordered_keys())
        await pilot.press("asterisk")  # again: unmarks them
        assert app.screen.marks == set()


async def test_bulk_stop_counts_only_what_applies_and_asks_once(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "black-moscow", "ivory-dublin", "magenta-porto")
        screen = app.screen
        assert screen.check_action("stop", ()) is True
        assert screen.bulk_plan("stop").summary() == "stop 2 of 3: 1 already stopped"
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmModal)
        assert title(app) == "Stop 2 sandboxes: black-moscow and ivory-dublin?"
        body = plain(app.screen.query_one("#body", Static).content)
        assert "black-moscow" in body and "ivory-dublin" in body and "magenta-porto (already stopped)" in body
        await pilot.press("y")
        assert isinstance(app.screen, SandboxesScreen)
        sandboxes = world.world.amika.sandboxes
        await until(pilot, lambda: sandboxes["black-moscow"].state in ("stopping", "stopped"))
        await until(pilot, lambda: sandboxes["ivory-dublin"].state in ("stopping", "stopped"))
        assert screen.marks == set()  # used up: the next x acts on the highlighted row again
        await until(pilot, lambda: any("Stopping 2 of 2 sandboxes" in n for n in notifications(app)))


async def test_bulk_stop_is_off_when_nothing_applies(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "magenta-porto", "navy-riga")
        await select(pilot, app, "acme/platform")  # the highlighted row could stop; the selection cannot
        assert app.screen.check_action("stop", ()) is None
        await pilot.press("x")
        assert isinstance(app.screen, SandboxesScreen)
        assert world_state_unchanged(app)


def world_state_unchanged(app: Any) -> bool:
    return app.screen.boxes[key_of(app, "acme/platform")].pending is None


async def test_bulk_stop_reports_each_failure_by_box(make_app, world):
    app = make_app(busy=60, steady=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "black-moscow", "ivory-dublin")
        await pilot.press("x")
        world.world.amika.delete("ivory-dublin")  # gone on the server after the confirmation opened
        await pilot.press("y")
        await until(pilot, lambda: any("1 failed" in n for n in notifications(app)))
        failures = [n for n in notifications(app) if n.startswith("Bulk stop") and "ivory-dublin" in n]
        assert len(failures) == 1
        assert world.world.amika.sandboxes["black-moscow"].state in ("stopping", "stopped")


async def test_bulk_delete_lists_losses_and_wants_delete_n_boxes(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "navy-riga", "magenta-porto")  # navy-riga has an active session
        await pilot.press("d")
        assert isinstance(app.screen, DeleteConfirmModal)
        assert title(app) == "Delete 2 sandboxes: magenta-porto and navy-riga?"
        await until(pilot, lambda: app.screen.losses is not None)
        text = plain(app.screen.query_one("#losses").content)
        assert "magenta-porto" in text and "navy-riga" in text and "active claude session" in text
        assert app.screen.typing_required
        await pilot.press(*"navy-riga", "enter")  # a name is not the phrase for several
        assert isinstance(app.screen, DeleteConfirmModal)
        app.screen.query_one("#typed", Input).value = ""
        await pilot.press(*"delete 2 boxes", "enter")
        assert isinstance(app.screen, SandboxesScreen)
        await until(pilot, lambda: deleted(world, "navy-riga") and deleted(world, "magenta-porto"))
        await until(pilot, lambda: any("Deleting 2 of 2" in n for n in notifications(app)))


async def test_bulk_delete_without_work_in_progress_needs_only_y(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await mark(pilot, app, "magenta-porto", "black-moscow")
        await pilot.press("d")
        await until(pilot, lambda: app.screen.losses is not None)
        await pilot.press("y")
        await until(pilot, lambda: deleted(world, "magenta-porto") and deleted(world, "black-moscow"))


def test_snapshot_bulk_selection(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, loaded(app))
        await until(pilot, lambda: "connecting" not in plain(app.screen.query_one("HealthBar").content))
        await mark(pilot, app, "black-moscow", "ivory-dublin", "magenta-porto")
        await select(pilot, app, "acme/platform")
        await until(pilot, lambda: "loading" not in detail_text(app))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
