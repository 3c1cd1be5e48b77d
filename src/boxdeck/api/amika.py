"""Async client for the Amika remote API (``/api/v0beta1``), a port of the ``@amika/sdk`` TypeScript client.

Method names are the SDK's in snake_case and keyword arguments are named as on the wire, so the wire reference
doubles as documentation.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from enum import Enum
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlencode

import httpx

from ._body import DEFAULT_MAX_BODY_BYTES
from ._http import (
    DEFAULT_TIMEOUT,
    ApiClient,
    ErrorTypes,
    HttpCore,
    RequestObserver,
    check_raw_segment,
    check_token,
    normalize_base_url,
    path_segment,
)
from ._memo import ListMemo
from ._parse import parse_many, parse_one, parse_optional
from .amika_models import (
    FAILED_STATES,
    READY_STATES,
    STOPPED_STATES,
    AgentSendResult,
    ProviderSecret,
    Sandbox,
    SandboxSnapshot,
    ScrubPreview,
    Secret,
    Session,
    SnapshotState,
    SSHInfo,
)
from .errors import (
    AmikaAgentAuthError,
    AmikaDecodeError,
    AmikaError,
    AmikaHTTPError,
    AmikaResponseTooLargeError,
    AmikaSandboxFailedError,
    AmikaSnapshotFailedError,
    AmikaTimeoutError,
    AmikaTransportError,
    extract_agent_auth_error,
)
from .tokens import StaticTokenSource, TokenSource

__all__ = ["AGENT_SEND_TIMEOUT", "API_PREFIX", "DEFAULT_BASE_URL", "UNSET", "AmikaClient"]

DEFAULT_BASE_URL: Final = "https://app.amika.dev"
API_PREFIX: Final = "/api/v0beta1"
#: agent-send blocks until the agent has finished its turn, so it gets far longer than the 30 s default.
AGENT_SEND_TIMEOUT: Final = 600.0
DEFAULT_POLL_INTERVAL: Final = 3.0

_PROVIDER = re.compile(r"^[a-z_]+$")

Sleep = Callable[[float], Awaitable[None]]
W = TypeVar("W", Sandbox, SandboxSnapshot)
Clock = Callable[[], float]


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Argument not given", for the one create field where ``None`` is meaningful (``snapshot``).
UNSET: Final = _Unset.UNSET


def _decode_error(message: str) -> Exception:
    return AmikaDecodeError(message)


def _http_error(response: httpx.Response, body: str, retry_after: float | None) -> Exception:
    return AmikaHTTPError(response.status_code, body, retry_after=retry_after)


_ERRORS: Final = ErrorTypes(
    http=_http_error,
    transport=AmikaTransportError,
    timeout=AmikaTimeoutError,
    decode=_decode_error,
    too_large=AmikaResponseTooLargeError,
)


class AmikaClient(ApiClient):
    """One Amika account. Holds one pooled HTTP connection; use ``async with`` or call ``aclose()``.

    Exactly one of ``access_token`` / ``token_source`` is required; the source is asked on every request so a
    refreshed token is picked up at once. Every failure is an ``AmikaError``.
    """

    _error = AmikaError

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        access_token: str | None = None,
        token_source: TokenSource | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: RequestObserver | None = None,
        allow_insecure: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        agent_send_timeout: float = AGENT_SEND_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if access_token and token_source is not None:
            raise ValueError("pass either access_token or token_source, not both")
        if access_token:
            token_source = StaticTokenSource(check_token(access_token, what="access_token"))
        elif token_source is None:
            raise ValueError("access_token or token_source is required")
        self._token_source: TokenSource = token_source
        self.base_url = normalize_base_url(base_url, API_PREFIX, allow_insecure=allow_insecure)
        self._agent_send_timeout = agent_send_timeout
        self._sleep = sleep
        self._clock = clock
        self._core = HttpCore(
            api="amika",
            base_url=self.base_url,
            auth_headers=self._auth_headers,
            errors=_ERRORS,
            transport=transport,
            timeout=timeout,
            on_request=on_request,
            max_body_bytes=max_body_bytes,
        )
        self._sandbox_list: ListMemo[Sandbox] = ListMemo(Sandbox)

    async def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._token(self._token_source, 'token')}"}

    # ------------------------------------------------------------------------------------------- sandboxes

    async def list_sandboxes(self) -> list[Sandbox]:
        got = await self._call("GET", "/sandboxes", memo=self._sandbox_list)
        return await self._sandbox_list.models_async(
            got, parse=lambda data: parse_many(Sandbox, data, what="sandbox list", error=_decode_error)
        )

    async def create_sandbox(
        self,
        *,
        name: str | None = None,
        provider: str | None = None,
        repo_url: str | None = None,
        auto_stop_interval: int | None = None,
        auto_delete_interval: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        secret_env_vars: Mapping[str, str] | None = None,
        preset: str | None = None,
        size: str | None = None,
        snapshot: str | None | Literal[_Unset.UNSET] = UNSET,
        setup_script_text: str | None = None,
        agent_credentials: Sequence[Mapping[str, Any]] | None = None,
        branch: str | None = None,
        new_branch_name: str | None = None,
        github_auth_mode: str | None = None,
        **extra_fields: Any,
    ) -> Sandbox:
        """Create a sandbox; it comes back ``initializing`` (use ``wait_for_sandbox``).

        Only the fields given are sent, so the server applies its own defaults for the rest. ``None`` means
        "not given" for every known field except ``snapshot``, where ``None`` is sent as JSON ``null`` to opt
        out of the repository's default snapshot (leave it out to keep the default). ``agent_credentials``
        entries are ``{kind, name?, type?, none?}``; omitting the list means no credential is injected. Other
        wire fields the server accepts can be passed as extra keyword arguments and are sent verbatim.
        """
        known: dict[str, Any] = {
            "name": name,
            "provider": provider,
            "repo_url": repo_url,
            "auto_stop_interval": auto_stop_interval,
            "auto_delete_interval": auto_delete_interval,
            "env_vars": dict(env_vars) if env_vars is not None else None,
            "secret_env_vars": dict(secret_env_vars) if secret_env_vars is not None else None,
            "preset": preset,
            "size": size,
            "setup_script_text": setup_script_text,
            "agent_credentials": [dict(c) for c in agent_credentials]
            if agent_credentials is not None
            else None,
            "branch": branch,
            "new_branch_name": new_branch_name,
            "github_auth_mode": github_auth_mode,
        }
        body = {key: value for key, value in known.items() if value is not None}
        if snapshot is not UNSET:
            body["snapshot"] = snapshot
        body.update(extra_fields)
        data = await self._call("POST", "/sandboxes", body=body)
        return parse_one(Sandbox, data, what="created sandbox", error=_decode_error)

    async def get_sandbox(self, name: str) -> Sandbox:
        """Read one sandbox by name (the server also accepts its id)."""
        data = await self._call("GET", _sandbox(name))
        return parse_one(Sandbox, data, what="sandbox", error=_decode_error)

    async def start_sandbox(self, name: str) -> None:
        await self._call("POST", _sandbox(name) + "/start", parse=False)

    async def stop_sandbox(self, name: str) -> None:
        await self._call("POST", _sandbox(name) + "/stop", parse=False)

    async def delete_sandbox(self, name: str) -> None:
        """Delete a sandbox. Servers answer 204 or 200 ``{"ok": true}``; both are success."""
        await self._call("DELETE", _sandbox(name), parse=False)

    async def wait_for_sandbox(
        self,
        name: str,
        *,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's name
    ) -> Sandbox:
        """Poll until the sandbox is ready after a create. No timeout by default, as in the SDK: provisioning
        time depends on the provider and repository."""
        return await self._wait(name, READY_STATES, "sandbox provisioning failed", "ready", interval, timeout)

    async def wait_for_sandbox_start(
        self,
        name: str,
        *,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's name
    ) -> Sandbox:
        return await self._wait(name, READY_STATES, "sandbox start failed", "ready", interval, timeout)

    async def wait_for_sandbox_stop(
        self,
        name: str,
        *,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's name
    ) -> Sandbox:
        return await self._wait(name, STOPPED_STATES, "sandbox stop failed", "stopped", interval, timeout)

    async def _wait(
        self,
        name: str,
        targets: Collection[str],
        failure: str,
        goal: str,
        interval: float,
        limit: float | None,
    ) -> Sandbox:
        def failed(sandbox: Sandbox) -> Exception:
            return AmikaSandboxFailedError(sandbox.error_message or failure, sandbox=sandbox)

        what = f"sandbox {name!r} to be {goal}"
        return await self._poll(lambda: self.get_sandbox(name), targets, failed, what, interval, limit)

    async def _poll(
        self,
        fetch: Callable[[], Awaitable[W]],
        targets: Collection[str],
        failed: Callable[[W], Exception],
        what: str,
        interval: float,
        limit: float | None,
    ) -> W:
        """First poll at once, then every ``interval`` seconds. HTTP and transport errors end the wait at once
        (the SDK does not retry either); ``failed`` raises with the server's reason."""
        if interval < 0:
            raise ValueError("interval must not be negative")
        deadline = None if limit is None else self._clock() + limit
        while True:
            item = await fetch()
            state: str = getattr(item, "state", "")
            if state in FAILED_STATES:
                raise failed(item)
            if state in targets:
                return item
            delay = interval
            if deadline is not None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise AmikaTimeoutError(
                        f"timed out waiting for {what} (last state: {(state or 'unknown')[:100]})"
                    )
                delay = min(interval, remaining)
            await self._sleep(delay)

    # ------------------------------------------------------------------------------------------------ SSH

    async def get_ssh(self, name: str) -> SSHInfo:
        """Mint SSH access; ``ssh_destination`` holds the argument words that follow ``ssh``."""
        data = await self._call("POST", _sandbox(name) + "/ssh")
        return parse_one(SSHInfo, data, what="SSH info", error=_decode_error)

    async def revoke_ssh(self, name: str, token: str) -> None:
        await self._call("DELETE", _sandbox(name) + "/ssh", body={"token": token}, parse=False)

    # ------------------------------------------------------------------------------------------ snapshots

    async def list_sandbox_snapshots(
        self, *, repository_id: str | None = None, source_sandbox_id: str | None = None
    ) -> list[SandboxSnapshot]:
        """Snapshots, optionally only those of one repository and/or captured from one sandbox (by id)."""
        query = {
            key: value
            for key, value in (("repository_id", repository_id), ("source_sandbox_id", source_sandbox_id))
            if value
        }
        path = "/sandbox-snapshots" + (f"?{urlencode(query)}" if query else "")
        data = await self._call("GET", path)
        return parse_many(SandboxSnapshot, data, what="snapshot list", error=_decode_error, key="items")

    async def create_sandbox_snapshot(
        self, sandbox_ref: str, name: str, *, description: str | None = None, mode: str | None = None
    ) -> SandboxSnapshot:
        """Start capturing a sandbox (by name or id); the snapshot comes back ``capturing``.

        ``mode`` ``scrub_and_delete`` (the server's default when left out) drops credentials and secret values
        and deletes the source sandbox once captured; ``full`` keeps everything and the source.
        """
        body: dict[str, Any] = {"sandbox_ref": sandbox_ref, "name": name}
        if description is not None:
            body["description"] = description
        if mode is not None:
            body["mode"] = mode
        data = await self._call("POST", "/sandbox-snapshots", body=body)
        return parse_one(SandboxSnapshot, data, what="created snapshot", error=_decode_error)

    async def get_sandbox_snapshot(self, ref: str) -> SandboxSnapshot:
        """One snapshot by slug or id (the server tries the id first)."""
        data = await self._call("GET", _snapshot(ref))
        return parse_one(SandboxSnapshot, data, what="snapshot", error=_decode_error)

    async def get_sandbox_scrub_preview(self, sandbox_ref: str) -> ScrubPreview:
        """What a ``scrub_and_delete`` snapshot of the sandbox would leave out (paths and names only)."""
        query = urlencode({"sandbox": sandbox_ref, "by": "ref"})
        data = await self._call("GET", f"/sandbox-snapshots/scrub-preview?{query}")
        return parse_one(ScrubPreview, data, what="scrub preview", error=_decode_error)

    async def delete_sandbox_snapshot(self, ref: str) -> None:
        await self._call("DELETE", _snapshot(ref), parse=False)

    async def wait_for_sandbox_snapshot(
        self,
        ref: str,
        *,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109 - the wait helpers' name
    ) -> SandboxSnapshot:
        """Poll until the snapshot is ``active``; ``failed`` raises ``AmikaSnapshotFailedError`` with the
        server's reason. First poll at once; no timeout by default, as for sandboxes."""

        def failed(snapshot: SandboxSnapshot) -> Exception:
            message = snapshot.error_message or "sandbox snapshot capture failed"
            return AmikaSnapshotFailedError(message, snapshot=snapshot)

        active = (SnapshotState.ACTIVE.value,)
        what = f"snapshot {ref!r} to be active"
        fetch = lambda: self.get_sandbox_snapshot(ref)  # noqa: E731
        return await self._poll(fetch, active, failed, what, interval, timeout)

    # ---------------------------------------------------------------------------------------------- agent

    async def agent_send(
        self,
        name: str,
        message: str,
        *,
        new_session: bool | None = None,
        session_id: str | None = None,
        agent: str | None = None,
    ) -> AgentSendResult:
        """Send one message to the sandbox's agent and wait (up to ten minutes) for its answer.

        Without ``new_session``/``session_id`` the server resumes the sandbox's current session. A failure
        caused by the agent's own provider credentials raises ``AmikaAgentAuthError`` rather than a bare HTTP
        error, because the fix (new credentials) is not something retrying can achieve.
        """
        body: dict[str, Any] = {"message": message}
        if new_session is not None:
            body["new_session"] = new_session
        if session_id is not None:
            body["session_id"] = session_id
        if agent is not None:
            body["agent"] = agent
        try:
            data = await self._call(
                "POST", _sandbox(name) + "/agent-send", body=body, timeout=self._agent_send_timeout
            )
        except AmikaHTTPError as err:
            result = extract_agent_auth_error(err.status_code, err.body)
            if result:
                raise AmikaAgentAuthError(result, status_code=err.status_code) from err
            raise
        return parse_one(AgentSendResult, data, what="agent-send result", error=_decode_error)

    # ------------------------------------------------------------------------------------------- sessions

    async def create_session(
        self, name: str, agent_name: str, metadata: Mapping[str, Any] | None = None
    ) -> Session:
        body: dict[str, Any] = {"agent_name": agent_name}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        data = await self._call("POST", _sandbox(name) + "/sessions", body=body)
        return parse_one(Session, data, what="session", error=_decode_error)

    async def list_sessions(self, name: str) -> list[Session]:
        data = await self._call("GET", _sandbox(name) + "/sessions")
        return parse_many(Session, data, what="session list", error=_decode_error, key="sessions")

    async def get_latest_session(self, name: str) -> Session | None:
        """The sandbox's most recent session, or None when it has none yet (the server says 404)."""
        try:
            data = await self._call("GET", _sandbox(name) + "/sessions/latest")
        except AmikaHTTPError as err:
            if err.status_code == 404:
                return None
            raise
        return parse_optional(Session, data, what="session", error=_decode_error)

    async def get_session(self, name: str, session_id: str) -> Session:
        data = await self._call("GET", _session(name, session_id))
        return parse_one(Session, data, what="session", error=_decode_error)

    async def update_session(
        self,
        name: str,
        session_id: str,
        *,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Session:
        """PATCH a session; only the arguments given are sent."""
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if metadata is not None:
            body["metadata"] = dict(metadata)
        data = await self._call("PATCH", _session(name, session_id), body=body)
        return parse_one(Session, data, what="session", error=_decode_error)

    # -------------------------------------------------------------------------------------------- secrets

    async def list_secrets(self) -> list[Secret]:
        data = await self._call("GET", "/secrets")
        return parse_many(Secret, data, what="secret list", error=_decode_error)

    async def create_secret(self, name: str, value: str, scope: str = "user") -> Secret | None:
        """Store a generic secret. Returns its summary when the server sends one (some answer 201 with no
        body)."""
        data = await self._call("POST", "/secrets", body={"name": name, "value": value, "scope": scope})
        return parse_optional(Secret, data, what="secret", error=_decode_error)

    async def update_secret(self, id: str, value: str) -> Secret | None:
        """Replace a secret's value. The id goes into the path unescaped, as in both SDKs."""
        path = "/secrets/" + check_raw_segment(id, what="secret id")
        data = await self._call("PUT", path, body={"value": value})
        return parse_optional(Secret, data, what="secret", error=_decode_error)

    async def create_provider_secret(
        self, provider: str, name: str, value: str, type: str, *, scope: str | None = None
    ) -> ProviderSecret | None:
        """Register an AI-provider credential (``provider`` e.g. ``claude`` or ``codex``, ``type`` ``oauth``
        or ``api_key``). Returns the summary when the server sends one."""
        body: dict[str, Any] = {"name": name, "value": value, "type": type}
        if scope is not None:
            body["scope"] = scope
        data = await self._call("POST", _provider(provider), body=body)
        return parse_optional(ProviderSecret, data, what="provider secret", error=_decode_error)

    async def list_provider_secrets(self, provider: str) -> list[ProviderSecret]:
        data = await self._call("GET", _provider(provider))
        return parse_many(ProviderSecret, data, what="provider secret list", error=_decode_error)

    async def delete_provider_secret(self, provider: str, id: str) -> None:
        path = _provider(provider) + "/" + check_raw_segment(id, what="provider secret id")
        await self._call("DELETE", path, parse=False)


def _sandbox(name: str) -> str:
    return "/sandboxes/" + path_segment(name, what="sandbox name")


def _snapshot(ref: str) -> str:
    return "/sandbox-snapshots/" + path_segment(ref, what="snapshot reference") + "?by=ref"


def _session(name: str, session_id: str) -> str:
    return _sandbox(name) + "/sessions/" + path_segment(session_id, what="session id")


def _provider(provider: str) -> str:
    """The provider segment is sent unescaped (as in both SDKs), so only plain lowercase names are let
    through."""
    if not isinstance(provider, str) or not _PROVIDER.fullmatch(provider):
        raise ValueError(f"provider must match ^[a-z_]+$ (got {provider!r})")
    return "/secrets/" + provider
