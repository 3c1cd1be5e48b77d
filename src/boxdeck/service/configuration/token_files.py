"""Tokens from files named on the command line (``--amika-token-file PATH``, ``-`` for stdin).

A token given as ``--amika-token TOKEN`` is in the process's argv, which every user of the machine can read
(``ps``, ``/proc/PID/cmdline``). A file name is not a secret. Each ``--X-token-file`` is read once, when the
command line is resolved, and its token takes the place of ``--X-token``: the same precedence (over the
environment and the profile), and the same "names one account" rule when switching profiles.

The file is held to the rule for secrets on disk: it must not be readable or writable by group or others
and must belong to you (or root); the message says the ``chmod``/``chown`` that fixes it. One trailing
newline is dropped (``echo`` and editors add one); an empty file, or one with more than one line, is refused.
Nothing here ever quotes what the file holds.
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Final

from boxdeck.service.configuration.errors import ConfigError
from boxdeck.service.configuration.paths import user_name

__all__ = [
    "TOKEN_FILE_FLAGS",
    "TOKEN_FILE_LIMIT",
    "add_token_file_flags",
    "read_token_file",
    "resolve_token_files",
    "terminal_as_stdin",
]

#: Setting name -> the flag that reads it from a file.
TOKEN_FILE_FLAGS: Final[Mapping[str, str]] = {
    "amika_token": "--amika-token-file",
    "sprites_token": "--sprites-token-file",
    "user_token": "--user-token-file",
}
#: A token is a line; a file bigger than this is not a token file.
TOKEN_FILE_LIMIT: Final = 64 * 1024

_WHAT: Final = {
    "amika_token": "the Amika API key",
    "sprites_token": "the Devbox service token",
    "user_token": "the Devbox user token",
}


def add_token_file_flags(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, default: Any = None
) -> None:
    """The ``--X-token-file`` flags, for the dashboard and every subcommand that takes ``--X-token``.

    ``default=argparse.SUPPRESS`` for a subcommand's copy, so a flag given before the subcommand is kept."""
    for name, flag in TOKEN_FILE_FLAGS.items():
        parser.add_argument(
            flag, metavar="PATH", dest=f"{name}_file", default=default,
            help=f"read {_WHAT[name]} from PATH, chmod 600 (- reads stdin), instead of {flag[:-5]}",
        )


def _check_file(path: Path, st: os.stat_result, flag: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{flag} {path}: is a directory, not a token file")
    if os.name != "posix":
        return
    quoted = shlex.quote(str(path))
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISREG(st.st_mode) and mode & 0o077:
        raise ConfigError(
            f"{flag} {path}: other users can access it (mode {mode:04o}), so the token is not private. "
            f"Fix: chmod 600 {quoted} (and consider the token seen)"
        )
    uid = os.getuid()
    if st.st_uid not in (uid, 0):
        raise ConfigError(
            f"{flag} {path}: belongs to another user ({user_name(st.st_uid)}). "
            f"Fix: sudo chown {user_name(uid)} {quoted} — or use a file you own"
        )


def _token_of(data: bytes, flag: str, where: str) -> str:
    if len(data) > TOKEN_FILE_LIMIT:
        raise ConfigError(
            f"{flag} {where}: more than {TOKEN_FILE_LIMIT // 1024} KiB; a token file holds one token"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{flag} {where}: not UTF-8 text") from None
    text = text.removesuffix("\n").removesuffix("\r") if text.endswith("\n") else text
    if not text.strip():
        raise ConfigError(f"{flag} {where}: empty; it should hold the token")
    if "\n" in text or "\r" in text:
        raise ConfigError(f"{flag} {where}: more than one line; a token file holds the token alone")
    return text


def read_token_file(name: str, *, flag: str, stdin: BinaryIO | None = None) -> str:
    """The token in file ``name`` (``-``: stdin), checked as the module docstring says."""
    if name == "-":
        source = stdin if stdin is not None else sys.stdin.buffer
        return _token_of(source.read(TOKEN_FILE_LIMIT + 1), flag, "(stdin)")
    path = Path(name).expanduser()
    try:
        with path.open("rb") as handle:
            _check_file(path, os.fstat(handle.fileno()), flag)
            data = handle.read(TOKEN_FILE_LIMIT + 1)
    except FileNotFoundError:
        raise ConfigError(f"{flag} {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{flag} {path}: is a directory, not a token file") from None
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return _token_of(data, flag, str(path))


def resolve_token_files(args: Any, stdin: BinaryIO | None = None) -> bool:
    """Read every ``--X-token-file`` given in ``args`` into ``args.X_token``; True when stdin was read.

    Giving both ``--X-token`` and ``--X-token-file``, or ``-`` for two files, is an error (ConfigError).
    """
    given = {name: value for name in TOKEN_FILE_FLAGS if (value := getattr(args, f"{name}_file", None))}
    if [value for value in given.values()].count("-") > 1:
        raise ConfigError("only one token file can be read from stdin (-)")
    for name, value in given.items():
        flag = TOKEN_FILE_FLAGS[name]
        if getattr(args, name, None):
            raise ConfigError(f"give either {flag.removesuffix('-file')} or {flag}, not both")
        setattr(args, name, read_token_file(value, flag=flag, stdin=stdin))
        setattr(args, f"{name}_file", None)  # read once: a later resolve (a profile switch) uses the token
    return "-" in given.values()


def terminal_as_stdin() -> None:
    """A token came down a pipe on stdin: give the dashboard the terminal to read its keys from instead.

    Raises ConfigError when there is no terminal (the dashboard could not be used anyway).
    """
    if sys.stdin is not None and sys.stdin.isatty():
        return
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise ConfigError(
            "a token was read from stdin (-) and there is no terminal left for the dashboard's keys; "
            "give the token in a file or the environment instead"
        ) from None
    try:
        os.dup2(fd, 0)
    finally:
        os.close(fd)
