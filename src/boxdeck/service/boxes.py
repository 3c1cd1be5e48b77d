"""One row type for both APIs.

The UI, the diffing and the notifications reason about "a box" without caring which API it came from: a
`Box` carries the few fields every screen needs plus the untouched api model for everything else. States stay
the server's strings (unknown ones must not break anything); `StateKind` is the coarse reading the cadence,
colours and notifications need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boxdeck.api.amika_models import Sandbox
    from boxdeck.api.devbox_models import Devbox

__all__ = [
    "PENDING_CREATING",
    "PENDING_DELETING",
    "PENDING_SNAPSHOTTING",
    "PENDING_STARTING",
    "PENDING_STOPPING",
    "Backend",
    "Box",
    "StateKind",
    "action_verb",
    "backend_of",
    "is_deleted_amika_state",
    "known_states",
    "normalize_pending",
    "state_kind",
]


class Backend(StrEnum):
    AMIKA = "amika"
    DEVBOX = "devbox"


class StateKind(StrEnum):
    READY = "ready"
    TRANSITIONAL = "transitional"
    STOPPED = "stopped"
    FAILED = "failed"
    GONE = "gone"
    UNKNOWN = "unknown"


PENDING_CREATING = "creating"
PENDING_STARTING = "starting"
PENDING_STOPPING = "stopping"
PENDING_DELETING = "deleting"
#: A `scrub_and_delete` snapshot was asked for: the sandbox is being captured, then deleted.
PENDING_SNAPSHOTTING = "snapshotting"

_PENDING_NAMES = {
    "create": PENDING_CREATING,
    "start": PENDING_STARTING,
    "stop": PENDING_STOPPING,
    "delete": PENDING_DELETING,
    "snapshot": PENDING_SNAPSHOTTING,
}

_VERBS = {pending: verb for verb, pending in _PENDING_NAMES.items()}

_AMIKA_KINDS: dict[str, StateKind] = {
    "active": StateKind.READY,
    "running": StateKind.READY,
    "started": StateKind.READY,
    "initializing": StateKind.TRANSITIONAL,
    "starting": StateKind.TRANSITIONAL,
    "creating": StateKind.TRANSITIONAL,
    "pending": StateKind.TRANSITIONAL,
    "provisioning": StateKind.TRANSITIONAL,
    "restarting": StateKind.TRANSITIONAL,
    "stopping": StateKind.TRANSITIONAL,
    "suspending": StateKind.TRANSITIONAL,
    "snapshotting": StateKind.TRANSITIONAL,
    "stopped": StateKind.STOPPED,
    "suspended": StateKind.STOPPED,
    "exited": StateKind.STOPPED,
    "failed": StateKind.FAILED,
    "error": StateKind.FAILED,
    "deleting": StateKind.GONE,
    "deleted": StateKind.GONE,
}
_DEVBOX_KINDS: dict[str, StateKind] = {
    "ready": StateKind.READY,
    "requested": StateKind.TRANSITIONAL,
    "provisioning": StateKind.TRANSITIONAL,
    "stopped": StateKind.STOPPED,
    "failed": StateKind.FAILED,
    "destroyed": StateKind.GONE,
}
_KINDS = {Backend.AMIKA: _AMIKA_KINDS, Backend.DEVBOX: _DEVBOX_KINDS}
_DELET = re.compile("delet", re.IGNORECASE)


def state_kind(backend: Backend, state: str) -> StateKind:
    """Coarse meaning of a server state; anything unrecognised is UNKNOWN, never an error."""
    kind = _KINDS[backend].get(state)
    if kind is None:
        kind = _KINDS[backend].get(state.strip().lower(), StateKind.UNKNOWN)
        if kind is StateKind.UNKNOWN and backend is Backend.AMIKA and _DELET.search(state):
            kind = StateKind.GONE
    return kind


def known_states(backend: Backend | None = None) -> tuple[str, ...]:
    """The server states boxdeck knows the meaning of (of one backend, or of both), sorted."""
    backends = [backend] if backend is not None else list(Backend)
    return tuple(sorted({state for b in backends for state in _KINDS[b]}))


def is_deleted_amika_state(state: str) -> bool:
    """Amika keeps a deleted sandbox around for a while in a `delet…` state; it is not live any more."""
    return _DELET.search(state) is not None


def normalize_pending(action: str) -> str:
    """Accept the verb ("start") or the pending word ("starting") for an optimistic action."""
    return _PENDING_NAMES.get(action, action)


def action_verb(action: str) -> str:
    """The verb for a pending word ("starting" -> "start"); unknown words pass through."""
    return _VERBS.get(action, action)


def backend_of(key: str) -> Backend:
    """Row keys are `"<backend>:<id>"`; the prefix says which API a key belongs to."""
    prefix, sep, _ = key.partition(":")
    if not sep:
        raise ValueError(f"not a box key: {key!r}")
    return Backend(prefix)


def devbox_key(devbox_id: str) -> str:
    """The row key of a devbox (its `Box.key`)."""
    return f"devbox:{devbox_id}"


@dataclass(frozen=True, slots=True)
class Box:
    """A sandbox or a devbox as a row: stable `key`, the `ref` API paths take, and the api model."""

    backend: Backend
    key: str
    ref: str
    name: str
    state: str
    pending: str | None
    created_at: datetime | None
    sandbox: Sandbox | None = None
    devbox: Devbox | None = None

    @property
    def display_state(self) -> str:
        return self.pending or self.state

    @property
    def kind(self) -> StateKind:
        if self.pending:
            return StateKind.TRANSITIONAL
        return state_kind(self.backend, self.state)

    @property
    def state_kind(self) -> StateKind:
        """The server state's kind, ignoring any optimistic pending action."""
        return state_kind(self.backend, self.state)

    @property
    def error_message(self) -> str | None:
        """The server's failure reason when it has one on the box itself (Amika only)."""
        if self.sandbox is not None:
            return self.sandbox.error_message or None
        return None

    def with_pending(self, pending: str | None) -> Box:
        return self if pending == self.pending else replace(self, pending=pending)

    @classmethod
    def from_sandbox(cls, sandbox: Sandbox, *, pending: str | None = None) -> Box:
        ident = sandbox.id or sandbox.name
        return cls(
            backend=Backend.AMIKA,
            key=f"amika:{ident}",
            ref=sandbox.name or sandbox.id,
            name=sandbox.name or sandbox.id,
            state=sandbox.state or "",
            pending=pending,
            created_at=sandbox.created_at,
            sandbox=sandbox,
            devbox=None,
        )

    @classmethod
    def from_devbox(cls, devbox: Devbox, *, pending: str | None = None) -> Box:
        return cls(
            backend=Backend.DEVBOX,
            key=devbox_key(devbox.id),
            ref=devbox.id,
            name=devbox.name or devbox.id,
            state=devbox.state or "",
            pending=pending,
            created_at=devbox.created_at,
            sandbox=None,
            devbox=devbox,
        )
