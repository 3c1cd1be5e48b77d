"""What a person needs to know about a box, first, in words: the fields of the detail pane.

The wire models carry everything the server sends, in its own names (``has_workflow False``, services as
``name=…, host_port=…``). The detail pane shows these labelled, formatted fields instead, built from the typed
models (a renamed field is a type error here, not a silent "-"); the raw fields stay one key away
(:func:`raw_fields`). Values are the server's text, unsanitized: the UI shows them literally.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from boxdeck.api.amika_models import Sandbox
from boxdeck.api.devbox_models import Devbox

__all__ = ["Field", "FieldKind", "devbox_fields", "raw_fields", "sandbox_fields"]

FieldKind = Literal["text", "token", "time", "expiry"]
"""How a value is shown: ``token`` (an id, a URL, a hash) is cut with an ellipsis rather than wrapped
mid-token; ``time`` is relative to now and keeps ticking ("3h ago"); ``expiry`` counts down."""


@dataclass(frozen=True)
class Field:
    label: str
    value: str = ""
    kind: FieldKind = "text"
    at: datetime | None = None
    """The instant of a ``time`` or ``expiry`` field (its `value` is then empty)."""


def _text(label: str, value: str | None) -> Iterator[Field]:
    if value:
        yield Field(label, value)


def _token(label: str, value: str | None) -> Iterator[Field]:
    if value:
        yield Field(label, value, "token")


def _time(label: str, at: datetime | None, kind: FieldKind = "time") -> Iterator[Field]:
    if at is not None:
        yield Field(label, kind=kind, at=at)


def sandbox_fields(sandbox: Sandbox) -> list[Field]:
    """The sandbox's fields in the order a person reads them; empty ones are left out."""
    fields: list[Field] = []
    fields += _text("Setup", sandbox.setup_status)
    fields += _token("Repository", sandbox.repo_url or sandbox.repo_name)
    fields += _text("Branch", sandbox.branch)
    fields += _token("Commit", (sandbox.commit_hash or "")[:12])
    fields += _text("Provider", sandbox.provider)
    size = " · ".join(part for part in (sandbox.sandbox_size, sandbox.sandbox_preset) if part)
    fields += _text("Size", size)
    fields += _text("Snapshot", sandbox.snapshot_name or sandbox.snapshot)
    fields += _time("Created", sandbox.created_at)
    creator = sandbox.created_by
    if creator is not None:
        who = creator.name or ""
        if creator.email:
            who = f"{who} <{creator.email}>" if who else creator.email
        fields += _text("Created by", who)
    fields += _time("Updated", sandbox.updated_at)
    for service in sandbox.services:
        port = service.container_port or service.host_port
        name = f"{service.name or 'service'}" + (f" :{port}" if port else "")
        fields += _token(f"Service {name}", service.url or "(no URL)")
    fields += _token("Web IDE", sandbox.amika_opencode_web)
    fields += _token("Provider URL", sandbox.provider_url)
    fields += _time("URLs expire", sandbox.urls_expire_at, "expiry")
    fields += _text("Secrets", ", ".join(sandbox.secret_names))
    for credential in sandbox.resolved_agent_credentials:
        what = credential.outcome or "?"
        if credential.type:
            what += f" ({credential.type})"
        if credential.reason:
            what += f": {credential.reason}"
        fields += _text(f"{credential.kind or 'Agent'} credentials", what)
    if sandbox.has_workflow:
        fields.append(Field("Workflow", "yes"))
    fields += _token("Session", sandbox.current_session_id)
    fields += _token("ID", sandbox.id)
    return fields


def devbox_fields(devbox: Devbox) -> list[Field]:
    fields: list[Field] = []
    fields += _time("Created", devbox.created_at)
    fields += _token("Access URL", devbox.access_url)
    fields += _token("ID", devbox.id)
    return fields


def raw_fields(model: BaseModel) -> list[tuple[str, Any]]:
    """Every field as the server named it (extra wire fields too), values as parsed: the "raw" view."""
    return list(model.model_dump().items())
