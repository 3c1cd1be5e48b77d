"""A sandbox's sessions (`v`): list with the latest marked, detail with literal metadata, create (and invalid
JSON kept in the form), mark completed/failed, edit metadata; the SSH grant: mint with countdown, revoke."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static, TextArea

from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.session_form import SessionFormModal
from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import SIZE, notifications, plain, select, table, until

SANDBOX = "acme/platform"  # the demo gives it two sessions


def loaded(app: Any):
    return lambda: isinstance(app.screen, SandboxesScreen) and table(app).row_count > 0


async def open_sessions(pilot: Any, app: Any, name: str = SANDBOX) -> SandboxSessionsScreen:
    await until(pilot, loaded(app))
    await select(pilot, app, name)
    await pilot.press("v")
    await until(pilot, lambda: isinstance(app.screen, SandboxSessionsScreen))
    screen = app.screen
    await until(pilot, lambda: screen.loaded and screen.query_one("#sessions", DataTable).row_count > 0)
    await pilot.pause()
    return screen


def server_sessions(world: Any, name: str = SANDBOX) -> list[Any]:
    amika = world.world.amika
    sandbox = amika.sandboxes[name]
    return [s for s in amika.sessions.values() if s.sandbox_id == sandbox.id]


def detail(screen: SandboxSessionsScreen) -> str:
    return plain(screen.query_one("#session-detail-body", Static).content)


def grant_panel(screen: SandboxSessionsScreen) -> str:
    return plain(screen.query_one("#grant-body", Static).content)


async def test_sessions_listed_with_latest_marked_and_literal_metadata(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot, app)
        on_server = server_sessions(world)
        assert set(screen.sessions) == {s.id for s in on_server}
        latest = world.world.amika.sandboxes[SANDBOX].current_session_id
        assert screen.latest_id == latest
        sessions_table = screen.query_one("#sessions", DataTable)
        assert sessions_table.get_cell(latest, "latest").plain == "★"
        assert [str(c.key.value) for c in sessions_table.ordered_columns] == [
            "latest", "agent", "status", "started", "ended", "id"]
        sessions_table.move_cursor(row=sessions_table.get_row_index(latest))
        await pilot.pause()
        assert "latest" in detail(screen) and "metadata" in detail(screen)


async def test_create_session_and_invalid_json_keeps_the_form(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot, app)
        before = len(server_sessions(world))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, SessionFormModal))
        form = app.screen
        form.query_one("#metadata", TextArea).text = '{"ticket": "ABC-1",'
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = plain(form.query_one("#form-error", Static).content)
        assert "not valid JSON" in error and "line 1" in error
        assert app.screen is form and form.query_one("#metadata", TextArea).text == '{"ticket": "ABC-1",'
        form.query_one("#metadata", TextArea).text = "[1, 2]"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "a list" in plain(form.query_one("#form-error", Static).content)
        assert len(server_sessions(world)) == before  # nothing was sent
        form.query_one("#metadata", TextArea).text = '{"ticket": "[bold]ABC-1[/]"}'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: len(screen.sessions) == before + 1)
        created = next(s for s in server_sessions(world) if s.metadata.get("ticket"))
        assert created.agent_name == "claude" and created.metadata == {"ticket": "[bold]ABC-1[/]"}
        await until(pilot, lambda: screen.selected_id == created.id)
        assert '"ticket": "[bold]ABC-1[/]"' in detail(screen)  # literal, not markup
        assert any("created" in n for n in notifications(app))


async def test_mark_completed_failed_and_edit_metadata(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot, app)
        session_id = screen.selected_id
        assert session_id is not None
        await pilot.press("C")  # asks first: the end of a session cannot be undone
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert world.world.amika.sessions[session_id].status != "completed"
        await pilot.press("y")
        await until(pilot, lambda: world.world.amika.sessions[session_id].status == "completed")
        await until(pilot, lambda: screen.sessions[session_id].status == "completed")
        assert screen.check_action("mark_completed", ()) is None  # already completed
        await pilot.press("F", "y")
        await until(pilot, lambda: screen.sessions[session_id].status == "failed")
        assert world.world.amika.sessions[session_id].status == "failed"
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, SessionFormModal))
        form = app.screen
        assert not form.query("#agent-name")  # metadata only
        form.query_one("#metadata", TextArea).text = '{"owner": "dana", "priority": 2}'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: world.world.amika.sessions[session_id].metadata == {
            "owner": "dana", "priority": 2})
        await until(pilot, lambda: '"owner": "dana"' in detail(screen))


async def test_ssh_grant_countdown_and_revoke(make_app, world, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot, app)
        assert "No SSH grant" in grant_panel(screen)
        await pilot.press("c")
        await until(pilot, lambda: bool(clipboard.copied))
        tokens = list(world.world.amika.sandboxes[SANDBOX].ssh_tokens)
        assert len(tokens) == 1
        token = tokens[0]
        assert clipboard.copied[-1].startswith("ssh ") and token in clipboard.copied[-1]
        await until(pilot, lambda: any("SSH grant" in n for n in notifications(app)))
        assert all(token not in n for n in notifications(app))  # only ever masked on screen
        await until(pilot, lambda: "expires in 1h" in grant_panel(screen))
        assert token not in grant_panel(screen)
        world.advance(30 * 60)
        await until(pilot, lambda: "expires in 30m" in grant_panel(screen) or "29m" in grant_panel(screen))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "No SSH grant" in grant_panel(screen))
        assert token not in world.world.amika.sandboxes[SANDBOX].ssh_tokens
        assert any("revoked" in n for n in notifications(app))


async def test_read_only_dims_session_writes_and_revoke(make_app):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot, app)
        for action in ("new_session", "mark_completed", "mark_failed", "edit_metadata", "revoke_grant"):
            assert screen.check_action(action, ()) is None, action
        assert screen.check_action("ssh_grant", ()) is True  # reading SSH access is allowed
        await pilot.press("n")
        assert app.screen is screen


def test_sandbox_sessions_view_snapshot(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot: Any) -> None:
        screen = await open_sessions(pilot, app)
        await pilot.press("c")
        await until(pilot, lambda: "expires" in grant_panel(screen))
        app.clear_notifications()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
