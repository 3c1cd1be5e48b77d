"""Amika secrets: generic secrets (list, create, update) and the claude/codex provider credentials.

Secret values are write-only here. A value is validated, handed straight to the client for the one request
that needs it and dropped: no attribute of these classes, no error message and no exception chain holds it
(errors are raised ``from None`` because a server may echo the request body in its error text). The API never
returns values, so listings carry names, scopes and types only.
"""

from __future__ import annotations

import builtins
import json
from typing import TYPE_CHECKING, Final

from boxdeck.api.errors import AmikaError
from boxdeck.service.sandbox_sessions import ServiceError, failure, quoted, status_of, why_failed

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient
    from boxdeck.api.amika_models import ProviderSecret, Secret

__all__ = [
    "GENERIC_DELETE_REASON",
    "MAX_SECRET_NAME",
    "OAUTH_HINTS",
    "PROVIDERS",
    "PROVIDER_SECRET_TYPES",
    "SCOPES",
    "SecretError",
    "SecretStore",
    "SecretValidationError",
    "validate_oauth_value",
    "validate_secret_name",
    "validate_secret_value",
]

SCOPES: Final = ("user", "org")
PROVIDERS: Final = ("claude", "codex")
PROVIDER_SECRET_TYPES: Final = ("oauth", "api_key")
MAX_SECRET_NAME: Final = 255

#: What the UI shows instead of a delete action for generic secrets.
GENERIC_DELETE_REASON: Final = (
    "Generic secrets cannot be deleted from boxdeck: the Amika API has no delete endpoint for them. "
    "You can replace a secret's value instead."
)

#: Where each provider's OAuth credential JSON comes from (used in the validation message).
OAUTH_HINTS: Final = {
    "claude": 'the JSON from ~/.claude/.credentials.json ({"claudeAiOauth": {"accessToken": …}})',
    "codex": 'the JSON from ~/.codex/auth.json ({"tokens": {"access_token": …}})',
}


class SecretError(ServiceError):
    """A secrets call failed; the message never contains the value."""


class SecretValidationError(SecretError, ValueError):
    """The input was refused before anything was sent; ``field`` names the offending input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def validate_secret_name(name: str) -> str:
    """A secret name: non-empty, at most 255 characters, one line without control characters."""
    if not isinstance(name, str) or not name.strip():
        raise SecretValidationError("Give the secret a name.", field="name")
    name = name.strip()
    if len(name) > MAX_SECRET_NAME:
        raise SecretValidationError(f"The name is too long (at most {MAX_SECRET_NAME} characters).",
                                    field="name")
    if _has_control(name):
        raise SecretValidationError("The name must be one line without control characters.", field="name")
    return name


def validate_secret_value(value: str) -> str:
    """A secret value must not be empty (it is sent exactly as given)."""
    if not isinstance(value, str) or not value.strip():
        raise SecretValidationError("The value is empty: paste the secret's value.", field="value")
    return value


def validate_oauth_value(provider: str, value: str) -> str:
    """An OAuth credential must parse as a JSON object; the message says where to find it. The value itself
    never appears in the message (only the position of a syntax error)."""
    validate_secret_value(value)
    hint = OAUTH_HINTS.get(provider, "the provider's credentials JSON")
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise SecretValidationError(
            f"An OAuth credential must be {hint}; this is not valid JSON{where}. "
            "For an API key, choose the api_key type.",
            field="value",
        ) from None
    if not isinstance(parsed, dict):
        raise SecretValidationError(
            f"An OAuth credential must be {hint}: a JSON object, not a single value.", field="value"
        )
    return value


def _check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise SecretValidationError(f"The scope must be user or org, not {quoted(scope)}.", field="scope")
    return scope


def _check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise SecretValidationError(f"Unknown provider {quoted(provider)}: choose claude or codex.",
                                    field="provider")
    return provider


def _check_id(secret_id: str, what: str) -> str:
    if not isinstance(secret_id, str) or not secret_id.strip() or _has_control(secret_id) or "/" in secret_id:
        raise SecretValidationError(f"That is not a valid {what} id.", field="id")
    return secret_id


class SecretStore:
    """Generic and provider secrets on one Amika account. Holds the client only (see the module docstring)."""

    __slots__ = ("_amika",)

    #: The API has no delete endpoint for generic secrets; show :data:`GENERIC_DELETE_REASON` instead.
    can_delete_generic: Final = False
    generic_delete_reason: Final = GENERIC_DELETE_REASON

    def __init__(self, amika: AmikaClient) -> None:
        self._amika = amika

    # ----------------------------------------------------------------------------------------- generic

    async def list(self) -> builtins.list[Secret]:
        """Every generic secret the caller can see (user and org scope), by scope then name. No values."""
        try:
            secrets = await self._amika.list_secrets()
        except AmikaError as exc:
            raise failure("Could not list secrets", exc, error=SecretError) from None
        return sorted(secrets, key=lambda s: (s.scope, s.name.lower()))

    async def create(self, name: str, value: str, scope: str = "user") -> Secret | None:
        """Create a generic secret. 409 (the name exists) says so and suggests updating instead."""
        name = validate_secret_name(name)
        validate_secret_value(value)
        _check_scope(scope)
        try:
            return await self._amika.create_secret(name, value, scope)
        except AmikaError as exc:
            status = status_of(exc)
            why = why_failed(exc, secrets=(value,))
            if status == 409:
                raise SecretError(
                    f"A secret named {quoted(name)} already exists: update its value instead ({why})",
                    subject=name, status=409,
                ) from None
            raise SecretError(f"Could not create secret {quoted(name)}: {why}", subject=name,
                              status=status) from None

    async def update(self, secret_id: str, value: str, *, name: str | None = None) -> Secret | None:
        """Replace a generic secret's value (``name`` only makes the messages clearer)."""
        _check_id(secret_id, "secret")
        validate_secret_value(value)
        label = quoted(name) if name else quoted(secret_id)
        try:
            return await self._amika.update_secret(secret_id, value)
        except AmikaError as exc:
            status = status_of(exc)
            why = why_failed(exc, secrets=(value,))
            if status == 404:
                raise SecretError(f"Secret {label} no longer exists ({why})", subject=secret_id,
                                  status=404) from None
            raise SecretError(f"Could not update secret {label}: {why}", subject=secret_id,
                              status=status) from None

    # ----------------------------------------------------------------------------------------- provider

    async def list_provider(self, provider: str) -> builtins.list[ProviderSecret]:
        """The provider's credentials (name, type, scope), by name."""
        _check_provider(provider)
        try:
            secrets = await self._amika.list_provider_secrets(provider)
        except AmikaError as exc:
            raise failure(f"Could not list {provider} credentials", exc, error=SecretError) from None
        return sorted(secrets, key=lambda s: s.name.lower())

    async def create_provider(self, provider: str, name: str, type: str, value: str) -> ProviderSecret | None:
        """Register a claude/codex credential. ``type`` is ``oauth`` (value must be a JSON object) or
        ``api_key`` (surrounding whitespace of a pasted key is dropped)."""
        _check_provider(provider)
        name = validate_secret_name(name)
        if type not in PROVIDER_SECRET_TYPES:
            raise SecretValidationError(f"The type must be oauth or api_key, not {quoted(type)}.",
                                        field="type")
        if type == "oauth":
            validate_oauth_value(provider, value)
        else:
            value = validate_secret_value(value).strip()
            if "\n" in value or "\r" in value:
                raise SecretValidationError("An API key is a single line: paste just the key.", field="value")
        try:
            return await self._amika.create_provider_secret(provider, name, value, type)
        except AmikaError as exc:
            status = status_of(exc)
            why = why_failed(exc, secrets=(value,))
            if status == 409:
                raise SecretError(
                    f"A {provider} credential named {quoted(name)} already exists (or the org already has "
                    f"one): delete it first ({why})",
                    subject=name, status=409,
                ) from None
            raise SecretError(f"Could not create {provider} credential {quoted(name)}: {why}", subject=name,
                              status=status) from None

    async def delete_provider(self, provider: str, secret_id: str, *, name: str | None = None) -> None:
        """Delete a claude/codex credential (404: it is already gone, said plainly)."""
        _check_provider(provider)
        _check_id(secret_id, "credential")
        label = quoted(name) if name else quoted(secret_id)
        try:
            await self._amika.delete_provider_secret(provider, secret_id)
        except AmikaError as exc:
            status = status_of(exc)
            if status == 404:
                raise SecretError(
                    f"The {provider} credential {label} was already deleted ({why_failed(exc)})",
                    subject=secret_id, status=404,
                ) from None
            raise failure(f"Could not delete {provider} credential {label}", exc, subject=secret_id,
                          error=SecretError) from None
