"""The fault injector: a share of API requests fail the way real services and their gateways fail.

It wraps the whole ASGI stack (outside Starlette's error middleware) because a dropped connection needs
uvicorn's own `send`, whose cycle owns the socket; it only ever touches `/api/…`, never `/_sim/` or the docs.
Its RNG is seeded separately from the world's, so turning faults on never changes which boxes exist or fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxdeck.sim.config import FAULT_KINDS

GATEWAY_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>"
    b"\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class FaultSettings:
    """What fails and how; also counts the `/api/` requests that arrived (``requests``, by "METHOD /path"),
    so a test can tell how many times a request reached the server whatever the client believes."""

    def __init__(
        self, seed: int, rate: float = 0.0, kinds: Iterable[str] | None = None, slow_seconds: float = 1.5
    ):
        self._lock = threading.Lock()
        self.seed = seed
        self.injected: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.retry_after = 1.0
        self.methods: tuple[str, ...] | None = None
        self.configure(rate, kinds, slow_seconds)

    def configure(
        self,
        rate: float,
        kinds: Iterable[str] | None = None,
        slow_seconds: float | None = None,
        *,
        retry_after: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """``methods`` limits the faults to requests of those HTTP methods (``["POST"]``: only writes fail);
        ``retry_after`` is the Retry-After (seconds) sent with a 429 or 503. Both are reset when not given."""
        kinds = tuple(kinds) if kinds else FAULT_KINDS
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; expected some of {list(FAULT_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        if retry_after is not None and not retry_after >= 0:
            raise ValueError("retry_after must be at least 0")
        with self._lock:
            self.rate = rate
            self.kinds = kinds
            if slow_seconds is not None:
                self.slow_seconds = slow_seconds
            self.retry_after = 1.0 if retry_after is None else retry_after
            self.methods = tuple(m.upper() for m in methods) if methods else None
            self.rng = random.Random(f"faults:{self.seed}")

    def draw(self, method: str = "GET") -> str | None:
        with self._lock:
            if self.rate <= 0 or (self.methods is not None and method.upper() not in self.methods):
                return None
            if self.rng.random() >= self.rate:
                return None
            kind = self.rng.choice(self.kinds)
            self.injected[kind] += 1
            return kind

    def clear_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.injected.clear()

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self.requests[f"{method.upper()} {path}"] += 1

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "slow_seconds": self.slow_seconds,
            "retry_after": self.retry_after,
            "methods": list(self.methods) if self.methods is not None else None,
            "injected": dict(self.injected),
        }


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults_of: Callable[[], FaultSettings]) -> None:
        self.app = app
        self._faults_of = faults_of  # a callable, so a reset that swaps settings is seen at once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        faults = self._faults_of()
        faults.count(scope["method"], scope["path"])
        kind = faults.draw(scope["method"])
        if kind is None:
            return await self.app(scope, receive, send)
        if kind == "slow":
            await asyncio.sleep(faults.slow_seconds)
            return await self.app(scope, receive, send)
        if kind == "drop":
            return await drop(send)
        if kind == "drop-after":
            return await self._drop_after(scope, receive, send)
        amika = scope["path"].startswith("/api/v0beta1")
        status = int(kind)
        headers: list[tuple[bytes, bytes]] = []
        if status == 502:
            body, ctype = GATEWAY_502, b"text/html"
        elif status == 500 and not amika:
            body, ctype = b"Internal Server Error", b"text/plain; charset=utf-8"
        else:
            code, message = {
                500: ("internal_error", "internal server error"),
                503: ("service_unavailable", "service temporarily unavailable"),
                429: ("rate_limited", "too many requests, slow down"),
            }[status]
            payload = {"type": "error", "code": code, "message": message} if amika else {"detail": message}
            body, ctype = json.dumps(payload).encode(), b"application/json"
        if status in (429, 503):
            headers.append((b"retry-after", f"{faults.retry_after:g}".encode()))
        headers += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


    async def _drop_after(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the request in full (a create creates, a prompt reaches the agent), throw its answer away
        and close the connection: the lost answer a client must not take for "nothing happened"."""

        async def discard(_message: Message) -> None:
            return None

        # A handler's crash would have answered 500: that answer is dropped all the same.
        with contextlib.suppress(Exception):
            await self.app(scope, receive, discard)
        await drop(send)


async def drop(send: Send) -> None:
    """Close the socket without answering. Under uvicorn `send` is bound to the request cycle that owns the
    transport; elsewhere (in-process test transports) fall back to a response cut off mid-body."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(
            0.01
        )  # let connection_lost run, so uvicorn knows the peer is gone and stays quiet
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})
