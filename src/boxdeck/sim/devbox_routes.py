"""Devbox's REST surface (`/api/v1`), with the envelopes and statuses in reference/devbox-api.md.

The service token is accepted as `X-Sprites-Token` (the seed) or `X-Provider-Token` (SDK 0.2.0). The user's
bearer token is optional, as the seed says: a wrong one is refused, a missing one means the account's one
user (the simulator has one); `strict_user_token` makes `/users/*` and `/integrations/*` require it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from boxdeck.sim import devbox_models as m
from boxdeck.sim.devbox_state import USER_ID
from boxdeck.sim.runtime import runtime, world
from boxdeck.sim.world import SimError, World

sprites_header = APIKeyHeader(name="X-Sprites-Token", auto_error=False, scheme_name="SpritesToken")
provider_header = APIKeyHeader(name="X-Provider-Token", auto_error=False, scheme_name="ProviderToken")
user_bearer = HTTPBearer(auto_error=False, scheme_name="UserToken", description="Devbox user token")


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def _unauthorized(detail: str) -> SimError:
    return SimError(401, "error", detail, {"WWW-Authenticate": "Bearer"})


def service_auth(
    request: Request,
    sprites: Annotated[str | None, Security(sprites_header)],
    provider: Annotated[str | None, Security(provider_header)],
    user: Annotated[HTTPAuthorizationCredentials | None, Security(user_bearer)],
) -> None:
    config = runtime(request).config
    token = sprites or provider
    if not token:
        raise _unauthorized("Missing service token (X-Sprites-Token or X-Provider-Token)")
    if not _same(token, config.sprites_token):
        raise _unauthorized("Invalid service token")
    if user is not None and not _same(user.credentials, config.user_token):
        raise _unauthorized("Invalid user token")


def user_auth(
    request: Request, user: Annotated[HTTPAuthorizationCredentials | None, Security(user_bearer)]
) -> None:
    if user is None and runtime(request).config.strict_user_token:
        raise _unauthorized("User token required (Authorization: Bearer <token>)")


def current_user(user: Annotated[HTTPAuthorizationCredentials | None, Security(user_bearer)]) -> str | None:
    """The user a request speaks for: the token's owner (checked by `service_auth`), or None without one."""
    return USER_ID if user is not None else None


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": m.HTTPErrorBody}, 404: {"model": m.HTTPErrorBody}}
router = APIRouter(prefix="/api/v1", dependencies=[Depends(service_auth)], responses=ERRORS)
user_router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(service_auth), Depends(user_auth)], responses=ERRORS
)
W = Annotated[World, Depends(world)]
User = Annotated[str | None, Depends(current_user)]
NO_CONTENT: dict[str, Any] = {"status_code": 204, "response_class": Response}


def _data(items: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"data": items})


# -- devboxes ------------------------------------------------------------------------------------------------
@router.post("/devboxes", status_code=202, response_model=m.DevboxResponse, tags=["Devboxes"])
def create_devbox(
    w: W,
    user: User,
    body: m.CreateDevboxRequest,
    x_claude_token: Annotated[str | None, Header()] = None,
    x_codex_token: Annotated[str | None, Header()] = None,
) -> Response:
    out = w.devbox.create(
        body.model_dump(), claude_token=bool(x_claude_token), codex_token=bool(x_codex_token), owner=user
    )
    return JSONResponse(out, status_code=202)


@router.get(
    "/devboxes",
    response_model=list[m.DevboxResponse],
    tags=["Devboxes"],
    summary="Bare array; with the user's token, only that user's devboxes",
)
def list_devboxes(w: W, user: User) -> Response:
    return Response(w.devbox.list_json(owner=user), media_type="application/json")


@router.get("/devboxes/{devbox_id}", response_model=m.DevboxResponse, tags=["Devboxes"])
def get_devbox(w: W, devbox_id: str) -> Response:
    return JSONResponse(w.devbox.get(devbox_id))


@router.delete("/devboxes/{devbox_id}", tags=["Devboxes"], **NO_CONTENT)
def delete_devbox(w: W, devbox_id: str) -> Response:
    w.devbox.delete(devbox_id)
    return Response(status_code=204)


@router.get("/devboxes/{devbox_id}/operations", response_model=m.OperationsListResponse, tags=["Devboxes"])
def list_operations(w: W, devbox_id: str) -> Response:
    return _data(w.devbox.operations(devbox_id))


@router.get(
    "/devboxes/{devbox_id}/repositories", response_model=m.DevboxRepositoriesListResponse, tags=["Devboxes"]
)
def list_repositories(w: W, devbox_id: str) -> Response:
    return _data(w.devbox.repositories(devbox_id))


# -- access --------------------------------------------------------------------------------------------------
@router.post(
    "/devboxes/{devbox_id}/access/session",
    status_code=201,
    response_model=m.CreateAccessSessionResponse,
    tags=["Sessions"],
    responses={409: {"model": m.HTTPErrorBody}},
)
def create_access_session(w: W, devbox_id: str) -> Response:
    return JSONResponse(w.devbox.create_access(devbox_id), status_code=201)


@router.get(
    "/devboxes/{devbox_id}/access/sessions", response_model=m.ExecSessionsListResponse, tags=["Sessions"]
)
def list_exec_sessions(w: W, devbox_id: str) -> Response:
    return _data(w.devbox.exec_sessions(devbox_id))


@router.delete("/devboxes/{devbox_id}/access/session/{session_id}", tags=["Sessions"], **NO_CONTENT)
def revoke_access_session(w: W, devbox_id: str, session_id: str) -> Response:
    w.devbox.revoke_access(devbox_id, session_id)
    return Response(status_code=204)


# -- users ---------------------------------------------------------------------------------------------------
@user_router.get("/users/me", response_model=m.UserProfileResponse, tags=["Users"])
def get_profile(w: W) -> Response:
    return JSONResponse(w.devbox.profile())


@user_router.put("/users/me/ssh-key", tags=["Users"], **NO_CONTENT)
def set_ssh_key(w: W, body: m.SetSshKeyBody) -> Response:
    w.devbox.set_ssh_key(body.public_key)
    return Response(status_code=204)


@user_router.delete("/users/me/ssh-key", tags=["Users"], **NO_CONTENT)
def delete_ssh_key(w: W) -> Response:
    w.devbox.delete_ssh_key()
    return Response(status_code=204)


# -- github --------------------------------------------------------------------------------------------------
@user_router.post("/integrations/github/connect", response_model=m.OAuthStartResponse, tags=["GitHub"])
def start_oauth(request: Request, w: W, body: m.OAuthStartRequest) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(w.devbox.start_oauth(body.return_url, base))


@user_router.get(
    "/integrations/github/connection",
    response_model=m.OAuthConnectionResponse | None,
    tags=["GitHub"],
    summary="The connection, or null when GitHub is not connected",
)
def get_connection(w: W) -> Response:
    return JSONResponse(w.devbox.connection())


@user_router.delete("/integrations/github/connection", tags=["GitHub"], **NO_CONTENT)
def disconnect(w: W) -> Response:
    w.devbox.disconnect()
    return Response(status_code=204)


@user_router.get("/integrations/github/repos", response_model=m.RepositoriesListResponse, tags=["GitHub"])
def list_repos(w: W) -> Response:
    return _data(w.devbox.list_repos())


@user_router.get("/integrations/github/orgs", response_model=m.OrgsListResponse, tags=["GitHub"])
def list_orgs(w: W) -> Response:
    return _data(w.devbox.list_orgs())


@user_router.put("/integrations/github/org-grants", response_model=m.OrgGrantsUpsertResponse, tags=["GitHub"])
def update_org_grants(w: W, body: m.OrgGrantsUpsertRequest) -> Response:
    return JSONResponse(w.devbox.update_org_grants(body.org_logins))
