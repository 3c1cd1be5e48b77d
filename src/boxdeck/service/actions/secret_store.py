"""Amika secrets: generic secrets (list, create, update) and the claude/codex provider credentials.

Secret values are write-only here. A value is validated, handed straight to the client for the one request
that needs it and dropped: no attribute of these classes, no error message and no exception chain holds it.
A server may echo the request body in its error text, so every form the value can come back in (as sent,
JSON-escaped, and for an OAuth credential each string inside it) is masked in the message, and the error is
raised *after* the ``except`` block, so neither its ``__cause__`` nor its ``__context__`` is the client error
that holds the echo. Given a ``redactor``, the store also has it learn those forms (``Redactor.add_typed``,
which keeps a digest, not the value), so an echo later — in a secret's name, a box name, an agent's reply —
is masked wherever it is shown. The API never returns values, so listings carry names, scopes and types only.
"""

from __future__ import annotations

import builtins
import json
from typing import TYPE_CHECKING, Any, Final

from boxdeck.api.errors import AmikaError
from boxdeck.service.actions.errors import ServiceError, error_status, failure, quoted, why_failed
from boxdeck.service.actions.inflight import InFlight
from boxdeck.service.text.redact import MIN_SECRET_LEN, Redactor
from boxdeck.service.text.sanitize import has_surrogate

if TYPE_CHECKING:
    from collections.abc import Callable

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
    "validate_api_key_value",
    "validate_oauth_value",
    "validate_secret_name",
    "validate_secret_value",
]

SCOPES: Final = ("user", "org")
PROVIDERS: Final = ("claude", "codex")
PROVIDER_SECRET_TYPES: Final = ("oauth", "api_key")
MAX_SECRET_NAME: Final = 255
#: Shorter strings inside an OAuth credential ("user", a scope) are masked in the error about sending it, but
#: not learnt for masking everywhere, where they would garble ordinary words.
TYPED_ECHO_MIN: Final = 8

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
    """C0/C1 control characters, or a lone surrogate (which cannot be sent at all)."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in text)


_BROKEN = "contains a broken character (a lone surrogate, e.g. from a damaged clipboard) that cannot be sent"


def validate_secret_name(name: str) -> str:
    """A secret name: non-empty, at most 255 characters, one line without control characters."""
    if not isinstance(name, str) or not name.strip():
        raise SecretValidationError("Give the secret a name.", field="name")
    name = name.strip()
    if len(name) > MAX_SECRET_NAME:
        raise SecretValidationError(f"The name is too long (at most {MAX_SECRET_NAME} characters).",
                                    field="name")
    if has_surrogate(name):
        raise SecretValidationError(f"The name {_BROKEN}: type it again.", field="name")
    if _has_control(name):
        raise SecretValidationError("The name must be one line without control characters.", field="name")
    return name


def validate_secret_value(value: str) -> str:
    """A secret value must not be empty and must be sendable (it is sent exactly as given)."""
    if not isinstance(value, str) or not value.strip():
        raise SecretValidationError("The value is empty: paste the secret's value.", field="value")
    if has_surrogate(value):
        raise SecretValidationError(f"The value {_BROKEN}: paste it again.", field="value")
    return value


def validate_api_key_value(value: str) -> str:
    """An API key is one word: surrounding whitespace (of a paste) is dropped, whitespace inside refused (two
    lines pasted, or a masked input that turned a line break into a space, are two keys, not one). Returns the
    key as it is sent. The message never contains the value."""
    value = validate_secret_value(value).strip()
    if any(c.isspace() for c in value):
        raise SecretValidationError(
            "An API key is a single word without spaces or line breaks: paste just the key.", field="value"
        )
    return value


def validate_oauth_value(provider: str, value: str) -> str:
    """An OAuth credential must parse as a JSON object; the message says where to find it. The value itself
    never appears in the message (only the position of a syntax error)."""
    _parse_oauth(provider, value)
    return value


def _parse_oauth(provider: str, value: str) -> dict[str, Any]:
    validate_secret_value(value)
    hint = OAUTH_HINTS.get(provider, "the provider's credentials JSON")
    error: SecretValidationError | None = None
    try:
        parsed = json.loads(value)
    except RecursionError:
        error = SecretValidationError(
            f"An OAuth credential must be {hint}; this JSON is nested far too deeply to be one.",
            field="value",
        )
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        error = SecretValidationError(
            f"An OAuth credential must be {hint}; this is not valid JSON{where}. "
            "For an API key, choose the api_key type.",
            field="value",
        )
    if error is not None:
        raise error from None  # no __cause__ or __context__: outside the except block
    if not isinstance(parsed, dict):
        raise SecretValidationError(
            f"An OAuth credential must be {hint}: a JSON object, not a single value.", field="value"
        )
    if any(has_surrogate(text) for text in _strings_in(parsed, keys=True)):
        raise SecretValidationError(f"The credential JSON {_BROKEN} (an escaped lone surrogate).",
                                    field="value")
    return parsed


def _strings_in(parsed: object, *, keys: bool = False) -> list[str]:
    """Every string inside parsed JSON (values; also object keys with ``keys``). Iterative: JSON that parsed
    may still be nested deeper than a recursive walk could go."""
    found: list[str] = []
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            if keys:
                found.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _echo_forms(value: str) -> tuple[str, ...]:
    """The forms a server may echo ``value`` back in inside its error text: as sent, JSON-escaped (ASCII or
    not, as the request body and an error body carry it), and with its whitespace collapsed (as the error
    message is made one line before it is redacted)."""
    return (
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        " ".join(value.split()),
    )


def _secrets_of(value: str, parsed: dict[str, Any] | None = None) -> tuple[str, ...]:
    """What to mask in an error about sending ``value``: its echo forms, plus those of every string leaf
    (of at least MIN_SECRET_LEN characters) of a parsed OAuth credential, whose tokens may be echoed alone."""
    forms = list(_echo_forms(value))
    if parsed is not None:
        for leaf in _strings_in(parsed):
            if len(leaf) >= MIN_SECRET_LEN:
                forms.extend(_echo_forms(leaf))
    return tuple(forms)


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

    __slots__ = ("_amika", "_learn", "in_flight")

    #: The API has no delete endpoint for generic secrets; show :data:`GENERIC_DELETE_REASON` instead.
    can_delete_generic: Final = False
    generic_delete_reason: Final = GENERIC_DELETE_REASON

    def __init__(self, amika: AmikaClient, *, redactor: Redactor | None = None) -> None:
        self._amika = amika
        self._learn: Callable[..., None] | None = redactor.add_typed if redactor is not None else None
        self.in_flight = InFlight()
        """A create, update or delete identical to one still out is not sent again."""

    def _sending(self, value: str, parsed: dict[str, Any] | None = None) -> None:
        """A value is about to go out: a server may echo it from now on, anywhere."""
        if self._learn is None:
            return
        forms = list(_echo_forms(value))
        for leaf in _strings_in(parsed) if parsed is not None else ():
            if len(leaf) >= TYPED_ECHO_MIN:
                forms.extend(_echo_forms(leaf))
        self._learn(*forms)

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
        with self.in_flight.claim(("create", scope, name), f"creating secret {quoted(name)}", subject=name):
            error: SecretError
            try:
                self._sending(value)
                return await self._amika.create_secret(name, value, scope)
            except AmikaError as exc:
                # Built here, raised below: raised inside this block it would keep `exc` (and the server's
                # echo of the value in it) as its __context__.
                status = error_status(exc)
                why = why_failed(exc, secrets=_secrets_of(value))
                if status == 409:
                    error = SecretError(
                        f"A secret named {quoted(name)} already exists: update its value instead ({why})",
                        subject=name, status=409,
                    )
                else:
                    error = SecretError(f"Could not create secret {quoted(name)}: {why}", subject=name,
                                        status=status)
            raise error from None  # no __cause__ or __context__: outside the except block

    async def update(self, secret_id: str, value: str, *, name: str | None = None) -> Secret | None:
        """Replace a generic secret's value (``name`` only makes the messages clearer)."""
        _check_id(secret_id, "secret")
        validate_secret_value(value)
        label = quoted(name) if name else quoted(secret_id)
        with self.in_flight.claim(("update", secret_id), f"updating secret {label}", subject=secret_id):
            error: SecretError
            try:
                self._sending(value)
                return await self._amika.update_secret(secret_id, value)
            except AmikaError as exc:  # the error is raised after this block: see create()
                status = error_status(exc)
                why = why_failed(exc, secrets=_secrets_of(value))
                if status == 404:
                    error = SecretError(f"Secret {label} no longer exists ({why})", subject=secret_id,
                                        status=404)
                else:
                    error = SecretError(f"Could not update secret {label}: {why}", subject=secret_id,
                                        status=status)
            raise error from None  # no __cause__ or __context__: outside the except block

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
        parsed: dict[str, Any] | None = None
        if type == "oauth":
            parsed = _parse_oauth(provider, value)
        else:
            value = validate_api_key_value(value)
        doing = f"creating {provider} credential {quoted(name)}"
        with self.in_flight.claim(("create", provider, name), doing, subject=name):
            error: SecretError
            try:
                self._sending(value, parsed)
                return await self._amika.create_provider_secret(provider, name, value, type)
            except AmikaError as exc:  # the error is raised after this block: see create()
                status = error_status(exc)
                why = why_failed(exc, secrets=_secrets_of(value, parsed))
                if status == 409:
                    error = SecretError(
                        f"A {provider} credential named {quoted(name)} already exists (or the org already "
                        f"has one): delete it first ({why})",
                        subject=name, status=409,
                    )
                else:
                    error = SecretError(f"Could not create {provider} credential {quoted(name)}: {why}",
                                        subject=name, status=status)
            raise error from None  # no __cause__ or __context__: outside the except block

    async def delete_provider(self, provider: str, secret_id: str, *, name: str | None = None) -> None:
        """Delete a claude/codex credential (404: it is already gone, said plainly)."""
        _check_provider(provider)
        _check_id(secret_id, "credential")
        label = quoted(name) if name else quoted(secret_id)
        doing = f"deleting {provider} credential {label}"
        with self.in_flight.claim(("delete", provider, secret_id), doing, subject=secret_id):
            try:
                await self._amika.delete_provider_secret(provider, secret_id)
            except AmikaError as exc:
                status = error_status(exc)
                if status == 404:
                    raise SecretError(
                        f"The {provider} credential {label} was already deleted ({why_failed(exc)})",
                        subject=secret_id, status=404,
                    ) from None
                raise failure(f"Could not delete {provider} credential {label}", exc, subject=secret_id,
                              error=SecretError) from None
