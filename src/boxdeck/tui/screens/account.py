"""Screen 4: the Devbox user's account (SSH public key) and the GitHub connection (repositories, organisation
grants).

Every call is user-scoped: without a user token nothing is sent and the screen says how to add one; a 401 (a
wrong token) is explained the same way. Connecting GitHub shows the authorize link as literal text, copies it,
and waits in the background until the connection shows up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, SelectionList, Static
from textual.widgets.selection_list import Selection

from boxdeck.api.devbox_models import GitHubConnection, GitHubOrg, GitHubRepo, UserProfile
from boxdeck.service.actions.account import Account
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.context import Deck
from boxdeck.tui.format import timestamp
from boxdeck.tui.messages import ActionFailed
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.ssh_key_picker import SshKeyPickerModal
from boxdeck.tui.screens.base import DeckScreen
from boxdeck.tui.screens.secrets import cell, fill_table
from boxdeck.tui.widgets.check_list import CheckList
from boxdeck.tui.widgets.health_bar import Tab
from boxdeck.tui.widgets.lists import NavTable
from boxdeck.tui.widgets.not_configured import NotConfigured

T = TypeVar("T")

REPO_COLUMNS = (("full_name", "Repository"), ("private", "Visibility"), ("granted", "Access"),
                ("default_branch", "Default branch"))


async def attempt(call: Awaitable[T]) -> tuple[T | None, str | None]:
    try:
        return await call, None
    except ActionError as error:
        return None, str(error)


def user_token_help(reason: str) -> Text:
    """What the screen says instead of the account when the user token is missing."""
    out = Text()
    out.append("Account and GitHub need a Devbox user token.\n\n", style="bold")
    out.append(shown(reason) + "\n\n")
    out.append("Give boxdeck the token in a file (chmod 600) with a flag:\n\n")
    out.append("    boxdeck --user-token-file PATH\n\n", style="bold")
    out.append("or in the environment:\n\n")
    out.append("    export DEVBOX_USER_TOKEN=…\n\n", style="bold")
    out.append("The Devbox service token alone is enough for the devboxes screen (2), not for this one.")
    return out


class AccountScreen(DeckScreen):
    COMMAND_SCOPE = "account"
    TAB_KEY = "4"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("account")]
    CONNECT_TIMEOUT = 300.0  # seconds to wait for the browser side of a GitHub connect
    CONNECT_INTERVAL = 2.0
    RELOAD_ON_RESUME_AFTER = 30.0

    @dataclass
    class Loaded(Message, bubble=False):
        """The account as the server sees it (parts that failed are None; `errors` says why)."""

        profile: UserProfile | None
        connection: GitHubConnection | None
        connection_known: bool
        repos: tuple[GitHubRepo, ...] | None
        orgs: tuple[GitHubOrg, ...] | None
        errors: tuple[str, ...]

    @dataclass
    class ConnectStarted(Message, bubble=False):
        """GitHub connect started: the user must open `url`."""

        url: str
        expires_at: datetime | None

    @dataclass
    class Connected(Message, bubble=False):
        """The GitHub connection showed up."""

        connection: GitHubConnection

    @dataclass
    class ConnectStopped(Message, bubble=False):
        """Waiting for the connection ended without one (`message` says why)."""

        message: str

    @dataclass
    class Done(Message, bubble=False):
        """A change went through; `summary` is for the user."""

        summary: str

    def __init__(self, deck: Deck, tabs: tuple[Tab, ...]) -> None:
        super().__init__(deck, tabs, id="account-screen", classes="account-screen")
        self.account = deck.main.account
        self.profile: UserProfile | None = None
        self.connection: GitHubConnection | None = None
        self.connection_known = False
        self.repos: tuple[GitHubRepo, ...] = ()
        self.orgs: tuple[GitHubOrg, ...] = ()
        self.errors: tuple[str, ...] = ()
        self.loading = False
        self.loaded_at: float | None = None
        self.pending_url: str | None = None
        self.orgs_dirty = False
        self.connect_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    # ----------------------------------------------------------------- composition
    @property
    def available(self) -> bool:
        return self.account.available

    def compose(self) -> ComposeResult:
        yield from self.header()
        with Vertical(id="body"):
            if self.deck.main.monitor.devbox is None:
                yield NotConfigured("devbox")
            elif not self.available:
                yield Static(user_token_help(self.account.unavailable_reason or ""), markup=False,
                             classes="not-configured", id="user-token-help")
            else:
                with Horizontal(id="account-top"):
                    yield Static("", markup=False, id="user-panel", classes="panel")
                    yield Static("", markup=False, id="github-panel", classes="panel")
                yield Static("", markup=False, id="connect-pane")
                with Horizontal(id="account-lists"):
                    yield NavTable(id="repos", cursor_type="row", zebra_stripes=True)
                    yield CheckList[str](id="orgs")
                yield Static("", markup=False, id="account-status")
        yield from self.keys()

    def on_mount(self) -> None:
        super().on_mount()
        if not self.available:
            return
        self.query_one("#user-panel").border_title = Text(" Devbox user ", style="bold")
        self.query_one("#github-panel").border_title = Text(" GitHub ", style="bold")
        self.query_one("#connect-pane").border_title = Text(" Connect GitHub ", style="bold")
        repos = self.repos_table
        repos.border_title = Text(" Repositories ", style="bold")
        for key, label in REPO_COLUMNS:
            repos.add_column(label, key=key)
        self.orgs_list.border_title = Text(" Organisations ", style="bold")
        self._show()
        repos.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if (
            self.available
            and self.loaded_at is not None
            and self.pending_url is None
            and time.monotonic() - self.loaded_at > self.RELOAD_ON_RESUME_AFTER
        ):
            self.load()

    @property
    def repos_table(self) -> DataTable[Any]:
        return self.query_one("#repos", DataTable)

    @property
    def orgs_list(self) -> SelectionList[str]:
        return self.query_one("#orgs", SelectionList)

    # ----------------------------------------------------------------- data in
    def load(self) -> None:
        if not self.available:
            return
        self.loading = True
        self._show()
        self._load(self.account)

    @work(exclusive=True, exit_on_error=False, group="account-load")
    async def _load(self, account: Account) -> None:
        (profile, profile_error), (connection, connection_error) = await asyncio.gather(
            attempt(account.profile()), attempt(account.connection())
        )
        errors = [profile_error, connection_error]
        repos = orgs = None
        if connection is not None:
            (repos, repos_error), (orgs, orgs_error) = await asyncio.gather(
                attempt(account.repos()), attempt(account.orgs())
            )
            errors += [repos_error, orgs_error]
        unique = tuple(dict.fromkeys(e for e in errors if e))
        self.post_message(
            self.Loaded(
                profile,
                connection,
                connection_error is None,
                tuple(repos) if repos is not None else None,
                tuple(orgs) if orgs is not None else None,
                unique,
            )
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.loading = False
        self.loaded_at = time.monotonic()
        self.errors = message.errors
        if message.profile is not None:
            self.profile = message.profile
        orgs_changed = message.orgs is not None
        if message.connection_known:
            self.connection = message.connection
            self.connection_known = True
            if message.connection is None:  # not connected: nothing to list
                self.repos, self.orgs = (), ()
                orgs_changed = True
        if message.repos is not None:
            self.repos = message.repos
        if message.orgs is not None:
            self.orgs = message.orgs
        if orgs_changed:
            self.orgs_dirty = False
            self._fill_orgs()
        self._fill_repos()
        self._show()
        self.refresh_bindings()

    def _fill_repos(self) -> None:
        p = self.palette
        rows: dict[str, tuple[Text, ...]] = {}
        for repo in self.repos:
            granted = (
                Text("✓ granted", style=p.success) if repo.granted else Text("✗ not granted", style=p.muted)
            )
            rows[str(repo.repo_id or repo.full_name)] = (
                cell(repo.full_name),
                cell("private" if repo.private else "public"),
                granted,
                cell(repo.default_branch),
            )
        with self.app.batch_update():
            fill_table(self.repos_table, rows)

    def _fill_orgs(self) -> None:
        orgs = self.orgs_list
        highlighted = orgs.highlighted
        orgs.clear_options()
        orgs.add_options(
            [Selection(Text(shown(o.org_login)), o.org_login, bool(o.granted)) for o in self.orgs]
        )
        if highlighted is not None and orgs.option_count:
            orgs.highlighted = min(highlighted, orgs.option_count - 1)

    def _show(self) -> None:
        """Redraw the panels from the state (only message handlers call this)."""
        if not self.available:
            return
        p = self.palette
        now = self.now()
        user = Text()
        if self.profile is None:
            user.append("SSH key: ")
            user.append("…" if self.loading else "unknown", style=p.muted)
        elif self.profile.has_ssh_key:
            user.append("SSH key: ")
            user.append("● set", style=f"bold {p.success}")
            user.append("\nk replaces it · K deletes it", style=p.muted)
        else:
            user.append("SSH key: ")
            user.append("○ not set", style=f"bold {p.warning}")
            user.append("\nk sets one from ~/.ssh/*.pub or pasted", style=p.muted)
        self.query_one("#user-panel", Static).update(user)

        github = Text()
        if self.connection is not None:
            github.append("● connected", style=f"bold {p.success}")
            github.append(" as ")
            github.append(shown(self.connection.github_login or "?"), style="bold")
            github.append(f"\nsince {timestamp(self.connection.connected_at, now)}")
            github.append("\nD disconnects", style=p.muted)
        elif self.connection_known:
            github.append("○ not connected", style=f"bold {p.warning}")
            github.append("\ng connects (shows and copies a link to open)", style=p.muted)
        else:
            github.append("…" if self.loading else "unknown", style=p.muted)
        self.query_one("#github-panel", Static).update(github)

        pane = self.query_one("#connect-pane", Static)
        if self.pending_url:
            text = Text()
            text.append("Open this link in a browser to connect GitHub:\n\n")
            text.append(self.pending_url, style="bold")
            text.append("\n\nWaiting for the connection… (Esc stops waiting)", style=p.muted)
            pane.update(text)
        pane.display = bool(self.pending_url)

        repos = self.repos_table
        if self.connection is None:
            repos.border_subtitle = Text(" connect GitHub to list repositories ")
        else:
            granted = sum(1 for r in self.repos if r.granted)
            repos.border_subtitle = Text(f" {len(self.repos)} · {granted} granted ")
        orgs = self.orgs_list
        if self.connection is None:
            orgs.border_subtitle = Text(" - ")
        elif self.orgs_dirty:
            orgs.border_subtitle = Text(" unsaved · S saves ", style=f"bold {p.warning}")
        else:
            orgs.border_subtitle = Text(" space toggles · S saves ")

        status = self.query_one("#account-status", Static)
        lines = ["Loading the account…"] if self.loading else []
        lines.extend(self.errors)
        status.update(Text("\n".join(lines)))
        status.set_class(bool(self.errors), "-error")
        status.display = bool(lines)

    @on(SelectionList.SelectedChanged, "#orgs")
    def _orgs_toggled(self) -> None:
        granted = {o.org_login for o in self.orgs if o.granted}
        self.orgs_dirty = set(self.orgs_list.selected) != granted
        self._show()

    def action_failed(self) -> None:
        self.load()  # e.g. a 404 on disconnect: show how things really are

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(message.summary, markup=False)
        self.load()

    # ----------------------------------------------------------------- GitHub connect
    @on(ConnectStarted)
    def _connect_started(self, message: ConnectStarted) -> None:
        self.pending_url = message.url
        where = self.deck.clipboard.copy(message.url)
        self.notify(f"{where}: the GitHub authorize link. Open it in a browser.", markup=False, timeout=8)
        self._show()
        self.refresh_bindings()
        self._wait_for_connection(self.account)

    @work(exclusive=True, exit_on_error=False, group="github-wait")
    async def _wait_for_connection(self, account: Account) -> None:
        try:
            connection = await account.wait_for_connection(
                timeout=self.CONNECT_TIMEOUT, interval=self.CONNECT_INTERVAL, sleep=self.connect_sleep
            )
        except ActionError as error:
            self.post_message(self.ConnectStopped(str(error)))
            return
        self.post_message(self.Connected(connection))

    @on(Connected)
    def _connected(self, message: Connected) -> None:
        self.pending_url = None
        self.connection = message.connection
        self.connection_known = True
        login = shown(message.connection.github_login or "?")
        self.notify(f"GitHub connected as {login}.", markup=False)
        self._show()
        self.refresh_bindings()
        self.load()

    @on(ConnectStopped)
    def _connect_stopped(self, message: ConnectStopped) -> None:
        self.pending_url = None
        self.notify(message.message, severity="warning", markup=False, timeout=10)
        self._show()
        self.refresh_bindings()

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != self.COMMAND_SCOPE:
            return True
        if action == "cancel_connect":
            return self.pending_url is not None  # hidden (and Esc free) unless waiting
        if not self.available:
            return None
        if command.mutating and self.read_only:
            return None
        if action == "delete_ssh_key":
            return True if self.profile is not None and self.profile.has_ssh_key else None
        if action == "connect_github":
            return None if self.connection is not None else True
        if action == "disconnect_github":
            return True if self.connection is not None else None
        if action == "save_org_grants":
            return True if self.connection is not None and self.orgs else None
        return True

    def action_reload_account(self) -> None:
        self.load()

    def action_set_ssh_key(self) -> None:
        def done(summary: str | None) -> None:
            if summary:
                self.post_message(self.Done(summary))

        self.app.push_screen(SshKeyPickerModal(self.account), done)

    def action_delete_ssh_key(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(self.account.delete_ssh_key, "SSH key deleted.")

        self.app.push_screen(
            ConfirmModal(
                "Delete your SSH key?",
                "Your SSH public key will be removed from Devbox: new devboxes won't accept it and SSH "
                "access needs a key set again (k).",
                confirm_label="Delete",
            ),
            confirmed,
        )

    def action_connect_github(self) -> None:
        self._start_connect(self.account)

    @work(exclusive=True, exit_on_error=False, group="github-connect")
    async def _start_connect(self, account: Account) -> None:
        try:
            url = await account.start_connect()
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        pending = account.pending_connect
        self.post_message(self.ConnectStarted(url, pending.expires_at if pending else None))

    def action_cancel_connect(self) -> None:
        if self.pending_url is None:
            return
        self.workers.cancel_group(self, "github-wait")
        self.pending_url = None
        self.notify("Stopped waiting for GitHub. Refresh (r) once you have authorized.", markup=False)
        self._show()
        self.refresh_bindings()

    def action_disconnect_github(self) -> None:
        login = shown(self.connection.github_login) if self.connection else "GitHub"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(self.account.disconnect, f"GitHub {login} disconnected.")

        self.app.push_screen(
            ConfirmModal(
                f"Disconnect GitHub account {login}?",
                f"Devbox loses access to {login}'s repositories: new devboxes can't clone private ones until "
                "you connect again (g).",
                confirm_label="Disconnect",
            ),
            confirmed,
        )

    def action_save_org_grants(self) -> None:
        logins = list(self.orgs_list.selected)

        async def save() -> str:
            count = await self.account.save_org_grants(logins)
            return f"{count} organisation{'' if count == 1 else 's'} selected."

        self._run(save, None)

    @work(exclusive=False, exit_on_error=False, group="account-act")
    async def _run(self, call: Callable[[], Awaitable[object]], summary: str | None) -> None:
        """Send one change; `summary` (or the call's result) becomes the notification."""
        try:
            result = await call()
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(self.Done(summary if summary is not None else str(result)))
