"""What to check when a backend cannot be listed, in the words shown where its boxes would be.

A wrong token or URL otherwise looks like a slow start ("Loading…"): the user sees the failure, the server's
own words, and the one setting to fix (by the name they used: environment variable, flag or profile key)
without pressing a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.health import Health

__all__ = ["Advice", "advice_for"]


@dataclass(frozen=True)
class _Setting:
    env: str
    flag: str
    key: str

    def named(self, profile: str | None) -> str:
        where = f"`{self.key}` in profile {profile!r}" if profile else f"`{self.key}` in a profile"
        return f"{self.env}, {self.flag} or {where}"


_TOKEN = {
    Backend.AMIKA: _Setting("AMIKA_API_KEY", "--amika-token-file", "amika_token"),
    Backend.DEVBOX: _Setting("DEVBOX_SPRITES_TOKEN", "--sprites-token-file", "sprites_token"),
}
_URL = {
    Backend.AMIKA: _Setting("AMIKA_API_URL", "--amika-url", "amika_url"),
    Backend.DEVBOX: _Setting("DEVBOX_API_URL", "--devbox-url", "devbox_url"),
}
_API = {Backend.AMIKA: "Amika API", Backend.DEVBOX: "Devbox API"}


@dataclass(frozen=True)
class Advice:
    headline: str
    """What went wrong, in one sentence."""
    said: str
    """The error as recorded (sanitized and redacted by the monitor): the server's words when it answered."""
    check: str
    """What to check or change, naming the setting."""


def advice_for(backend: Backend, health: Health, *, url: str, profile: str | None = None) -> Advice | None:
    """Advice while `backend` is failing; None while it is not."""
    if not health.consecutive_failures:
        return None
    api = _API[backend]
    error = health.last_error or "no answer"
    low = error.casefold()
    status = health.last_status
    token, address = _TOKEN[backend].named(profile), _URL[backend].named(profile)
    if status in (401, 403):
        word = "refused the token" if status == 401 else "does not allow this token to list boxes"
        extra = " (and DEVBOX_USER_TOKEN / `user_token`, when set)" if backend is Backend.DEVBOX else ""
        host = urlsplit(url).hostname or url
        headline = f"The {api} at {host} {word} (HTTP {status})."
        return Advice(headline, error, f"Check the token: {token}{extra}.")
    if status == 404:
        return Advice(f"{url} has no {api} there (HTTP 404).", error, f"Check the URL: {address}.")
    if status == 429:
        return Advice(
            f"The {api} is rate limiting this client (HTTP 429).",
            error,
            "Nothing to change: boxdeck waits as long as the server asks.",
        )
    if status is not None and status >= 500:
        return Advice(
            f"The {api} at {url} is failing (HTTP {status}).",
            error,
            "Nothing to change on this side: it recovers by itself when the service does.",
        )
    if status is not None:
        return Advice(f"The {api} at {url} answered HTTP {status}.", error, f"Check the URL: {address}.")
    if any(word in low for word in ("ssl", "certificate", "tls")):
        return Advice(
            f"The TLS connection to {url} failed.",
            error,
            f"Check the URL ({address}) and that this machine trusts its certificate "
            "(SSL_CERT_FILE for a private CA).",
        )
    if any(word in low for word in ("name or service", "nodename", "name resolution", "getaddrinfo")):
        return Advice(f"The host in {url} was not found.", error, f"Check the URL: {address}.")
    if "timeout" in low or "timed out" in low:
        return Advice(
            f"{url} did not answer in time.",
            error,
            f"Check the network and the URL ({address}); boxdeck keeps trying.",
        )
    if "refused" in low or "all connection attempts failed" in low:
        return Advice(
            f"Nothing accepted the connection at {url}.",
            error,
            f"Check the URL and its port ({address}); is the service running?",
        )
    return Advice(
        f"The {api} at {url} could not be reached.", error, f"Check the network and the URL ({address})."
    )
