"""Where the simulator's SSH server listens and which host key it shows, for the API answers that hand out
SSH access (Amika's `ssh_destination`, a Devbox access session's `command` and `ssh{}`).

Kept apart from the server itself (`sshd.py`, which imports asyncssh) so the API side never waits for that
import: the port is known as soon as the socket is bound, the host key a moment later, in the SSH thread.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import threading

__all__ = ["SshEndpoint", "fingerprint_of", "is_loopback"]

#: How long an API answer waits for the host key of an SSH server that is still starting.
KEY_WAIT = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def fingerprint_of(public_key: str) -> str:
    """OpenSSH's `SHA256:<base64, no padding>` fingerprint of an `ssh-ed25519 AAAA… [comment]` line."""
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class SshEndpoint:
    """`host`/`port` are what clients dial (always a loopback address unless remote SSH was allowed)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._ready = threading.Event()
        self._public_key = ""
        self.sandboxed: bool | None = None
        """Whether shells run inside bubblewrap (None until the SSH server has looked)."""
        self.sandbox_note = ""

    def set_host_key(self, public_key: str) -> None:
        self._public_key = " ".join(public_key.split()[:2])
        self._ready.set()

    def public_key(self, timeout: float = KEY_WAIT) -> str:
        """`ssh-ed25519 AAAA…` (no comment); "" if the server could not start within `timeout`."""
        self._ready.wait(timeout)
        return self._public_key

    def fingerprint(self, timeout: float = KEY_WAIT) -> str | None:
        key = self.public_key(timeout)
        return fingerprint_of(key) if key else None

    def known_hosts_line(self, timeout: float = KEY_WAIT) -> str:
        """The OpenSSH known_hosts entry for this endpoint, "" while the key is unknown."""
        key = self.public_key(timeout)
        if not key:
            return ""
        host = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return f"{host} {key}"

    def destination(self, user: str) -> str:
        """`-p PORT user@host`: the argument words that follow `ssh`."""
        return f"-p {self.port} {user}@{self.host}"
