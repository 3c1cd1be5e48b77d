"""Keep an encoded `/` inside a sandbox name from splitting the path.

Servers decode `%2F` before routing, so `/sandboxes/org%2Fproj/start` would reach the router as
`/sandboxes/org/proj/start`. Reading the raw path and re-encoding just the name segment lets plain `{name}`
routes match names with slashes, while `…/ssh`, `…/sessions/latest` and friends still route by their suffix.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = b"/api/v0beta1/sandboxes/"


class SandboxNamePathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
            raw = raw.split(b"?", 1)[0]
            if raw.startswith(PREFIX):
                segment, sep, tail = raw[len(PREFIX) :].partition(b"/")
                name = unquote(segment.decode("latin-1"))
                path = PREFIX.decode() + quote(name, safe="")
                if sep:
                    path += "/" + unquote(tail.decode("latin-1"))
                scope = {**scope, "path": path}
        await self.app(scope, receive, send)
