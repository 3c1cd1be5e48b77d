"""A sandbox's sessions and SSH grant (`v` on the sandboxes screen).

Sessions: agent, status, started, ended, the latest one marked; the highlighted one's fields and metadata
(pretty JSON, literal) in the detail pane. `n` creates one, `k`/`f` mark it completed/failed, `m` edits its
metadata (PATCH). SSH grant: `g` gets the sandbox's SSH access (copies the command, shows it masked) and the
panel counts down to its expiry; `d` revokes it after a confirmation.

Workers only post messages; the handlers below are the only code that changes widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from boxdeck.api.amika_models import Session
from boxdeck.service.access.expiry import clock_left
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.sandbox_sessions import format_metadata, session_row
from boxdeck.service.boxes import Backend
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.context import Deck
from boxdeck.tui.format import field_lines, timestamp
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.session_form import SessionFormModal
from boxdeck.tui.screens.base import BoxdeckScreen
from boxdeck.tui.widgets.lists import NavTable

COLUMNS = (("latest", "", 2), ("agent", "agent", 10), ("status", "status", 11), ("started", "started", 8),
           ("ended", "ended", 8), ("id", "id", 22))


def when(dt: datetime) -> str:
    """An absolute local time, without the "ago" that `timestamp` adds (expiries are in the future)."""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class SessionsLoaded(Message, bubble=False):
    sessions: list[Session]
    latest_id: str | None
    select: str | None = None


@dataclass
class SessionSaved(Message, bubble=False):
    """A session was created or changed; `what` says how (for the notification)."""

    session: Session
    what: str


@dataclass
class SessionsFailed(Message, bubble=False):
    message: str


@dataclass
class GrantChanged(Message, bubble=False):
    """A grant was minted (its command is to be copied) or revoked, or a revoke failed (both False)."""

    minted: bool = False
    revoked: bool = False


class SandboxSessionsScreen(BoxdeckScreen):
    COMMAND_SCOPE = "sessions"
    BINDINGS = bindings_for("sessions")

    def __init__(self, deck: Deck, sandbox: str) -> None:
        super().__init__(deck, classes="sessions-screen")
        self.profile = deck.main
        self.sandbox = sandbox
        self.sessions: dict[str, Session] = {}
        self.latest_id: str | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, id="sessions-header")
        with Horizontal(id="sessions-body"):
            with Vertical(id="sessions-list"):
                table: DataTable[Text] = NavTable(cursor_type="row", id="sessions")
                yield table
                yield Static("Loading sessions…", markup=False, id="sessions-empty")
            with VerticalScroll(id="session-detail"):
                yield Static("", markup=False, id="session-detail-body")
        with Vertical(id="grant-panel"):
            yield Static("", markup=False, id="grant-body")
        yield Static("", markup=False, id="sessions-status")
        yield from self.keys()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.border_title = Text(" sessions ")
        self.query_one("#session-detail").border_title = Text(" session ")
        self.query_one("#grant-panel").border_title = Text(" SSH grant ")
        self._show_status("")
        self._refresh_header()
        self._refresh_grant()
        self.every(1.0, self._tick)
        table.focus()
        self._load()

    def _tick(self) -> None:
        if self.is_current:
            self._refresh_grant()

    # ----------------------------------------------------------------- workers (post messages only)
    @work(exclusive=True, exit_on_error=False, group="sessions-load")
    async def _load(self, select: str | None = None) -> None:
        service = self.profile.sessions
        if service is None:
            self.post_message(SessionsFailed("Amika is not configured."))
            return
        try:
            sessions = await service.list(self.sandbox)
            latest = await service.latest(self.sandbox)
        except ActionError as error:
            self.post_message(SessionsFailed(str(error)))
            return
        self.post_message(SessionsLoaded(sessions, latest.id if latest else None, select))

    @work(exclusive=False, exit_on_error=False, group="sessions-write")
    async def _mark(self, session_id: str, status: str) -> None:
        service = self.profile.sessions
        assert service is not None
        try:
            session = await service.mark(self.sandbox, session_id, status)
        except ActionError as error:
            self.post_message(SessionsFailed(str(error)))
            return
        self.post_message(SessionSaved(session, f"marked {status}"))

    @work(exclusive=True, exit_on_error=False, group="ssh-grant")
    async def _mint_grant(self) -> None:
        grants = self.profile.grants
        assert grants is not None
        try:
            await grants.current(self.sandbox)
        except ActionError as error:
            self.post_message(SessionsFailed(str(error)))
            return
        grant = grants.remembered(self.sandbox)
        redactor = self.profile.service.redactor
        if grant is not None and redactor is not None:
            redactor.add(grant.info.token)
        self.post_message(GrantChanged(minted=True))

    @work(exclusive=True, exit_on_error=False, group="ssh-grant")
    async def _revoke_grant(self) -> None:
        grants = self.profile.grants
        assert grants is not None
        try:
            await grants.revoke(self.sandbox)
        except ActionError as error:
            self.post_message(SessionsFailed(str(error)))
            self.post_message(GrantChanged())
            return
        self.post_message(GrantChanged(revoked=True))

    # ----------------------------------------------------------------- handlers (touch widgets)
    @on(SessionsLoaded)
    def _loaded(self, message: SessionsLoaded) -> None:
        self.loaded = True
        self.sessions = {s.id: s for s in message.sessions}
        self.latest_id = message.latest_id
        self._fill_table(select=message.select)
        self._refresh_header()

    @on(SessionSaved)
    def _saved(self, message: SessionSaved) -> None:
        session = message.session
        self.sessions[session.id] = session
        self.notify(f"Session {shown(session.id)}: {message.what}.", markup=False, timeout=5)
        self._show_status("")
        self._fill_table(select=session.id)
        self._load(select=session.id)  # the latest session may have changed too
        self.refresh_bindings()

    @on(SessionsFailed)
    def _failed(self, message: SessionsFailed) -> None:
        if not self.loaded:
            self.query_one("#sessions-empty", Static).update(Text(message.message))
        self._show_status(message.message)
        self.notify(message.message, severity="error", markup=False, timeout=8)

    @on(GrantChanged)
    def _grant_changed(self, message: GrantChanged) -> None:
        grants = self.profile.grants
        grant = grants.remembered(self.sandbox) if grants is not None else None
        if message.minted and grant is not None:
            if grant.command is not None:
                where = self.deck.clipboard.copy(grant.command.text, secret=bool(grant.command.secrets))
                body = f"{where}:\n{grant.command.masked()}\n{grant.countdown(self.now())}"
            else:
                body = grant.refusal
            self.notify(body, title="SSH grant", markup=False, timeout=8,
                        severity="information" if grant.command is not None else "error")
        if message.revoked:
            self.notify(f"SSH access to sandbox {shown(self.sandbox)} revoked.", title="SSH grant",
                        markup=False, timeout=6)
        self._refresh_grant()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#sessions")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._refresh_detail()
        self.refresh_bindings()

    # ----------------------------------------------------------------- rendering
    def _show_status(self, message: str) -> None:
        status = self.query_one("#sessions-status", Static)
        status.update(Text(message))
        status.display = bool(message)

    def _refresh_header(self) -> None:
        box = self.profile.box_by_ref(Backend.AMIKA, self.sandbox)
        out = Text()
        out.append(" Sessions ", style="bold reverse")
        out.append("  sandbox ")
        out.append(shown(self.sandbox), style="bold")
        out.append(f"  ({shown(box.display_state) if box else 'unknown'})")
        if self.loaded:
            out.append(f"   {len(self.sessions)} session{'s' if len(self.sessions) != 1 else ''}")
            out.append(f" · latest {shown(self.latest_id)}" if self.latest_id else " · no latest session")
        self.query_one("#sessions-header", Static).update(out)

    @property
    def selected_id(self) -> str | None:
        table = self.query_one("#sessions", DataTable)
        if not table.row_count:
            return None
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value)

    @property
    def selected(self) -> Session | None:
        key = self.selected_id
        return self.sessions.get(key) if key else None

    def _fill_table(self, *, select: str | None = None) -> None:
        table = self.query_one("#sessions", DataTable)
        keep = select or self.selected_id
        now = self.now()
        with self.app.batch_update():
            table.clear()
            for session in self.sessions.values():
                row = session_row(session, now)
                latest = session.id == self.latest_id
                status = Text(row.status, style="bold" if row.status == "active" else "")
                table.add_row(
                    Text("★" if latest else ""),
                    Text(row.agent),
                    status,
                    Text(row.started),
                    Text(row.ended),
                    Text(row.id),
                    key=session.id,
                )
            if keep and keep in self.sessions:
                table.move_cursor(row=table.get_row_index(keep))
        empty = self.query_one("#sessions-empty", Static)
        empty.display = not self.sessions
        if not self.sessions:
            empty.update(Text("No sessions yet. Press n to create one."))
        self._refresh_detail()

    def _refresh_detail(self) -> None:
        body = self.query_one("#session-detail-body", Static)
        body.update(self.render_detail(self.selected))

    def render_detail(self, session: Session | None) -> RenderableType:
        if session is None:
            return Text("Select a session to see its details.")
        now = self.now()
        pairs: list[tuple[str, str | Text]] = [
            ("id", shown(session.id)),
            ("agent", shown(session.agent_name) or "-"),
            ("status", shown(session.status) or "-"),
            ("started", timestamp(session.started_at, now)),
            ("ended", timestamp(session.ended_at, now)),
            ("created", timestamp(session.created_at, now)),
            ("updated", timestamp(session.updated_at, now)),
        ]
        if session.id == self.latest_id:
            pairs.insert(0, ("latest", "yes: the agent continues this session"))
        metadata = Text(format_metadata(session.metadata or {}))
        return Group(field_lines(pairs), Text("\nmetadata", style="bold underline"), metadata)

    def render_grant(self) -> Text:
        grants = self.profile.grants
        out = Text()
        if grants is None:
            out.append("Amika is not configured.")
            return out
        grant = grants.remembered(self.sandbox)
        if grant is None:
            out.append("No SSH grant minted in this session of boxdeck. ")
            out.append("Press g to get SSH access (the command is copied) and see when it expires.")
            return out
        now = self.now()
        command = grant.command.masked() if grant.command is not None else "(no usable ssh command)"
        out.append("command  ", style="bold")
        out.append(command)
        out.append("\nexpires  ", style="bold")
        out.append(when(grant.expires_at) if grant.expires_at else "no expiry given")
        out.append("\n         ")
        out.append(grant.countdown(now), style="bold")
        left = grant.seconds_left(now)
        precise = clock_left(left) if left is not None and left > 0 else ""
        if precise:
            out.append(f"  ({precise})")
        out.append("\nminted   ", style="bold")
        out.append(timestamp(grant.minted_at, now))
        out.append("   d revokes it", style="italic")
        return out

    def _refresh_grant(self) -> None:
        panel = self.query_one("#grant-body", Static)
        panel.update(self.render_grant())
        grants = self.profile.grants
        grant = grants.remembered(self.sandbox) if grants is not None else None
        self.query_one("#grant-panel").set_class(grant is not None and grant.expired(self.now()), "-expired")

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != "sessions":
            return True
        state = self.profile
        if state.sessions is None:
            return None
        if command.mutating and state.read_only:
            return None
        if action in ("mark_completed", "mark_failed", "edit_metadata"):
            session = self.selected
            if session is None:
                return None
            if action == "mark_completed" and session.status == "completed":
                return None
            if action == "mark_failed" and session.status == "failed":
                return None
        return True

    def action_reload_sessions(self) -> None:
        self._load()

    def action_close_sessions(self) -> None:
        self.dismiss(None)

    def action_new_session(self) -> None:
        service = self.profile.sessions
        if service is None:
            return

        async def save(agent: str, metadata: dict[str, Any]) -> Session:
            return await service.create(self.sandbox, agent, metadata)

        def done(session: Session | None) -> None:
            if session is not None:
                self.post_message(SessionSaved(session, "created"))

        self.app.push_screen(
            SessionFormModal(f"New session in sandbox {shown(self.sandbox)}", save,
                             hint='For example {"ticket": "ABC-1"}'),
            done,
        )

    def action_edit_metadata(self) -> None:
        service = self.profile.sessions
        session = self.selected
        if service is None or session is None:
            return
        session_id = session.id

        async def save(_agent: str, metadata: dict[str, Any]) -> Session:
            return await service.update_metadata(self.sandbox, session_id, metadata)

        def done(updated: Session | None) -> None:
            if updated is not None:
                self.post_message(SessionSaved(updated, "metadata saved"))

        self.app.push_screen(
            SessionFormModal(
                f"Metadata of session {shown(session_id)}", save, agent_name=None,
                metadata_text=format_metadata(session.metadata or {}),
                hint="The whole object replaces the session's metadata.",
            ),
            done,
        )

    def action_mark_completed(self) -> None:
        self._confirm_mark("completed")

    def action_mark_failed(self) -> None:
        self._confirm_mark("failed")

    def _confirm_mark(self, status: str) -> None:
        """A session's end cannot be undone through the API: ask first."""
        session = self.selected
        if session is None:
            return
        session_id = session.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mark(session_id, status)

        self.app.push_screen(
            ConfirmModal(
                f"Mark session {shown(session_id)} {status}?",
                f"The session of sandbox “{shown(self.sandbox)}” ends as {status}; this cannot be undone.",
                confirm_label=f"Mark {status}",
            ),
            confirmed,
        )

    def action_ssh_grant(self) -> None:
        if self.profile.grants is not None:
            self._mint_grant()

    def action_renew_grant(self) -> None:
        """`R`: a new grant replaces the remembered one; its countdown starts again."""
        self.action_ssh_grant()

    def action_revoke_grant(self) -> None:
        grants = self.profile.grants
        if grants is None:
            return
        grant = grants.remembered(self.sandbox)
        if grant is not None:
            body = (f"The SSH grant of sandbox “{shown(self.sandbox)}” ({grant.countdown(self.now())}) "
                    "stops working at once; anyone using its command is locked out.")
        else:
            body = (f"boxdeck has no grant of sandbox “{shown(self.sandbox)}” remembered: it will fetch "
                    "the sandbox's current SSH token and revoke it.")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._revoke_grant()

        self.app.push_screen(
            ConfirmModal(f"Revoke SSH access to {shown(self.sandbox)}?", body, confirm_label="Revoke"),
            confirmed,
        )
