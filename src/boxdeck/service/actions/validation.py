"""Checks of what a user typed before it is sent: one short, readable refusal instead of a server error (or a
1 MB request).

The rules follow the wire reference (``reference/amika-api.md`` §4): an Amika sandbox name has at least one
character and, as the SDK's tests put it, a "server name limit" of 40; names may contain ``/`` (``org/proj``)
and dots (``release-test.v2``). Beyond that the check is permissive: letters, digits, ``-``, ``_``, ``.`` and
``/``, so a name the server would take is never refused here.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from boxdeck.service.text.sanitize import has_surrogate, sanitize

__all__ = [
    "MAX_SANDBOX_NAME",
    "SANDBOX_NAME_PUNCTUATION",
    "RepoUrlError",
    "SandboxNameError",
    "validate_repo_url",
    "validate_sandbox_name",
]

#: The server's name limit (the TS SDK caps generated names here).
MAX_SANDBOX_NAME: Final = 40
#: The punctuation a sandbox name may hold besides letters and digits.
SANDBOX_NAME_PUNCTUATION: Final = frozenset("-_./")


class SandboxNameError(ValueError):
    """A sandbox name was refused before sending; ``str(e)`` says why (never echoing a long input)."""

    field = "name"


def validate_sandbox_name(name: str) -> str:
    """The name to send: ``name`` without surrounding whitespace. An empty (or blank) name comes back as
    ``""``, which callers read as "let the server pick one".

    Refused with :class:`SandboxNameError`: more than 40 characters; control characters or lone surrogates;
    anything but letters, digits, ``-``, ``_``, ``.`` and ``/``; a leading or trailing ``/``; an empty,
    ``.`` or ``..`` segment between slashes.
    """
    if not isinstance(name, str):
        raise SandboxNameError("The sandbox name must be text.")
    name = name.strip()
    if not name:
        return ""
    if len(name) > MAX_SANDBOX_NAME:
        raise SandboxNameError(f"The sandbox name is too long (at most {MAX_SANDBOX_NAME} characters).")
    if has_surrogate(name):
        raise SandboxNameError(
            "The sandbox name contains a broken character (a lone surrogate) that cannot be sent: retype it."
        )
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
        raise SandboxNameError("The sandbox name must be one line without control characters.")
    bad = next((c for c in name if not (c.isalnum() or c in SANDBOX_NAME_PUNCTUATION)), None)
    if bad is not None:
        raise SandboxNameError(
            f"A sandbox name may hold only letters, digits and - _ . / (not {_shown(bad)})."
        )
    if name.startswith("/") or name.endswith("/"):
        raise SandboxNameError("A sandbox name cannot start or end with /.")
    if any(segment in ("", ".", "..") for segment in name.split("/")):
        raise SandboxNameError('A sandbox name cannot hold an empty, "." or ".." part between slashes.')
    return name


class RepoUrlError(ValueError):
    """A repository URL was refused before sending; ``str(e)`` says what a URL looks like."""

    field = "repo_url"


#: The URL schemes git clones from.
REPO_SCHEMES: Final = frozenset({"https", "http", "ssh", "git"})
#: git's scp-like form: ``[user@]host:path`` (``git@github.com:owner/repo.git``); the host has no ``/``.
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9.-]+\.[A-Za-z]{2,}:(?!//)[^\s:][^\s]*$")
_REPO_URL_EXAMPLE = "https://github.com/owner/repo or git@github.com:owner/repo.git"


def validate_repo_url(url: str) -> str:
    """The repository URL to send, without surrounding whitespace; blank comes back as ``""`` (no repository).

    Accepted: a ``https://``, ``http://``, ``ssh://`` or ``git://`` URL with a host and a path, or git's
    scp-like ``user@host:path``. Anything else (``owner/repo``, a bare host, a word) is refused with
    :class:`RepoUrlError` saying what a URL looks like, before the server is asked.
    """
    url = url.strip()
    if not url:
        return ""
    if any(c.isspace() for c in url):
        raise RepoUrlError(f"The repository URL must be one word, like {_REPO_URL_EXAMPLE}.")
    if not url.isprintable() or sanitize(url) != url:
        raise RepoUrlError("The repository URL holds an invisible or control character: retype it.")
    if _SCP_LIKE.match(url):
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() in REPO_SCHEMES and parts.hostname and parts.path.strip("/"):
        return url
    if parts.scheme and parts.scheme.lower() not in REPO_SCHEMES and "://" in url:
        raise RepoUrlError(f"A repository URL starts with https://, ssh:// or git:// (not {parts.scheme}://).")
    raise RepoUrlError(f"Not a repository URL: give the whole URL, like {_REPO_URL_EXAMPLE}.")


def _shown(char: str) -> str:
    """A refused character, safe to print: itself when visible, else its code point."""
    if char.isspace():
        return "a space" if char == " " else f"a space character U+{ord(char):04X}"
    if char.isprintable() and sanitize(char) == char:
        return f'"{char}"'
    return f"U+{ord(char):04X}"
