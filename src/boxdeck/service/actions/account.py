"""The Devbox user's account: SSH public key and the GitHub connection (repos, orgs, org grants).

Every call here is user-scoped: it needs the Devbox *user* token (``Authorization: Bearer``) besides the
service token. Without one configured, nothing is sent and :data:`USER_TOKEN_REQUIRED` says how to add it; a
401 from the server gets the same advice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from boxdeck.api.errors import DevboxError
from boxdeck.service.actions.errors import ServiceError, error_status, why_failed
from boxdeck.service.actions.ssh_keys import PublicKeyError, validate_public_key

if TYPE_CHECKING:
    from boxdeck.api import DevboxClient
    from boxdeck.api.devbox_models import GitHubConnection, GitHubOrg, GitHubRepo, UserProfile

__all__ = [
    "DEFAULT_RETURN_URL",
    "DEVBOX_NOT_CONFIGURED",
    "USER_TOKEN_REQUIRED",
    "Account",
    "AccountError",
    "PendingConnect",
]

USER_TOKEN_REQUIRED: Final = (
    "GitHub and account features need a user token: --user-token-file or DEVBOX_USER_TOKEN"
)
DEVBOX_NOT_CONFIGURED: Final = "The Devbox API is not configured: account and GitHub features need it."
DEFAULT_RETURN_URL: Final = "http://127.0.0.1/boxdeck/github-callback"


class AccountError(ServiceError):
    """An account or GitHub call failed (or could not be made). ``reason`` is ``"user-token"`` when the fix is
    to configure a user token, ``"invalid-key"`` for a refused SSH key, ``"timeout"`` for an unfinished
    connect, else ``"error"``."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "error") -> None:
        super().__init__(message, subject=None, status=status)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PendingConnect:
    """A started GitHub connect: where to send the user and until when the link works."""

    authorize_url: str
    expires_at: datetime | None


Sleep = Callable[[float], Awaitable[object]]


class Account:
    """The Devbox user's profile, SSH key and GitHub connection.

    ``has_user_token``: pass ``bool(settings.devbox.user_token)``; False makes every call fail fast with
    :data:`USER_TOKEN_REQUIRED` without sending anything. None (unknown) lets the server decide, and a 401 is
    explained the same way.
    """

    def __init__(self, devbox: DevboxClient | None, *, has_user_token: bool | None = None) -> None:
        self._devbox = devbox
        self._has_user_token = has_user_token
        self.pending_connect: PendingConnect | None = None

    @property
    def available(self) -> bool:
        """Whether account calls can be made (Devbox configured, user token not known to be missing)."""
        return self._devbox is not None and self._has_user_token is not False

    @property
    def unavailable_reason(self) -> str | None:
        """What the screen should say instead of offering account actions; None when :attr:`available`."""
        if self._devbox is None:
            return DEVBOX_NOT_CONFIGURED
        if self._has_user_token is False:
            return USER_TOKEN_REQUIRED
        return None

    def _client(self) -> DevboxClient:
        if self._devbox is None:
            raise AccountError(DEVBOX_NOT_CONFIGURED, reason="devbox")
        if self._has_user_token is False:
            raise AccountError(USER_TOKEN_REQUIRED, reason="user-token")
        return self._devbox

    @staticmethod
    def _failed(what: str, exc: DevboxError) -> AccountError:
        status = error_status(exc)
        if status == 401:
            return AccountError(f"{what}: {why_failed(exc)}. {USER_TOKEN_REQUIRED}", status=401,
                                reason="user-token")
        return AccountError(f"{what}: {why_failed(exc)}", status=status)

    # ------------------------------------------------------------------------------------------- user

    async def profile(self) -> UserProfile:
        """The user's profile (``has_ssh_key``)."""
        client = self._client()
        try:
            return await client.users.get_profile()
        except DevboxError as exc:
            raise self._failed("Could not load your Devbox profile", exc) from exc

    async def set_ssh_key(self, text: str) -> str:
        """Validate ``text`` as an OpenSSH public key, then set it; returns the normalised key that was sent.
        An invalid key raises :class:`AccountError` (reason ``invalid-key``) and nothing is sent."""
        client = self._client()
        try:
            key = validate_public_key(text)
        except PublicKeyError as exc:
            raise AccountError(str(exc), reason="invalid-key") from None
        try:
            await client.users.set_ssh_key(key)
        except DevboxError as exc:
            raise self._failed("Could not set your SSH key", exc) from exc
        return key

    async def delete_ssh_key(self) -> None:
        client = self._client()
        try:
            await client.users.delete_ssh_key()
        except DevboxError as exc:
            raise self._failed("Could not delete your SSH key", exc) from exc

    # ------------------------------------------------------------------------------------------- GitHub

    async def connection(self) -> GitHubConnection | None:
        """The GitHub connection (login, since when), or None when not connected."""
        client = self._client()
        try:
            return await client.github.get_connection()
        except DevboxError as exc:
            raise self._failed("Could not check the GitHub connection", exc) from exc

    async def start_connect(self, return_url: str = DEFAULT_RETURN_URL) -> str:
        """Start connecting GitHub; returns the authorize URL to open (also kept in :attr:`pending_connect`).
        The URL is checked to be a plain http(s) link before it is handed to a browser or the clipboard."""
        client = self._client()
        try:
            start = await client.github.start_oauth(return_url)
        except DevboxError as exc:
            raise self._failed("Could not start connecting GitHub", exc) from exc
        url = (start.authorize_url or "").strip()
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in url)
        ):
            raise AccountError("The server's GitHub authorize link is not a usable http(s) URL.")
        self.pending_connect = PendingConnect(url, start.expires_at)
        return url

    # The timeout is counted in slept intervals (fake-sleep friendly), not a cancel scope.
    async def wait_for_connection(
        self, timeout: float = 300.0, interval: float = 2.0, sleep: Sleep = asyncio.sleep  # noqa: ASYNC109
    ) -> GitHubConnection:
        """Poll the connection until GitHub is connected (first check immediate). Time is counted in the
        intervals slept, so a test's fake ``sleep`` needs no wall clock. Raises :class:`AccountError` (reason
        ``timeout``) when it is still not connected after ``timeout`` seconds."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        waited = 0.0
        while True:
            connection = await self.connection()
            if connection is not None:
                self.pending_connect = None
                return connection
            if waited >= timeout:
                raise AccountError(
                    f"GitHub is still not connected after {timeout:g}s: finish in the browser, then refresh.",
                    reason="timeout",
                )
            step = min(interval, timeout - waited)
            await sleep(step)
            waited += step

    async def disconnect(self) -> None:
        client = self._client()
        try:
            await client.github.disconnect()
        except DevboxError as exc:
            raise self._failed("Could not disconnect GitHub", exc) from exc

    async def repos(self) -> list[GitHubRepo]:
        """Repositories reachable through the connection (private, granted), by name."""
        client = self._client()
        try:
            repos = await client.github.list_repos()
        except DevboxError as exc:
            raise self._failed("Could not list GitHub repositories", exc) from exc
        return sorted(repos, key=lambda r: r.full_name.lower())

    async def orgs(self) -> list[GitHubOrg]:
        """GitHub organisations with their grant toggle, by login."""
        client = self._client()
        try:
            orgs = await client.github.list_orgs()
        except DevboxError as exc:
            raise self._failed("Could not list GitHub organisations", exc) from exc
        return sorted(orgs, key=lambda o: o.org_login.lower())

    async def save_org_grants(self, logins: Iterable[str]) -> int:
        """Grant exactly these orgs (the others lose their grant); returns the server's selected count."""
        client = self._client()
        cleaned: list[str] = []
        for login in logins:
            if not isinstance(login, str) or not login.strip():
                raise AccountError("Organisation logins must be non-empty text.", reason="invalid")
            if login.strip() not in cleaned:
                cleaned.append(login.strip())
        try:
            result = await client.github.update_org_grants(cleaned)
        except DevboxError as exc:
            raise self._failed("Could not save the organisation grants", exc) from exc
        return result.selected_count
