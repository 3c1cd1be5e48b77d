"""A hostile server on demand (``POST /_sim/hostile``), for the tests that prove a bad server can't hurt the
user. Both behaviours are off by default, touch only ``/api/…`` and end with a reset.

``body``: every answer's body is replaced by one meant to exhaust the client's memory, sent with ``status``
(an error status tests the error bodies a client reads for their message):
- ``gzip_bomb``: a gzip stream that inflates to ``bomb_bytes`` of zeros, compressed as it is sent;
- ``double_gzip_bomb``: the same stream gzipped again (``Content-Encoding: gzip, gzip``);
- ``endless``: a chunked body that never ends.
Each stops when the client hangs up.

``echo``: the server reflects what clients sent it. Every name in a JSON answer gets the credentials of
the request it answers appended as `` [echo …]`` (the bearer token, ``X-Sprites-Token``: the same for every
request of a client, so a name stays the same from poll to poll); every repo, branch, description, error
message and agent reply gets those plus everything remembered since echo was turned on: the agent tokens of
a devbox create, the values of secrets it was sent and the SSH tokens it minted. The suffix is stripped from
request paths again, so a sandbox whose name now holds a token is still addressed by that name.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_KINDS: Final = ("gzip_bomb", "double_gzip_bomb", "endless")
DEFAULT_BOMB_BYTES: Final = 1 << 30

#: JSON keys whose string values get the echo appended: what a client shows as names, repos and messages.
#: Names get only the request's credentials (see the module docstring).
ECHO_KEYS: Final = frozenset(
    {
        "name",
        "repo_name",
        "repo_url",
        "branch",
        "error_message",
        "message",
        "detail",
        "msg",
        "response",
        "full_name",
        "clone_error",
        "description",
    }
)
_CREDENTIAL_HEADERS: Final = (
    "authorization",
    "x-sprites-token",
    "x-provider-token",
    "x-claude-token",
    "x-codex-token",
)
_ECHO_SUFFIX = re.compile(r" \[echo [^\]]*\]")
_SEND_AT: Final = 16 * 1024


class HostileSettings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.echo = False
            self.body: str | None = None
            self.status = 200
            self.bomb_bytes = DEFAULT_BOMB_BYTES
            self.remembered: list[str] = []

    def configure(
        self, *, echo: bool, body: str | None, status: int = 200, bomb_bytes: int | None = None
    ) -> None:
        if body is not None and body not in BODY_KINDS:
            raise ValueError(f"unknown body {body!r}; expected one of {list(BODY_KINDS)}")
        with self._lock:
            self.echo = echo
            self.body = body
            self.status = status
            self.bomb_bytes = bomb_bytes or DEFAULT_BOMB_BYTES
            if not echo:
                self.remembered = []

    def remember(self, *values: str) -> None:
        with self._lock:
            for value in values:
                if value and value not in self.remembered:
                    self.remembered.append(value)

    def suffix(self) -> str:
        with self._lock:
            return _suffix(self.remembered)

    def describe(self) -> dict[str, Any]:
        return {
            "echo": self.echo,
            "body": self.body,
            "status": self.status,
            "bomb_bytes": self.bomb_bytes,
            "remembered": len(self.remembered),
        }


class HostileMiddleware:
    def __init__(self, app: ASGIApp, settings_of: Callable[[], HostileSettings]) -> None:
        self.app = app
        self._settings_of = settings_of  # a callable: the runtime owns the settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        settings = self._settings_of()
        if settings.body is not None:
            return await _send_hostile_body(settings, receive, send)
        if not settings.echo:
            return await self.app(scope, receive, send)
        await _echoing(self.app, settings, scope, receive, send)


# -- hostile bodies ------------------------------------------------------------------------------------------


def _zeros_gzipped(total: int) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    left = total
    while left > 0:
        size = min(left, len(block))
        left -= size
        out = compressor.compress(block if size == len(block) else block[:size])
        if out:
            yield out
    yield compressor.flush()


def _gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def _endless() -> Iterator[bytes]:
    yield b'{"padding": "'
    block = b"x" * 65536
    while True:
        yield block


def _batched(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Tiny compressed pieces joined into sends of at least ``_SEND_AT`` bytes."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        if len(pending) >= _SEND_AT:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


async def _send_hostile_body(settings: HostileSettings, receive: Receive, send: Send) -> None:
    kind = settings.body
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    if kind == "gzip_bomb":
        chunks = _batched(_zeros_gzipped(settings.bomb_bytes))
        headers.append((b"content-encoding", b"gzip"))
    elif kind == "double_gzip_bomb":
        chunks = _batched(_gzipped(_zeros_gzipped(settings.bomb_bytes)))
        headers.append((b"content-encoding", b"gzip, gzip"))
    else:
        chunks = _endless()
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        await send({"type": "http.response.start", "status": settings.status, "headers": headers})
        for chunk in chunks:
            if gone.is_set():
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0)  # let the watcher see a hang-up
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


# -- echo ----------------------------------------------------------------------------------------------------


def _strip_echo_from_path(scope: Scope) -> Scope:
    raw: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
    raw, query_sep, query = raw.partition(b"?")
    segments = raw.split(b"/")
    changed = False
    for index, segment in enumerate(segments):
        text = unquote(segment.decode("latin-1"))
        stripped = _ECHO_SUFFIX.sub("", text)
        if stripped != text:
            segments[index] = quote(stripped, safe="").encode()
            changed = True
    if not changed:
        return scope
    new_raw = b"/".join(segments)
    return {**scope, "raw_path": new_raw + query_sep + query, "path": unquote(new_raw.decode("latin-1"))}


def _suffix(values: list[str]) -> str:
    return f" [echo {' '.join(values)}]" if values else ""


def _credentials(scope: Scope) -> list[str]:
    found = []
    for name, value in scope.get("headers", ()):
        if name.decode("latin-1").lower() in _CREDENTIAL_HEADERS:
            text = value.decode("latin-1").strip()
            found.append(text.split(" ", 1)[1] if text.lower().startswith("bearer ") else text)
    return found


def _secret_fields(data: Any) -> list[str]:
    """The values a client sends secrets and tokens in (a secret's ``value``, a revoked SSH ``token``)."""
    if not isinstance(data, dict):
        return []
    return [v for k in ("value", "token") if isinstance(v := data.get(k), str)]


def _echoed(data: Any, names: str, others: str) -> Any:
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ECHO_KEYS and isinstance(v, str) and v:
                out[k] = v + (names if k == "name" else others)
            else:
                out[k] = _echoed(v, names, others)
        return out
    if isinstance(data, list):
        return [_echoed(v, names, others) for v in data]
    return data


async def _echoing(
    app: ASGIApp, settings: HostileSettings, scope: Scope, receive: Receive, send: Send
) -> None:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    try:
        sent = json.loads(body) if body else None
    except ValueError:
        sent = None
    credentials = _credentials(scope)
    settings.remember(*credentials, *_secret_fields(sent))
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}
        return await receive()

    start: dict[str, Any] = {}
    answer = bytearray()

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        answer.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        content_type = dict(headers).get(b"content-type", b"")
        out = bytes(answer)
        if content_type.startswith(b"application/json") and out:
            try:
                data = json.loads(out)
            except ValueError:
                data = None
            if data is not None:
                minted = data.get("token") if isinstance(data, dict) else None
                if isinstance(minted, str):  # an SSH token the server just minted
                    settings.remember(minted)
                out = json.dumps(_echoed(data, _suffix(credentials), settings.suffix())).encode()
        headers.append((b"content-length", str(len(out)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    await app(_strip_echo_from_path(scope), replay, capture)
