"""`~/.ssh/boxdeck.conf`: a stable ``Host`` alias per box, so any tool that speaks ssh reaches it by name.

An editor's Remote-SSH, ``scp``, ``rsync`` or a plain ``ssh boxdeck-api`` read the user's ssh configuration,
not boxdeck's argv. This module turns the argv boxdeck itself would run (built by
:mod:`boxdeck.service.access.sshcmd` and vouched for by :mod:`boxdeck.service.access.hostkeys`) into one
``Host`` block per box, and keeps the file:

- The options are exactly the argv's, translated word for word (``-p`` is ``Port``, ``-o Key=Value`` is the
  line ``Key Value``, which ssh reads with the same parser); only the options those builders can emit are
  accepted, so nothing a server sent can add another. The alias comes from the box's name through a strict
  grammar (``boxdeck-`` and lower-case letters, digits and dashes); server text never reaches a comment.
- The file is regenerated whole on every write (mode 0600: an Amika entry's user is its access token), with
  a header saying it is managed and a line per entry saying when its access expires.
- SSH grants and access sessions expire: :meth:`SshConfig.renew_due` mints new ones for the entries close to
  expiry and rewrites the file; the dashboard calls it as it runs, ``ssh-config --write`` on demand.
- ``~/.ssh/config`` gets ``Include boxdeck.conf`` at its top, once, with a backup of what it was
  (:meth:`SshConfigFile.add_include`); the caller decides whether to ask.

``home`` is always passed in (the user's home in use, a temporary one in tests).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, unquote

from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.actions.errors import ActionError
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.paths import atomic_write_text, ensure_private_dir
from boxdeck.service.text.timefmt import aware

if TYPE_CHECKING:
    from boxdeck.service.actions.actions import Actions

__all__ = [
    "ALIAS_PREFIX",
    "DEFAULT_RENEW_BEFORE",
    "INCLUDE_LINE",
    "HostEntry",
    "SshConfig",
    "SshConfigError",
    "SshConfigFile",
    "WriteResult",
    "alias_base",
    "assign_aliases",
    "host_options",
    "parse",
    "render",
]

ALIAS_PREFIX: Final = "boxdeck-"
FILE_NAME: Final = "boxdeck.conf"
INCLUDE_LINE: Final = f"Include {FILE_NAME}"
BACKUP_SUFFIX: Final = ".boxdeck-backup"
#: Renew an entry when this little time (seconds) is left on its access.
DEFAULT_RENEW_BEFORE: Final = 600.0
_MAX_NAME: Final = 40
_ENTRY: Final = "# boxdeck-entry"
_ENTRY_LINE: Final = re.compile(
    rf"{_ENTRY} backend=(amika|devbox) key=([A-Za-z0-9._~%-]+) expires=(\S+)"
)
_ALIAS: Final = re.compile(rf"{ALIAS_PREFIX}[a-z0-9]+(?:-[a-z0-9]+)*")
HEADER: Final = (
    "# Managed by boxdeck: `boxdeck ssh-config --write` regenerates this file whole,\n"
    "# so edits here are lost. Each entry names when its SSH access expires; a running\n"
    "# boxdeck dashboard renews entries before then, `boxdeck ssh-config --write` on demand.\n"
    f"# `ssh boxdeck-NAME` works once ~/.ssh/config has the line `{INCLUDE_LINE}`.\n"
)
_INCLUDE_BLOCK: Final = (
    f"# Added by boxdeck: the Host entries `boxdeck ssh-config --write` keeps.\n{INCLUDE_LINE}\n\n"
)

#: The `-o` options the ssh argv builders emit (sshcmd's allow-list, a trusted ProxyCommand, and the host
#: key pinning of hostkeys); a command with any other is not written.
_KNOWN_OPTIONS: Final = {
    name.lower(): name
    for name in (
        "ProxyCommand", "UserKnownHostsFile", "StrictHostKeyChecking", "ServerAliveInterval",
        "ServerAliveCountMax", "ConnectTimeout", "ConnectionAttempts", "TCPKeepAlive", "Compression",
        "CheckHostIP", "RequestTTY", "AddressFamily", "LogLevel",
    )
}
#: The flags sshcmd keeps, as the config lines that mean the same.
_FLAG_LINES: Final = {
    "-4": "AddressFamily inet", "-6": "AddressFamily inet6", "-C": "Compression yes",
    "-t": "RequestTTY yes", "-T": "RequestTTY no", "-q": "LogLevel QUIET", "-v": "LogLevel VERBOSE",
    "-a": "ForwardAgent no", "-x": "ForwardX11 no",
}


class SshConfigError(ValueError):
    """A command cannot be written as a Host block; ``str(e)`` says why (no server text)."""


@dataclass(frozen=True)
class HostEntry:
    """One box's ``Host`` block: its alias, the box it reaches, its option lines, when its access expires."""

    alias: str
    backend: Backend
    key: str
    options: tuple[str, ...]
    expires_at: datetime | None = None
    #: Secrets in the options (an Amika entry's user is its access token): mask before showing the block.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    #: The workspace folder the server named for the box (unchecked; not written to the file).
    workspace: str | None = field(default=None, compare=False)

    def block(self) -> str:
        expires = _iso(self.expires_at) if self.expires_at is not None else "never"
        lines = [f"{_ENTRY} backend={self.backend.value} key={quote(self.key, safe='')} expires={expires}",
                 f"Host {self.alias}", *(f"    {line}" for line in self.options)]
        return "\n".join(lines) + "\n"

    def seconds_left(self, now: datetime) -> float | None:
        if self.expires_at is None:
            return None
        return (aware(self.expires_at) - aware(now)).total_seconds()


def _iso(when: datetime) -> str:
    return aware(when).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line_value(value: str) -> str:
    if not value or not value.isprintable() or value != value.strip():
        raise SshConfigError("an option value is not one line of printable text")
    return value


class _ShapeError(SshConfigError):
    def __init__(self) -> None:
        super().__init__("it is not `ssh [options] -- [user@]host`")


def host_options(command: SshCommand) -> tuple[str, ...]:
    """The config lines that make ``ssh ALIAS`` do what ``command.argv`` does; raises
    :class:`SshConfigError` for a word the argv builders never emit."""
    argv = command.argv
    if len(argv) < 3 or argv[0] != "ssh" or argv[-2] != "--":
        raise _ShapeError()
    user, _, host = argv[-1].rpartition("@")
    lines = [f"HostName {_line_value(host)}"]
    if user:
        lines.append(f"User {_line_value(user)}")
    words = list(argv[1:-2])
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-p", "-o"):
            if i + 1 >= len(words):
                raise _ShapeError()
            value = words[i + 1]
            i += 2
            if word == "-p":
                if not value.isdigit() or not 1 <= int(value) <= 65535:
                    raise SshConfigError("its port is not a number from 1 to 65535")
                lines.append(f"Port {int(value)}")
                continue
            key, sep, rest = value.partition("=")
            spelled = _KNOWN_OPTIONS.get(key.lower())
            if not sep or spelled is None:
                raise SshConfigError(f"it holds an option boxdeck does not write: {key[:40]!r}")
            lines.append(f"{spelled} {_line_value(rest)}")
        elif word in _FLAG_LINES:
            lines.append(_FLAG_LINES[word])
            i += 1
        else:
            raise SshConfigError(f"it holds a word boxdeck does not write: {word[:40]!r}")
    return tuple(lines)


def alias_base(name: str) -> str:
    """``boxdeck-<name>`` made safe for ssh: lower-case letters, digits and single dashes only (ssh matches
    Host patterns case-insensitively, and ``*``, ``?``, ``!``, spaces and ``%`` mean something there)."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    base = "-".join(words)[:_MAX_NAME].strip("-")
    return ALIAS_PREFIX + (base or "box")


def _short_id(box: Box) -> str:
    model = box.sandbox if box.sandbox is not None else box.devbox
    ident = getattr(model, "id", "") or box.key
    letters = "".join(re.findall(r"[a-z0-9]", ident.lower()))
    # A sandbox id such as `sb_6cfa0c1e` starts with its kind: the part after it tells boxes apart.
    letters = letters[2:] if letters.startswith("sb") and len(letters) > 8 else letters
    return letters[:8] or "x"


def assign_aliases(
    boxes: Sequence[Box], keep: Mapping[str, str] | None = None, taken: Iterable[str] = ()
) -> dict[str, str]:
    """An alias per box key. A box keeps the alias it had (``keep``); a name two boxes share gets a short
    id suffix on every box that would otherwise clash, so neither alias depends on which box came first;
    ``taken``: aliases other entries hold."""
    keep = keep or {}
    out: dict[str, str] = {}
    taken = set(taken)
    for box in boxes:
        previous = keep.get(box.key)
        if previous and _ALIAS.fullmatch(previous) and previous not in taken:
            out[box.key] = previous
            taken.add(previous)
    fresh = [box for box in boxes if box.key not in out]
    counts: dict[str, int] = {}
    for box in fresh:
        counts[alias_base(box.name)] = counts.get(alias_base(box.name), 0) + 1
    for box in fresh:
        base = alias_base(box.name)
        alias = base if counts[base] == 1 and base not in taken else f"{base}-{_short_id(box)}"
        n = 2
        while alias in taken:
            alias = f"{base}-{_short_id(box)}-{n}"
            n += 1
        out[box.key] = alias
        taken.add(alias)
    return out


def render(entries: Iterable[HostEntry]) -> str:
    blocks = [entry.block() for entry in sorted(entries, key=lambda e: e.alias)]
    return HEADER + "".join(f"\n{block}" for block in blocks)


def parse(text: str) -> list[HostEntry]:
    """The entries of a file boxdeck wrote (anything else in it is ignored)."""
    entries: list[HostEntry] = []
    current: dict[str, object] | None = None
    options: list[str] = []

    def close() -> None:
        if current is not None and current.get("alias"):
            entries.append(HostEntry(options=tuple(options), **current))  # type: ignore[arg-type]  # built here

    for raw in text.splitlines():
        line = raw.strip()
        match = _ENTRY_LINE.fullmatch(line)
        if match is not None:
            close()
            options = []
            expires = None if match.group(3) == "never" else _parse_time(match.group(3))
            current = {"backend": Backend(match.group(1)), "key": unquote(match.group(2)),
                       "expires_at": expires, "alias": ""}
        elif current is not None and line.startswith("Host ") and not current["alias"]:
            alias = line[5:].strip()
            current["alias"] = alias if _ALIAS.fullmatch(alias) else ""
        elif current is not None and current["alias"] and line and not line.startswith("#"):
            options.append(line)
    close()
    return entries


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class SshConfigFile:
    """``<home>/.ssh/boxdeck.conf`` and the ``Include`` line in ``<home>/.ssh/config``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.ssh_dir = home / ".ssh"
        self.path = self.ssh_dir / FILE_NAME
        self.user_config = self.ssh_dir / "config"

    @property
    def backup(self) -> Path:
        return self.user_config.with_name(self.user_config.name + BACKUP_SUFFIX)

    def read(self) -> list[HostEntry]:
        try:
            return parse(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return []

    def write(self, entries: Iterable[HostEntry]) -> None:
        ensure_private_dir(self.ssh_dir)
        atomic_write_text(self.path, render(entries), mode=0o600)

    def has_include(self) -> bool:
        try:
            text = self.user_config.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0].lower() == "include" and any(
                Path(w).name == FILE_NAME for w in words[1:]
            ):
                return True
        return False

    def add_include(self) -> Path | None:
        """Put ``Include boxdeck.conf`` at the top of ``~/.ssh/config`` (before any Host block, where it
        applies to every host) unless it is there; returns the backup of the file as it was (None: there
        was no file, or nothing changed). ``OSError`` when it cannot be written."""
        if self.has_include():
            return None
        ensure_private_dir(self.ssh_dir)
        try:
            original = self.user_config.read_bytes()
            mode = stat.S_IMODE(self.user_config.stat().st_mode)
        except FileNotFoundError:
            atomic_write_text(self.user_config, _INCLUDE_BLOCK, mode=0o600)
            return None
        shutil.copy2(self.user_config, self.backup)
        os.chmod(self.backup, 0o600)
        text = original.decode("utf-8", errors="surrogateescape")
        target = self.user_config.resolve()  # a symlinked config (dotfiles) is edited where it lives
        atomic_write_text(target, _INCLUDE_BLOCK + text, mode=mode)
        return self.backup


@dataclass
class WriteResult:
    """What a write did: the entries now in the file that were (re)minted, and each box it could not add."""

    written: list[HostEntry] = field(default_factory=list)
    renewed: list[HostEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    entries: list[HostEntry] = field(default_factory=list)


Lookup = Callable[[Backend, str], Box | None]


class SshConfig:
    """Writes and renews the entries of one profile's boxes (its :class:`Actions` mints the access)."""

    def __init__(
        self,
        actions: Actions,
        file: SshConfigFile,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        renew_before: float = DEFAULT_RENEW_BEFORE,
    ) -> None:
        self.actions = actions
        self.file = file
        self.now = now
        self.renew_before = renew_before

    async def entry(self, box: Box, alias: str) -> HostEntry:
        """Mint SSH access for a ready box and make its entry; ``ActionError`` (with the reason, a
        ProxyCommand not trusted included) or :class:`SshConfigError`."""
        command = await self.actions.ssh_command(box)
        return HostEntry(alias, box.backend, box.key, host_options(command), command.expires_at,
                         command.secrets, command.workspace)

    def due(self, entries: Iterable[HostEntry] | None = None, now: datetime | None = None) -> list[HostEntry]:
        """The written entries whose access ends within ``renew_before`` (or has ended)."""
        when = now or self.now()
        pool = self.file.read() if entries is None else entries
        return [e for e in pool if (left := e.seconds_left(when)) is not None and left <= self.renew_before]

    async def write(self, boxes: Sequence[Box], lookup: Lookup | None = None) -> WriteResult:
        """Entries for ``boxes`` (each minted now), written together with the entries already in the file;
        those close to expiry are renewed too, when ``lookup`` finds their box ready."""
        existing = self.file.read()
        wanted = {box.key for box in boxes}
        aliases = assign_aliases(
            boxes, keep={e.key: e.alias for e in existing},
            taken=[e.alias for e in existing if e.key not in wanted],
        )
        result = WriteResult()
        fresh: dict[str, HostEntry] = {}
        for box in boxes:
            try:
                fresh[box.key] = await self.entry(box, aliases[box.key])
            except (ActionError, SshConfigError) as exc:
                result.problems.append(str(exc))
        result.written = list(fresh.values())
        others = [e for e in existing if e.key not in fresh]
        if lookup is not None:
            others, result.renewed, problems = await self._renewed(others, lookup)
            result.problems += problems
        result.entries = [*fresh.values(), *others]
        self.file.write(result.entries)
        return result

    async def renew_due(self, lookup: Lookup) -> WriteResult:
        """Renew the written entries close to expiry whose box ``lookup`` finds ready; the file is
        rewritten only when one was renewed."""
        existing = self.file.read()
        entries, renewed, problems = await self._renewed(existing, lookup)
        if renewed:
            self.file.write(entries)
        return WriteResult(renewed=renewed, problems=problems, entries=entries)

    async def _renewed(
        self, entries: list[HostEntry], lookup: Lookup
    ) -> tuple[list[HostEntry], list[HostEntry], list[str]]:
        due = {id(e) for e in self.due(entries)}
        out: list[HostEntry] = []
        renewed: list[HostEntry] = []
        problems: list[str] = []
        for entry in entries:
            box = lookup(entry.backend, entry.key) if id(entry) in due else None
            if box is None or box.kind is not StateKind.READY:
                out.append(entry)
                continue
            try:
                fresh = await self.entry(box, entry.alias)
            except (ActionError, SshConfigError) as exc:
                problems.append(str(exc))
                out.append(entry)
                continue
            out.append(fresh)
            renewed.append(fresh)
        return out, renewed, problems
