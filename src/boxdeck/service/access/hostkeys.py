"""Host keys boxdeck vouches for, so a copied `ssh` command connects without a host-key prompt and without
trusting whatever answers first.

boxdeck keeps its own OpenSSH known_hosts file (in its state directory, owner-only) and pins a host key there
only when it has it from a source it already trusts:

- the simulator boxdeck started itself (`boxdeck --demo`), which hands over its host key directly
  (:meth:`KnownHosts.pin`);
- a Devbox access session, whose `ssh.host_key_fingerprint` arrived over the authenticated API: the key is
  fetched with `ssh-keyscan` and pinned only if its fingerprint is the one the API gave
  (:func:`pin_verified`).

For a pinned destination :meth:`KnownHosts.options` gives the words to put before the destination:
`-o UserKnownHostsFile=<that file> -o StrictHostKeyChecking=yes`, so ssh accepts exactly that key and refuses
any other, and never writes to the user's own known_hosts. Anything not pinned gets no options: the user's own
ssh configuration decides, as it would for the service's own CLI.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import ipaddress
import re
import shlex
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.configuration.paths import atomic_write_text, ensure_private_dir, state_dir

__all__ = [
    "HostKeyError",
    "HostKeyMismatch",
    "KnownHosts",
    "host_key_fingerprint",
    "known_hosts_file",
    "pin_verified",
    "ssh_keyscan",
    "vouch",
]

#: Key types a pinned host key may have (what OpenSSH servers offer).
KEY_TYPES: Final = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
#: How long `ssh-keyscan` may take to fetch a host key.
SCAN_TIMEOUT: Final = 10.0

Scan = Callable[[str, int], Awaitable[list[str]]]


class HostKeyError(ValueError):
    """A host key could not be pinned (malformed, or not the one the API vouched for); ``str(e)`` says why."""


def known_hosts_file() -> Path:
    """boxdeck's own known_hosts file: ``<state dir>/known_hosts``."""
    return state_dir() / "known_hosts"


def _valid_host(host: str) -> str:
    host = host.strip()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _HOSTNAME.fullmatch(host):
        raise HostKeyError(f"not a host name or address: {host[:80]!r}")
    return host.lower()


def _valid_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise HostKeyError(f"not a port: {port!r}")
    return port


def _key_words(public_key: str) -> tuple[str, str]:
    """`(type, base64 blob)` of an OpenSSH public key line; the blob must decode and name the same type."""
    words = public_key.split()
    if len(words) < 2 or words[0] not in KEY_TYPES or "\n" in public_key.strip():
        raise HostKeyError("not an OpenSSH public key line")
    try:
        blob = base64.b64decode(words[1], validate=True)
    except (binascii.Error, ValueError):
        raise HostKeyError("the public key is not valid base64") from None
    size = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4 : 4 + size] != words[0].encode() or len(blob) <= 4 + size:
        raise HostKeyError("the public key's contents do not match its type")
    return words[0], words[1]


def host_key_fingerprint(public_key: str) -> str:
    """OpenSSH's `SHA256:<base64, no padding>` fingerprint of a public key line (as `ssh-keygen -l`)."""
    _, blob = _key_words(public_key)
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _option_path(path: Path) -> str:
    """A file name as an ssh `-o` value: `%` doubled (ssh expands `%` tokens), quoted if it has spaces."""
    text = str(path).replace("%", "%%")
    return f'"{text}"' if any(c.isspace() for c in text) else text


class HostKeyMismatch(HostKeyError):
    """The server offered keys, and none is the one the API vouched for: whoever answers is not that box."""


class KnownHosts:
    """boxdeck's known_hosts file. Entries are one `[host]:port type key` line each, replaced on re-pin."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or known_hosts_file()

    def _read(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def entry(self, host: str, port: int) -> str | None:
        """The pinned key (`type base64`) for host:port, or None."""
        pattern = _pattern(_valid_host(host), _valid_port(port))
        for line in self._read():
            words = line.split()
            if len(words) >= 3 and words[0] == pattern:
                return f"{words[1]} {words[2]}"
        return None

    def pin(self, host: str, port: int, public_key: str) -> None:
        """Trust exactly this key for host:port from now on (replacing any key pinned there before)."""
        pattern = _pattern(_valid_host(host), _valid_port(port))
        key_type, blob = _key_words(public_key)
        keep = [line for line in self._read() if line.split()[:1] != [pattern]]
        ensure_private_dir(self.path.parent)
        atomic_write_text(self.path, "\n".join([*keep, f"{pattern} {key_type} {blob}"]) + "\n")

    def forget(self, host: str, port: int) -> None:
        pattern = _pattern(_valid_host(host), _valid_port(port))
        lines = self._read()
        keep = [line for line in lines if line.split()[:1] != [pattern]]
        if keep != lines:
            atomic_write_text(self.path, "".join(f"{line}\n" for line in keep))

    def options(self, host: str, port: int) -> tuple[str, ...]:
        """The ssh words that make it accept only the pinned key of host:port; () when none is pinned."""
        if self.entry(host, port) is None:
            return ()
        return ("-o", f"UserKnownHostsFile={_option_path(self.path)}", "-o", "StrictHostKeyChecking=yes")


async def ssh_keyscan(host: str, port: int) -> list[str]:
    """The host keys a server offers, as `type base64` lines, fetched with the system's `ssh-keyscan`."""
    binary = shutil.which("ssh-keyscan")
    if binary is None:
        raise HostKeyError("ssh-keyscan is not installed, so the host key cannot be checked")
    proc = await asyncio.create_subprocess_exec(
        binary, "-T", "5", "-p", str(_valid_port(port)), "--", _valid_host(host),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(SCAN_TIMEOUT):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise HostKeyError(f"no host key from {host}:{port} within {SCAN_TIMEOUT:g} s") from None
    keys = []
    for line in out.decode("utf-8", "replace").splitlines():
        words = line.split()
        if len(words) >= 3 and not line.startswith("#"):
            keys.append(f"{words[1]} {words[2]}")
    return keys


async def pin_verified(
    known_hosts: KnownHosts, host: str, port: int, fingerprint: str, *, scan: Scan = ssh_keyscan
) -> tuple[str, ...]:
    """Pin the key host:port offers if its fingerprint is `fingerprint` (from the API); the ssh options.

    Raises HostKeyError when no offered key matches: whoever answers there is not the box the API described,
    and nothing should log in to it.
    """
    fingerprint = fingerprint.strip()
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise HostKeyError("the API gave no SHA256 host key fingerprint to check against")
    pinned = known_hosts.entry(host, port)
    if pinned is not None and host_key_fingerprint(pinned) == fingerprint:
        return known_hosts.options(host, port)
    offered = await scan(host, port)
    if not offered:
        raise HostKeyError(f"no host key from {host}:{port}")
    for key in offered:
        try:
            matches = host_key_fingerprint(key) == fingerprint
        except HostKeyError:
            continue
        if matches:
            known_hosts.pin(host, port, key)
            return known_hosts.options(host, port)
    raise HostKeyMismatch(
        f"the host key at {host}:{port} is not the one the API vouched for ({fingerprint}); not connecting"
    )


def _destination(argv: tuple[str, ...]) -> tuple[str, int] | None:
    """(host, port) of a command built by `boxdeck.service.access.sshcmd` (`ssh [options] -- [user@]host`)."""
    if len(argv) < 3 or argv[-2] != "--":
        return None
    host = argv[-1].rsplit("@", 1)[-1]
    port = 22
    for i, word in enumerate(argv[:-2]):
        if word == "-p" and i + 1 < len(argv) - 2:
            port = int(argv[i + 1])
    return host, port


async def vouch(
    command: SshCommand, known_hosts: KnownHosts, fingerprint: str | None = None, *, scan: Scan = ssh_keyscan
) -> SshCommand:
    """`command` made to accept only the host key boxdeck vouches for, when it vouches for one.

    With a `fingerprint` from the API the offered key is checked (and pinned) first: a key that does not match
    raises :class:`HostKeyMismatch`; when no key could be fetched at all (no `ssh-keyscan`, a timeout) the
    command is left as it is, and ssh's own host key checking applies. A command through a ProxyCommand is
    left alone: its host is only reachable through the proxy.
    """
    where = _destination(command.argv)
    if where is None or command.proxy_command:
        return command
    host, port = where
    try:
        if fingerprint and _FINGERPRINT.fullmatch(fingerprint.strip()):
            options = await pin_verified(known_hosts, host, port, fingerprint, scan=scan)
        else:
            options = known_hosts.options(host, port)
    except HostKeyMismatch:
        raise
    except HostKeyError:
        return command
    if not options:
        return command
    argv = (command.argv[0], *options, *command.argv[1:])
    return dataclasses.replace(command, argv=argv, text=shlex.join(argv))
