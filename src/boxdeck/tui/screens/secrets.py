"""Screen 3: Amika secrets. Generic secrets (name, scope; create, replace a value) and the claude/codex
provider credentials (name, type; create, delete with confirmation).

Values are write-only: they are typed into masked inputs in the forms (`modals/secret_form.py`), sent once
and dropped. The API never returns them, so nothing here could show one. Generic secrets have no delete in the
API: the screen says so, and `d` is dimmed while the generic table has focus.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from boxdeck.api.amika_models import ProviderSecret, Secret
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.secret_store import PROVIDERS, SecretStore
from boxdeck.service.text.sanitize import shown
from boxdeck.service.text.timefmt import relative
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.context import Deck
from boxdeck.tui.format import NOT_SET
from boxdeck.tui.messages import ActionFailed
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal, UpdateSecretModal
from boxdeck.tui.screens.base import DeckScreen
from boxdeck.tui.widgets.health_bar import Tab
from boxdeck.tui.widgets.lists import NavTable
from boxdeck.tui.widgets.not_configured import NotConfigured

T = TypeVar("T")

GENERIC_COLUMNS = (
    ("name", "Name"), ("scope", "Scope"), ("description", "Description"), ("updated", "Updated"),
)
PROVIDER_COLUMNS = (("provider", "Provider"), ("name", "Name"), ("type", "Type"), ("scope", "Scope"))


def cell(value: object) -> Text:
    """A literal, one-line table cell (server text never reaches markup)."""
    text = shown(str(value)) if value not in (None, "") else NOT_SET
    return Text(text, no_wrap=True, overflow="ellipsis")


def provider_key(provider: str, secret_id: str) -> str:
    return f"{provider}:{secret_id}"


async def attempt(call: Awaitable[T]) -> tuple[T | None, str | None]:
    """(result, None) or (None, the user-facing error)."""
    try:
        return await call, None
    except ActionError as error:
        return None, str(error)


def fill_table(table: DataTable[Any], rows: Mapping[str, tuple[Text, ...]]) -> None:
    """Replace the rows, keeping the cursor on the same key when it is still there."""
    selected = None
    if table.row_count and table.cursor_row >= 0:
        try:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            selected = None
    table.clear()
    for key, cells in rows.items():
        table.add_row(*cells, key=key)
    if selected is not None and selected in rows:
        table.move_cursor(row=table.get_row_index(selected))


def selected_key(table: DataTable[Any]) -> str | None:
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:
        return None


class SecretsScreen(DeckScreen):
    COMMAND_SCOPE = "secrets"
    TAB_KEY = "3"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("secrets")]
    RELOAD_ON_RESUME_AFTER = 30.0  # seconds: coming back to the screen later refreshes it

    @dataclass
    class Loaded(Message, bubble=False):
        """The lists arrived (a list that failed is None; `errors` says why)."""

        generic: tuple[Secret, ...] | None
        provider: tuple[tuple[str, ProviderSecret], ...] | None
        errors: tuple[str, ...]

    @dataclass
    class Deleted(Message, bubble=False):
        """A provider credential was deleted; `summary` is for the user."""

        summary: str

    def __init__(self, deck: Deck, tabs: tuple[Tab, ...]) -> None:
        super().__init__(deck, tabs, id="secrets-screen", classes="secrets-screen")
        self.store: SecretStore | None = deck.main.secrets
        self.configured = self.store is not None
        self.generic: dict[str, Secret] = {}
        self.provider: dict[str, tuple[str, ProviderSecret]] = {}
        self.loading = False
        self.loaded_at: float | None = None
        self.errors: tuple[str, ...] = ()
        self.active = "generic"  # which table the keys act on: "generic" or "provider"

    # ----------------------------------------------------------------- composition
    def compose(self) -> ComposeResult:
        yield from self.header()
        if self.store is not None:
            with Vertical(id="body"):
                generic: DataTable[Any] = NavTable(id="generic", cursor_type="row", zebra_stripes=True)
                generic.border_title = Text(" Generic secrets ", style="bold")
                yield generic
                yield Static(self.store.generic_delete_reason, markup=False, id="generic-note")
                provider: DataTable[Any] = NavTable(id="provider", cursor_type="row", zebra_stripes=True)
                provider.border_title = Text(" claude & codex credentials ", style="bold")
                yield provider
                yield Static("", markup=False, id="secrets-status")
        else:
            with Vertical(id="body"):
                yield NotConfigured("amika")
        yield from self.keys()

    def on_mount(self) -> None:
        super().on_mount()
        if self.store is None:
            return
        for key, label in GENERIC_COLUMNS:
            self.generic_table.add_column(label, key=key)
        for key, label in PROVIDER_COLUMNS:
            self.provider_table.add_column(label, key=key)
        self._show_status()
        self.generic_table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if (
            self.store is not None
            and self.loaded_at is not None
            and time.monotonic() - self.loaded_at > self.RELOAD_ON_RESUME_AFTER
        ):
            self.load()

    @property
    def generic_table(self) -> DataTable[Any]:
        return self.query_one("#generic", DataTable)

    @property
    def provider_table(self) -> DataTable[Any]:
        return self.query_one("#provider", DataTable)

    # ----------------------------------------------------------------- data in
    def load(self) -> None:
        if self.store is None:
            return
        self.loading = True
        self._show_status()
        self._load(self.store)

    @work(exclusive=True, exit_on_error=False, group="secrets-load")
    async def _load(self, store: SecretStore) -> None:
        (generic, generic_error), provider_results = await asyncio.gather(
            attempt(store.list()),
            asyncio.gather(*(attempt(store.list_provider(p)) for p in PROVIDERS)),
        )
        errors = [e for e in (generic_error, *(err for _, err in provider_results)) if e]
        provider: list[tuple[str, ProviderSecret]] | None = []
        for name, (secrets, _error) in zip(PROVIDERS, provider_results, strict=True):
            if secrets is None or provider is None:
                provider = None
                continue
            provider.extend((name, s) for s in secrets)
        self.post_message(
            self.Loaded(
                tuple(generic) if generic is not None else None,
                tuple(provider) if provider is not None else None,
                tuple(errors),
            )
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.loading = False
        self.loaded_at = time.monotonic()
        self.errors = message.errors
        now = self.now()
        with self.app.batch_update():
            if message.generic is not None:
                self.generic = {s.id or s.name: s for s in message.generic}
                fill_table(self.generic_table, {
                    key: (
                        cell(s.name),
                        cell(s.scope),
                        cell(s.description),
                        cell(f"{relative(s.updated_at or s.created_at, now)} ago"
                             if (s.updated_at or s.created_at) else None),
                    )
                    for key, s in self.generic.items()
                })
            if message.provider is not None:
                self.provider = {provider_key(p, s.id or s.name): (p, s) for p, s in message.provider}
                fill_table(self.provider_table, {
                    key: (cell(p), cell(s.name), cell(s.type), cell(s.scope))
                    for key, (p, s) in self.provider.items()
                })
        self._show_status()
        self.refresh_bindings()

    def _show_status(self) -> None:
        if self.store is None:
            return
        generic, provider = self.generic_table, self.provider_table
        generic.border_subtitle = Text(f" {len(self.generic)} · n new · u new value ")
        provider.border_subtitle = Text(f" {len(self.provider)} · N new · d delete ")
        status = self.query_one("#secrets-status", Static)
        lines: list[str] = []
        if self.loading:
            lines.append("Loading secrets…")
        lines.extend(self.errors)
        if not self.loading and not self.errors and self.loaded_at is not None:
            if not self.generic:
                lines.append("No generic secrets yet: n creates one.")
            if not self.provider:
                lines.append("No claude or codex credentials yet: N adds one.")
        status.update(Text("\n".join(lines)))
        status.set_class(bool(self.errors), "-error")
        status.display = bool(lines)

    def action_failed(self) -> None:
        self.load()

    @on(Deleted)
    def _deleted(self, message: Deleted) -> None:
        self.notify(message.summary, markup=False)
        self.load()

    # ----------------------------------------------------------------- selection
    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        widget_id = getattr(event.widget, "id", None)
        if widget_id in ("generic", "provider") and widget_id != self.active:
            self.active = widget_id
            self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    @property
    def selected_secret(self) -> Secret | None:
        if self.store is None or self.active != "generic":
            return None
        key = selected_key(self.generic_table)
        return self.generic.get(key) if key else None

    @property
    def selected_provider_secret(self) -> tuple[str, ProviderSecret] | None:
        if self.store is None or self.active != "provider":
            return None
        key = selected_key(self.provider_table)
        return self.provider.get(key) if key else None

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != self.COMMAND_SCOPE:
            return True
        if self.store is None:
            return None
        if command.mutating and self.read_only:
            return None
        if action == "update_secret":
            return True if self.selected_secret is not None else None
        if action == "delete_provider_secret":
            # Generic secrets cannot be deleted (no API for it): dimmed, and #generic-note says why.
            return True if self.selected_provider_secret is not None else None
        return True

    def _after_form(self, summary: str | None) -> None:
        if summary:
            self.notify(shown(summary), markup=False)
            self.load()

    def _open(self, modal: Screen[str | None], done: Callable[[str | None], None] | None = None) -> None:
        self.app.push_screen(modal, done or self._after_form)

    def action_new_secret(self) -> None:
        if self.store is not None:
            self._open(NewSecretModal(self.store))

    def action_update_secret(self) -> None:
        secret = self.selected_secret
        if self.store is not None and secret is not None:
            self._open(UpdateSecretModal(self.store, secret.id, secret.name, secret.scope))

    def action_new_provider_secret(self) -> None:
        if self.store is None:
            return
        chosen = self.selected_provider_secret
        self._open(NewProviderSecretModal(self.store, chosen[0] if chosen else PROVIDERS[0]))

    def action_delete_provider_secret(self) -> None:
        chosen = self.selected_provider_secret
        if self.store is None or chosen is None:
            return
        provider, secret = chosen
        name = shown(secret.name)

        def confirmed(yes: bool | None) -> None:
            if yes and self.store is not None:
                self._delete(self.store, provider, secret.id, secret.name)

        self.app.push_screen(
            ConfirmModal(
                f"Delete {provider} credential {name}?",
                f"The {provider} credential “{name}” ({shown(secret.type)}, {shown(secret.scope)}) "
                "will be deleted from Amika. Sandboxes that use it lose access to the agent. "
                "This cannot be undone.",
                confirm_label="Delete",
            ),
            confirmed,
        )

    @work(exclusive=False, exit_on_error=False, group="secrets-act")
    async def _delete(self, store: SecretStore, provider: str, secret_id: str, name: str) -> None:
        try:
            await store.delete_provider(provider, secret_id, name=name)
        except ActionError as error:
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(self.Deleted(f"Deleted {provider} credential {shown(name)}."))

    def action_reload_secrets(self) -> None:
        self.load()
