"""Tokens from ``--amika-token-file`` / ``--sprites-token-file`` / ``--user-token-file`` (``-``: stdin).

A path on the command line instead of the token itself: one trailing newline dropped, empty or multi-line
files refused, the file held to the rule for secrets on disk, never quoted in a message; the token takes the
place of the plain flag (same precedence) and a profile switch does not carry it over.
"""

from __future__ import annotations

import io
import os
from argparse import Namespace
from pathlib import Path

import pytest

from boxdeck.service.configuration.config import ConfigError
from boxdeck.service.configuration.token_files import read_token_file, resolve_token_files

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
TOKEN = "amk_FILE_CANARY_3b8e1f0c9d2a7e64"


def token_file(tmp_path: Path, content: bytes | str, mode: int = 0o600, name: str = "token") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("content", [TOKEN, TOKEN + "\n", TOKEN + "\r\n"])
def test_one_trailing_newline_is_dropped(tmp_path: Path, content: str) -> None:
    assert read_token_file(str(token_file(tmp_path, content)), flag="--amika-token-file") == TOKEN


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty"),
        ("\n", "empty"),
        ("   \n", "empty"),
        (TOKEN + "\n\n", "more than one line"),
        (f"{TOKEN}\nsecond", "more than one line"),
        (b"\xff\xfe" + TOKEN.encode(), "not UTF-8"),
        ("x" * 70_000, "more than 64 KiB"),
    ],
    ids=["empty", "newline", "blank", "two-newlines", "two-lines", "binary", "huge"],
)
def test_a_file_that_is_not_one_token_is_refused(tmp_path: Path, content: str | bytes, words: str) -> None:
    path = token_file(tmp_path, content)
    with pytest.raises(ConfigError, match=words) as info:
        read_token_file(str(path), flag="--sprites-token-file")
    assert str(info.value).startswith(f"--sprites-token-file {path}: ")
    assert "second" not in str(info.value) and TOKEN not in str(info.value)


def test_a_missing_file_or_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_token_file(str(tmp_path / "nope"), flag="--user-token-file")
    with pytest.raises(ConfigError, match="is a directory"):
        read_token_file(str(tmp_path), flag="--user-token-file")


def test_dash_reads_stdin() -> None:
    stdin = io.BytesIO(f"{TOKEN}\n".encode())
    assert read_token_file("-", flag="--amika-token-file", stdin=stdin) == TOKEN
    with pytest.raises(ConfigError, match=r"\(stdin\): empty"):
        read_token_file("-", flag="--amika-token-file", stdin=io.BytesIO(b""))


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o666], ids=oct)
def test_a_token_file_others_can_access_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = token_file(tmp_path, TOKEN, mode)
    with pytest.raises(ConfigError) as info:
        read_token_file(str(path), flag="--amika-token-file")
    assert f"Fix: chmod 600 {path}" in str(info.value) and TOKEN not in str(info.value)


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_token_file_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    path = token_file(tmp_path, TOKEN)
    os.chown(path, 65534, -1)
    with pytest.raises(ConfigError, match=f"belongs to another user .*Fix: sudo chown root {path}"):
        read_token_file(str(path), flag="--amika-token-file")


def test_each_file_fills_its_plain_flag_once(tmp_path: Path) -> None:
    amika = token_file(tmp_path, TOKEN + "\n", name="amika")
    args = Namespace(amika_token=None, amika_token_file=str(amika), sprites_token=None,
                     sprites_token_file="-", user_token="usr_flag_1234", user_token_file=None)
    assert resolve_token_files(args, stdin=io.BytesIO(b"spr_from_stdin_5678\n")) is True
    tokens = (args.amika_token, args.sprites_token, args.user_token)
    assert tokens == (TOKEN, "spr_from_stdin_5678", "usr_flag_1234")
    assert args.amika_token_file is None and args.sprites_token_file is None  # read once, not again
    assert resolve_token_files(args, stdin=io.BytesIO(b"")) is False


def test_a_token_and_its_file_together_or_two_stdin_files_are_refused(tmp_path: Path) -> None:
    path = str(token_file(tmp_path, TOKEN))
    with pytest.raises(ConfigError, match="either --amika-token or --amika-token-file"):
        resolve_token_files(Namespace(amika_token="amk_x_1234", amika_token_file=path))
    with pytest.raises(ConfigError, match="only one token file can be read from stdin"):
        resolve_token_files(Namespace(amika_token_file="-", user_token_file="-"), stdin=io.BytesIO(b"t"))
