"""Ready-to-use `ssh` command lines for both APIs, built only from words that passed a strict grammar.

A server's answer becomes an argv that ssh runs on the user's machine, so nothing in it may make ssh run a
local program, read a local file or connect somewhere the server did not name as the destination, unless the
user trusted it:

- Amika hands out an argument string whose only accepted shape is ``[-p PORT] user@host``. Anything else
  (``-oProxyCommand=…``, ``-F file``, a remote command, a host starting with ``-``) is refused as a whole:
  nothing runs, nothing is copied.
- Devbox hands out a complete command (``ssh user@host -p 2222``, with ``-o ProxyCommand=…`` for a box behind
  a relay). It is parsed the way ssh parses its options; only an allow-list of harmless options is kept and
  every other option (``LocalCommand``, ``-F``, ``-i``, ``IdentityAgent`` …) is dropped. A command that
  cannot be read that way is rebuilt from the session's ``ssh{}`` fields instead. A ProxyCommand runs a
  program locally, so a command carrying one is allowed only when the profile trusts that exact proxy command
  (:func:`decide_devbox` says "needs trust" otherwise).

Every command comes out as ``ssh <options> -- <user@host>``: the destination follows ``--``, so neither it
nor a remote command after it can be read as an option. The user part of an Amika destination is the access
token itself, so its command is a secret in full: anything that shows it must use ``masked()``.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import shlex
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from boxdeck.service.text.redact import MIN_SECRET_LEN, redact
from boxdeck.service.text.sanitize import sanitize

if TYPE_CHECKING:
    from boxdeck.api.amika_models import SSHInfo
    from boxdeck.api.devbox_models import AccessSession

__all__ = [
    "AMIKA_DESTINATION_SHAPE",
    "ProxyNotTrusted",
    "SshCommand",
    "SshCommandError",
    "SshDecision",
    "Verdict",
    "amika_ssh_command",
    "decide_amika",
    "decide_devbox",
    "devbox_ssh_command",
    "parse_destination",
    "proxy_command_problem",
    "valid_host",
    "valid_port",
    "valid_user",
]

AMIKA_DESTINATION_SHAPE: Final = "[-p PORT] user@host"

#: A user part this long in an Amika destination is an access token even when `token` is empty.
_TOKEN_LIKE_USER_LEN = 20
#: Real user names, and tokens (hex, base64url, JWT-style dotted) used as user names. No shell or ssh
#: expansion character (`%`, `$`, quotes, spaces …): a user name reaches `%r` in the user's own ssh_config.
_USER: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+=-]{0,1023}")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_HOSTNAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_MAX_HOST_LEN: Final = 253
_PORT: Final = re.compile(r"[1-9][0-9]{0,4}")
_MAX_PROXY_COMMAND_LEN: Final = 4096


class SshCommandError(ValueError):
    """The server's answer cannot be turned into a safe ssh command; `str(e)` says why (no server text)."""


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    NEEDS_TRUST = "needs-trust"
    REFUSED = "refused"


@dataclass(frozen=True)
class SshCommand:
    argv: tuple[str, ...]
    text: str
    secrets: tuple[str, ...] = ()
    expires_at: datetime | None = None
    #: The ProxyCommand this command makes ssh run on this machine, if any.
    proxy_command: str | None = None
    #: Options the server asked for that were left out (names such as ``LocalCommand`` or ``-F``).
    dropped: tuple[str, ...] = ()
    #: Where the box's work lives, as the server named it (a Devbox session's ``workspace_path``); unchecked
    #: server text: :func:`boxdeck.service.access.editors.remote_path` checks it before it is used.
    workspace: str | None = None

    def masked(self) -> str:
        """The command with every secret shortened to a prefix, safe to show or log."""
        return redact(self.text, self.secrets)

    def __repr__(self) -> str:  # tracebacks and debug logs must not leak the token either
        return f"SshCommand({self.masked()!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True)
class SshDecision:
    """What may be done with a server's SSH answer.

    ``ALLOWED``: run or copy ``command``. ``NEEDS_TRUST``: ``command`` runs ``proxy_command`` locally; it may
    be used only once the user trusted that exact proxy command. ``REFUSED``: ``reason`` says why; there is no
    command.
    """

    verdict: Verdict
    command: SshCommand | None = None
    proxy_command: str | None = None
    reason: str = ""
    dropped: tuple[str, ...] = ()


class ProxyNotTrusted(SshCommandError):
    """The command would run a ProxyCommand the profile has not trusted (a refusal until it is)."""

    def __init__(self, proxy_command: str, command: SshCommand) -> None:
        super().__init__("it runs a local ProxyCommand that has not been trusted")
        self.proxy_command = proxy_command
        self.command = command


# ------------------------------------------------------------------------------------------- the grammar


def valid_user(user: str) -> bool:
    return _USER.fullmatch(user) is not None


def valid_port(port: str) -> bool:
    return _PORT.fullmatch(port) is not None and int(port) <= 65535


def valid_host(host: str) -> str | None:
    """The host as ssh should get it (a bracketed IPv6 address loses its brackets), or None when it is not a
    DNS name, an IPv4 address or an IPv6 address."""
    if host.startswith("[") and host.endswith("]"):
        return _ipv6(host[1:-1])
    if ":" in host:
        return _ipv6(host)
    if len(host) <= _MAX_HOST_LEN and _HOSTNAME.fullmatch(host):
        return host
    return None


def _ipv6(text: str) -> str | None:
    if not text or not all(c in "0123456789abcdefABCDEF:." for c in text):  # no zone (`%eth0`), no junk
        return None
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        return None


def parse_destination(word: str, *, user_required: bool = True) -> tuple[str | None, str]:
    """``user@host`` -> (user, host as ssh should get it); raises :class:`SshCommandError`."""
    user: str | None
    if "@" in word:
        user, _, host = word.partition("@")
        if not valid_user(user):
            raise SshCommandError("its user name has characters a user name or token does not have")
    elif user_required:
        raise SshCommandError("it names no user@host")
    else:
        user, host = None, word
    clean = valid_host(host)
    if clean is None:
        raise SshCommandError("its host is not a host name or an IP address")
    return user, clean


def _finish(options: Sequence[str], user: str | None, host: str) -> tuple[str, ...]:
    destination = f"{user}@{host}" if user else host
    return ("ssh", *options, "--", destination)


def _command(argv: tuple[str, ...], *, secrets: tuple[str, ...] = (), expires_at: datetime | None = None,
             proxy_command: str | None = None, dropped: tuple[str, ...] = (),
             workspace: str | None = None) -> SshCommand:
    return SshCommand(argv=argv, text=shlex.join(argv), secrets=secrets, expires_at=expires_at,
                      proxy_command=proxy_command, dropped=dropped, workspace=workspace)


# ------------------------------------------------------------------------------------------------- Amika


def decide_amika(info: SSHInfo) -> SshDecision:
    """Amika's ``ssh_destination`` may hold only ``[-p PORT] user@host`` (``-pPORT`` too): anything else is
    refused whole."""
    try:
        return SshDecision(Verdict.ALLOWED, command=amika_ssh_command(info))
    except SshCommandError as exc:
        return SshDecision(Verdict.REFUSED, reason=str(exc))


def amika_ssh_command(info: SSHInfo) -> SshCommand:
    """``ssh [-p PORT] -- user@host`` from Amika's destination; the token is the secret. Raises
    :class:`SshCommandError` when the destination is not exactly ``[-p PORT] user@host``."""
    raw = info.ssh_destination or ""
    words = raw.split()
    if not words:
        raise SshCommandError("server returned empty SSH destination")
    port: str | None = None
    if words[0] == "-p" and len(words) >= 2:
        port, words = words[1], words[2:]
    elif words[0].startswith("-p") and len(words[0]) > 2:
        port, words = words[0][2:], words[1:]
    if port is not None and not valid_port(port):
        raise SshCommandError("its port is not a number from 1 to 65535")
    if any(word.startswith("-") for word in words):
        raise SshCommandError("it holds an ssh option other than -p PORT")
    if len(words) != 1:
        raise SshCommandError("it holds more than one user@host")
    user, host = parse_destination(words[0])
    assert user is not None
    argv = _finish(["-p", str(int(port))] if port else [], user, host)
    secrets = [info.token] if info.token else []
    token_in_user = bool(info.token) and info.token in user
    if user != info.token and (token_in_user or len(user) >= _TOKEN_LIKE_USER_LEN):
        secrets.append(user)
    return _command(
        argv,
        secrets=tuple(s for s in secrets if len(s) >= MIN_SECRET_LEN),
        expires_at=info.expires_at,
    )


# ------------------------------------------------------------------------------------------------ Devbox

#: ssh's own option letters (OpenSSH 9): those followed by ':' take an argument.
_SSH_GETOPT: Final = "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy"
_WITH_ARGUMENT: Final = frozenset(c for i, c in enumerate(_SSH_GETOPT) if _SSH_GETOPT[i + 1: i + 2] == ":")
_LETTERS: Final = frozenset(c for c in _SSH_GETOPT if c != ":")
#: Flags a server may set: address family, compression, tty, verbosity, and turning forwarding *off*.
_SAFE_FLAGS: Final = frozenset("46CtTqvax")
_YES_NO: Final = frozenset({"yes", "no"})
_NUMBER: Final = re.compile(r"[0-9]{1,5}")
#: `-o` options a server may set, each with what its value may be. Everything else is dropped: an option that
#: runs a program (LocalCommand, KnownHostsCommand, ProxyUseFdpass …), reads or writes a local file
#: (IdentityFile, CertificateFile, IdentityAgent, ControlPath, UserKnownHostsFile, Include …), forwards
#: something of the user's to the server (ForwardAgent, SendEnv, RemoteForward …) or weakens checks
#: (StrictHostKeyChecking=no, HostKeyAlias).
_SAFE_OPTIONS: Final[dict[str, frozenset[str] | re.Pattern[str]]] = {
    "stricthostkeychecking": frozenset({"yes", "ask", "accept-new"}),
    "serveraliveinterval": _NUMBER,
    "serveralivecountmax": _NUMBER,
    "connecttimeout": _NUMBER,
    "connectionattempts": _NUMBER,
    "tcpkeepalive": _YES_NO,
    "compression": _YES_NO,
    "checkhostip": _YES_NO,
    "requesttty": frozenset({"yes", "no", "force", "auto"}),
    "addressfamily": frozenset({"any", "inet", "inet6"}),
    "loglevel": frozenset({"quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2",
                           "debug3"}),
}
_OPTION: Final = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)", re.DOTALL)
#: How the allowed options are spelled on the way out.
_SPELLING: Final = {
    "stricthostkeychecking": "StrictHostKeyChecking", "serveraliveinterval": "ServerAliveInterval",
    "serveralivecountmax": "ServerAliveCountMax", "connecttimeout": "ConnectTimeout",
    "connectionattempts": "ConnectionAttempts", "tcpkeepalive": "TCPKeepAlive", "compression": "Compression",
    "checkhostip": "CheckHostIP", "requesttty": "RequestTTY", "addressfamily": "AddressFamily",
    "loglevel": "LogLevel",
}


class _Unreadable(Exception):
    """The server's command is not a plain `ssh [options] destination`: rebuild it from `ssh{}`."""


@dataclass
class _Parsed:
    flags: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    port: str | None = None
    login: str | None = None
    proxy: str | None = None
    proxy_seen: bool = False
    destination: str | None = None
    dropped: list[str] = field(default_factory=list)

    def drop(self, name: str) -> None:
        if name not in self.dropped:
            self.dropped.append(name)


def proxy_command_problem(command: str) -> str | None:
    """Why a proxy command cannot even be offered for trust (None when it can): it must be one line of
    printable text, so what the user is shown is exactly what would run."""
    if not command.strip():
        return "it is empty"
    if len(command) > _MAX_PROXY_COMMAND_LEN:
        return "it is too long"
    if not command.isprintable() or sanitize(command) != command:
        return "it holds control or invisible characters"
    return None


def _option(parsed: _Parsed, text: str) -> None:
    match = _OPTION.fullmatch(text)
    if match is None:
        raise _Unreadable
    key, value = match.group(1).lower(), match.group(2).strip()
    # As in ssh, the first value given for an option is the one that counts.
    if key == "proxycommand":
        if not parsed.proxy_seen:
            parsed.proxy_seen = True
            parsed.proxy = None if value.lower() == "none" else value
    elif key == "port":
        parsed.port = parsed.port if parsed.port is not None else value
    elif key == "user":
        parsed.login = parsed.login if parsed.login is not None else value
    else:
        allowed = _SAFE_OPTIONS.get(key)
        if isinstance(allowed, re.Pattern) and allowed.fullmatch(value):
            parsed.options += ["-o", f"{_SPELLING[key]}={value}"]
        elif isinstance(allowed, frozenset) and value.lower() in allowed:
            parsed.options += ["-o", f"{_SPELLING[key]}={value.lower()}"]
        else:
            parsed.drop(match.group(1))


def _flag(parsed: _Parsed, letter: str, argument: str | None) -> None:
    if letter == "p":
        parsed.port = parsed.port if parsed.port is not None else argument
    elif letter == "l":
        parsed.login = parsed.login if parsed.login is not None else argument
    elif letter == "o":
        _option(parsed, argument or "")
    elif letter in _SAFE_FLAGS:
        parsed.flags.append(f"-{letter}")
    else:
        parsed.drop(f"-{letter}")


def _parse_ssh_argv(words: Sequence[str]) -> _Parsed:
    """Read `ssh`'s argv the way ssh's getopt does (bundled flags, attached arguments, options after the
    destination, `--`); a remote command, an unknown flag or a second destination makes it unreadable."""
    parsed = _Parsed()
    i, ended = 1, False
    while i < len(words):
        word = words[i]
        i += 1
        if not ended and word == "--":
            ended = True
            continue
        if not ended and word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                letter = word[j]
                if letter not in _LETTERS:
                    raise _Unreadable
                if letter in _WITH_ARGUMENT:
                    argument = word[j + 1:]
                    if not argument:
                        if i >= len(words):
                            raise _Unreadable
                        argument = words[i]
                        i += 1
                    _flag(parsed, letter, argument)
                    break
                _flag(parsed, letter, None)
                j += 1
            continue
        if parsed.destination is not None:
            raise _Unreadable  # a remote command: not the server's to choose
        parsed.destination = word
    if parsed.destination is None:
        raise _Unreadable
    return parsed


def _from_command(command: str) -> _Parsed:
    command = command.strip()
    if not command or sanitize(command) != command:
        raise _Unreadable
    try:
        words = shlex.split(command)
    except ValueError:
        raise _Unreadable from None
    if len(words) < 2 or words[0] != "ssh":
        raise _Unreadable
    return _parse_ssh_argv(words)


def _from_ssh_fields(session: AccessSession) -> _Parsed:
    ssh = session.ssh
    host = ssh.host.strip()
    if not host:
        raise SshCommandError("the access session has neither a usable command nor an SSH host")
    if "@" in host:
        raise SshCommandError("its host is not a host name or an IP address")
    parsed = _Parsed(destination=host)
    user = ssh.username.strip()
    if user:
        parsed.login = user
    proxy = (ssh.proxy_command or "").strip()
    if proxy:
        parsed.proxy = proxy
        port = ssh.ssh_port or ssh.port
    else:
        port = ssh.port
    if port is not None:
        parsed.port = str(port)
    return parsed


def _build(parsed: _Parsed, session: AccessSession) -> tuple[SshCommand, str | None]:
    """The command from a parsed answer, every word checked; raises :class:`SshCommandError`."""
    assert parsed.destination is not None
    user, host = parse_destination(parsed.destination, user_required=False)
    login = parsed.login
    if login is not None and not valid_user(login):
        raise SshCommandError("its user name has characters a user name does not have")
    if user is None and login is not None:
        user = login
    port = parsed.port
    if port is not None and not valid_port(port):
        raise SshCommandError("its port is not a number from 1 to 65535")
    proxy = parsed.proxy
    if proxy is not None:
        problem = proxy_command_problem(proxy)
        if problem is not None:
            raise SshCommandError(f"its ProxyCommand cannot be shown faithfully: {problem}")
    options = [*(["-o", f"ProxyCommand={proxy}"] if proxy else []), *parsed.flags, *parsed.options]
    if port is not None:
        options += ["-p", str(int(port))]
    argv = _finish(options, user, host)
    # A login name as long as a token is one (a session id, say): masked wherever the command is shown.
    secret = (user,) if user and len(user) >= _TOKEN_LIKE_USER_LEN else ()
    workspace = session.ssh.workspace_path.strip() if session.ssh is not None else ""
    command = _command(argv, secrets=secret, expires_at=session.expires_at,
                       proxy_command=proxy, dropped=tuple(parsed.dropped), workspace=workspace or None)
    return command, proxy


def decide_devbox(session: AccessSession, trusted: Container[str] = ()) -> SshDecision:
    """The rule for a Devbox access session, with no I/O: the session's own ``command`` when ssh would read
    it as ``ssh [options] destination`` (only allowed options kept), else a command built from ``ssh{}``;
    a ProxyCommand in it makes it NEEDS_TRUST unless ``trusted`` holds that exact proxy command."""
    try:
        try:
            parsed = _from_command(session.command or "")
            command, proxy = _build(parsed, session)
        except (_Unreadable, SshCommandError):
            command, proxy = _build(_from_ssh_fields(session), session)
    except SshCommandError as exc:
        return SshDecision(Verdict.REFUSED, reason=str(exc))
    if proxy is not None and proxy not in trusted:
        return SshDecision(Verdict.NEEDS_TRUST, command=command, proxy_command=proxy, dropped=command.dropped)
    return SshDecision(Verdict.ALLOWED, command=command, proxy_command=proxy, dropped=command.dropped)


def devbox_ssh_command(session: AccessSession, trusted: Container[str] = ()) -> SshCommand:
    """The command :func:`decide_devbox` allows; raises :class:`ProxyNotTrusted` when it needs trust and
    :class:`SshCommandError` when it is refused."""
    decision = decide_devbox(session, trusted)
    if decision.verdict is Verdict.NEEDS_TRUST:
        assert decision.command is not None and decision.proxy_command is not None
        raise ProxyNotTrusted(decision.proxy_command, decision.command)
    if decision.command is None:
        raise SshCommandError(decision.reason)
    return decision.command
