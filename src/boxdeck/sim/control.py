"""`/_sim/`: the control API for tests, benchmarks and demos, outside both real API prefixes (and so outside
auth and the fault injector). Also serves the GitHub "authorize" page the OAuth flow points at."""

from __future__ import annotations

import html
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from boxdeck.sim.hostile import BODY_KINDS
from boxdeck.sim.runtime import runtime
from boxdeck.sim.world import SimError, iso_us

router = APIRouter(prefix="/_sim", tags=["Simulator control"])


class Advance(BaseModel):
    seconds: float = Field(ge=0)


class Faults(BaseModel):
    rate: float = Field(ge=0, le=1)
    kinds: list[Literal["500", "502", "503", "429", "slow", "drop", "drop-after"]] | None = None
    slow_seconds: float | None = Field(default=None, ge=0)
    retry_after: float | None = Field(
        default=None, ge=0, description="Retry-After of a 429 or 503 (default 1)"
    )
    methods: list[Literal["GET", "POST", "PUT", "PATCH", "DELETE"]] | None = Field(
        default=None, description="only requests of these methods fail (default: all)"
    )


class Hostile(BaseModel):
    echo: bool = False
    body: Literal["gzip_bomb", "double_gzip_bomb", "endless"] | None = None
    status: int = Field(default=200, ge=200, le=599)
    bomb_bytes: int | None = Field(default=None, gt=0)


class Reset(BaseModel):
    seed: int | None = None
    speed: float | None = Field(default=None, gt=0)
    manual_clock: bool | None = None
    demo_world: bool | None = None
    sandboxes: int | None = Field(default=None, ge=0)
    devboxes: int | None = Field(default=None, ge=0)
    failure_rate: float | None = Field(default=None, ge=0, le=1)
    client_failure_rate: float | None = Field(default=None, ge=0, le=1)
    fault_rate: float | None = Field(default=None, ge=0, le=1)
    churn: bool | None = None


class ForceState(BaseModel):
    state: str = Field(min_length=1)
    error_message: str | None = None


class SshAnswer(BaseModel):
    """What a box's SSH access answers from now on, to test a hostile server (null: the usual answer).
    Amika: `ssh_destination` (`{token}` stands for the minted token). Devbox: the access session's `command`
    and `ssh.proxy_command`."""

    ssh_destination: str | None = None
    command: str | None = None
    proxy_command: str | None = None


def health_of(request: Request) -> dict[str, Any]:
    rt = runtime(request)
    w = rt.world
    with w.lock:
        w.tick()
        return {
            "ok": True,
            "now": iso_us(w.now()),
            "manual_clock": w.clock.manual,
            "speed": w.speed,
            "seed": w.seed,
            "churn": w.churn,
            "sandboxes": len(w.amika.sandboxes),
            "devboxes": sum(1 for d in w.devbox.devboxes.values() if d.listed),
            "pending_events": w.pending_events(),
            "faults": rt.faults.describe(),
        }


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    return health_of(request)


@router.get("/ssh", summary="The SSH server: where it listens, its host key, whether shells are sandboxed")
def ssh(request: Request) -> Any:
    endpoint = runtime(request).ssh
    if endpoint is None:
        return JSONResponse({"detail": "this simulator serves no SSH"}, status_code=404)
    return {
        "host": endpoint.host,
        "port": endpoint.port,
        "host_key": endpoint.public_key(),
        "fingerprint": endpoint.fingerprint(),
        "known_hosts": endpoint.known_hosts_line(),
        "sandboxed": endpoint.sandboxed,
        "sandbox_note": endpoint.sandbox_note,
    }


@router.post("/advance", summary="Move the clock forward (manual clock; offsets the real one)")
def advance(request: Request, body: Advance) -> dict[str, Any]:
    runtime(request).world.advance(body.seconds)
    return health_of(request)


@router.post(
    "/faults", summary="Fail this share of /api requests (kinds: 500 502 503 429 slow drop drop-after)"
)
def faults(request: Request, body: Faults) -> dict[str, Any]:
    """``drop`` closes the connection before the request is handled; ``drop-after`` handles it (a create
    creates) and then closes the connection instead of answering."""
    rt = runtime(request)
    rt.faults.configure(
        body.rate, body.kinds, body.slow_seconds, retry_after=body.retry_after, methods=body.methods
    )
    return rt.faults.describe()


@router.post("/hostile", summary=f"Hostile: echo what clients sent, or bodies {', '.join(BODY_KINDS)}")
def hostile(request: Request, body: Hostile) -> dict[str, Any]:
    """See `boxdeck.sim.hostile`. `{}` turns both behaviours off; a reset does too."""
    settings = runtime(request).hostile
    settings.configure(echo=body.echo, body=body.body, status=body.status, bomb_bytes=body.bomb_bytes)
    return settings.describe()


@router.get("/requests", summary="How many /api requests arrived since the last reset, by method and path")
def requests_seen(request: Request) -> dict[str, int]:
    return dict(runtime(request).faults.requests)


@router.post("/reset", summary="A fresh world from the starting config plus these overrides")
def reset(request: Request, body: Reset | None = None) -> dict[str, Any]:
    overrides = body.model_dump(exclude_none=True) if body else {}
    runtime(request).reset(**overrides)
    return health_of(request)


@router.post(
    "/boxes/{backend}/{ref:path}/state", summary="Flip a box's state now (cancels its pending moves)"
)
def force_state(request: Request, backend: Literal["amika", "devbox"], ref: str, body: ForceState) -> Any:
    w = runtime(request).world
    try:
        if backend == "amika":
            return w.amika.force_state(unquote(ref), body.state, body.error_message)
        return w.devbox.force_state(unquote(ref), body.state)
    except SimError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)


@router.post("/boxes/{backend}/{ref:path}/ssh", summary="Set what the box's SSH access answers (tests)")
def ssh_answer(request: Request, backend: Literal["amika", "devbox"], ref: str, body: SshAnswer) -> Any:
    try:
        runtime(request).world.answer_ssh(backend, unquote(ref), **body.model_dump())
    except SimError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    return {"ok": True}


@router.get("/github/authorize", response_class=HTMLResponse, summary="The simulated GitHub consent page")
def github_authorize(request: Request, state: Annotated[str, Query()] = "") -> HTMLResponse:
    """Opening the authorize URL completes the connection at once (there is nobody to click "Authorize")."""
    try:
        return_url = runtime(request).world.devbox.complete_oauth(state)
    except SimError as exc:
        return HTMLResponse(
            page("GitHub connection failed", html.escape(exc.message)), status_code=exc.status
        )
    link = html.escape(return_url, quote=True)
    body = (
        "boxdeck's simulator connected the GitHub account <b>sim-octocat</b>. "
        f'You can close this tab, or go back to <a href="{link}">{link}</a>.'
    )
    return HTMLResponse(page("GitHub connected", body))


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:4em auto'><h1>{title}</h1><p>{body}</p>"
        "</body></html>"
    )
