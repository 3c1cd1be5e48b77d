"""A devbox's sessions (`v`): the exec sessions table refreshing live, access sessions opened (command
copied, only shown masked, expiry and host key fingerprint) and revoked with a confirmation, including the 404
case."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.devbox_sessions import DevboxSessionsScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from support.tui import SIZE, notifications, select, table, until

DEVBOX = "infra-sandbox"  # ready, with three exec sessions in the demo world


def loaded(app: Any):
    return lambda: isinstance(app.screen, DevboxesScreen) and table(app).row_count > 0


async def open_devbox_sessions(pilot: Any, app: Any, name: str = DEVBOX) -> DevboxSessionsScreen:
    await until(pilot, lambda: table(app).row_count > 0)
    await pilot.press("2")
    await until(pilot, loaded(app))
    await select(pilot, app, name)
    await pilot.press("v")
    await until(pilot, lambda: isinstance(app.screen, DevboxSessionsScreen))
    screen = app.screen
    await until(pilot, lambda: screen.exec_sessions is not None)
    await pilot.pause()
    return screen


def exec_table(screen: DevboxSessionsScreen) -> DataTable[Any]:
    return screen.query_one("#exec-sessions", DataTable)


def access_table(screen: DevboxSessionsScreen) -> DataTable[Any]:
    return screen.query_one("#access-sessions", DataTable)


async def test_exec_sessions_table_refreshes_live(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devbox_sessions(pilot, app)
        t = exec_table(screen)
        assert [str(c.key.value) for c in t.ordered_columns] == [
            "command", "workdir", "active", "tty", "last_activity", "rate", "id"]
        assert t.row_count == 3
        rows = {t.get_cell(k, "command").plain: k for k in (str(r.value) for r in t.rows)}
        claude = rows["claude"]
        assert t.get_cell(claude, "active").plain == "yes" and t.get_cell(claude, "tty").plain == "yes"
        assert t.get_cell(claude, "rate").plain.endswith("KB/s")
        assert t.get_cell(rows["bash -l"], "rate").plain == "idle"
        # Live: the screen asks again on its own every couple of seconds (armed after each answer).
        access = app.deck.main.access
        calls: list[str] = []
        real = access.list_exec_sessions

        async def counted(devbox_id: str) -> Any:
            calls.append(devbox_id)
            return await real(devbox_id)

        access.list_exec_sessions = counted  # type: ignore[method-assign]
        await until(pilot, lambda: len(calls) >= 2, timeout=8)
        assert t.row_count == 3


async def test_access_session_create_copies_and_revoke_confirms(make_app, world, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devbox_sessions(pilot, app)
        assert screen.check_action("revoke_access", ()) is None  # none opened yet
        await pilot.press("n")
        await until(pilot, lambda: access_table(screen).row_count == 1)
        assert clipboard.copied and clipboard.copied[-1].startswith("ssh ")
        known = app.deck.main.access.known(screen.devbox_id)[0]
        await until(pilot, lambda: any("SSH access session" in n for n in notifications(app)))
        note = next(n for n in notifications(app) if "SSH access session" in n)
        assert known.command.masked() in note and "expires in 30m" in note
        assert f"host key {known.host_key_fingerprint}" in note
        for secret in (*known.command.secrets, world.sprites_token, world.user_token):
            assert secret not in note
        t = access_table(screen)
        assert t.get_cell(known.session_id, "fingerprint").plain.startswith("SHA256:")
        assert "expires in 30m" in t.get_cell(known.session_id, "expires").plain
        t.focus()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")  # changed my mind
        await until(pilot, lambda: app.screen is screen)
        assert t.row_count == 1
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: access_table(screen).row_count == 0)
        assert any("revoked" in n for n in notifications(app))


async def test_revoking_an_already_revoked_session_says_so(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devbox_sessions(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: access_table(screen).row_count == 1)
        session_id = app.deck.main.access.known(screen.devbox_id)[0].session_id
        # Revoked behind boxdeck's back (another terminal, or it expired server-side).
        await app.deck.main.service.monitor.devbox.devboxes.revoke_session(screen.devbox_id, session_id)
        access_table(screen).focus()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: any("already revoked or expired" in n for n in notifications(app)))
        await until(pilot, lambda: access_table(screen).row_count == 0)  # forgotten


async def test_read_only_dims_access_create_and_revoke(make_app):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devbox_sessions(pilot, app)
        assert screen.check_action("new_access", ()) is None
        assert screen.check_action("revoke_access", ()) is None
        assert screen.check_action("reload_exec_sessions", ()) is True
        await pilot.press("n")
        await pilot.pause()
        assert access_table(screen).row_count == 0


async def test_v_is_dimmed_on_a_devbox_that_is_not_ready(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table(app).row_count > 0)
        await pilot.press("2")
        await until(pilot, loaded(app))
        await select(pilot, app, "feature-payments")  # provisioning
        assert app.screen.check_action("devbox_sessions", ()) is None
        await select(pilot, app, DEVBOX)
        assert app.screen.check_action("devbox_sessions", ()) is True


def test_devbox_sessions_view_snapshot(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot: Any) -> None:
        screen = await open_devbox_sessions(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: access_table(screen).row_count == 1)
        # Opening SSH access starts a shell in the simulator: wait for the live table to show it.
        await until(pilot, lambda: exec_table(screen).row_count == 4, timeout=8)
        app.clear_notifications()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_opening_access_to_a_devbox_behind_a_relay_asks_before_copying(make_app, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devbox_sessions(pilot, app, "web-preview")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert clipboard.copied == []  # its ProxyCommand would run on this computer: not before a yes
        await pilot.press("y")
        await until(pilot, lambda: clipboard.copied)
        assert "ProxyCommand=devbox-proxy" in clipboard.copied[-1]
        assert app.screen is screen and access_table(screen).row_count == 1
