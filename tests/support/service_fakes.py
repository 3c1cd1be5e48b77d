"""A scripted in-memory server for both APIs behind `httpx.MockTransport`, plus a manual clock.

Only the wire is faked: the real `AmikaClient`/`DevboxClient` and the real service code run on top of it, and
every request is recorded so tests can pin exactly what was sent and count requests per cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from boxdeck.api import AmikaClient, DevboxClient
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.text.redact import Redactor

AMIKA_BASE = "https://amika.test"
DEVBOX_BASE = "https://devbox.test"
AMIKA_TOKEN = "amk_live_0123456789abcdef"
SPRITES_TOKEN = "spr_live_0123456789abcdef"
USER_TOKEN = "usr_live_0123456789abcdef"
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t - 1000.0)


def sandbox(name: str, state: str = "active", **extra: Any) -> dict[str, Any]:
    return {"id": f"sb_{name}", "name": name, "state": state, "provider": "daytona",
            "created_at": "2026-01-01T11:00:00Z", **extra}


def devbox(ident: str, state: str = "ready", name: str | None = None) -> dict[str, Any]:
    return {"id": ident, "name": name or f"dev-{ident}", "state": state, "created_at": "2026-01-01T11:00:00Z",
            "access_url": None}


def operation(step: str, status: str, message: str = "") -> dict[str, Any]:
    return {"id": f"op_{step}", "step": step, "status": status, "message": message,
            "created_at": "2026-01-01T11:00:01Z"}


@dataclass
class Failure:
    status: int | None  # None: a connection error
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1_000_000


@dataclass
class FakeApis:
    clock: FakeClock = field(default_factory=FakeClock)
    sandboxes: list[dict[str, Any]] = field(default_factory=list)
    devboxes: list[dict[str, Any]] = field(default_factory=list)
    operations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    repositories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    """Keyed by "amika"/"devbox" (every request of that API) or "METHOD /path" (one endpoint)."""
    latency: dict[str, float] = field(default_factory=dict)
    """Seconds the clock advances while an API answers (to make it look slow)."""
    answers: dict[str, Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def amika_client(self) -> AmikaClient:
        return AmikaClient(AMIKA_BASE, access_token=AMIKA_TOKEN, transport=self.transport)

    def devbox_client(self) -> DevboxClient:
        return DevboxClient(DEVBOX_BASE, sprites_token=SPRITES_TOKEN, user_token=USER_TOKEN,
                            transport=self.transport)

    def monitor(self, *, amika: bool = True, devbox: bool = True, **kwargs: Any) -> Monitor:
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("now", self.clock.now)
        kwargs.setdefault("rng", lambda: 1.0)
        kwargs.setdefault("redactor", Redactor([AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN]))
        return Monitor(amika=self.amika_client() if amika else None,
                       devbox=self.devbox_client() if devbox else None, **kwargs)

    def seen(self, api: str | None = None) -> list[str]:
        """`"GET /sandboxes"`-style lines for the requests so far (paths relative to the API prefix)."""
        out = []
        for r in self.requests:
            name, path = self._split(r)
            if api is None or api == name:
                out.append(f"{r.method} {path}")
        return out

    def clear(self) -> None:
        self.requests.clear()

    @staticmethod
    def _split(request: httpx.Request) -> tuple[str, str]:
        path = request.url.raw_path.decode()
        if request.url.host == "amika.test":
            return "amika", path.removeprefix("/api/v0beta1")
        return "devbox", path.removeprefix("/api/v1")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        api, path = self._split(request)
        line = f"{request.method} {path}"
        self.clock.advance(self.latency.get(api, 0.0))
        for key in (line, api):
            failure = self.failures.get(key)
            if failure is not None and failure.times > 0:
                failure.times -= 1
                if failure.status is None:
                    raise httpx.ConnectError("connection refused", request=request)
                return httpx.Response(failure.status, text=failure.body, headers=failure.headers)
        if line in self.answers:
            return self.answers[line](request)
        if api == "amika":
            return self._amika(request, path)
        return self._devbox(request, path)

    def _amika(self, request: httpx.Request, path: str) -> httpx.Response:
        if request.method == "GET" and path == "/sandboxes":
            return httpx.Response(200, json=self.sandboxes)
        if request.method == "POST" and path == "/sandboxes":
            body = json.loads(request.content)
            sb = sandbox(body["name"], "initializing")
            self.sandboxes.append(sb)
            return httpx.Response(202, json=sb)
        parts = path.split("/")
        name = unquote(parts[2]) if len(parts) > 2 else ""
        sb = next((s for s in self.sandboxes if s["name"] == name), None)
        if sb is None:
            return httpx.Response(404, json={"type": "error", "code": "not_found",
                                             "message": f"sandbox {name} not found"})
        if request.method == "POST" and path.endswith("/start"):
            return httpx.Response(202)
        if request.method == "POST" and path.endswith("/stop"):
            return httpx.Response(202)
        if request.method == "DELETE" and len(parts) == 3:
            return httpx.Response(204)
        if request.method == "POST" and path.endswith("/ssh"):
            return httpx.Response(200, json={"ssh_destination": f"-p 2222 {AMIKA_SSH_TOKEN}@ssh.amika.test",
                                             "token": AMIKA_SSH_TOKEN, "expires_at": "2026-01-01T13:00:00Z",
                                             "repo_name": "repo"})
        return httpx.Response(404, json={"message": "no route"})

    def _devbox(self, request: httpx.Request, path: str) -> httpx.Response:
        if request.method == "GET" and path == "/devboxes":
            return httpx.Response(200, json=self.devboxes)
        if request.method == "POST" and path == "/devboxes":
            body = json.loads(request.content)
            dv = devbox(f"id-{body['name']}", "requested", name=body["name"])
            self.devboxes.append(dv)
            return httpx.Response(202, json=dv)
        parts = path.split("/")
        ident = parts[2] if len(parts) > 2 else ""
        if not any(d["id"] == ident for d in self.devboxes):
            return httpx.Response(404, json={"detail": "Devbox not found"})
        if path.endswith("/operations"):
            return httpx.Response(200, json={"data": self.operations.get(ident, [])})
        if path.endswith("/repositories"):
            return httpx.Response(200, json={"data": self.repositories.get(ident, [])})
        if request.method == "DELETE" and len(parts) == 3:
            return httpx.Response(204)
        if request.method == "POST" and path.endswith("/access/session"):
            return httpx.Response(201, json={
                "session_id": "sess_1", "expires_at": "2026-01-01T13:00:00Z",
                "command": "ssh dev@box.devbox.test -p 2222",
                "ssh": {"host": "box.devbox.test", "port": 2222, "username": "dev", "workspace_path": "/ws"}})
        return httpx.Response(404, json={"detail": "no route"})


AMIKA_SSH_TOKEN = "sshtok_abcdefghijklmnopqrstuv"
