"""Response models of the Amika API (``/api/v0beta1``), named and shaped as on the wire.

Every field has an empty default and a forgiving type (see ``_types``): the Amika server adds fields and
states over time, and a listing must keep rendering when it does. List fields are tuples so a stored snapshot
cannot be mutated by accident.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import AliasChoices, BeforeValidator, Field

from ._types import (
    Bool,
    JsonObject,
    OptFloat,
    OptInt,
    OptStr,
    OptWord,
    Str,
    StrList,
    Timestamp,
    WireModel,
    Word,
    dict_or_none,
    dicts_only,
)

__all__ = [
    "FAILED_STATES",
    "READY_STATES",
    "STOPPED_STATES",
    "AgentSendResult",
    "CreatedBy",
    "DaytonaSnapshotInfo",
    "ProviderSecret",
    "ResolvedAgentCredential",
    "SSHInfo",
    "Sandbox",
    "SandboxService",
    "SandboxSnapshot",
    "SandboxState",
    "ScrubPreview",
    "Secret",
    "Session",
    "SessionStatus",
    "SnapshotMode",
    "SnapshotState",
    "is_deleted_state",
]


class SandboxState(StrEnum):
    """Known values of ``Sandbox.state``. The field itself stays a plain ``str``: servers may add states."""

    INITIALIZING = "initializing"
    ACTIVE = "active"
    RUNNING = "running"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"
    DELETING = "deleting"
    DELETED = "deleted"
    SNAPSHOTTING = "snapshotting"


#: States in which a sandbox is usable. Different providers report different words (Daytona says ``started``).
READY_STATES: Final[frozenset[str]] = frozenset({"active", "running", "started"})
#: The states ``wait_for_sandbox_stop`` waits for.
STOPPED_STATES: Final[frozenset[str]] = frozenset({"stopped"})
#: States that end every wait helper with an error.
FAILED_STATES: Final[frozenset[str]] = frozenset({"failed"})


def is_deleted_state(state: str) -> bool:
    """A sandbox whose state mentions deletion (``deleting``, ``deleted``, ...) is on its way out and must
    never be shown as live; the SDK's functional tests match ``/delet/i`` for the same reason."""
    return "delet" in state.lower()


class SessionStatus(StrEnum):
    """Known values of ``Session.status``."""

    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


class CreatedBy(WireModel):
    """Who created a sandbox; both fields are null for API-key principals and deleted users."""

    name: OptWord = None
    email: OptWord = None


class SandboxService(WireModel):
    """A port a sandbox exposes. The wire uses camelCase for the port keys; both spellings are accepted."""

    name: Str = ""
    url: OptStr = None
    host_port: OptInt = Field(default=None, validation_alias=AliasChoices("hostPort", "host_port"))
    container_port: OptInt = Field(
        default=None, validation_alias=AliasChoices("containerPort", "container_port")
    )
    protocol: OptWord = None


class ResolvedAgentCredential(WireModel):
    """What the server did about one agent's credentials at create time (``outcome`` resolved or skipped)."""

    kind: Str = ""
    outcome: Str = ""
    name: OptWord = None
    type: OptStr = None
    source: OptStr = None
    reason: OptStr = None


class Sandbox(WireModel):
    """A remote sandbox. ``state`` is the field to poll; ``status`` is the provider's own and is ignored."""

    id: Str = ""
    name: Str = ""
    state: Word = ""
    user_id: OptWord = None
    org_id: Word = ""
    provider: OptWord = None
    provider_sandbox_id: OptStr = None
    provider_url: OptStr = None
    amika_opencode_web: OptStr = None
    repo_name: OptWord = None
    repo_provider: OptWord = None
    repo_id: OptWord = None
    repo_url: OptWord = None
    branch: OptWord = None
    commit_hash: OptStr = None
    snapshot: OptWord = None
    snapshot_name: OptWord = None
    sandbox_preset: OptWord = None
    sandbox_size: OptWord = None
    current_session_id: OptStr = None
    error_message: OptWord = None
    status: OptWord = None
    setup_status: OptWord = None
    origin: OptWord = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    urls_expire_at: Timestamp = None
    services: Annotated[tuple[SandboxService, ...], BeforeValidator(dicts_only)] = ()
    secret_names: StrList = ()
    has_workflow: Bool = False
    resolved_agent_credentials: Annotated[
        tuple[ResolvedAgentCredential, ...], BeforeValidator(dicts_only)
    ] = ()
    created_by: Annotated[CreatedBy | None, BeforeValidator(dict_or_none)] = None


class SSHInfo(WireModel):
    """SSH access to a sandbox. ``ssh_destination`` is an argument string (``-p 2222 TOKEN@host``), not a
    host.

    The token and the destination (which embeds it) are hidden from ``repr`` so logging the object is safe.
    """

    ssh_destination: Str = Field(default="", repr=False)
    token: Str = Field(default="", repr=False)
    expires_at: Timestamp = None
    repo_name: OptStr = None
    sandbox_id: OptStr = None
    sandbox_name: OptStr = None


class AgentSendResult(WireModel):
    """The agent's answer to one message; ``is_error`` means the agent ran but reported failure."""

    response: Str = ""
    session_id: Str = ""
    is_error: Bool = False
    is_new_session: Bool = False
    agent_session_id: OptStr = None
    cost_usd: OptFloat = None


class Session(WireModel):
    """A per-sandbox agent session record."""

    id: Str = ""
    sandbox_id: Str = ""
    org_id: Str = ""
    agent_name: Str = ""
    status: Str = ""
    started_at: Timestamp = None
    ended_at: Timestamp = None
    metadata: JsonObject = Field(default_factory=dict)
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Secret(WireModel):
    """A generic secret's summary (never its value); ``scope`` is ``user`` or ``org``."""

    id: Str = ""
    org_id: Str = ""
    user_id: OptStr = None
    name: Str = ""
    description: OptStr = None
    scope: Str = ""
    created_at: Timestamp = None
    updated_at: Timestamp = None


class ProviderSecret(WireModel):
    """An AI-provider credential's summary (``type`` ``oauth`` or ``api_key``)."""

    id: Str = ""
    name: Str = ""
    type: Str = ""
    scope: Str = ""


class SnapshotState(StrEnum):
    """Known values of ``SandboxSnapshot.state``: ``capturing`` after the 202, then ``active``/``failed``."""

    CAPTURING = "capturing"
    ACTIVE = "active"
    FAILED = "failed"


class SnapshotMode(StrEnum):
    """How a snapshot is captured. ``scrub_and_delete`` (the server's default) leaves out credentials and
    secret environment values and deletes the source sandbox once captured; ``full`` keeps both."""

    SCRUB_AND_DELETE = "scrub_and_delete"
    FULL = "full"


class DaytonaSnapshotInfo(WireModel):
    """The Daytona side of a snapshot (camelCase on the wire; both spellings accepted)."""

    name: Str = ""
    state: OptWord = None
    image_name: OptStr = Field(default=None, validation_alias=AliasChoices("imageName", "image_name"))
    cpu: OptFloat = None
    memory: OptFloat = None
    disk: OptFloat = None
    created_at: Timestamp = Field(default=None, validation_alias=AliasChoices("createdAt", "created_at"))
    updated_at: Timestamp = Field(default=None, validation_alias=AliasChoices("updatedAt", "updated_at"))


class SandboxSnapshot(WireModel):
    """A captured sandbox a new sandbox can boot from (``create_sandbox(snapshot=<snapshot>)``).

    ``snapshot`` is the slug to boot from; ``source_sandbox_name`` the sandbox it was captured from.
    """

    id: Str = ""
    snapshot: Word = ""
    provider: OptWord = None
    description: OptStr = None
    source_sandbox_id: OptWord = None
    source_sandbox_name: OptWord = None
    repository_id: OptWord = None
    repository_url: OptWord = None
    base_snapshot: OptWord = None
    sandbox_preset: OptWord = None
    sandbox_size: OptWord = None
    capture_mode: OptWord = None
    state: Word = ""
    error_message: OptWord = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    daytona: Annotated[DaytonaSnapshotInfo | None, BeforeValidator(dict_or_none)] = None


class ScrubPreview(WireModel):
    """What a ``scrub_and_delete`` snapshot of a sandbox would leave out: file paths and the names of the
    environment variables whose values are dropped (never the values)."""

    files: StrList = ()
    env_vars: StrList = ()
