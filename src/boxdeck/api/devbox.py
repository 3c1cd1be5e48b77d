"""Async client for the Latitude Devbox Provider API (``/api/v1``), a port of the ``@latitudesh/devbox`` SDK.

Resources hang off the client as in the SDK: ``client.devboxes``, ``client.users``, ``client.github``.

Path ids are percent-encoded as one segment. The published SDK interpolates them raw (an id ``a/b`` would
address another resource); encoding changes nothing for real ids, which are UUID-like, and closes that hole.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import httpx
from pydantic import BaseModel

from ._body import DEFAULT_MAX_BODY_BYTES
from ._http import (
    DEFAULT_TIMEOUT,
    ApiClient,
    ErrorTypes,
    HttpCore,
    RequestObserver,
    check_token,
    normalize_base_url,
    path_segment,
)
from ._memo import ListMemo
from ._parse import parse_many, parse_one, parse_optional
from .devbox_models import (
    READY_STATE,
    TERMINAL_STATES,
    AccessSession,
    CredentialProfile,
    Devbox,
    DevboxRepository,
    DevboxRepositoryRequest,
    ExecSession,
    GitHubConnection,
    GitHubOrg,
    GitHubRepo,
    OAuthStart,
    Operation,
    OrgGrantsResult,
    UserProfile,
)
from .errors import (
    DevboxApiError,
    DevboxDecodeError,
    DevboxError,
    DevboxRequestTimeoutError,
    DevboxResponseTooLargeError,
    DevboxTimeoutError,
    DevboxTransportError,
    devbox_error_detail,
)
from .tokens import StaticTokenSource, TokenSource

__all__ = [
    "API_PREFIX",
    "DEFAULT_BASE_URL",
    "DevboxClient",
    "DevboxesResource",
    "GitHubResource",
    "UsersResource",
]

DEFAULT_BASE_URL: Final = "https://api.devbox-sdk.dev"
API_PREFIX: Final = "/api/v1"
DEFAULT_TOKEN_HEADER: Final = "X-Sprites-Token"
#: The name newer servers use for the same service token; FastAPI ignores undeclared headers, so sending both
#: works against either server generation.
COMPAT_TOKEN_HEADER: Final = "X-Provider-Token"

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def _decode_error(message: str) -> Exception:
    return DevboxDecodeError(message)


def _http_error(response: httpx.Response, body: str, retry_after: float | None) -> Exception:
    reason = response.reason_phrase or "HTTP error"
    return DevboxApiError(
        response.status_code, devbox_error_detail(body, reason), retry_after=retry_after, body=body
    )


_ERRORS: Final = ErrorTypes(
    http=_http_error,
    transport=DevboxTransportError,
    timeout=DevboxRequestTimeoutError,
    decode=_decode_error,
    too_large=DevboxResponseTooLargeError,
)


def _seg(value: str, what: str) -> str:
    return path_segment(value, what=what)


def _as_source(value: str | TokenSource, what: str) -> TokenSource:
    if isinstance(value, str):
        return StaticTokenSource(check_token(value, what=what))
    if isinstance(value, TokenSource):
        return value
    raise ValueError(f"{what} must be a string or a TokenSource")


def _jsonable(value: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return dict(value)


class DevboxClient(ApiClient):
    """One Devbox account. Holds one pooled HTTP connection; use ``async with`` or call ``aclose()``.

    ``sprites_token`` (the service token) goes in ``token_header`` on every request, and by default also in
    ``X-Provider-Token`` (``compat_token_header=None`` turns that off); ``user_token`` goes in
    ``Authorization: Bearer`` when given. Either may be a ``TokenSource`` to be asked per request.
    """

    _error = DevboxError

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        sprites_token: str | TokenSource,
        user_token: str | TokenSource | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        token_header: str = DEFAULT_TOKEN_HEADER,
        compat_token_header: str | None = COMPAT_TOKEN_HEADER,
        on_request: RequestObserver | None = None,
        allow_insecure: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not sprites_token:
            raise ValueError("sprites_token is required")
        if not token_header:
            raise ValueError("token_header must not be empty")
        self._sprites = _as_source(sprites_token, "sprites_token")
        self._user = _as_source(user_token, "user_token") if user_token else None
        self._token_headers = tuple(
            dict.fromkeys(h for h in (token_header, compat_token_header) if h)  # de-duplicated, ordered
        )
        self.base_url = normalize_base_url(base_url, API_PREFIX, allow_insecure=allow_insecure)
        self._sleep = sleep
        self._clock = clock
        self._core = HttpCore(
            api="devbox",
            base_url=self.base_url,
            auth_headers=self._auth_headers,
            errors=_ERRORS,
            transport=transport,
            timeout=timeout,
            on_request=on_request,
            max_body_bytes=max_body_bytes,
        )
        self.devboxes = DevboxesResource(self)
        self.users = UsersResource(self)
        self.github = GitHubResource(self)

    async def _auth_headers(self) -> dict[str, str]:
        service = await self._token(self._sprites, "sprites_token")
        headers = dict.fromkeys(self._token_headers, service)
        if self._user is not None:
            headers["Authorization"] = "Bearer " + await self._token(self._user, "user_token")
        return headers


class DevboxesResource:
    """``/devboxes``: create, inspect and destroy devboxes and their SSH access sessions."""

    def __init__(self, client: DevboxClient) -> None:
        self._client = client
        self._list: ListMemo[Devbox] = ListMemo(Devbox, key="data")

    async def create(
        self,
        name: str,
        *,
        plan: str = "small",
        repository: str = "",
        branch: str = "main",
        repositories: Sequence[Mapping[str, Any] | DevboxRepositoryRequest] | None = None,
        credential_profile: Mapping[str, Any] | CredentialProfile | None = None,
        env: Mapping[str, str] | None = None,
        setup_commands: Sequence[str] | None = None,
        setup_timeout_seconds: int = 900,
        claude_token: str | None = None,
        codex_token: str | None = None,
    ) -> Devbox:
        """Request a devbox; it comes back ``requested`` (use ``wait_for_ready``).

        The agent tokens travel only as ``X-Claude-Token`` / ``X-Codex-Token`` headers on this request, and
        only when non-empty; ``credential_profile`` says which of them the server should inject.
        """
        body: dict[str, Any] = {
            "name": name,
            "plan": plan,
            "repository": repository,
            "branch": branch,
            "setup_timeout_seconds": setup_timeout_seconds,
        }
        if repositories is not None:
            body["repositories"] = [_jsonable(repo) for repo in repositories]
        if credential_profile is not None:
            body["credential_profile"] = _jsonable(credential_profile)
        if env is not None:
            body["env"] = dict(env)
        if setup_commands is not None:
            body["setup_commands"] = list(setup_commands)
        headers: dict[str, str] = {}
        if claude_token:
            headers["X-Claude-Token"] = check_token(claude_token, what="claude_token")
        if codex_token:
            headers["X-Codex-Token"] = check_token(codex_token, what="codex_token")
        data = await self._client._call("POST", "/devboxes", body=body, headers=headers)
        return parse_one(Devbox, data, what="created devbox", error=_decode_error)

    async def list(self) -> builtins.list[Devbox]:
        """All of the user's devboxes (a bare array on the wire; a ``{"data": …}`` envelope is accepted
        too)."""
        got = await self._client._call("GET", "/devboxes", memo=self._list)
        return await self._list.models_async(
            got,
            parse=lambda data: parse_many(Devbox, data, what="devbox list", error=_decode_error, key="data"),
        )

    async def get(self, id: str) -> Devbox:
        return await self._get(id, None)

    async def _get(self, id: str, limit: float | None) -> Devbox:
        data = await self._client._call("GET", _devbox(id), timeout=limit)
        return parse_one(Devbox, data, what="devbox", error=_decode_error)

    async def delete(self, id: str) -> None:
        await self._client._call("DELETE", _devbox(id), parse=False)

    async def list_operations(self, id: str) -> builtins.list[Operation]:
        data = await self._client._call("GET", _devbox(id) + "/operations")
        return parse_many(Operation, data, what="operation list", error=_decode_error, key="data")

    async def list_repositories(self, id: str) -> builtins.list[DevboxRepository]:
        data = await self._client._call("GET", _devbox(id) + "/repositories")
        return parse_many(DevboxRepository, data, what="repository list", error=_decode_error, key="data")

    async def create_session(self, id: str) -> AccessSession:
        """Open an SSH access session. The SDK sends an empty JSON object as the body, so this does too."""
        data = await self._client._call("POST", _devbox(id) + "/access/session", body={})
        return parse_one(AccessSession, data, what="access session", error=_decode_error)

    async def list_sessions(self, id: str) -> builtins.list[ExecSession]:
        """Exec sessions running in the devbox (a different id space from the SSH access sessions)."""
        data = await self._client._call("GET", _devbox(id) + "/access/sessions")
        return parse_many(ExecSession, data, what="exec session list", error=_decode_error, key="data")

    async def revoke_session(self, devbox_id: str, session_id: str) -> None:
        path = _devbox(devbox_id) + "/access/session/" + _seg(session_id, "session id")
        await self._client._call("DELETE", path, parse=False)

    async def wait_for_ready(
        self,
        id: str,
        *,
        interval: float = 3.0,
        timeout: float = 120.0,  # noqa: ASYNC109 - the SDK's name
    ) -> Devbox:
        """Poll until the devbox is ``ready``.

        The first poll is immediate and each request is limited to the time left. A state in
        ``TERMINAL_STATES`` raises ``DevboxApiError(409, "Devbox reached terminal state: <state>")`` (the 409
        is made up here, as in the SDK); any HTTP error is raised at once, while transport failures and
        unreadable bodies are retried until the deadline, since a devbox being provisioned is often briefly
        unreachable. Out of time raises ``DevboxTimeoutError`` naming the last state actually seen.
        """
        if interval < 0:
            raise ValueError("interval must not be negative")
        clock, sleep = self._client._clock, self._client._sleep
        deadline = clock() + timeout
        last: Devbox | None = None
        while (remaining := deadline - clock()) > 0:
            try:
                devbox = await self._get(id, min(remaining, self._client._core.timeout))
            except DevboxApiError:
                raise
            except (DevboxTransportError, DevboxDecodeError):
                pass
            else:
                last = devbox
                if devbox.state == READY_STATE:
                    return devbox
                if devbox.state in TERMINAL_STATES:
                    raise DevboxApiError(409, f"Devbox reached terminal state: {devbox.state}")
            remaining = deadline - clock()
            if remaining <= 0:
                break
            await sleep(min(interval, remaining))
        raise DevboxTimeoutError(
            (last.id or "unknown") if last is not None else "unknown",
            (last.state or "unknown") if last is not None else "unknown",
        )


class UsersResource:
    """``/users/me``: the caller's profile and SSH public key."""

    def __init__(self, client: DevboxClient) -> None:
        self._client = client

    async def get_profile(self) -> UserProfile:
        data = await self._client._call("GET", "/users/me")
        return parse_one(UserProfile, data, what="user profile", error=_decode_error)

    async def set_ssh_key(self, public_key: str) -> None:
        await self._client._call("PUT", "/users/me/ssh-key", body={"public_key": public_key}, parse=False)

    async def delete_ssh_key(self) -> None:
        await self._client._call("DELETE", "/users/me/ssh-key", parse=False)


class GitHubResource:
    """``/integrations/github``: the GitHub connection that repositories are cloned through."""

    def __init__(self, client: DevboxClient) -> None:
        self._client = client

    async def start_oauth(self, return_url: str) -> OAuthStart:
        data = await self._client._call(
            "POST", "/integrations/github/connect", body={"return_url": return_url}
        )
        return parse_one(OAuthStart, data, what="OAuth start", error=_decode_error)

    async def get_connection(self) -> GitHubConnection | None:
        """The GitHub connection, or None when not connected (404, or a ``200 null`` from lenient servers)."""
        try:
            data = await self._client._call("GET", "/integrations/github/connection")
        except DevboxApiError as err:
            if err.status == 404:
                return None
            raise
        return parse_optional(GitHubConnection, data, what="GitHub connection", error=_decode_error)

    async def disconnect(self) -> None:
        await self._client._call("DELETE", "/integrations/github/connection", parse=False)

    async def list_repos(self) -> list[GitHubRepo]:
        data = await self._client._call("GET", "/integrations/github/repos")
        return parse_many(GitHubRepo, data, what="GitHub repo list", error=_decode_error, key="data")

    async def list_orgs(self) -> list[GitHubOrg]:
        data = await self._client._call("GET", "/integrations/github/orgs")
        return parse_many(GitHubOrg, data, what="GitHub org list", error=_decode_error, key="data")

    async def update_org_grants(self, org_logins: Sequence[str]) -> OrgGrantsResult:
        data = await self._client._call(
            "PUT", "/integrations/github/org-grants", body={"org_logins": list(org_logins)}
        )
        return parse_one(OrgGrantsResult, data, what="org grants result", error=_decode_error)


def _devbox(id: str) -> str:
    return "/devboxes/" + _seg(id, "devbox id")
