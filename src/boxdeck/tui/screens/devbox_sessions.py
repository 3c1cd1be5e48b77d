"""A devbox's exec sessions and SSH access sessions (`v` on the devboxes screen).

Exec sessions (processes in the box: command, workdir, active, tty, last activity, bytes/s) refresh every
couple of seconds while the screen is in front; the next refresh is armed only after the previous one
finished, so a slow server never piles requests up. Access sessions are the SSH grants boxdeck opened in
this run (the API cannot list them), with their expiry counting down and the host key fingerprint. `n`
opens one and copies its ready-to-use command (the notification shows it masked); `d` revokes the
highlighted one after a confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from boxdeck.api.devbox_models import ExecSession
from boxdeck.service.access.devbox_access import KnownAccess, exec_session_row
from boxdeck.service.access.expiry import clock_left
from boxdeck.service.access.ssh_trust import ProxyTrustRequired
from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.connect import ProxyTrustAsked
from boxdeck.tui.context import Deck
from boxdeck.tui.format import local_time
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.base import BoxdeckScreen
from boxdeck.tui.widgets.lists import NavTable

EXEC_COLUMNS = (("command", "command", 26), ("workdir", "workdir", 20), ("active", "active", 6),
                ("tty", "tty", 4), ("last_activity", "last activity", 13), ("rate", "bytes/s", 10),
                ("id", "id", 14))
ACCESS_COLUMNS = (("session", "session", 36), ("expires", "expires", 22), ("fingerprint", "host key", 50),
                  ("command", "command (masked)", 18))
REFRESH_SECONDS = 2.0


@dataclass
class ExecSessionsFetched(Message, bubble=False):
    sessions: list[ExecSession]


@dataclass
class AccessOpened(Message, bubble=False):
    """An access session was opened; the handler copies `command` and shows it masked."""

    session_id: str
    command: SshCommand


@dataclass
class AccessRevoked(Message, bubble=False):
    session_id: str


@dataclass
class DevboxSessionsFailed(Message, bubble=False):
    message: str
    quiet: bool = False  # a background refresh: say it in the status line, not a toast every 2 s


class DevboxSessionsScreen(BoxdeckScreen):
    COMMAND_SCOPE = "devbox_sessions"
    BINDINGS = bindings_for("devbox_sessions")

    def __init__(self, deck: Deck, devbox_id: str, name: str = "") -> None:
        super().__init__(deck, classes="sessions-screen devbox-sessions-screen")
        self.profile = deck.main
        self.devbox_id = devbox_id
        self.devbox_name = name or devbox_id
        self.exec_sessions: list[ExecSession] | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, id="sessions-header")
        with Vertical(id="exec-panel"):
            exec_table: DataTable[Text] = NavTable(cursor_type="row", id="exec-sessions")
            yield exec_table
            yield Static("Loading exec sessions…", markup=False, id="exec-empty")
        with Vertical(id="access-panel"):
            access_table: DataTable[Text] = NavTable(cursor_type="row", id="access-sessions")
            yield access_table
            yield Static("", markup=False, id="access-empty")
        yield Static("", markup=False, id="sessions-status")
        yield from self.keys()

    def on_mount(self) -> None:
        exec_table = self.query_one("#exec-sessions", DataTable)
        for key, label, width in EXEC_COLUMNS:
            exec_table.add_column(label, key=key, width=width)
        access_table = self.query_one("#access-sessions", DataTable)
        for key, label, width in ACCESS_COLUMNS:
            access_table.add_column(label, key=key, width=width)
        self.query_one("#exec-panel").border_title = Text(" exec sessions (live) ")
        self.query_one("#access-panel").border_title = Text(" SSH access sessions opened by boxdeck ")
        self.query_one("#sessions-header", Static).update(self._header())
        self._show_status("")
        self._fill_access()
        self.every(1.0, self._tick)
        access_table.focus()
        self._fetch_exec()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self.exec_sessions is not None:
            self._fetch_exec()

    def _header(self) -> Text:
        out = Text()
        out.append(" Sessions ", style="bold reverse")
        out.append("  devbox ")
        out.append(shown(self.devbox_name), style="bold")
        out.append(f"  ({shown(self.devbox_id)})")
        return out

    def _tick(self) -> None:
        if self.is_current:
            self._fill_access()

    # ----------------------------------------------------------------- workers (post messages only)
    @work(exclusive=True, exit_on_error=False, group="exec-sessions")
    async def _fetch_exec(self) -> None:
        access = self.profile.access
        if access is None:
            self.post_message(DevboxSessionsFailed("Devbox is not configured."))
            return
        try:
            sessions = await access.list_exec_sessions(self.devbox_id)
        except ActionError as error:
            self.post_message(DevboxSessionsFailed(str(error), quiet=self.exec_sessions is not None))
            return
        self.post_message(ExecSessionsFetched(sessions))

    @work(exclusive=True, exit_on_error=False, group="access-open")
    async def _open_access(self) -> None:
        access = self.profile.access
        assert access is not None
        try:
            session, command = await access.create(self.devbox_id)
        except ProxyTrustRequired as needed:  # copied only once the user trusts it, as connecting
            session_id = needed.session.session_id if needed.session is not None else ""
            self.app.post_message(ProxyTrustAsked(
                needed, lambda trusted: self.post_message(AccessOpened(session_id, trusted)), verb="Copy"
            ))
            return
        except ActionError as error:
            self.post_message(DevboxSessionsFailed(str(error)))
            return
        redactor = self.profile.service.redactor
        if redactor is not None:
            redactor.add(*command.secrets)
        self.post_message(AccessOpened(session.session_id, command))

    @work(exclusive=False, exit_on_error=False, group="access-revoke")
    async def _revoke(self, session_id: str) -> None:
        access = self.profile.access
        assert access is not None
        try:
            await access.revoke(self.devbox_id, session_id)
        except ActionError as error:
            self.post_message(DevboxSessionsFailed(str(error)))
            self.post_message(AccessRevoked(""))  # a 404 forgets it: redraw
            return
        self.post_message(AccessRevoked(session_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.worker.group == "exec-sessions" and event.state in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            self._arm_refresh()

    def _arm_refresh(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.is_mounted:
            self._timer = self.set_timer(REFRESH_SECONDS, self._refresh_if_visible)

    def _refresh_if_visible(self) -> None:
        if self.is_current:
            self._fetch_exec()
        # Not in front: on_screen_resume fetches at once when it comes back.

    # ----------------------------------------------------------------- handlers (touch widgets)
    @on(ExecSessionsFetched)
    def _exec_fetched(self, message: ExecSessionsFetched) -> None:
        self.exec_sessions = message.sessions
        table = self.query_one("#exec-sessions", DataTable)
        now = self.now()
        rows = {}
        for session in message.sessions:
            row = exec_session_row(session, now)
            rows[row.id] = {
                "command": Text(row.command),
                "workdir": Text(row.workdir),
                "active": Text(row.active, style="bold" if row.active == "yes" else ""),
                "tty": Text(row.tty),
                "last_activity": Text(row.last_activity),
                "rate": Text(row.rate),
                "id": Text(row.id),
            }
        with self.app.batch_update():
            present = {str(key.value) for key in table.rows}
            for key in present - rows.keys():
                table.remove_row(key)
            for key, cells in rows.items():
                if key in present:
                    for column, value in cells.items():
                        if table.get_cell(key, column).plain != value.plain:
                            table.update_cell(key, column, value)
                else:
                    table.add_row(*cells.values(), key=key)
        empty = self.query_one("#exec-empty", Static)
        empty.display = not rows
        empty.update(Text("No exec sessions running in this devbox."))
        self.query_one("#exec-panel").border_subtitle = Text(
            f" {len(rows)} · updated {local_time(now)} · every {REFRESH_SECONDS:.0f}s "
        )
        self._show_status("")

    @on(AccessOpened)
    def _access_opened(self, message: AccessOpened) -> None:
        where = self.deck.clipboard.copy(message.command.text, secret=bool(message.command.secrets))
        known = self._known_by_id().get(message.session_id)
        lines = [f"{where}:", message.command.masked()]
        if known is not None:
            lines.append(known.countdown(self.now()))
            if known.host_key_fingerprint:
                lines.append(f"host key {known.host_key_fingerprint}")
        self.notify("\n".join(lines), title="SSH access session", markup=False, timeout=10)
        self._fill_access(select=message.session_id)
        self.refresh_bindings()

    @on(AccessRevoked)
    def _access_revoked(self, message: AccessRevoked) -> None:
        if message.session_id:
            self.notify(f"Access session {shown(message.session_id)} revoked.", markup=False, timeout=6)
        self._fill_access()
        self.refresh_bindings()

    @on(DevboxSessionsFailed)
    def _failed(self, message: DevboxSessionsFailed) -> None:
        self._show_status(message.message)
        if self.exec_sessions is None:
            self.query_one("#exec-empty", Static).update(Text(message.message))
        if not message.quiet:
            self.notify(message.message, severity="error", markup=False, timeout=8)

    @on(DataTable.RowHighlighted, "#access-sessions")
    def _access_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    # ----------------------------------------------------------------- rendering
    def _show_status(self, message: str) -> None:
        status = self.query_one("#sessions-status", Static)
        status.update(Text(message))
        status.display = bool(message)

    def _known(self) -> tuple[KnownAccess, ...]:
        access = self.profile.access
        return access.known(self.devbox_id) if access is not None else ()

    def _known_by_id(self) -> dict[str, KnownAccess]:
        return {k.session_id: k for k in self._known()}

    def _fill_access(self, *, select: str | None = None) -> None:
        table = self.query_one("#access-sessions", DataTable)
        known = self._known()
        now = self.now()
        keep = select or self.selected_access
        rows = {}
        for item in known:
            seconds = (item.expires_at - now).total_seconds() if item.expires_at else None
            precise = clock_left(seconds) if seconds is not None and seconds > 0 else ""
            expires = item.countdown(now) + (f" ({precise})" if precise else "")
            rows[item.session_id] = {
                "session": Text(shown(item.session_id)),
                "expires": Text(expires),
                "fingerprint": Text(item.host_key_fingerprint or "not given"),
                "command": Text(item.command.masked()),
            }
        with self.app.batch_update():
            present = {str(key.value) for key in table.rows}
            for key in present - rows.keys():
                table.remove_row(key)
            for key, cells in rows.items():
                if key in present:
                    for column, value in cells.items():
                        if table.get_cell(key, column).plain != value.plain:
                            table.update_cell(key, column, value)
                else:
                    table.add_row(*cells.values(), key=key)
            if keep and keep in rows:
                table.move_cursor(row=table.get_row_index(keep))
        empty = self.query_one("#access-empty", Static)
        empty.display = not rows
        empty.update(Text("None opened in this run of boxdeck. Press n to open one (its command is copied)."))

    @property
    def selected_access(self) -> str | None:
        table = self.query_one("#access-sessions", DataTable)
        if not table.row_count:
            return None
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value)

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != "devbox_sessions":
            return True
        state = self.profile
        if state.access is None:
            return None
        if command.mutating and state.read_only:
            return None
        if action == "revoke_access" and self.selected_access is None:
            return None
        return True

    def action_reload_exec_sessions(self) -> None:
        self._fetch_exec()

    def action_close_devbox_sessions(self) -> None:
        self.dismiss(None)

    def action_new_access(self) -> None:
        if self.profile.access is not None:
            self._open_access()

    def action_renew_access(self) -> None:
        """`R`: a new access session with a fresh expiry, copied (the old one runs out)."""
        self.action_new_access()

    def action_revoke_access(self) -> None:
        session_id = self.selected_access
        if session_id is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._revoke(session_id)

        self.app.push_screen(
            ConfirmModal(
                f"Revoke access session {shown(session_id)}?",
                f"The SSH access session of devbox “{shown(self.devbox_name)}” stops working at once; "
                "its copied command will no longer connect.",
                confirm_label="Revoke",
            ),
            confirmed,
        )
