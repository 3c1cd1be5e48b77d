"""Devbox access: exec sessions, SSH access sessions, and the create-devbox form's request builder.

Two different kinds of "session" live under ``/devboxes/{id}/access``: *exec sessions* (processes running in
the box, listed with their throughput) and *SSH access sessions* (short-lived grants with a ready-to-use ssh
command). Access sessions created here are remembered per devbox with their expiry, so the UI can list and
revoke them (the API cannot list them back).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from boxdeck.api.errors import DevboxError
from boxdeck.service.access.hostkeys import HostKeyError, KnownHosts, vouch
from boxdeck.service.access.ssh_trust import ProxyTrust, ProxyTrustRequired, checked_devbox_command
from boxdeck.service.access.sshcmd import SshCommand, SshCommandError
from boxdeck.service.actions.errors import ServiceError, error_status, failure, quoted, why_failed
from boxdeck.service.actions.inflight import InFlight
from boxdeck.service.text.sanitize import sanitize, shown
from boxdeck.service.text.timefmt import countdown, relative

if TYPE_CHECKING:
    from boxdeck.api import DevboxClient
    from boxdeck.api.devbox_models import AccessSession, ExecSession, GitHubRepo

__all__ = [
    "ENV_KEY_PATTERN",
    "MAX_SETUP_TIMEOUT",
    "AccessError",
    "DevboxAccess",
    "DevboxFormError",
    "ExecSessionRow",
    "KnownAccess",
    "RepoChoice",
    "build_devbox_request",
    "exec_session_row",
    "format_rate",
    "parse_env_text",
    "parse_setup_commands",
]


class AccessError(ServiceError):
    """An exec/access session call failed."""


# ------------------------------------------------------------------------------------------ exec sessions


def format_rate(bytes_per_second: float | None) -> str:
    """Throughput for a table cell: "idle" when nothing flows, else "512 B/s", "1.2 KB/s", "3.4 MB/s"."""
    if bytes_per_second is None or not math.isfinite(bytes_per_second) or bytes_per_second <= 0:
        return "idle"
    value = float(bytes_per_second)
    if value < 1024:
        return f"{value:.0f} B/s" if value >= 1 else "<1 B/s"
    for unit in ("KB/s", "MB/s", "GB/s"):
        value /= 1024
        if value < 1024 or unit == "GB/s":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class ExecSessionRow:
    """One exec-sessions table row, every cell sanitized text (the id exact: it is the row's key)."""

    id: str
    command: str
    workdir: str
    active: str
    tty: str
    last_activity: str
    rate: str


def exec_session_row(session: ExecSession, now: datetime | None = None) -> ExecSessionRow:
    now = now or datetime.now(UTC)
    return ExecSessionRow(
        id=sanitize(session.id),
        command=shown(session.command) or "-",
        workdir=shown(session.workdir) or "-",
        active="yes" if session.is_active else "no",
        tty="yes" if session.tty else "no",
        last_activity=relative(session.last_activity, now),
        rate=format_rate(session.bytes_per_second) if session.is_active else "idle",
    )


# ---------------------------------------------------------------------------------------- access sessions


@dataclass(frozen=True)
class KnownAccess:
    """An SSH access session created in this run of the app."""

    devbox_id: str
    session: AccessSession
    command: SshCommand
    created_at: datetime

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def expires_at(self) -> datetime | None:
        return self.session.expires_at

    @property
    def host_key_fingerprint(self) -> str | None:
        """The host key fingerprint to compare at first connect, sanitized (None when not given)."""
        value = self.session.ssh.host_key_fingerprint
        return sanitize(value) if value else None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))

    def countdown(self, now: datetime | None = None) -> str:
        return countdown(self.expires_at, now or datetime.now(UTC))


class DevboxAccess:
    """Exec sessions and SSH access sessions of devboxes."""

    def __init__(
        self,
        devbox: DevboxClient,
        *,
        clock: Callable[[], datetime] | None = None,
        trust: ProxyTrust | None = None,
        scrub: Callable[[str], str] | None = None,
        known_hosts: KnownHosts | None = None,
    ) -> None:
        """`trust`: the profile's trusted ProxyCommands; `scrub` masks known secrets in one when shown;
        `known_hosts`: the host keys boxdeck vouches for (a pinned host's command accepts only its key)."""
        self._devbox = devbox
        self._known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        self._scrub = scrub
        self._clock = clock or (lambda: datetime.now(UTC))
        self._known: dict[str, dict[str, KnownAccess]] = {}
        self.trust = trust if trust is not None else ProxyTrust()
        self.in_flight = InFlight()
        """An access session opened or revoked while the same one is still out is not sent again."""

    async def list_exec_sessions(self, devbox_id: str) -> list[ExecSession]:
        """The devbox's exec sessions: active ones first, then by most recent activity."""
        try:
            sessions = await self._devbox.devboxes.list_sessions(devbox_id)
        except DevboxError as exc:
            raise failure(f"Could not list the exec sessions of devbox {quoted(devbox_id)}", exc,
                          subject=devbox_id, error=AccessError) from exc

        def order(s: ExecSession) -> tuple[bool, float]:
            when = s.last_activity or s.created
            return (not s.is_active, -when.timestamp() if when else math.inf)

        return sorted(sessions, key=order)

    async def create(self, devbox_id: str) -> tuple[AccessSession, SshCommand]:
        """Open an SSH access session; returns it with its ready-to-use command, and remembers it.

        The command follows the same rules as connecting (:func:`checked_devbox_command`): a ProxyCommand
        the profile has not trusted raises :class:`ProxyTrustRequired` (the session is remembered all the
        same, so it can be revoked).
        """
        doing = f"opening SSH access to devbox {quoted(devbox_id)}"
        with self.in_flight.claim(("open", devbox_id), doing, subject=devbox_id):
            try:
                session = await self._devbox.devboxes.create_session(devbox_id)
            except DevboxError as exc:
                raise failure(f"Could not open SSH access to devbox {quoted(devbox_id)}", exc,
                              subject=devbox_id, error=AccessError) from exc
        try:
            command = checked_devbox_command(session, self.trust, what=f"devbox {quoted(devbox_id)}",
                                             scrub=self._scrub)
        except ProxyTrustRequired as needed:
            self._remember(devbox_id, session, needed.command)
            needed.session = session
            raise
        except SshCommandError as exc:
            raise AccessError(
                f"Devbox {quoted(devbox_id)} opened an access session but its SSH details are unusable: "
                f"{shown(str(exc))}", subject=devbox_id,
            ) from exc
        fingerprint = session.ssh.host_key_fingerprint if session.ssh is not None else None
        try:
            command = await vouch(command, self._known_hosts, fingerprint)
        except HostKeyError as exc:
            self._remember(devbox_id, session, command)  # opened all the same: it can be revoked
            raise AccessError(f"Not connecting to devbox {quoted(devbox_id)}: {exc}",
                              subject=devbox_id) from None
        self._remember(devbox_id, session, command)
        return session, command

    def _remember(self, devbox_id: str, session: AccessSession, command: SshCommand) -> None:
        if session.session_id:
            known = KnownAccess(devbox_id, session, command, self._clock())
            self._known.setdefault(devbox_id, {})[session.session_id] = known

    def known(self, devbox_id: str, *, include_expired: bool = False) -> tuple[KnownAccess, ...]:
        """Access sessions created for the devbox in this run, newest first (expired ones dropped)."""
        now = self._clock()
        sessions = self._known.get(devbox_id, {})
        if not include_expired:
            for session_id in [k for k, v in sessions.items() if v.expired(now)]:
                del sessions[session_id]
        return tuple(sorted(sessions.values(), key=lambda k: k.created_at, reverse=True))

    def remembered(self) -> tuple[str, ...]:
        """The devboxes with access sessions remembered in this run (a few; the fleet may be thousands)."""
        return tuple(devbox_id for devbox_id, sessions in self._known.items() if sessions)

    def forget(self, devbox_id: str, session_id: str | None = None) -> None:
        """Forget one remembered session, or every one of the devbox (e.g. once it is destroyed)."""
        if session_id is None:
            self._known.pop(devbox_id, None)
        else:
            self._known.get(devbox_id, {}).pop(session_id, None)

    async def revoke(self, devbox_id: str, session_id: str) -> None:
        """Revoke an access session. A 404 means it is already revoked or expired: the session is forgotten
        and an :class:`AccessError` with status 404 says so."""
        doing = f"revoking access session {quoted(session_id)}"
        with self.in_flight.claim(("revoke", devbox_id, session_id), doing, subject=devbox_id):
            try:
                await self._devbox.devboxes.revoke_session(devbox_id, session_id)
            except DevboxError as exc:
                if error_status(exc) == 404:
                    self.forget(devbox_id, session_id)
                    raise AccessError(
                        f"Access session {quoted(session_id)} of devbox {quoted(devbox_id)} was already "
                        f"revoked or expired ({why_failed(exc)})", subject=devbox_id, status=404,
                    ) from exc
                raise failure(f"Could not revoke access session {quoted(session_id)} of devbox "
                              f"{quoted(devbox_id)}", exc, subject=devbox_id, error=AccessError) from exc
        self.forget(devbox_id, session_id)


# ------------------------------------------------------------------------------------- create-devbox form

ENV_KEY_PATTERN: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_SETUP_TIMEOUT: Final = 86400
DEFAULT_SETUP_TIMEOUT: Final = 900


class DevboxFormError(ValueError):
    """A create-devbox form value is invalid; ``field`` names the input to focus (``name``, ``repos``,
    ``claude_token``, ``codex_token``, ``env``, ``setup_commands``, ``setup_timeout``)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class RepoChoice:
    """A repository picked for a new devbox. Blank ``ref`` means the repo's default branch; blank
    ``target_path`` means ``/workspace/<repo>``."""

    repo: GitHubRepo
    ref: str = ""
    target_path: str = ""


def parse_env_text(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (blank lines and ``#`` comments skipped; the value may contain ``=`` and is kept
    verbatim) -> dict. Keys must match ``^[A-Za-z_][A-Za-z0-9_]*$`` and appear once."""
    env: dict[str, str] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = raw.lstrip().partition("=")
        key = key.strip()
        if not sep:
            raise DevboxFormError(f"Env line {number}: expected KEY=VALUE.", field="env")
        if not ENV_KEY_PATTERN.match(key):
            raise DevboxFormError(
                f"Env line {number}: {quoted(key)} is not a valid variable name (letters, digits and _, "
                "not starting with a digit).", field="env",
            )
        if key in env:
            raise DevboxFormError(f"Env line {number}: {key} is set twice.", field="env")
        if any(ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) <= 0x9F for c in value):
            raise DevboxFormError(f"Env line {number}: the value of {key} has control characters.",
                                  field="env")
        env[key] = value
    return env


def parse_setup_commands(text: str) -> list[str]:
    """One shell command per non-blank line, in order."""
    commands = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if any(ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) <= 0x9F for c in line):
            raise DevboxFormError(f"Setup command {number} has control characters.", field="setup_commands")
        commands.append(line)
    return commands


def _setup_timeout(value: int | str | None) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_SETUP_TIMEOUT
    if isinstance(value, bool):
        raise DevboxFormError("The setup timeout must be a whole number of seconds.", field="setup_timeout")
    try:
        seconds = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        raise DevboxFormError("The setup timeout must be a whole number of seconds.",
                              field="setup_timeout") from None
    if isinstance(value, float) and value != seconds:
        raise DevboxFormError("The setup timeout must be a whole number of seconds.", field="setup_timeout")
    if not 1 <= seconds <= MAX_SETUP_TIMEOUT:
        raise DevboxFormError(f"The setup timeout must be between 1 and {MAX_SETUP_TIMEOUT} seconds.",
                              field="setup_timeout")
    return seconds


def _repo_request(choice: RepoChoice | tuple[GitHubRepo, str, str], number: int) -> dict[str, Any]:
    if isinstance(choice, RepoChoice):
        repo, ref, target = choice.repo, choice.ref, choice.target_path
    else:
        repo, ref, target = choice
    full_name = (repo.full_name or "").strip()
    if not full_name or not repo.repo_id:
        raise DevboxFormError(f"Repository {number} has no id or name: pick it from the GitHub list.",
                              field="repos")
    ref = (ref or "").strip() or (repo.default_branch or "").strip() or "main"
    if any(c.isspace() for c in ref) or sanitize(ref) != ref:
        raise DevboxFormError(f"The ref of {full_name} must be one word (a branch, tag or commit).",
                              field="repos")
    target = (target or "").strip() or f"/workspace/{full_name.rsplit('/', 1)[-1]}"
    if not target.startswith("/") or sanitize(target) != target or "\n" in target:
        raise DevboxFormError(
            f"The target path of {full_name} must be an absolute path like /workspace/repo.", field="repos"
        )
    return {"repo_id": repo.repo_id, "full_name": full_name, "ref": ref, "target_path": target}


def build_devbox_request(
    name: str,
    *,
    repos: Iterable[RepoChoice | tuple[GitHubRepo, str, str]] = (),
    inject_claude: bool = False,
    inject_codex: bool = False,
    claude_token: str | None = None,
    codex_token: str | None = None,
    env_text: str = "",
    setup_commands_text: str = "",
    setup_timeout: int | str | None = DEFAULT_SETUP_TIMEOUT,
    plan: str | None = None,
) -> dict[str, Any]:
    """Validate the create-devbox form and return the keyword arguments for ``client.devboxes.create(**kw)``
    (``name`` included; ``Actions.create_devbox(**kw)`` takes the same).

    Tokens are included only when their inject toggle is on (and then required); a token without its toggle is
    ignored rather than sent. Optional parts the user left empty are omitted, so the server's defaults apply.
    Raises :class:`DevboxFormError` with the offending ``field``.
    """
    clean_name = (name or "").strip()
    if not clean_name:
        raise DevboxFormError("Give the devbox a name.", field="name")
    if sanitize(clean_name) != clean_name or len(clean_name) > 255:
        raise DevboxFormError("The name must be one line of text (at most 255 characters).", field="name")
    kwargs: dict[str, Any] = {"name": clean_name}
    if plan:
        kwargs["plan"] = plan

    repositories = [_repo_request(choice, n) for n, choice in enumerate(repos, start=1)]
    targets = [r["target_path"] for r in repositories]
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise DevboxFormError(f"Two repositories share the target path {duplicates[0]}.", field="repos")
    if repositories:
        kwargs["repositories"] = repositories

    tokens = {"claude": (inject_claude, claude_token), "codex": (inject_codex, codex_token)}
    for agent, (enabled, token) in tokens.items():
        if not enabled:
            continue
        token = (token or "").strip()
        if not token:
            raise DevboxFormError(f"Paste a {agent.capitalize()} token, or turn off {agent} credential "
                                  "injection.", field=f"{agent}_token")
        if any(c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in token):
            raise DevboxFormError(f"The {agent.capitalize()} token must be one word without spaces.",
                                  field=f"{agent}_token")
        kwargs[f"{agent}_token"] = token
    if inject_claude or inject_codex:
        kwargs["credential_profile"] = {
            "inject_claude_token": bool(inject_claude),
            "inject_codex_token": bool(inject_codex),
        }

    env = parse_env_text(env_text)
    if env:
        kwargs["env"] = env
    commands = parse_setup_commands(setup_commands_text)
    if commands:
        kwargs["setup_commands"] = commands
    kwargs["setup_timeout_seconds"] = _setup_timeout(setup_timeout)
    return kwargs


def request_secrets(kwargs: dict[str, Any]) -> Sequence[str]:
    """The tokens inside a built request, for redacting error messages about it."""
    return tuple(v for k, v in kwargs.items() if k.endswith("_token") and isinstance(v, str))
