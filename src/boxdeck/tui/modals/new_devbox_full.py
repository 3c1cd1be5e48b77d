"""The full new-devbox form: name and plan, repositories picked from the GitHub list (ref and target path per
repository), credential injection with masked Claude/Codex tokens, env vars, setup commands and their timeout.

Validation is `build_devbox_request`'s: its `DevboxFormError.field` says which input to focus, and the message
shows inline; nothing is sent until the whole form is valid. A failed create keeps every field as typed and
shows the server's message. Without a Devbox user token the repository picker says GitHub needs one, and the
rest of the form still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, SelectionList, Static, Switch, TextArea

from boxdeck.api.devbox_models import GitHubRepo
from boxdeck.service.access.devbox_access import (
    DEFAULT_SETUP_TIMEOUT,
    DevboxFormError,
    RepoChoice,
    build_devbox_request,
)
from boxdeck.service.actions.account import Account
from boxdeck.service.actions.actions import ActionError, Actions
from boxdeck.service.boxes import Box
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.modals.form import NewBoxModal
from boxdeck.tui.widgets.check_list import CheckList

NAME_MAX = 63

#: `DevboxFormError.field` -> the widget to focus.
FIELD_WIDGETS = {
    "name": "#name",
    "repos": "#repos",
    "claude_token": "#claude-token",
    "codex_token": "#codex-token",
    "env": "#env",
    "setup_commands": "#setup",
    "setup_timeout": "#setup-timeout",
}


@dataclass
class ReposLoaded(Message, bubble=False):
    repos: list[GitHubRepo]


@dataclass
class ReposUnavailable(Message, bubble=False):
    message: str


def repo_label(repo: GitHubRepo) -> Text:
    label = Text(shown(repo.full_name))
    notes = []
    if repo.private:
        notes.append("private")
    if not repo.granted:
        notes.append("not granted")
    if notes:
        label.append(f"  ({', '.join(notes)})", style="italic")
    return label


class NewDevboxFullModal(NewBoxModal):
    TITLE_TEXT = "New Latitude devbox"

    def __init__(self, actions: Actions, account: Account | None = None) -> None:
        super().__init__(actions)
        self.add_class("devbox-full")
        self.account = account
        self.repos: dict[int, GitHubRepo] = {}
        self.repo_options: dict[int, tuple[str, str]] = {}  # repo_id -> (ref, target path) as typed
        self._highlighted: int | None = None
        self._loading_row = False
        self._request: dict[str, Any] = {}

    # ----------------------------------------------------------------- fields
    def compose_fields(self) -> ComposeResult:
        # No `max_length`: Textual's Input drops a longer paste whole, without a word; validation explains.
        name = Input(placeholder="e.g. my-devbox", id="name")
        yield from self.field("Name", name, "required")
        yield from self.field("Plan", Input(value="small", id="plan"))
        with Vertical(classes="field", id="repos-field"):
            yield Label("Repositories (space selects; ref and path apply to the highlighted one)")
            yield Static("Loading your GitHub repositories…", markup=False, id="repos-note", classes="hint")
            yield CheckList[int](id="repos")
            with Horizontal(id="repo-row"):
                yield Label("ref", classes="inline-label")
                yield Input(placeholder="default branch", id="repo-ref")
                yield Label("path", classes="inline-label")
                yield Input(placeholder="/workspace/<repo>", id="repo-target")
        with Vertical(classes="field", id="credentials-field"):
            yield Label("Agent credentials (used for this request only, never stored)")
            with Horizontal(classes="token-row"):
                yield Switch(False, id="inject-claude")
                yield Label("inject Claude", classes="inline-label")
                yield Input(placeholder="Claude token", password=True, id="claude-token")
            with Horizontal(classes="token-row"):
                yield Switch(False, id="inject-codex")
                yield Label("inject Codex", classes="inline-label")
                yield Input(placeholder="Codex token", password=True, id="codex-token")
        with Vertical(classes="field"):
            yield Label("Environment (KEY=VALUE, one per line; # comments)")
            yield TextArea(id="env", soft_wrap=False)
        with Vertical(classes="field"):
            yield Label("Setup commands (one shell command per line)")
            yield TextArea(id="setup", soft_wrap=False)
        timeout = Input(value=str(DEFAULT_SETUP_TIMEOUT), id="setup-timeout", type="integer")
        yield from self.field("Setup timeout (seconds)", timeout)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#repo-row").display = False
        self.query_one("#repos", SelectionList).display = False
        account = self.account
        reason = None if account is not None else "The Devbox API is not configured."
        if account is not None and not account.available:
            reason = account.unavailable_reason
        if reason:
            self._repos_note(f"{reason}. The rest of the form works without it.".replace("..", "."))
        else:
            self._load_repos()

    def _repos_note(self, message: str) -> None:
        note = self.query_one("#repos-note", Static)
        note.update(Text(message))
        note.display = bool(message)

    # ----------------------------------------------------------------- repositories
    @work(exclusive=True, exit_on_error=False, group="github-repos")
    async def _load_repos(self) -> None:
        assert self.account is not None
        try:
            repos = await self.account.repos()
        except ActionError as error:
            self.post_message(ReposUnavailable(str(error)))
            return
        self.post_message(ReposLoaded(repos))

    @on(ReposLoaded)
    def _repos_loaded(self, message: ReposLoaded) -> None:
        self.repos = {repo.repo_id: repo for repo in message.repos}
        picker = self.query_one("#repos", SelectionList)
        picker.clear_options()
        picker.add_options([(repo_label(repo), repo.repo_id) for repo in message.repos])
        picker.display = bool(message.repos)
        self.query_one("#repo-row").display = bool(message.repos)
        self._repos_note("" if message.repos else "No GitHub repositories are reachable yet (see screen 4).")
        if message.repos:
            self._show_repo_row(message.repos[0].repo_id)

    @on(ReposUnavailable)
    def _repos_unavailable(self, message: ReposUnavailable) -> None:
        self._repos_note(f"{message.message}. The rest of the form works without it.".replace("..", "."))

    @on(SelectionList.SelectionHighlighted, "#repos")
    def _repo_highlighted(self, event: SelectionList.SelectionHighlighted[int]) -> None:
        self._show_repo_row(event.selection.value)

    def _show_repo_row(self, repo_id: int) -> None:
        repo = self.repos.get(repo_id)
        if repo is None:
            return
        self._highlighted = repo_id
        ref, target = self.repo_options.get(repo_id, ("", ""))
        ref_input = self.query_one("#repo-ref", Input)
        target_input = self.query_one("#repo-target", Input)
        self._loading_row = True
        try:
            ref_input.value = ref
            target_input.value = target
        finally:
            self._loading_row = False
        ref_input.placeholder = f"default: {shown(repo.default_branch or 'main')}"
        target_input.placeholder = f"default: /workspace/{shown(repo.full_name.rsplit('/', 1)[-1])}"

    @on(Input.Changed, "#repo-ref, #repo-target")
    def _repo_row_changed(self, _event: Input.Changed) -> None:
        if self._loading_row or self._highlighted is None:
            return
        self.repo_options[self._highlighted] = (
            self.query_one("#repo-ref", Input).value,
            self.query_one("#repo-target", Input).value,
        )

    def selected_repos(self) -> list[RepoChoice]:
        picker = self.query_one("#repos", SelectionList)
        out = []
        for repo_id in picker.selected:
            repo = self.repos.get(repo_id)
            if repo is not None:
                ref, target = self.repo_options.get(repo_id, ("", ""))
                out.append(RepoChoice(repo, ref, target))
        return out

    # ----------------------------------------------------------------- the request
    def build_request(self) -> dict[str, Any]:
        if len(self.query_one("#name", Input).value.strip()) > NAME_MAX:
            raise DevboxFormError(f"Name: at most {NAME_MAX} characters.", field="name")
        return build_devbox_request(
            self.query_one("#name", Input).value,
            repos=self.selected_repos(),
            inject_claude=self.query_one("#inject-claude", Switch).value,
            inject_codex=self.query_one("#inject-codex", Switch).value,
            claude_token=self.query_one("#claude-token", Input).value,
            codex_token=self.query_one("#codex-token", Input).value,
            env_text=self.query_one("#env", TextArea).text,
            setup_commands_text=self.query_one("#setup", TextArea).text,
            setup_timeout=self.query_one("#setup-timeout", Input).value,
            plan=self.query_one("#plan", Input).value.strip() or None,
        )

    def validate_form(self) -> str | None:
        try:
            self._request = self.build_request()
        except DevboxFormError as error:
            selector = FIELD_WIDGETS.get(error.field)
            if selector:
                widget = self.query_one(selector)
                if widget.display:
                    widget.focus()
            return error.message
        return None

    def values(self) -> dict[str, Any]:
        request, self._request = self._request, {}  # the tokens live only as long as the request
        return request

    async def create(self, values: dict[str, Any]) -> Box:
        return await self.actions.create_devbox(**values)
