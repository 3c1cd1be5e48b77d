"""Server-side Devbox models, from the schemas SDK 0.2.0 ships (never shared with the client package).

Pydantic v2 defaults and types give the same 422 bodies the real FastAPI service produces.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from boxdeck.sim.devbox_state import valid_openssh_key

DevboxStateName = Literal["requested", "provisioning", "ready", "stopped", "destroyed", "failed"]


class DevboxRepositoryRequest(BaseModel):
    repo_id: int
    full_name: str
    ref: str = "main"
    target_path: str


class CredentialProfileRequest(BaseModel):
    inject_codex_token: bool = False
    inject_claude_token: bool = False


class CreateDevboxRequest(BaseModel):
    name: str
    plan: str = "small"
    repository: str = ""
    branch: str = "main"
    repositories: list[DevboxRepositoryRequest] | None = None
    credential_profile: CredentialProfileRequest | None = None
    env: dict[str, str] | None = None
    setup_commands: list[str] | None = None
    setup_timeout_seconds: int = 900


class SetSshKeyBody(BaseModel):
    public_key: str

    @field_validator("public_key")
    @classmethod
    def _openssh(cls, v: str) -> str:
        if not valid_openssh_key(v):
            raise ValueError("public_key is not a valid OpenSSH public key")
        return v


class OAuthStartRequest(BaseModel):
    return_url: str


class OrgGrantsUpsertRequest(BaseModel):
    org_logins: list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DevboxResponse(_Strict):
    id: str
    name: str
    state: DevboxStateName
    created_at: str
    access_url: str | None = None


class OperationResponse(_Strict):
    id: str
    step: str
    status: Literal["pending", "success", "failed", "deleted"]
    message: str
    created_at: str


class OperationsListResponse(_Strict):
    data: list[OperationResponse]


class DevboxRepositoryResponse(_Strict):
    installation_id: int
    repo_id: int
    full_name: str
    ref: str
    target_path: str
    clone_status: str
    clone_error: str | None = None


class DevboxRepositoriesListResponse(_Strict):
    data: list[DevboxRepositoryResponse]


class SshAccessResponse(_Strict):
    host: str
    port: int
    username: str
    workspace_path: str
    host_key_fingerprint: str | None = None
    proxy_command: str | None = None
    ssh_port: int | None = None
    proxy_host: str | None = None


class CreateAccessSessionResponse(_Strict):
    session_id: str
    expires_at: str
    command: str
    ssh: SshAccessResponse


class ExecSessionResponse(_Strict):
    id: str
    command: str
    workdir: str
    created: str
    is_active: bool
    tty: bool
    last_activity: str | None = None
    bytes_per_second: float


class ExecSessionsListResponse(_Strict):
    data: list[ExecSessionResponse]


class UserProfileResponse(_Strict):
    has_ssh_key: bool


class OAuthStartResponse(_Strict):
    authorize_url: str
    state: str
    expires_at: str


class OAuthConnectionResponse(_Strict):
    github_login: str
    github_user_id: int
    connected_at: str


class RepositoryResponse(_Strict):
    repo_id: int
    full_name: str
    default_branch: str
    private: bool
    granted: bool


class RepositoriesListResponse(_Strict):
    data: list[RepositoryResponse]


class OrgResponse(_Strict):
    org_login: str
    granted: bool


class OrgsListResponse(_Strict):
    data: list[OrgResponse]


class OrgGrantsUpsertResponse(_Strict):
    selected_count: int


class HTTPErrorBody(_Strict):
    detail: str
