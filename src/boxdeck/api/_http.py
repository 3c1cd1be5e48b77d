"""The request plumbing both clients share: base-URL checks, auth headers, timeouts, error mapping, request
log.

Each client supplies its own exception types through ``ErrorTypes``, so this module owns the rules (what
counts as success, what a timeout is, what gets logged) once, and the clients only describe their endpoints.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote, urlsplit

import httpx

from .. import __version__
from ._body import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_BODY_BYTES,
    ERROR_BODY_BYTES,
    BodyEncodingError,
    BodyTooLarge,
    check_limit,
    read_body,
)
from ._memo import ListMemo
from ._net import canonical_loopback_host
from .tokens import TokenSource, resolve_token

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ApiClient",
    "DEFAULT_TIMEOUT",
    "NO_BODY",
    "ErrorTypes",
    "HttpCore",
    "RequestRecord",
    "RequestObserver",
    "check_token",
    "normalize_base_url",
    "parse_retry_after",
    "body_text",
    "path_segment",
]

log = logging.getLogger(__name__)

#: Per-request time limit (both SDKs use 30 s).
DEFAULT_TIMEOUT: Final = 30.0

#: Bodies at least this big are decoded in a worker thread, off the event loop.
OFFLOAD_BYTES: Final = 256 * 1024

USER_AGENT: Final = f"boxdeck/{__version__}"


class _NoBody:
    """Marks "send no body at all", which differs from sending JSON ``null``."""

    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Final = _NoBody()


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished request, for the request log. Carries no headers, bodies or query strings: those may hold
    secrets, and the log is shown on screen.

    ``path`` is relative to the API prefix (``/sandboxes/dev``), percent-encoded as sent. ``status`` is None
    when no HTTP answer arrived; ``error`` is a short reason (``HTTP 404``, ``ConnectError: …``) or None on
    success.
    """

    api: str
    method: str
    path: str
    status: int | None
    latency_s: float
    error: str | None


RequestObserver = Callable[[RequestRecord], None]


@dataclass(frozen=True, slots=True)
class ErrorTypes:
    """How one client turns each kind of failure into its own exception.

    ``http`` gets the response (status, reason, headers) and its body as text, read with a cap: the body
    itself is gone by then (it was streamed). ``transport`` and ``timeout`` are called as
    ``transport(message, request_sent=...)``: whether the request may have reached the server.
    """

    http: Callable[[httpx.Response, str, float | None], Exception]
    transport: Callable[..., Exception]
    timeout: Callable[..., Exception]
    decode: Callable[[str], Exception]
    too_large: Callable[[str], Exception]


def normalize_base_url(base_url: str, prefix: str, *, allow_insecure: bool) -> str:
    """Trim trailing slashes, append the API prefix, and refuse URLs a token must not be sent to.

    Plain ``http://`` is accepted only for loopback hosts (the simulator, an SSH tunnel) unless the caller
    opts in with ``allow_insecure``: anything else would put the bearer token on the network in clear text.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError("base URL is required")
    text = base_url.strip().rstrip("/")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"base URL must start with https:// (got scheme {parts.scheme!r})")
    if not parts.hostname:
        raise ValueError("base URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base URL must not contain credentials; pass the token separately")
    if parts.query or parts.fragment:
        raise ValueError("base URL must not contain a query or fragment")
    if scheme == "http":
        # The rule is checked on the host as urllib reads it *and* as httpx (which connects) reads it.
        try:
            target: httpx.URL | None = httpx.URL(text)
        except Exception:  # httpx cannot parse it: no request will ever go out
            target = None
        canonical = canonical_loopback_host(target.host) if target is not None else None
        loopback = canonical_loopback_host(parts.hostname) is not None and (
            target is None or canonical is not None
        )
        if not loopback and not allow_insecure:
            raise ValueError(
                f"refusing plain http:// to non-loopback host {parts.hostname!r}: the token would travel "
                "unencrypted (use https://, or pass allow_insecure=True)"
            )
        if target is not None and canonical is not None and canonical != target.host:
            # "LOCALHOST." or "[::ffff:127.0.0.1]": connect to the plain spelling of the same place.
            text = str(target.copy_with(host=canonical)).rstrip("/")
    return text + prefix


def path_segment(value: str, *, what: str = "path segment") -> str:
    """Percent-encode ``value`` as exactly one path segment, the way JavaScript's ``encodeURIComponent`` does.

    ``.`` and ``..`` are refused: percent-encoding leaves them alone and URL normalisation would then climb
    out of the resource (``DELETE /sandboxes/..`` would hit the API root).
    """
    check_raw_segment(value, what=what, allow_unsafe_chars=True)
    return quote(value, safe="!*'()")


def check_raw_segment(value: str, *, what: str, allow_unsafe_chars: bool = False) -> str:
    """Validate a segment that goes into the path unescaped (the Amika SDKs do not escape secret ids).

    Real ids never contain ``/``, ``?``, ``#``, ``%`` or whitespace, so instead of escaping them (and
    departing from the wire reference) such values are refused: sent raw, they would address a different
    resource.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if value in (".", ".."):
        raise ValueError(f"{what} must not be {value!r}")
    if not allow_unsafe_chars and any(ch in "/?#%\\" or ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"{what} contains characters that are not allowed in a URL path: {value!r}")
    return value


def check_token(value: object, *, what: str) -> str:
    """Make sure a token can be sent as a header; never echoes the token itself."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"{what} contains characters that cannot be sent in an HTTP header")
    return value


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date; None when absent or
    unreadable. A date in the past gives 0."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


HeaderFactory = Callable[[], Awaitable[dict[str, str]]]


class HttpCore:
    """One lazily created, pooled ``httpx.AsyncClient`` plus the request/response rules of the wire
    references.

    Redirects are not followed: httpx drops ``Authorization`` on a cross-origin redirect but would forward
    custom token headers such as ``X-Sprites-Token``, so a 3xx surfaces as an HTTP error instead.

    Bodies are streamed and decoded with a cap (``max_body_bytes`` once decompressed, see ``_body``): a gzip
    bomb or an endless body ends in the client's ``too_large`` error instead of eating the machine's memory.
    """

    def __init__(
        self,
        *,
        api: str,
        base_url: str,
        auth_headers: HeaderFactory,
        errors: ErrorTypes,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_request: RequestObserver | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.api = api
        self.base_url = base_url
        self.timeout = timeout
        self.max_body_bytes = check_limit(max_body_bytes)
        self._auth_headers = auth_headers
        self._errors = errors
        self._transport = transport
        self._on_request = on_request
        self._client: httpx.AsyncClient | None = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=self.timeout,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            )
        return self._client

    async def aclose(self) -> None:
        """Close the pooled connection; a later request opens a fresh pool."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = NO_BODY,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request limit handed to httpx, not a deadline
        parse: bool = True,
        memo: ListMemo[Any] | None = None,
    ) -> Any:
        """Send one request and return its parsed JSON (None for an empty body, or when ``parse`` is False).

        With ``memo`` (list endpoints) the memo decodes the body: a list comes back as its rows' bytes, for
        the memo to turn into models (see ``_memo``).

        Raises the client's error types only: an HTTP error for any status outside 200-299, a transport or
        timeout error when no answer arrived in time, a decode error for a 2xx body that is not JSON.
        """
        request_headers = dict(await self._auth_headers())
        if headers:
            request_headers.update(headers)
        content: bytes | None = None
        if body is not NO_BODY:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            request_headers["Content-Type"] = "application/json"
        limit = self.timeout if timeout is None else timeout

        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            try:
                async with asyncio.timeout(limit):
                    client = self._get_client()
                    request = client.build_request(
                        method,
                        self.base_url + path,
                        content=content,
                        headers=request_headers,
                        timeout=httpx.Timeout(limit),
                    )
                    response = await client.send(request, stream=True)
                    try:
                        status = response.status_code
                        ok = 200 <= status < 300
                        if ok:
                            body = await read_body(response, self.max_body_bytes)
                        else:
                            body = await read_body(response, ERROR_BODY_BYTES, truncate=True)
                    finally:
                        await response.aclose()
            except (httpx.TimeoutException, TimeoutError) as exc:
                error = _describe(exc) if isinstance(exc, httpx.TimeoutException) else "timeout"
                raise self._errors.timeout(
                    f"{method} {path} timed out after {limit:g}s ({_describe(exc)})",
                    request_sent=not never_sent(exc),
                ) from exc
            except BodyTooLarge as exc:
                error = "answer too large"
                raise self._errors.too_large(
                    f"{method} {path}: the answer is {exc} (max_body_bytes); reading stopped there"
                ) from None
            except BodyEncodingError as exc:
                error = "unreadable encoding"
                raise self._errors.decode(f"{method} {path}: {exc}") from None
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                error = _describe(exc)
                raise self._errors.transport(
                    f"{method} {path} failed: {_describe(exc)}", request_sent=not never_sent(exc)
                ) from exc
            if not ok:
                error = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                raise self._errors.http(response, body_text(response, body), retry_after)
            if not parse:
                return None
            try:
                decode = decode_json if memo is None else memo.decode
                if len(body) >= OFFLOAD_BYTES:  # a big list: decoding it on the loop would stall the UI
                    data = await asyncio.to_thread(decode, body)
                else:
                    data = decode(body)
                return data
            except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
                error = "invalid JSON"
                raise self._errors.decode(
                    f"{method} {path} returned HTTP {status} with a body that is not JSON"
                ) from exc
        finally:
            self._record(method, path, status, time.perf_counter() - started, error)

    def _record(self, method: str, path: str, status: int | None, latency: float, error: str | None) -> None:
        if self._on_request is None:
            return
        record = RequestRecord(
            api=self.api, method=method, path=path, status=status, latency_s=latency, error=error
        )
        try:
            self._on_request(record)
        except Exception:  # a broken request log must not break API calls
            log.exception("on_request observer failed")


def body_text(response: httpx.Response, body: bytes | bytearray) -> str:
    """A body read from ``response`` as text in its declared charset, or as lenient UTF-8 when that charset
    cannot decode it (``utf-16`` without a BOM, ``idna``, ``base64``, an unknown name): an error body must
    still become the client's own HTTP error."""
    try:
        return bytes(body).decode(response.charset_encoding or "utf-8")
    except Exception:
        return bytes(body).decode("utf-8", "replace")


def decode_json(content: bytes | bytearray) -> Any:
    """Parse a 2xx body: empty (or whitespace) means "no data" and gives None; anything else must be JSON."""
    if not content or content.isspace():
        return None
    return json.loads(content)


def never_sent(exc: BaseException) -> bool:
    """httpx raised this before any byte of the request left (no connection, no free pooled connection):
    the server cannot have acted on it. Anything else (a read or write error, a dropped connection, a read
    timeout, our own deadline) may come after the server received the request and applied it."""
    return isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol
        | httpx.InvalidURL
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if not text:
        return name
    return f"{name}: {text[:200]}"


class ApiClient:
    """What both clients share: one :class:`HttpCore` (a pooled connection, closed by ``aclose()`` or at the
    end of ``async with``) and tokens asked of their source on every request, checked before they are sent.

    A subclass names its base exception as ``_error`` and sets ``base_url`` and ``_core`` in ``__init__``.
    """

    base_url: str
    _core: HttpCore
    _error: type[Exception]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._core.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._core.request(method, path, **kwargs)

    async def _token(self, source: TokenSource, what: str) -> str:
        """The token ``source`` gives now; a source that fails or gives something unsendable is the client's
        error (naming ``what``, never the token)."""
        try:
            token = await resolve_token(source)
        except Exception as exc:
            raise self._error(f"{what} source failed: {type(exc).__name__}") from exc
        try:
            return check_token(token, what=what)
        except ValueError as exc:
            raise self._error(str(exc)) from None
