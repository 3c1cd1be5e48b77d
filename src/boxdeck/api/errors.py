"""Exception types of both clients, and the rules that turn an error body into a message a user can read.

Every failure a public method can meet (an HTTP status, a dropped connection, a timeout, a body that is not
JSON) arrives as one of these types, so callers never need to know about httpx. No message ever contains a
token: the messages are built only from status codes, server bodies and exception class names.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .amika_models import Sandbox, SandboxSnapshot

__all__ = [
    "AGENT_AUTH_MARKERS",
    "AmikaAgentAuthError",
    "AmikaDecodeError",
    "AmikaError",
    "AmikaHTTPError",
    "AmikaResponseTooLargeError",
    "AmikaSandboxFailedError",
    "AmikaSnapshotFailedError",
    "AmikaTimeoutError",
    "AmikaTransportError",
    "DevboxApiError",
    "DevboxDecodeError",
    "DevboxError",
    "DevboxRequestTimeoutError",
    "DevboxResponseTooLargeError",
    "DevboxTimeoutError",
    "DevboxTransportError",
    "amika_user_message",
    "devbox_error_detail",
    "extract_agent_auth_error",
]

#: How much of a server-provided text goes into ``str(error)``: enough to read, short enough for a status
#: line.
MESSAGE_LIMIT = 500

#: Substrings of an agent CLI result that mean the agent's AI provider rejected its credentials (GO and TS
#: SDKs).
AGENT_AUTH_MARKERS = ("authentication_error", "Invalid authentication credentials", "Failed to authenticate")

AGENT_AUTH_PREFIX = "remote agent-send: agent failed to authenticate with its AI provider: "
AGENT_AUTH_GUIDANCE = (
    "The sandbox agent's API credentials may have expired or been revoked. "
    "Recreate the sandbox or update its API keys."
)


def _cap(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None


# --------------------------------------------------------------------------------------------------- Amika


class AmikaError(Exception):
    """Base of every error the Amika client raises."""


class AmikaHTTPError(AmikaError):
    """The server answered outside 200-299.

    ``body`` is the raw response text (kept whole for debugging); ``str()`` is ``HTTP <status>: <user
    message>`` with the user message capped, because the CLI and the dashboard show it verbatim.
    """

    def __init__(self, status_code: int, body: str, *, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after
        self.user_message = amika_user_message(body)
        super().__init__(f"HTTP {status_code}: {_cap(self.user_message)}")


class AmikaTransportError(AmikaError):
    """The request never got an HTTP answer (DNS, refused connection, TLS, dropped stream).

    ``request_sent`` is False only when the request certainly never left (no connection could be made), so
    the server cannot have acted on it; otherwise (a connection dropped or a timeout after sending) it may
    have been applied even though its answer was lost.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class AmikaTimeoutError(AmikaTransportError):
    """A request, or a wait helper, ran out of time."""


class AmikaSandboxFailedError(AmikaError):
    """A wait helper saw the sandbox reach ``failed``; the message is the sandbox's ``error_message``."""

    def __init__(self, message: str, *, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(_cap(message))


class AmikaSnapshotFailedError(AmikaError):
    """``wait_for_sandbox_snapshot`` saw the snapshot reach ``failed``; the message is its error_message."""

    def __init__(self, message: str, *, snapshot: SandboxSnapshot) -> None:
        self.snapshot = snapshot
        super().__init__(_cap(message))


class AmikaDecodeError(AmikaError):
    """A 2xx answer whose body is not the JSON the endpoint promises."""


class AmikaResponseTooLargeError(AmikaDecodeError):
    """An answer larger than the client's ``max_body_bytes`` once decompressed; reading stopped at the cap."""


class AmikaAgentAuthError(AmikaError):
    """agent-send failed because the sandbox's agent could not authenticate with its AI provider.

    Deliberately not an ``AmikaHTTPError`` (as in the TS SDK): the HTTP status is an artefact of the server
    wrapping the agent's failure, and the useful fact is that the sandbox's credentials need replacing.
    """

    def __init__(self, result: str, *, status_code: int) -> None:
        self.result = result
        self.status_code = status_code
        super().__init__(f"{AGENT_AUTH_PREFIX}{_cap(result)}\n\n{AGENT_AUTH_GUIDANCE}")


def amika_user_message(body: str) -> str:
    """The message a user should see for an Amika error body.

    A JSON body with a non-empty ``message`` gives ``code: message`` (``code`` wins over the legacy
    ``error_code``) or just ``message``; anything else is shown raw, because a proxy's HTML page is still the
    best clue available.
    """
    data = _load_json(body)
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, str) and message:
            for key in ("code", "error_code"):
                code = data.get(key)
                if isinstance(code, str) and code:
                    return f"{code}: {message}"
            return message
    return body


def extract_agent_auth_error(status: int, body: str) -> str:
    """Return the agent's result text when an agent-send error body reports a provider authentication failure.

    The server wraps the agent CLI's result as a JSON *string* in ``details``; only a result with
    ``is_error: true`` that mentions one of ``AGENT_AUTH_MARKERS`` counts. Anything else gives ``""`` so the
    caller re-raises the original HTTP error.
    """
    if 200 <= status < 300:
        return ""
    envelope = _load_json(body)
    if not isinstance(envelope, dict):
        return ""
    details = envelope.get("details")
    if not isinstance(details, str) or not details:
        return ""
    inner = _load_json(details)
    if not isinstance(inner, dict) or inner.get("is_error") is not True:
        return ""
    result = inner.get("result")
    if not isinstance(result, str) or not result:
        return ""
    return result if any(marker in result for marker in AGENT_AUTH_MARKERS) else ""


# --------------------------------------------------------------------------------------------------- Devbox


class DevboxError(Exception):
    """Base of every error the Devbox client raises."""


class DevboxApiError(DevboxError):
    """The server answered outside 200-299 (or ``wait_for_ready`` met a terminal state, as status 409).

    ``str()`` is ``<status>: <detail>`` as in the published SDK.
    """

    def __init__(self, status: int, detail: str, *, retry_after: float | None = None, body: str = "") -> None:
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        self.body = body
        super().__init__(f"{status}: {_cap(detail)}")


class DevboxTimeoutError(DevboxError):
    """``wait_for_ready`` ran out of time; names the last state it saw so the user knows where it got
    stuck."""

    def __init__(self, devbox_id: str, last_state: str) -> None:
        self.devbox_id = devbox_id
        self.last_state = last_state
        super().__init__(
            f"Devbox {_cap(devbox_id, 100)} did not reach ready state within timeout "
            f"(last state: {_cap(last_state, 100)})"
        )


class DevboxTransportError(DevboxError):
    """The request never got an HTTP answer (DNS, refused connection, TLS, dropped stream).

    ``request_sent``: as for :class:`AmikaTransportError`.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class DevboxRequestTimeoutError(DevboxTransportError):
    """One request ran out of time (distinct from ``DevboxTimeoutError``, which is about a whole wait)."""


class DevboxDecodeError(DevboxError):
    """A 2xx answer whose body is not the JSON the endpoint promises."""


class DevboxResponseTooLargeError(DevboxDecodeError):
    """An answer larger than the client's ``max_body_bytes`` once decompressed; reading stopped at the cap."""


def devbox_error_detail(body: str, reason: str) -> str:
    """The ``detail`` of a FastAPI error body: the string itself, or the ``msg`` of each validation error
    joined with ``", "``; the HTTP reason phrase when the body says nothing usable (as the SDK does)."""
    data = _load_json(body)
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list) and detail:
            parts = []
            for item in detail:
                if isinstance(item, dict) and "msg" in item:
                    parts.append(str(item["msg"]))
                elif isinstance(item, dict | list):
                    parts.append(json.dumps(item))
                else:
                    parts.append(str(item))
            return ", ".join(parts)
    return reason
