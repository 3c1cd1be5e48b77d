"""Amika's REST surface (`/api/v0beta1`), answering with the statuses and shapes in reference/amika-api.md.

Sandbox names may contain `/` (clients send it as `%2F`); `paths.py` re-encodes that segment before routing,
so `{name}` here is still percent-encoded and `_ref()` decodes it.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boxdeck.sim import amika_models as m
from boxdeck.sim.runtime import runtime, world
from boxdeck.sim.world import SimError, World

bearer = HTTPBearer(auto_error=False, scheme_name="AmikaBearer", description="Amika API key (`amk_…`)")


def amika_auth(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    expected = runtime(request).config.amika_token
    if creds is None or not secrets.compare_digest(creds.credentials.encode(), expected.encode()):
        raise SimError(401, "unauthorized", "missing or invalid API key", {"WWW-Authenticate": "Bearer"})


ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": m.AmikaErrorBody} for code in (400, 401, 404, 409)}
router = APIRouter(
    prefix="/api/v0beta1", tags=["Amika"], dependencies=[Depends(amika_auth)], responses=ERRORS
)
W = Annotated[World, Depends(world)]


def _ref(name: str) -> str:
    return unquote(name)


def _json(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status)


# -- sandboxes -----------------------------------------------------------------------------------------------
@router.get("/sandboxes", response_model=list[m.Sandbox], summary="List sandboxes (bare array)")
def list_sandboxes(w: W) -> Response:
    return Response(w.amika.list_json(), media_type="application/json")


@router.post(
    "/sandboxes", status_code=202, response_model=m.Sandbox, summary="Create a sandbox (202 initializing)"
)
def create_sandbox(w: W, body: Annotated[m.CreateSandboxRequest | None, Body()] = None) -> Response:
    req = (body or m.CreateSandboxRequest()).model_dump()
    return _json(w.amika.create(req), 202)


@router.get("/sandboxes/{name}", response_model=m.Sandbox, summary="Read a sandbox by name or id")
def get_sandbox(w: W, name: str) -> Response:
    return _json(w.amika.get(_ref(name)))


@router.post("/sandboxes/{name}/start", status_code=202, response_model=m.Ok)
def start_sandbox(w: W, name: str) -> Response:
    w.amika.start(_ref(name))
    return _json({"ok": True}, 202)


@router.post("/sandboxes/{name}/stop", status_code=202, response_model=m.Ok)
def stop_sandbox(w: W, name: str) -> Response:
    w.amika.stop(_ref(name))
    return _json({"ok": True}, 202)


@router.delete("/sandboxes/{name}", status_code=204, response_class=Response)
def delete_sandbox(w: W, name: str) -> Response:
    w.amika.delete(_ref(name))
    return Response(status_code=204)


# -- ssh -----------------------------------------------------------------------------------------------------
@router.post("/sandboxes/{name}/ssh", response_model=m.SSHInfo, summary="Mint an SSH token")
def get_ssh(w: W, name: str) -> Response:
    return _json(w.amika.ssh(_ref(name)))


@router.delete("/sandboxes/{name}/ssh", status_code=204, response_class=Response)
def revoke_ssh(w: W, name: str, body: m.RevokeSSHRequest) -> Response:
    w.amika.revoke_ssh(_ref(name), body.token)
    return Response(status_code=204)


# -- snapshots -----------------------------------------------------------------------------------------------
@router.get("/sandbox-snapshots", response_model=m.SnapshotList, summary="Sandbox snapshots, newest first")
def list_snapshots(w: W, repository_id: str | None = None, source_sandbox_id: str | None = None) -> Response:
    return _json({"items": w.amika.list_snapshots(repository_id, source_sandbox_id)})


@router.post(
    "/sandbox-snapshots",
    status_code=202,
    response_model=m.SandboxSnapshot,
    summary="Snapshot a sandbox (202 capturing; scrub_and_delete deletes the source once captured)",
)
def create_snapshot(w: W, body: m.CreateSnapshotRequest) -> Response:
    return _json(w.amika.create_snapshot(body.model_dump()), 202)


@router.get(
    "/sandbox-snapshots/scrub-preview",
    response_model=m.ScrubPreview,
    summary="What a scrub_and_delete snapshot would leave out",
)
def scrub_preview(w: W, sandbox: Annotated[str, Query(min_length=1)], by: m.By = "name") -> Response:
    return _json(w.amika.scrub_preview(sandbox, by))


@router.get("/sandbox-snapshots/{ref:path}", response_model=m.SandboxSnapshot)
def get_snapshot(w: W, ref: str, by: m.By = "name") -> Response:
    return _json(w.amika.get_snapshot(ref, by))


@router.delete("/sandbox-snapshots/{ref:path}", status_code=204, response_class=Response)
def delete_snapshot(w: W, ref: str, by: m.By = "name") -> Response:
    w.amika.delete_snapshot(ref, by)
    return Response(status_code=204)


# -- agent ---------------------------------------------------------------------------------------------------
@router.post("/sandboxes/{name}/agent-send", response_model=m.AgentSendResponse)
async def agent_send(request: Request, name: str, body: m.AgentSendRequest) -> Response:
    """The agent's run takes simulated time. With the real clock the request really waits (duration / speed);
    with the manual clock it advances the clock itself by the duration, so a test never hangs waiting for time
    only it can move, and the world ages exactly as it would have."""
    w = world(request)
    ref, req = _ref(name), body.model_dump()
    duration = w.dur(w.amika.agent_check(ref, req))
    if w.clock.manual:
        w.advance(duration)
    else:
        await asyncio.sleep(duration)
    return _json(w.amika.agent_finish(ref, req))


# -- sessions ------------------------------------------------------------------------------------------------
@router.post("/sandboxes/{name}/sessions", status_code=201, response_model=m.Session)
def create_session(w: W, name: str, body: m.CreateSessionRequest) -> Response:
    return _json(w.amika.create_session(_ref(name), body.agent_name, body.metadata), 201)


@router.get("/sandboxes/{name}/sessions", response_model=m.SessionList, summary="Sessions, newest first")
def list_sessions(
    w: W,
    name: str,
    status: str | None = None,
    limit: Annotated[int | None, Query(gt=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    return _json(w.amika.list_sessions(_ref(name), status, limit, offset))


@router.get("/sandboxes/{name}/sessions/latest", response_model=m.Session, summary="404 when there is none")
def latest_session(w: W, name: str) -> Response:
    return _json(w.amika.latest_session(_ref(name)))


@router.get("/sandboxes/{name}/sessions/{session_id}", response_model=m.Session)
def get_session(w: W, name: str, session_id: str) -> Response:
    return _json(w.amika.get_session(_ref(name), unquote(session_id)))


@router.patch("/sandboxes/{name}/sessions/{session_id}", response_model=m.Session)
def update_session(w: W, name: str, session_id: str, body: m.UpdateSessionRequest) -> Response:
    return _json(w.amika.update_session(_ref(name), unquote(session_id), body.status, body.metadata))


# -- secrets -------------------------------------------------------------------------------------------------
@router.get("/secrets", response_model=list[m.SecretSummary], summary="Secrets (values are never returned)")
def list_secrets(w: W) -> Response:
    return _json(w.amika.list_secrets())


@router.post("/secrets", status_code=201, response_model=m.SecretSummary)
def create_secret(w: W, body: m.CreateSecretRequest) -> Response:
    return _json(w.amika.create_secret(body.name, body.value, body.scope, body.description), 201)


@router.put("/secrets/{secret_id}", status_code=204, response_class=Response)
def update_secret(w: W, secret_id: str, body: m.UpdateSecretRequest) -> Response:
    w.amika.update_secret(secret_id, body.model_dump(exclude_unset=True))
    return Response(status_code=204)


@router.get("/secrets/{provider}", response_model=list[m.ProviderSecret], summary="claude | codex | github")
def list_provider_secrets(w: W, provider: str) -> Response:
    return _json(w.amika.list_provider_secrets(provider))


@router.post("/secrets/{provider}", status_code=201, response_model=m.ProviderSecret)
def create_provider_secret(w: W, provider: str, body: m.CreateProviderSecretRequest) -> Response:
    out = w.amika.create_provider_secret(provider, body.name, body.value, body.type, body.scope)
    return _json(out, 201)


@router.delete("/secrets/{provider}/{secret_id}", status_code=204, response_class=Response)
def delete_provider_secret(w: W, provider: str, secret_id: str) -> Response:
    w.amika.delete_provider_secret(provider, secret_id)
    return Response(status_code=204)
