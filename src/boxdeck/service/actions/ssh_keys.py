"""OpenSSH public keys: validate pasted text and discover ``~/.ssh/*.pub`` files.

Used by the account screen before anything is sent to ``PUT /users/me/ssh-key``: a key that fails here is
never sent. Pure functions, no I/O except :func:`discover_public_keys` (which reads small regular files only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ACCEPTED_KEY_TYPES",
    "MAX_PUBLIC_KEY_BYTES",
    "KeyFile",
    "PublicKeyError",
    "discover_public_keys",
    "fingerprint",
    "parse_public_key",
    "validate_public_key",
]

MAX_PUBLIC_KEY_BYTES = 16 * 1024

# type -> the shape of the blob after the type string (see OpenSSH PROTOCOL / PROTOCOL.u2f, RFC 4253 / 5656)
_ED25519 = "ssh-ed25519"
_RSA = "ssh-rsa"
_ECDSA = {
    "ecdsa-sha2-nistp256": "nistp256",
    "ecdsa-sha2-nistp384": "nistp384",
    "ecdsa-sha2-nistp521": "nistp521",
}
_SK_ED25519 = "sk-ssh-ed25519@openssh.com"
_SK_ECDSA = "sk-ecdsa-sha2-nistp256@openssh.com"

ACCEPTED_KEY_TYPES: tuple[str, ...] = (_ED25519, _RSA, *_ECDSA, _SK_ED25519, _SK_ECDSA)

_PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File", "OPENSSH PRIVATE")
_PRIVATE_MESSAGE = (
    "That's a private key — paste the .pub file (its public half) instead; never share the private key."
)


class PublicKeyError(ValueError):
    """The text is not an acceptable OpenSSH public key. ``str(e)`` is a user-facing sentence."""


@dataclass(frozen=True, slots=True)
class KeyFile:
    """A public key found on disk; ``public_key`` is the normalised line for ``Account.set_ssh_key``."""

    path: Path
    type: str
    comment: str
    fingerprint: str  # "SHA256:…" as ssh-keygen -l prints it
    public_key: str


@dataclass(frozen=True, slots=True)
class _Parsed:
    type: str
    blob: bytes
    comment: str

    @property
    def line(self) -> str:
        data = base64.b64encode(self.blob).decode("ascii")
        return f"{self.type} {data} {self.comment}" if self.comment else f"{self.type} {data}"


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


class _Reader:
    """Reads the SSH wire format: uint32 big-endian length-prefixed strings."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def string(self) -> bytes:
        if self._pos + 4 > len(self._data):
            raise PublicKeyError("The key data is truncated: this is not a complete OpenSSH public key.")
        length = int.from_bytes(self._data[self._pos : self._pos + 4], "big")
        self._pos += 4
        if self._pos + length > len(self._data):
            raise PublicKeyError("The key data is truncated: this is not a complete OpenSSH public key.")
        value = self._data[self._pos : self._pos + length]
        self._pos += length
        return value

    @property
    def done(self) -> bool:
        return self._pos == len(self._data)


def _check_blob(key_type: str, blob: bytes) -> None:
    reader = _Reader(blob)
    try:
        embedded = reader.string().decode("ascii")
    except UnicodeDecodeError:
        embedded = "?"
    if embedded != key_type:
        raise PublicKeyError(
            f"The key says it is {key_type} but its data holds a {embedded or 'different'} key: "
            "the line was probably edited or truncated."
        )
    if key_type in (_ED25519, _SK_ED25519):
        if len(reader.string()) != 32:
            raise PublicKeyError("The Ed25519 key data has the wrong length: the key is damaged.")
    elif key_type == _RSA:
        exponent, modulus = reader.string(), reader.string()
        if not exponent or not modulus:
            raise PublicKeyError("The RSA key data is incomplete: the key is damaged.")
    else:
        curve = _ECDSA.get(key_type, "nistp256")
        if reader.string() != curve.encode("ascii"):
            raise PublicKeyError(f"The ECDSA key data does not name the {curve} curve: the key is damaged.")
        if not reader.string():
            raise PublicKeyError("The ECDSA key data has no public point: the key is damaged.")
    if key_type in (_SK_ED25519, _SK_ECDSA):
        reader.string()  # the FIDO application, e.g. "ssh:"
    if not reader.done:
        raise PublicKeyError("The key data has trailing bytes: this is not a valid OpenSSH public key.")


def parse_public_key(text: str) -> _Parsed:
    """Parse and check one public key; raises :class:`PublicKeyError` with a user-facing message."""
    if not isinstance(text, str):
        raise PublicKeyError("A public key must be text.")
    if len(text.encode("utf-8", "replace")) > MAX_PUBLIC_KEY_BYTES:
        raise PublicKeyError(
            f"That is too long for a public key (over {MAX_PUBLIC_KEY_BYTES // 1024} KB): "
            "paste one .pub line."
        )
    if any(marker in text for marker in _PRIVATE_MARKERS):
        raise PublicKeyError(_PRIVATE_MESSAGE)
    stripped = text.strip()
    if not stripped:
        raise PublicKeyError(
            "Paste an OpenSSH public key (the one line in a .pub file, e.g. ~/.ssh/id_ed25519.pub)."
        )
    if "BEGIN SSH2 PUBLIC KEY" in stripped:
        raise PublicKeyError(
            "That is an RFC 4716 (SSH2) public key: convert it with `ssh-keygen -i -f FILE` "
            "and paste the result."
        )
    if "\n" in stripped or "\r" in stripped:
        raise PublicKeyError("A public key is a single line: paste exactly one key.")
    if any(_is_control(ch) and ch != "\t" for ch in stripped):
        raise PublicKeyError("The key contains control characters: paste the plain text of the .pub file.")
    parts = stripped.split(None, 2)
    key_type = parts[0]
    if key_type not in ACCEPTED_KEY_TYPES:
        shown = key_type if len(key_type) <= 40 and key_type.isprintable() else key_type[:40] + "…"
        if key_type == "ssh-dss":
            raise PublicKeyError(
                "DSA (ssh-dss) keys are not accepted: use an Ed25519 key (ssh-keygen -t ed25519)."
            )
        if "-cert-v01@openssh.com" in key_type:
            raise PublicKeyError("That is an SSH certificate, not a public key: paste the plain .pub key.")
        raise PublicKeyError(
            f"Unsupported key type {shown!r}: expected one of {', '.join(ACCEPTED_KEY_TYPES)}."
        )
    if len(parts) < 2:
        raise PublicKeyError(f"The {key_type} key has no key data after its type.")
    data = parts[1]
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PublicKeyError(
            "The key data is not valid base64: the line was probably cut or edited."
        ) from None
    if not blob:
        raise PublicKeyError(f"The {key_type} key has no key data after its type.")
    _check_blob(key_type, blob)
    comment = " ".join(parts[2].split()) if len(parts) > 2 else ""
    return _Parsed(key_type, blob, comment)


def validate_public_key(text: str) -> str:
    """Return ``text`` as one normalised line ``type base64 [comment]``, or raise :class:`PublicKeyError`.

    Accepted types: :data:`ACCEPTED_KEY_TYPES`. The base64 must decode and embed the declared type; private
    keys, several lines, control characters and anything over 16 KB are refused with a specific message.
    """
    return parse_public_key(text).line


def fingerprint(public_key: str) -> str:
    """The SHA256 fingerprint of a public key line, as ``ssh-keygen -l`` prints it (``SHA256:…``)."""
    blob = parse_public_key(public_key).blob
    return _fingerprint(blob)


def _fingerprint(blob: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def _read_small(path: Path) -> str | None:
    """The text of a small regular file, or None (missing, unreadable, special or too large)."""
    try:
        info = path.stat()  # follows a symlink, which is fine: only the target's size and kind matter
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PUBLIC_KEY_BYTES:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_PUBLIC_KEY_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_PUBLIC_KEY_BYTES:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def discover_public_keys(ssh_dir: Path | str | None = None) -> list[KeyFile]:
    """The valid public keys in ``ssh_dir/*.pub`` (default ``~/.ssh``), sorted by file name.

    Unreadable, special, oversized and invalid files are skipped silently; a missing directory gives ``[]``.
    """
    directory = Path(ssh_dir) if ssh_dir is not None else Path.home() / ".ssh"
    try:
        candidates = sorted(p for p in directory.iterdir() if p.name.endswith(".pub"))
    except OSError:
        return []
    found: list[KeyFile] = []
    for path in candidates:
        text = _read_small(path)
        if text is None:
            continue
        try:
            parsed = parse_public_key(text)
        except PublicKeyError:
            continue
        found.append(KeyFile(path, parsed.type, parsed.comment, _fingerprint(parsed.blob), parsed.line))
    return found
