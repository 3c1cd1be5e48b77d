"""Server-side Amika models, written from the wire reference (never shared with the client package).

Request models validate what the real service validates (its OpenAPI); response models exist for /docs and
for the test that keeps the simulator's hand-built JSON honest (`extra="forbid"` there catches drift).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Kind = Literal["claude", "codex"]
CredType = Literal["oauth", "api_key"]


class AgentCredentialRef(BaseModel):
    kind: Kind
    name: str | None = Field(default=None, min_length=1)
    type: CredType | None = None
    none: Literal[True] | None = None


class CreateSandboxRequest(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=40)
    provider: Literal["local-docker", "daytona", "freestyle", "vercel", "e2b"] | None = None
    repo_url: str | None = None
    auto_stop_interval: int | None = Field(default=None, ge=0, le=10080)
    auto_delete_interval: int | None = Field(default=None, ge=-1, le=10080)
    env_vars: dict[str, str] = Field(default_factory=dict)
    secret_env_vars: dict[str, str] = Field(default_factory=dict)
    preset: Literal["coder", "coder-dind"] | None = None
    size: Literal["xs", "m", "l", "xl"] | None = None
    snapshot: str | None = Field(default=None, min_length=1)
    setup_script_text: str | None = None
    agent_credentials: list[AgentCredentialRef] = Field(default_factory=list)
    branch: str | None = Field(default=None, min_length=1)
    new_branch_name: str | None = Field(default=None, min_length=1)
    github_auth_mode: Literal["pat", "app_token"] | None = None

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or any(ord(c) < 32 or ord(c) == 127 for c in v)):
            raise ValueError("name must be printable and not blank")
        return v


class RevokeSSHRequest(BaseModel):
    token: str = Field(min_length=1)


class CreateSnapshotRequest(BaseModel):
    sandbox_ref: str | None = Field(default=None, min_length=1)
    sandbox_id: str | None = Field(default=None, min_length=1)
    sandbox_name: str | None = Field(default=None, min_length=1)
    name: str = Field(min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=500)
    mode: Literal["scrub_and_delete", "full"] | None = None


By = Literal["name", "id", "ref", "name_or_id"]


class AgentSendRequest(BaseModel):
    message: str = Field(min_length=1)
    new_session: bool | None = None
    session_id: str | None = None
    agent: Kind | None = None


class CreateSessionRequest(BaseModel):
    agent_name: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None


class UpdateSessionRequest(BaseModel):
    status: Literal["active", "completed", "failed"] | None = None
    metadata: dict[str, Any] | None = None


class CreateSecretRequest(BaseModel):
    name: str = Field(min_length=1)
    value: str = Field(min_length=1)
    scope: Literal["user", "org"] = "user"
    description: str | None = None


class UpdateSecretRequest(BaseModel):
    name: str | None = Field(default=None, min_length=1)
    value: str | None = Field(default=None, min_length=1)
    scope: Literal["user", "org"] | None = None
    description: str | None = None


class CreateProviderSecretRequest(BaseModel):
    name: str = Field(min_length=1)
    value: str = Field(min_length=1)
    type: CredType
    scope: Literal["user", "org"] = "user"


# -- responses (docs + drift test) ---------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Service(_Strict):
    name: str
    url: str | None
    hostPort: int | None
    containerPort: int | None
    protocol: str


class CreatedBy(_Strict):
    name: str | None
    email: str | None


class Sandbox(_Strict):
    id: str
    user_id: str | None
    org_id: str
    name: str
    provider: str | None
    provider_sandbox_id: str | None
    provider_url: str | None
    amika_opencode_web: str | None
    repo_name: str | None
    repo_provider: str | None
    repo_id: str | None
    repo_url: str | None
    branch: str | None
    commit_hash: str | None
    snapshot: str | None
    current_session_id: str | None
    services: list[Service] | None
    created_at: str
    updated_at: str
    snapshot_name: str | None
    sandbox_preset: str | None
    sandbox_size: str | None
    error_message: str | None
    state: str
    status: str | None
    setup_status: str | None
    urls_expire_at: str | None
    secret_names: list[str]
    has_workflow: bool
    resolved_agent_credentials: list[dict[str, Any]] | None
    created_by: CreatedBy | None
    origin: str | None


class SSHInfo(_Strict):
    ssh_destination: str
    token: str
    expires_at: str
    repo_name: str | None
    sandbox_id: str
    sandbox_name: str


class AgentSendResponse(_Strict):
    session_id: str
    response: str
    is_error: bool
    is_new_session: bool
    agent_session_id: str | None
    cost_usd: float | None


class Session(_Strict):
    id: str
    sandbox_id: str
    org_id: str
    agent_name: str
    status: str
    started_at: str
    ended_at: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class SessionList(_Strict):
    sessions: list[Session]
    total: int


class SecretSummary(_Strict):
    id: str
    org_id: str
    user_id: str | None
    name: str
    description: str | None
    scope: Literal["user", "org"]
    created_at: str
    updated_at: str


class ProviderSecret(_Strict):
    id: str
    name: str
    type: CredType
    scope: Literal["user", "org"]


class DaytonaSnapshot(_Strict):
    name: str
    state: str | None
    imageName: str | None
    cpu: int | None
    memory: int | None
    disk: int | None
    createdAt: str | None
    updatedAt: str | None


class SandboxSnapshot(_Strict):
    id: str
    snapshot: str
    provider: str
    description: str | None
    source_sandbox_id: str | None
    source_sandbox_name: str | None
    repository_id: str | None
    repository_url: str | None
    base_snapshot: str | None
    sandbox_preset: str | None
    sandbox_size: str | None
    capture_mode: Literal["scrub_and_delete", "full"] | None
    state: str
    error_message: str | None
    created_at: str
    updated_at: str
    daytona: DaytonaSnapshot | None


class SnapshotList(_Strict):
    items: list[SandboxSnapshot]


class ScrubPreview(_Strict):
    files: list[str]
    env_vars: list[str]


class Ok(_Strict):
    ok: bool = True


class AmikaErrorBody(_Strict):
    type: Literal["error"] = "error"
    code: str
    message: str
    details: list[dict[str, Any]] | None = None
