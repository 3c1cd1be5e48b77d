"""Turn any exception from the clients into one line a user can read, with no token and no escape bytes."""

from __future__ import annotations

from collections.abc import Callable

from boxdeck.service.text import single_line

__all__ = ["describe_error", "error_status", "retry_after_of"]


def error_status(exc: BaseException) -> int | None:
    """The HTTP status an api error carries (Amika `status_code`, Devbox `status`), if any."""
    for attr in ("status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def retry_after_of(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


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
    # Sanitize before redacting (an escape sequence inside a token would hide it from the redactor) and
    # redact before cutting (a cut token would no longer match).
    text = single_line(text, limit=1_000_000)
    if redact is not None:
        text = redact(text)
    return single_line(text, limit=limit)
