"""The FastAPI app serving both APIs on one port, and the error rendering that gives each its own shape.

Amika answers every failure, 401 and validation included, as `{"type": "error", "code", "message"}`
(validation is 400 `invalid_input`, per its OpenAPI). Devbox is a stock FastAPI service: `{"detail": "..."}`
strings, and 422 `{"detail": [...]}` for validation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from boxdeck import __version__
from boxdeck.sim import amika_routes, control, devbox_routes
from boxdeck.sim.config import SimConfig
from boxdeck.sim.faults import FaultMiddleware
from boxdeck.sim.hostile import HostileMiddleware
from boxdeck.sim.paths import SandboxNamePathMiddleware
from boxdeck.sim.runtime import SimRuntime
from boxdeck.sim.world import RawError, SimError, World

AMIKA_PREFIX = "/api/v0beta1"
STATUS_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    500: "internal_error",
}

DESCRIPTION = """
A faithful local stand-in for two cloud-sandbox APIs, for boxdeck's demo and tests.

* **Amika** (`/api/v0beta1`): `Authorization: Bearer <amika token>`.
* **Devbox** (`/api/v1`): `X-Sprites-Token` or `X-Provider-Token`, and optionally
  `Authorization: Bearer <user token>` (listings are then the user's own devboxes).
* **Control** (`/_sim/`): clock, faults, reset — no auth.
"""


class SimApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        """Faults wrap everything (they need uvicorn's own `send` to drop a connection); the name rewrite must
        run before routing, and after the hostile echo has taken its suffix off a path."""
        inner = SandboxNamePathMiddleware(super().build_middleware_stack())
        hostile = HostileMiddleware(inner, lambda: self.state.sim.hostile)
        return FaultMiddleware(hostile, lambda: self.state.sim.faults)


def _is_amika(request: Request) -> bool:
    return request.url.path.startswith(AMIKA_PREFIX) or request.scope.get("path", "").startswith(AMIKA_PREFIX)


def amika_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "error", "code": code, "message": message, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _loc(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def on_sim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimError)
    if _is_amika(request):
        return amika_error(exc.status, exc.code, exc.message, exc.headers)
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)


async def on_raw_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RawError)
    return JSONResponse(exc.body, status_code=exc.status)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _is_amika(request):
        return await request_validation_exception_handler(request, exc)
    errors = exc.errors()
    message = (
        "; ".join(f"{_loc(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors) or "invalid input"
    )
    details = [{"field": _loc(e.get("loc", ())), "message": e.get("msg", "")} for e in errors]
    return amika_error(400, "invalid_input", message, details=details)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _is_amika(request):
        return await http_exception_handler(request, exc)
    code = STATUS_CODES.get(exc.status_code, "error")
    return amika_error(exc.status_code, code, str(exc.detail).lower(), dict(exc.headers or {}))


def create_app(world: World | None = None, config: SimConfig | None = None) -> FastAPI:
    """The app for one runtime; `app.state.sim` is where routes find the (swappable) world."""
    config = config or SimConfig()
    app = SimApp(title="boxdeck simulator", version=__version__, description=DESCRIPTION)
    app.state.sim = SimRuntime(config, world)
    app.add_exception_handler(SimError, on_sim_error)
    app.add_exception_handler(RawError, on_raw_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.include_router(amika_routes.router)
    app.include_router(devbox_routes.router)
    app.include_router(devbox_routes.user_router)
    app.include_router(control.router)
    return app
