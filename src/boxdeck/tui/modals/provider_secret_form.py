"""A new claude/codex credential: provider, name, type (oauth JSON or api_key) and the value, masked.

An oauth value must be a JSON object: it is checked here, before anything is sent, and a refusal says where
the JSON comes from while the form stays filled.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from boxdeck.service.actions.secret_store import (
    OAUTH_HINTS,
    PROVIDER_SECRET_TYPES,
    PROVIDERS,
    SecretStore,
    validate_api_key_value,
    validate_oauth_value,
    validate_secret_name,
)
from boxdeck.tui.modals.secret_form import Request, SecretInput, WriteOnlyForm

TYPE_HINTS = {
    "api_key": "The provider's API key, one line (hidden as you type).",
}


def value_hint(provider: str, kind: str) -> str:
    if kind == "oauth":
        return f"Paste {OAUTH_HINTS.get(provider, 'the credentials JSON')} (hidden as you type)."
    return TYPE_HINTS["api_key"]


class NewProviderSecretModal(WriteOnlyForm):
    TITLE_TEXT = "New provider credential"

    def __init__(self, store: SecretStore, provider: str = "claude") -> None:
        super().__init__(classes="provider-secret-form")
        self.store = store
        self.initial_provider = provider if provider in PROVIDERS else PROVIDERS[0]

    def compose_fields(self) -> ComposeResult:
        yield from self.field(
            "Provider",
            Select([(p, p) for p in PROVIDERS], value=self.initial_provider, allow_blank=False,
                   id="provider"),
        )
        yield from self.field("Name", Input(placeholder="e.g. my-claude-key", id="name"))
        yield from self.field(
            "Type",
            Select([(t, t) for t in PROVIDER_SECRET_TYPES], value="api_key", allow_blank=False, id="type"),
        )
        yield from self.field("Value", SecretInput(placeholder="paste the credential (hidden)", id="value"),
                              value_hint(self.initial_provider, "api_key"), hint_id="value-hint")

    def first_focus(self) -> Input:
        return self.query_one("#name", Input)

    @property
    def provider(self) -> str:
        return str(self.query_one("#provider", Select).value)

    @property
    def kind(self) -> str:
        return str(self.query_one("#type", Select).value)

    @on(Select.Changed)
    def _choice_changed(self) -> None:
        self.query_one("#value-hint", Static).update(value_hint(self.provider, self.kind))

    def build_request(self) -> Request:
        provider, kind = self.provider, self.kind
        name = validate_secret_name(self.query_one("#name", Input).value)
        value = self.query_one("#value", SecretInput).value
        if kind == "oauth":
            validate_oauth_value(provider, value)
        else:
            validate_api_key_value(value)  # one word: a second line or a space inside is refused
        store = self.store

        async def request() -> str:
            await store.create_provider(provider, name, kind, value)
            return f"{provider} credential {name} created ({kind})."

        return request
