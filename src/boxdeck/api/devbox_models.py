"""Models of the Latitude Devbox Provider API (``/api/v1``): responses as on the wire, plus the two request
shapes ``create`` accepts.

Every response field has an empty default and a forgiving type (see ``_types``), so a server that omits or
mistypes a field degrades to an empty value instead of an exception.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ._types import Bool, Float, Int, OptInt, OptStr, Str, Timestamp, WireModel, Word

__all__ = [
    "OPERATION_STEPS",
    "READY_STATE",
    "TERMINAL_STATES",
    "AccessSession",
    "CredentialProfile",
    "Devbox",
    "DevboxRepository",
    "DevboxRepositoryRequest",
    "DevboxState",
    "ExecSession",
    "GitHubConnection",
    "GitHubOrg",
    "GitHubRepo",
    "OAuthStart",
    "Operation",
    "OperationStatus",
    "OrgGrantsResult",
    "SshAccess",
    "UserProfile",
]


class DevboxState(StrEnum):
    """Known values of ``Devbox.state``; the field itself stays a plain ``str``."""

    REQUESTED = "requested"
    PROVISIONING = "provisioning"
    READY = "ready"
    STOPPED = "stopped"
    DESTROYED = "destroyed"
    FAILED = "failed"


READY_STATE: Final = "ready"
#: States that end ``wait_for_ready`` with an error. The seed's set: SDK 0.2.0 omits ``stopped`` and would
#: poll a stopped box until the timeout, which tells the user nothing.
TERMINAL_STATES: Final[frozenset[str]] = frozenset({"failed", "destroyed", "stopped"})


class OperationStatus(StrEnum):
    """Known values of ``Operation.status``."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    DELETED = "deleted"


#: The provisioning steps, in the order the server runs them.
OPERATION_STEPS: Final = ("provision", "inject_credentials", "clone_repositories", "publish_access")


class Devbox(WireModel):
    id: Str = ""
    name: Str = ""
    state: Word = ""
    created_at: Timestamp = None
    access_url: OptStr = None


class Operation(WireModel):
    """One provisioning step record; ``message`` explains a failure."""

    id: Str = ""
    step: Word = ""
    status: Word = ""
    message: Str = ""
    created_at: Timestamp = None


class DevboxRepository(WireModel):
    """A repository mounted in a devbox; ``clone_status`` is an undocumented free string."""

    installation_id: Int = 0
    repo_id: Int = 0
    full_name: Str = ""
    ref: Str = ""
    target_path: Str = ""
    clone_status: Word = ""
    clone_error: OptStr = None


class SshAccess(WireModel):
    """How to reach a devbox over SSH. With ``proxy_command`` set, ``ssh_port`` is the sshd port behind the
    proxy."""

    host: Str = ""
    port: Int = 0
    username: Str = ""
    workspace_path: Str = ""
    host_key_fingerprint: OptStr = None
    proxy_command: OptStr = None
    ssh_port: OptInt = None
    proxy_host: OptStr = None


def _object_or_empty(value: object) -> object:
    return value if isinstance(value, dict | BaseModel) else {}


class AccessSession(WireModel):
    """An SSH access session; ``command`` is ready to run."""

    session_id: Str = ""
    expires_at: Timestamp = None
    command: Str = ""
    ssh: Annotated[SshAccess, BeforeValidator(_object_or_empty)] = Field(default_factory=SshAccess)


class ExecSession(WireModel):
    """A running exec session inside a devbox (note the wire name ``created``, not ``created_at``)."""

    id: Str = ""
    command: Str = ""
    workdir: Str = ""
    created: Timestamp = None
    is_active: Bool = False
    tty: Bool = False
    last_activity: Timestamp = None
    bytes_per_second: Float = 0.0


class UserProfile(WireModel):
    has_ssh_key: Bool = False


class OAuthStart(WireModel):
    """Where to send the user to connect GitHub; ``state`` is the OAuth CSRF value, not a devbox state."""

    authorize_url: Str = ""
    state: Str = ""
    expires_at: Timestamp = None


class GitHubConnection(WireModel):
    github_login: Str = ""
    github_user_id: Int = 0
    connected_at: Timestamp = None


class GitHubRepo(WireModel):
    repo_id: Int = 0
    full_name: Str = ""
    default_branch: Str = ""
    private: Bool = False
    granted: Bool = False


class GitHubOrg(WireModel):
    org_login: Str = ""
    granted: Bool = False


class OrgGrantsResult(WireModel):
    selected_count: Int = 0


# ----------------------------------------------------------------------------------------------- requests


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class DevboxRepositoryRequest(_Request):
    """A repository to mount at create time. Plain dicts with the same keys are accepted too."""

    repo_id: int
    full_name: str
    target_path: str
    ref: str = "main"


class CredentialProfile(_Request):
    """Which of the create-time agent tokens the server should inject."""

    inject_codex_token: bool = False
    inject_claude_token: bool = False
