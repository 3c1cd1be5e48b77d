"""Amika per-sandbox sessions and SSH grants.

The error helpers every service shares (`ServiceError`, `failure`, `why_failed`) live in
:mod:`boxdeck.service.actions.errors`.
"""

from __future__ import annotations

import builtins
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from boxdeck.api.errors import AmikaError
from boxdeck.service.access.hostkeys import KnownHosts, vouch
from boxdeck.service.access.sshcmd import (
    AMIKA_DESTINATION_SHAPE,
    SshCommand,
    SshCommandError,
    amika_ssh_command,
)
from boxdeck.service.actions.errors import ServiceError, error_status, failure, quoted, why_failed
from boxdeck.service.actions.inflight import InFlight
from boxdeck.service.text.sanitize import has_surrogate, sanitize, shown, single_line
from boxdeck.service.text.timefmt import countdown, relative

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient
    from boxdeck.api.amika_models import Session, SSHInfo

__all__ = [
    "MAX_METADATA_BYTES",
    "SESSION_STATUSES",
    "MetadataError",
    "SandboxSessions",
    "SessionError",
    "SessionRow",
    "SshGrant",
    "SshGrantError",
    "SshGrants",
    "format_metadata",
    "parse_metadata_text",
    "session_row",
    "validate_metadata",
]

#: The statuses a session can be marked with (the server's PATCH enum).
SESSION_STATUSES: Final = ("active", "completed", "failed")
#: Metadata larger than this is refused before it is sent: it is for labels, not payloads.
MAX_METADATA_BYTES: Final = 64 * 1024


# --------------------------------------------------------------------------------------------- sessions


class SessionError(ServiceError):
    """A session call failed."""


class MetadataError(ValueError):
    """User-entered metadata is not a JSON object with string keys; ``str(e)`` says what and where."""


_TOO_DEEP = "Metadata is nested too deeply: keep it to a few levels of objects and lists."
_SURROGATE = "Metadata contains a broken character (a lone surrogate) that cannot be sent: retype that text."


def validate_metadata(metadata: object) -> dict[str, Any]:
    """Check that ``metadata`` is a JSON object (str keys, JSON values, finite numbers) of sane size."""
    if not isinstance(metadata, Mapping):
        raise MetadataError(
            f'Metadata must be a JSON object like {{"ticket": "ABC-1"}}, not {_kind(metadata)}.'
        )
    for key in metadata:
        if not isinstance(key, str):
            raise MetadataError(f"Metadata keys must be strings; {key!r} is not.")
    error: MetadataError | None = None
    try:
        encoded = json.dumps(dict(metadata), allow_nan=False, ensure_ascii=False)
        size = len(encoded.encode("utf-8"))
    except RecursionError:
        error = MetadataError(_TOO_DEEP)
    except UnicodeEncodeError:
        error = MetadataError(_SURROGATE)
    except (TypeError, ValueError) as exc:
        error = MetadataError(f"Metadata must hold only JSON values (text, numbers, true/false, null, lists, "
                              f"objects): {single_line(str(exc), limit=200)}")
    if error is not None:
        raise error
    if size > MAX_METADATA_BYTES:
        raise MetadataError(f"Metadata is too large (over {MAX_METADATA_BYTES // 1024} KB).")
    try:
        checked: dict[str, Any] = json.loads(encoded)  # the object just encoded: still a JSON object
    except RecursionError:
        error = MetadataError(_TOO_DEEP)
    if error is not None:
        raise error
    return checked


def _kind(value: object) -> str:
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def parse_metadata_text(text: str) -> dict[str, Any]:
    """Parse what a user typed into the metadata editor. Blank text means ``{}``.

    Raises :class:`MetadataError` naming the line and column of a syntax error, or what was given instead of
    an object (``[1, 2]`` is "a list").
    """
    if not text or not text.strip():
        return {}
    error: MetadataError | None = None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        error = MetadataError(_TOO_DEEP)
    except json.JSONDecodeError as exc:
        error = MetadataError(
            f"Metadata is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        )
    except ValueError as exc:
        error = MetadataError(f"Metadata is not valid JSON: {exc}.")
    if error is not None:
        raise error
    return validate_metadata(value)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


# Characters json.dumps(ensure_ascii=False) writes raw but a terminal or a text box acts on: DEL and C1
# controls, bidi embeddings/overrides/isolates (they reorder what is drawn) and the Unicode line/paragraph
# separators. They can only sit inside JSON strings, where `\uXXXX` is valid and reads back the same.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_c1(text: str) -> str:
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_metadata(metadata: Mapping[str, Any] | None) -> str:
    """Pretty JSON of a session's metadata for a detail view or an editor (round-trips through
    :func:`parse_metadata_text`). Control characters inside values stay escaped, never raw."""
    text = json.dumps(dict(metadata or {}), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return _escape_c1(text)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One sessions-table row, every cell already sanitized text (the id exact: it is the row's key)."""

    id: str
    agent: str
    status: str
    started: str
    ended: str


def session_row(session: Session, now: datetime | None = None) -> SessionRow:
    """Table cells for a session: agent, status, started/ended as relative times ("4m"; "-" if not ended)."""
    now = now or datetime.now(UTC)
    return SessionRow(
        id=sanitize(session.id),
        agent=shown(session.agent_name) or "-",
        status=shown(session.status) or "-",
        started=relative(session.started_at or session.created_at, now),
        ended=relative(session.ended_at, now),
    )


def _newest_first(session: Session) -> float:
    when = session.started_at or session.created_at
    return -when.timestamp() if when else math.inf


class SandboxSessions:
    """Per-sandbox agent sessions (``/sandboxes/{name}/sessions``)."""

    def __init__(self, amika: AmikaClient) -> None:
        self._amika = amika
        self.in_flight = InFlight()
        """A create or change identical to one still out is not sent again."""

    async def list(self, sandbox: str) -> builtins.list[Session]:
        """Every session of a sandbox, newest first."""
        try:
            sessions = await self._amika.list_sessions(sandbox)
        except AmikaError as exc:
            raise failure(f"Could not list the sessions of sandbox {quoted(sandbox)}", exc, subject=sandbox,
                          error=SessionError) from exc
        return sorted(sessions, key=_newest_first)

    async def latest(self, sandbox: str) -> Session | None:
        """The sandbox's latest session, or None when it has none yet."""
        try:
            return await self._amika.get_latest_session(sandbox)
        except AmikaError as exc:
            raise failure(f"Could not get the latest session of sandbox {quoted(sandbox)}", exc,
                          subject=sandbox, error=SessionError) from exc

    async def get(self, sandbox: str, session_id: str) -> Session:
        """One session with its metadata (404 -> "no longer exists")."""
        try:
            return await self._amika.get_session(sandbox, session_id)
        except AmikaError as exc:
            what = f"Could not get session {quoted(session_id)} of sandbox {quoted(sandbox)}"
            raise self._gone_or(exc, what, sandbox) from exc

    async def create(
        self, sandbox: str, agent_name: str, metadata: Mapping[str, Any] | None = None
    ) -> Session:
        """Start a new session record for ``agent_name`` (e.g. "claude") with optional metadata."""
        agent = (agent_name or "").strip()
        if not agent:
            raise SessionError("Give the session an agent name (for example claude or codex).",
                               subject=sandbox)
        controls = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in agent)
        if controls or len(agent) > 100 or has_surrogate(agent):
            raise SessionError("The agent name must be one short line of text.", subject=sandbox)
        checked = validate_metadata(metadata) if metadata is not None else None
        same = ("create", sandbox, agent, json.dumps(checked, sort_keys=True))
        doing = f"creating this session in sandbox {quoted(sandbox)}"
        with self.in_flight.claim(same, doing, subject=sandbox):
            try:
                return await self._amika.create_session(sandbox, agent, metadata=checked)
            except AmikaError as exc:
                raise failure(f"Could not create a session in sandbox {quoted(sandbox)}", exc,
                              subject=sandbox, error=SessionError) from exc

    async def mark(self, sandbox: str, session_id: str, status: str) -> Session:
        """Set a session's status: one of :data:`SESSION_STATUSES`."""
        if status not in SESSION_STATUSES:
            raise SessionError(
                f"A session can be marked {', '.join(SESSION_STATUSES)}; not {quoted(status)}.",
                subject=sandbox,
            )
        doing = f"marking session {quoted(session_id)} {status}"
        with self.in_flight.claim(("mark", sandbox, session_id, status), doing, subject=sandbox):
            try:
                return await self._amika.update_session(sandbox, session_id, status=status)
            except AmikaError as exc:
                what = f"Could not mark session {quoted(session_id)} of sandbox {quoted(sandbox)} {status}"
                raise self._gone_or(exc, what, sandbox) from exc

    async def update_metadata(self, sandbox: str, session_id: str, metadata: Mapping[str, Any]) -> Session:
        """Replace a session's metadata (PATCH with the whole object, as the SDK's tests do)."""
        checked = validate_metadata(metadata)
        doing = f"saving the metadata of session {quoted(session_id)}"
        with self.in_flight.claim(("metadata", sandbox, session_id), doing, subject=sandbox):
            try:
                return await self._amika.update_session(sandbox, session_id, metadata=checked)
            except AmikaError as exc:
                what = (f"Could not save the metadata of session {quoted(session_id)} of sandbox "
                        f"{quoted(sandbox)}")
                raise self._gone_or(exc, what, sandbox) from exc

    @staticmethod
    def _gone_or(exc: AmikaError, what: str, sandbox: str) -> SessionError:
        if error_status(exc) == 404:
            return SessionError(
                f"{what}: it no longer exists ({why_failed(exc)})", subject=sandbox, status=404
            )
        return failure(what, exc, subject=sandbox, error=SessionError)


# --------------------------------------------------------------------------------------------- SSH grants


class SshGrantError(ServiceError):
    """Minting or revoking an Amika SSH grant failed."""


@dataclass(frozen=True)
class SshGrant:
    """The last SSH grant minted for a sandbox. ``info.token`` is secret: show ``command.masked()`` only."""

    sandbox: str
    info: SSHInfo
    command: SshCommand | None
    minted_at: datetime
    #: Why there is no command: the server's destination was refused (nothing may be copied or run).
    refused: str = ""

    @property
    def refusal(self) -> str:
        """The user-facing sentence for a refused destination ("" when there is a command)."""
        if self.command is not None:
            return ""
        why = f": {self.refused}" if self.refused else ""
        return (f"Refused the SSH destination Amika sent for sandbox {quoted(self.sandbox)}{why}. "
                f"A destination may hold only “{AMIKA_DESTINATION_SHAPE}”; nothing was copied or run.")

    @property
    def expires_at(self) -> datetime | None:
        return self.info.expires_at

    def seconds_left(self, now: datetime | None = None) -> float | None:
        """Seconds until the grant expires (negative once expired); None when the server gave no expiry."""
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or datetime.now(UTC))).total_seconds()

    def expired(self, now: datetime | None = None) -> bool:
        left = self.seconds_left(now)
        return left is not None and left <= 0

    def countdown(self, now: datetime | None = None) -> str:
        """"expires in 4m", "expired" or "-" (no expiry given)."""
        return countdown(self.expires_at, now or datetime.now(UTC))

    def __repr__(self) -> str:
        return f"SshGrant(sandbox={self.sandbox!r}, expires_at={self.expires_at!r})"


class SshGrants:
    """Amika SSH grants (``POST/DELETE /sandboxes/{name}/ssh``), remembered per sandbox for the expiry
    countdown.

    Tokens are held only inside the remembered :class:`SshGrant` (needed to revoke it) and are masked in every
    message.
    """

    def __init__(self, amika: AmikaClient, *, clock: Callable[[], datetime] | None = None,
                 known_hosts: KnownHosts | None = None, grants: dict[str, SshGrant] | None = None) -> None:
        self._amika = amika
        self._clock = clock or (lambda: datetime.now(UTC))
        self._known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        #: Shared with the profile's `Actions`, which mints grants too (connect, copy).
        self._grants: dict[str, SshGrant] = grants if grants is not None else {}
        self.in_flight = InFlight()
        """A revoke of a sandbox's access while one is still out is not sent again."""

    async def current(self, sandbox: str) -> SSHInfo:
        """Mint (or fetch) the sandbox's SSH access and remember it with its expiry."""
        try:
            info = await self._amika.get_ssh(sandbox)
        except AmikaError as exc:
            raise failure(f"Could not get SSH access to sandbox {quoted(sandbox)}", exc, subject=sandbox,
                          error=SshGrantError) from exc
        refused = ""
        try:
            command: SshCommand | None = await vouch(amika_ssh_command(info), self._known_hosts)
        except SshCommandError as exc:
            command, refused = None, str(exc)
        self._grants[sandbox] = SshGrant(sandbox, info, command, self._clock(), refused)
        return info

    def remembered(self, sandbox: str) -> SshGrant | None:
        """The last grant minted for the sandbox in this session of the app, if any."""
        return self._grants.get(sandbox)

    def all(self) -> tuple[SshGrant, ...]:
        return tuple(self._grants.values())

    def forget(self, sandbox: str) -> None:
        self._grants.pop(sandbox, None)

    async def revoke(self, sandbox: str) -> None:
        """Revoke the remembered token; with none remembered, mint one and revoke that (as ``amika sandbox ssh
        --revoke`` does). The grant is forgotten afterwards, also when the server says it is already gone."""
        with self.in_flight.claim(("revoke", sandbox), f"revoking SSH access to sandbox {quoted(sandbox)}",
                                  subject=sandbox):
            await self._revoke(sandbox)

    async def _revoke(self, sandbox: str) -> None:
        grant = self._grants.get(sandbox)
        if grant is None or not grant.info.token:
            await self.current(sandbox)
            grant = self._grants.get(sandbox)
        token = grant.info.token if grant else ""
        if not token:
            self.forget(sandbox)
            raise SshGrantError(f"No SSH token to revoke for sandbox {quoted(sandbox)}.", subject=sandbox)
        try:
            await self._amika.revoke_ssh(sandbox, token)
        except AmikaError as exc:
            if error_status(exc) == 404:
                self.forget(sandbox)
            raise failure(f"Could not revoke SSH access to sandbox {quoted(sandbox)}", exc, subject=sandbox,
                          secrets=(token,), error=SshGrantError) from exc
        self.forget(sandbox)
