"""Where bearer tokens come from.

Tokens can expire and be refreshed behind the client's back (an OAuth session, a file another tool rewrites),
so the clients ask their token source on every request instead of caching a string.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

__all__ = ["StaticTokenSource", "TokenSource", "resolve_token"]


@runtime_checkable
class TokenSource(Protocol):
    """Anything with a ``token()`` method returning the token, either directly or as an awaitable."""

    def token(self) -> str | Awaitable[str]: ...


class StaticTokenSource:
    """A token that never changes. Its repr never shows the token, so it is safe to log the object."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenSource(token=***)"


async def resolve_token(source: TokenSource) -> object:
    """Ask the source for a token, awaiting it when ``token()`` is async.

    Returns ``object`` because user code may hand back anything; the HTTP layer validates it before use.
    """
    value: object = source.token()
    if inspect.isawaitable(value):
        value = await value
    return value
