"""Ready-to-use `ssh` command lines for both APIs, with their secrets known so they can be masked.

Amika hands out an argument string (`-p 2222 TOKEN@host`) whose user part is the access token itself, so the
command is a secret in full; anything that shows it (a notification, a log) must use `masked()`. Devbox hands
out a complete command; it is used only when it parses as a plain `ssh …` argv, and re-quoted with
`shlex.join` so a server cannot smuggle shell syntax (`;`, `$(…)`) into something the user pastes.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from boxdeck.service.redact import MIN_SECRET_LEN, redact
from boxdeck.service.text import sanitize

if TYPE_CHECKING:
    from boxdeck.api.amika_models import SSHInfo
    from boxdeck.api.devbox_models import AccessSession

__all__ = ["SshCommand", "SshCommandError", "amika_ssh_command", "devbox_ssh_command"]

#: A user part this long in an Amika destination is an access token even when `token` is empty.
_TOKEN_LIKE_USER_LEN = 20


class SshCommandError(ValueError):
    """The server's answer cannot be turned into a safe ssh command (empty destination, no host, …)."""


@dataclass(frozen=True)
class SshCommand:
    argv: tuple[str, ...]
    text: str
    secrets: tuple[str, ...] = ()
    expires_at: datetime | None = None

    def masked(self) -> str:
        """The command with every secret shortened to a prefix, safe to show or log."""
        return redact(self.text, self.secrets)

    def __repr__(self) -> str:  # tracebacks and debug logs must not leak the token either
        return f"SshCommand({self.masked()!r}, expires_at={self.expires_at!r})"


def _clean_words(words: list[str]) -> bool:
    return all(w and sanitize(w) == w and not any(c.isspace() and c != " " for c in w) for w in words)


def _destination_user(argv: list[str]) -> str | None:
    """The user of the last `user@host` word, i.e. the destination ssh will log in as."""
    for word in reversed(argv[1:]):
        if not word.startswith("-") and "@" in word:
            return word.rsplit("@", 1)[0]
    return None


def amika_ssh_command(info: SSHInfo) -> SshCommand:
    """`ssh` followed by the words of `ssh_destination` (CLI behaviour); the token is the secret."""
    destination = sanitize(info.ssh_destination or "").strip()
    if not destination:
        raise SshCommandError("server returned empty SSH destination")
    try:
        words = shlex.split(destination)
    except ValueError:
        words = destination.split()
    argv = ["ssh", *words]
    secrets = [info.token] if info.token else []
    user = _destination_user(argv)
    token_in_user = bool(info.token) and info.token in (user or "")
    if user and user != info.token and (token_in_user or len(user) >= _TOKEN_LIKE_USER_LEN):
        secrets.append(user)
    return SshCommand(
        argv=tuple(argv),
        text=shlex.join(argv),
        secrets=tuple(s for s in secrets if len(s) >= MIN_SECRET_LEN),
        expires_at=getattr(info, "expires_at", None),
    )


def _server_command(command: str) -> list[str] | None:
    command = command.strip()
    if not command or "\n" in command or "\r" in command:
        return None
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if len(argv) < 2 or argv[0] != "ssh" or not _clean_words(argv):
        return None
    return argv


def devbox_ssh_command(session: AccessSession) -> SshCommand:
    """The session's own `command` when it is a clean `ssh …`; otherwise rebuilt from `ssh{}`."""
    argv = _server_command(session.command or "")
    if argv is None:
        argv = _build_from_ssh(session)
    return SshCommand(argv=tuple(argv), text=shlex.join(argv), secrets=(),
                      expires_at=getattr(session, "expires_at", None))


def _build_from_ssh(session: AccessSession) -> list[str]:
    ssh = session.ssh
    host = sanitize(str(getattr(ssh, "host", "") or "")).strip() if ssh is not None else ""
    if ssh is None or not host:
        raise SshCommandError("the access session has neither a usable command nor an SSH host")
    user = sanitize(str(ssh.username or "")).strip()
    destination = f"{user}@{host}" if user else host
    proxy = sanitize(str(ssh.proxy_command or "")).strip()
    if proxy:
        port = ssh.ssh_port or ssh.port
        argv = ["ssh", "-o", f"ProxyCommand={proxy}", destination]
    else:
        port = ssh.port
        argv = ["ssh", destination]
    if port:
        argv += ["-p", str(int(port))]
    return argv
