"""The config file is refused when other users can read it and it holds an inline token (and whenever
others can write it); the refusal says how to fix it and never quotes the token."""

from __future__ import annotations

import os
from argparse import Namespace
from pathlib import Path

import pytest

from boxdeck.service.config import ConfigError
from boxdeck.service.profiles import load_profiles, resolve_settings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

INLINE_TOKEN = "amk_INLINE_CANARY_5b2e9f0a7c3d1e48"
INLINE = (
    'default_profile = "p"\n[profiles.p]\namika_url = "https://app.amika.dev"\n'
    f'amika_token = "{INLINE_TOKEN}"\n'
)
INLINE_TABLE = (
    f'[profiles.p]\nsprites_token = {{ value = "{INLINE_TOKEN}" }}\n'
    '[profiles.q]\namika_token = { env = "Q_TOKEN" }\n'
)
NO_SECRET = '[profiles.p]\namika_token = { env = "P_TOKEN" }\nuser_token = { command = "pass show devbox" }\n'

READABLE_BY_OTHERS = [0o640, 0o604, 0o644, 0o660, 0o606, 0o666, 0o610, 0o601, 0o755, 0o777]
WRITABLE_BY_OTHERS = [0o620, 0o602, 0o622, 0o664, 0o666]


def _write(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def _assert_refusal(exc: BaseException, path: Path) -> None:
    message = str(exc)
    assert INLINE_TOKEN not in message and INLINE_TOKEN not in repr(exc)
    assert "chmod 600" in message or "another user" in message
    assert str(path) in message


@pytest.mark.parametrize("text", [INLINE, INLINE_TABLE], ids=["inline-string", "inline-table"])
@pytest.mark.parametrize("mode", READABLE_BY_OTHERS + WRITABLE_BY_OTHERS, ids=oct)
def test_inline_token_in_a_file_others_can_access_is_refused(tmp_path: Path, text: str, mode: int) -> None:
    path = _write(tmp_path, text, mode)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    _assert_refusal(info.value, path)
    with pytest.raises(ConfigError) as info:  # and through the public entry point, by BOXDECK_CONFIG
        resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)})
    _assert_refusal(info.value, path)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700], ids=oct)
def test_inline_token_in_an_owner_only_file_is_used(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path, INLINE, mode)
    settings = resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)})
    assert settings.amika is not None and settings.amika.token == INLINE_TOKEN
    assert INLINE_TOKEN not in repr(settings)


@pytest.mark.parametrize("mode", WRITABLE_BY_OTHERS, ids=oct)
def test_a_file_others_can_write_is_refused_even_without_tokens(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path, NO_SECRET, mode)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    assert "chmod 600" in str(info.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_readable_file_without_inline_tokens_is_accepted_with_a_warning(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path, NO_SECRET, mode)
    loaded = load_profiles(path)
    assert any("readable by other users" in w for w in loaded.warnings)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_inline_token_in_a_file_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, INLINE, 0o600)
    os.chown(path, 4321, 4321)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    assert INLINE_TOKEN not in str(info.value)
    assert "another user" in str(info.value)


def test_refusal_does_not_leak_the_token_through_toml_errors(tmp_path: Path) -> None:
    """A broken file holding a token: the syntax error names line and column, not the token."""
    path = _write(tmp_path, f'[profiles.p]\namika_token = "{INLINE_TOKEN}\n', 0o600)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    assert INLINE_TOKEN not in str(info.value)
