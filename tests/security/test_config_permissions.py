"""The config file is refused when other users can read it and it holds an inline token (and whenever
others can write it); when it sets a URL or a token (a command to run, an inline token, a variable to read),
it is also refused when another user owns it or a directory it sits in, or can write such a directory. The
refusal says how to fix it (the chmod or chown) and never quotes the token; a refused command never runs."""

from __future__ import annotations

import json
import os
import shlex
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from boxdeck.service.configuration.config import ConfigError
from boxdeck.service.configuration.profiles import load_profiles, resolve_settings

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


# -- who owns the file and its directories ------------------------------------------------------------------

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")


def _nobody() -> int:
    import pwd

    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return 65534


def _command_config(tmp_path: Path, marker: Path) -> str:
    """A profile whose token command leaves `marker` behind when it runs."""
    code = f"open({str(marker)!r}, 'w').close(); print('amk_from_command_123456')"
    command = " ".join(shlex.quote(a) for a in (sys.executable, "-c", code))
    return (
        f'[profiles.p]\namika_url = "https://app.amika.dev"\n'
        f"amika_token = {{ command = {json.dumps(command)} }}\n"
    )


@needs_root
def test_a_command_source_in_a_file_owned_by_someone_else_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "command-ran"
    path = _write(tmp_path, _command_config(tmp_path, marker), 0o600)
    os.chown(path, _nobody(), -1)
    with pytest.raises(ConfigError) as info:
        resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)})
    message = str(info.value)
    assert "runs a command (profiles.p.amika_token)" in message and "belongs to another user" in message
    assert f"Fix: sudo chown root {path}" in message
    assert not marker.exists(), "the command ran"
    os.chown(path, 0, -1)  # the same file, owned by its user: used, and the command runs
    settings = resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)})
    assert settings.amika is not None and settings.amika.token == "amk_from_command_123456"
    assert marker.exists()


@needs_root
@pytest.mark.parametrize(
    "text",
    [
        '[profiles.p]\namika_token = { env = "P_TOKEN" }\n',
        '[profiles.p]\namika_url = "https://evil.example"\n',
    ],
    ids=["env-source", "url-only"],
)
def test_a_file_owned_by_someone_else_may_not_say_where_tokens_go(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text, 0o644)
    os.chown(path, _nobody(), -1)
    with pytest.raises(ConfigError, match="belongs to another user"):
        load_profiles(path)


@needs_root
def test_a_file_owned_by_someone_else_with_only_settings_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, '[settings]\ntheme = "nord"\n', 0o644)
    os.chown(path, _nobody(), -1)
    assert load_profiles(path).settings.theme == "nord"


@pytest.mark.parametrize("mode", [0o770, 0o775, 0o757, 0o777], ids=oct)
def test_a_directory_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    """Whoever can write the directory can swap the file for their own, whatever the file's own mode."""
    folder = tmp_path / "boxdeck"
    folder.mkdir()
    marker = tmp_path / "command-ran"
    path = _write(folder, _command_config(tmp_path, marker), 0o600)
    folder.chmod(mode)
    with pytest.raises(ConfigError) as info:
        resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)})
    assert f"its directory {folder} is writable by other users" in str(info.value)
    assert f"Fix: chmod go-w {folder}" in str(info.value)
    assert not marker.exists()
    folder.chmod(0o700)
    assert resolve_settings(Namespace(), {"BOXDECK_CONFIG": str(path)}).amika is not None
    assert marker.exists()


def test_a_directory_further_up_counts_too(tmp_path: Path) -> None:
    outer = tmp_path / "shared"
    inner = outer / "me" / "boxdeck"
    inner.mkdir(parents=True)
    path = _write(inner, INLINE, 0o600)
    outer.chmod(0o777)
    try:
        with pytest.raises(ConfigError, match=f"its directory {outer} is writable by other users"):
            load_profiles(path)
    finally:
        outer.chmod(0o700)


def test_a_sticky_shared_directory_is_safe(tmp_path: Path) -> None:
    """As /tmp: others may write the directory but not rename or replace a file they do not own."""
    folder = tmp_path / "sticky"
    folder.mkdir()
    path = _write(folder, INLINE, 0o600)
    folder.chmod(0o1777)
    assert load_profiles(path).has_inline_secret


def test_a_link_to_a_file_in_an_unsafe_directory_is_refused(tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe"
    unsafe.mkdir()
    real = _write(unsafe, INLINE, 0o600)
    unsafe.chmod(0o775)
    safe = tmp_path / "safe"
    safe.mkdir(mode=0o700)
    link = safe / "config.toml"
    link.symlink_to(real)
    try:
        with pytest.raises(ConfigError, match=f"its directory {unsafe} is writable"):
            load_profiles(link)
    finally:
        unsafe.chmod(0o700)


@needs_root
def test_a_directory_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    path = _write(folder, NO_SECRET, 0o600)
    os.chown(folder, _nobody(), -1)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    assert f"its directory {folder} belongs to another user" in str(info.value)
    assert f"sudo chown root {folder}" in str(info.value)
