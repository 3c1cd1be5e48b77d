"""Turn any exception from the clients into one line a user can read, with no token and no escape bytes.

Also home of the error types every service shares: `ActionError` (what any user action raises; re-exported
by `boxdeck.service.actions.actions`) and `ServiceError` with its helpers `failure` and `why_failed`, which
turn a client failure into one sentence naming what failed and on which box, with the server's own words,
sanitized for the terminal and scrubbed of tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, TypeVar

from boxdeck.api.errors import (
    AmikaAgentAuthError,
    AmikaDecodeError,
    AmikaHTTPError,
    AmikaResponseTooLargeError,
    AmikaTimeoutError,
    AmikaTransportError,
    DevboxApiError,
    DevboxDecodeError,
    DevboxRequestTimeoutError,
    DevboxResponseTooLargeError,
    DevboxTransportError,
)
from boxdeck.service.text.redact import redact
from boxdeck.service.text.sanitize import sanitize, single_line

__all__ = [
    "MESSAGE_LIMIT",
    "ActionError",
    "AlreadyInFlight",
    "ServiceError",
    "describe_error",
    "error_status",
    "failure",
    "may_have_applied",
    "quoted",
    "retry_after_of",
    "why_failed",
]

#: How long an error message may get (the agent-credentials failure carries the agent's own text).
MESSAGE_LIMIT: Final = 600


def error_status(exc: BaseException) -> int | None:
    """The HTTP status of a server's refusal: a client error's (Amika `status_code`, Devbox `status`) or the
    one an :class:`ActionError` kept."""
    if isinstance(exc, AmikaHTTPError | AmikaAgentAuthError):
        return exc.status_code
    if isinstance(exc, DevboxApiError | ActionError):
        return exc.status
    return None


def retry_after_of(exc: BaseException) -> float | None:
    """The wait a refusal asked for (``Retry-After``), when it asked for one."""
    wait = exc.retry_after if isinstance(exc, AmikaHTTPError | DevboxApiError) else None
    return wait if wait is not None and wait > 0 else None


def describe_error(
    exc: BaseException, redact: Callable[[str], str] | None = None, *, limit: int = 300
) -> str:
    """`HTTP 409: invalid_state: sandbox is already active`, `network error: ConnectError …`, sanitized.

    Amika errors already read `HTTP <status>: …`; Devbox errors read `<status>: <detail>` (as the SDK's do),
    so they get the same `HTTP ` prefix. A transport error with an empty message still names its type.
    """
    text = str(exc).strip()
    status = error_status(exc)
    if status is not None:
        if text.startswith(f"{status}:"):
            text = f"HTTP {text}"
        elif not text.startswith("HTTP "):
            text = f"HTTP {status}: {text}" if text else f"HTTP {status}"
    elif not text:
        text = type(exc).__name__
    if isinstance(exc, AmikaResponseTooLargeError | DevboxResponseTooLargeError):
        text += " (if the answer is real, raise max_response_mb in the config file's [settings])"
    # Sanitize before redacting (an escape sequence inside a token would hide it from the redactor) and
    # redact before cutting (a cut token would no longer match).
    text = single_line(text, limit=1_000_000)
    if redact is not None:
        text = redact(text)
    return single_line(text, limit=limit)


# --------------------------------------------------------------------------------------------- shared errors


class ActionError(Exception):
    """An action failed; `str(e)` is the user-facing message, already sanitized and redacted."""

    def __init__(self, message: str, box_key: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.box_key = box_key
        self.status = status
        """The HTTP status of the server's refusal, when there was one (409, 404, …)."""


class ServiceError(ActionError):
    """A user-facing failure of a service (agent prompts, sessions, secrets, access sessions, account).
    ``str(e)`` is one sanitized sentence, tokens masked.

    ``subject`` is the sandbox name / devbox id it concerns (or None), ``status`` the HTTP status when the
    server answered (404 = gone, 409 = conflict, ...), so a screen can react without parsing the text.
    """

    def __init__(self, message: str, *, subject: str | None = None, status: int | None = None) -> None:
        super().__init__(message, None, status=status)
        self.subject = subject


class AlreadyInFlight(ServiceError):
    """The same request is already out (see :mod:`boxdeck.service.actions.inflight`); nothing was sent.
    ``str(e)`` is one short line: "already starting "web-1"". Not a failure: the first request goes on."""

    def __init__(self, message: str, *, subject: str | None = None, box_key: str | None = None) -> None:
        super().__init__(message, subject=subject)
        self.box_key = box_key


def may_have_applied(exc: BaseException) -> bool:
    """Did the server perhaps act on a request that failed this way? True when the request was sent and its
    answer was lost (the connection dropped, a timeout) or was unreadable (a 2xx whose body was not what the
    endpoint promises) or a gateway gave up waiting for the server (504); False when the server answered
    with an error or the request never left (no connection)."""
    if isinstance(exc, AmikaTransportError | DevboxTransportError):
        return exc.request_sent
    return isinstance(exc, AmikaDecodeError | DevboxDecodeError | TimeoutError) or error_status(exc) == 504


def why_failed(exc: BaseException, *, secrets: Iterable[str | None] = ()) -> str:
    """Why a client call failed, in words a user can act on: one sanitized line, secrets masked.

    Builds on :func:`describe_error` (``HTTP 409: code: message``) and says in plain words what a timeout or
    an unreachable server means.
    """
    text = describe_error(exc, lambda t: redact(t, secrets), limit=MESSAGE_LIMIT)
    if isinstance(exc, AmikaAgentAuthError):
        text = text.removeprefix("remote agent-send: ")
    elif isinstance(exc, AmikaTimeoutError | DevboxRequestTimeoutError | TimeoutError):
        text = f"timed out ({text})"
    elif isinstance(exc, AmikaTransportError):
        text = f"could not reach the Amika API ({text})"
    elif isinstance(exc, DevboxTransportError):
        text = f"could not reach the Devbox API ({text})"
    elif isinstance(exc, AmikaDecodeError | DevboxDecodeError):
        text = f"the server sent an unreadable answer ({text})"
    return text


E = TypeVar("E", bound=ServiceError)


def failure(what: str, exc: BaseException, *, error: type[E], subject: str | None = None,
            secrets: Iterable[str | None] = ()) -> E:
    """Build ``error("<what>: <why>")``; ``what`` already names the box (e.g. "Could not list sessions of
    'dev'")."""
    return error(f"{what}: {why_failed(exc, secrets=secrets)}", subject=subject, status=error_status(exc))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(name: str) -> str:
    """A server-sent or user-typed name, safe and short enough to put in a message."""
    text = " ".join(sanitize(str(name)).split())
    return f'"{_clip(text, 80)}"'
