"""Profiles file: parsing, the permission rule, precedence flags > env > profile, keymap rules, paths."""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from boxdeck.service.configuration import paths
from boxdeck.service.configuration.config import ConfigError
from boxdeck.service.configuration.profiles import (
    ConfigFileError,
    is_bare_ctrl_chord,
    load_profiles,
    resolve_all,
    resolve_app_config,
    resolve_settings,
    token_source_for,
    validate_keymap,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

PY = sys.executable.replace("\\", "/")


def write(tmp_path: Path, text: str, mode: int = 0o600, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def no_args(**kw: object) -> Namespace:
    base: dict[str, object] = {
        "amika_url": None,
        "amika_token": None,
        "devbox_url": None,
        "sprites_token": None,
        "user_token": None,
        "read_only": False,
        "allow_insecure": False,
    }
    base.update(kw)
    return Namespace(**base)


FULL = f"""
default_profile = "work"

[settings]
steady_interval = 7.5
busy_interval = 0.5
theme = "textual-light"
clipboard_clear_seconds = 30
write_grant_minutes = 5

[settings.keymap]
delete = "d"
refresh = ["r", "f5"]

[profiles.work]
amika_url = "https://amika.work.example"
amika_token = {{ value = "amk_work_inline_secret_1234" }}
devbox_url = "https://devbox.work.example"
sprites_token = {{ env = "WORK_SPRITES" }}
user_token = {{ command = "{PY} -c \\"print('usr_from_command_5678')\\"" }}
read_only = true

[profiles.home]
amika_url = "https://amika.home.example"
amika_token = "amk_home_inline_secret_9999"
"""


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    for var in (
        "BOXDECK_CONFIG",
        "BOXDECK_PROFILE",
        "AMIKA_API_URL",
        "AMIKA_API_KEY",
        "DEVBOX_API_URL",
        "DEVBOX_SPRITES_TOKEN",
        "DEVBOX_USER_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)


# -- paths -----------------------------------------------------------------------------------------------


def test_paths_follow_xdg_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("platformdirs honours XDG_* on Linux")
    assert paths.config_file() == tmp_path / "xdg-config" / "boxdeck" / "config.toml"
    assert paths.log_file() == tmp_path / "xdg-state" / "boxdeck" / "boxdeck.log"
    assert paths.history_file().parent == paths.state_dir() == tmp_path / "xdg-state" / "boxdeck"
    assert paths.prefs_file().parent == paths.state_dir()
    monkeypatch.setenv("BOXDECK_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert paths.config_file() == tmp_path / "elsewhere.toml"
    assert paths.config_file({"BOXDECK_CONFIG": ""}) == tmp_path / "xdg-config" / "boxdeck" / "config.toml"


@posix_only
def test_atomic_write_is_private(tmp_path: Path) -> None:
    target = tmp_path / "state" / "x.json"
    paths.atomic_write_text(target, "{}")
    assert target.read_text() == "{}"
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state").stat().st_mode & 0o077 == 0
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


# -- loading ---------------------------------------------------------------------------------------------


def test_full_file_parses(tmp_path: Path) -> None:
    pf = load_profiles(write(tmp_path, FULL))
    assert pf.exists and pf.default_profile == "work"
    assert pf.names() == ["work", "home"]
    assert pf.settings.steady_interval == 7.5 and pf.settings.busy_interval == 0.5
    assert pf.settings.theme == "textual-light"
    assert pf.settings.clipboard_clear_seconds == 30
    assert pf.settings.write_grant_minutes == 5
    assert dict(pf.settings.keymap) == {"delete": "d", "refresh": "r,f5"}
    work = pf.get("work")
    assert work.amika_token is not None and work.amika_token.is_inline
    assert work.sprites_token is not None and work.sprites_token.kind == "env"
    assert work.read_only is True
    assert pf.warnings == ()
    # Specs never show an inline secret in their repr.
    assert "amk_work_inline_secret_1234" not in repr(work)


def test_missing_file_is_empty_unless_required(tmp_path: Path) -> None:
    pf = load_profiles(tmp_path / "nope.toml")
    assert not pf.exists and pf.names() == [] and pf.choose(None) is None
    with pytest.raises(ConfigFileError, match="does not exist"):
        load_profiles(tmp_path / "nope.toml", required=True)


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings]\ntheme = "dark"\nbusy_interval = = 2\n')
    with pytest.raises(ConfigFileError) as info:
        load_profiles(path)
    err = info.value
    assert isinstance(err, ConfigError)
    assert err.line == 3 and err.column is not None
    assert str(path) in str(err) and "line 3, column" in str(err)


def test_unknown_keys_warn_not_crash(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'colour = "red"\n[settings]\nspeed = 3\n[profiles.a]\namika_token = { env = "X" }\nregion = "eu"\n',
    )
    pf = load_profiles(path)
    joined = "\n".join(pf.warnings)
    assert "'colour'" in joined and "'settings.speed'" in joined and "'profiles.a.region'" in joined
    assert pf.names() == ["a"]


def test_a_misspelt_key_gets_the_closest_known_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_profle = "a"\n[settings]\nthemes = "nord"\n[profiles.a]\namika_tokn = "amk_x_1234"\n'
        'colour = "red"\n',
    )
    warnings = load_profiles(path).warnings
    assert any("'default_profle' ignored (did you mean 'default_profile'?)" in w for w in warnings)
    assert any("'settings.themes' ignored (did you mean 'theme'?)" in w for w in warnings)
    assert any("'profiles.a.amika_tokn' ignored (did you mean 'amika_token'?)" in w for w in warnings)
    assert any(w.endswith("'profiles.a.colour' ignored") for w in warnings)  # nothing close: no guess


def test_an_unknown_profile_gets_the_closest_name(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    with pytest.raises(ConfigFileError, match=r"unknown profile 'wrok'.*\(did you mean 'work'\?\)"):
        resolve_app_config(no_args(), {}, path, profile_name="wrok")


def test_profiles_an_option_names_must_exist_and_the_file_too(tmp_path: Path) -> None:
    load_profiles(write(tmp_path, FULL)).require(["home", "work"], flag="--watch")
    with pytest.raises(ConfigFileError, match=r"--watch: unknown profile 'hom'.*did you mean 'home'"):
        load_profiles(tmp_path / "config.toml").require(["hom"], flag="--watch")
    missing = tmp_path / "none.toml"
    with pytest.raises(ConfigFileError) as caught:
        load_profiles(missing).require(["nope"], flag="--watch")
    message = str(caught.value)
    assert message.startswith("--watch nope: no such profile, because there is no config file")
    assert str(missing) in message and "--config" in message


def test_only_the_backends_asked_for_are_resolved(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    tool = tmp_path / "amika_token.py"
    tool.write_text(f"open({str(marker)!r}, 'w').write('ran')\nprint('amk_from_command_1234')\n")
    text = (
        "[profiles.a]\n"
        f'amika_token = {{ command = "{PY} {tool.as_posix()}" }}\n'
        'amika_url = "http://not-loopback.example"\n'  # would be refused, were Amika resolved
        'sprites_token = { env = "SPRITES" }\n'
    )
    path = write(tmp_path, text)
    devbox = resolve_settings(no_args(), {"SPRITES": "spr_env_1234"}, path, backends=["devbox"])
    assert devbox.amika is None and devbox.devbox is not None
    assert not marker.exists()  # the Amika token command never ran
    with pytest.raises(ConfigFileError, match="SPRITES"):  # the backend asked for still fails loudly
        resolve_settings(no_args(), {}, path, backends=["devbox"])
    with pytest.raises(ConfigError, match="refusing plain http"):
        resolve_settings(no_args(), {"SPRITES": "spr_env_1234"}, path)
    assert marker.exists()  # both backends: the command ran
    with pytest.raises(ValueError, match="unknown backends"):
        resolve_settings(no_args(), {}, path, backends=["aws"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[settings]\nsteady_interval = "fast"\n', "settings.steady_interval: expected a number"),
        ("[settings]\nread_only = 1\n", "settings.read_only: expected true or false"),
        ('[profiles.a]\nread_only = "yes"\n', "profiles.a.read_only"),
        ('[profiles.a]\namika_token = { env = "A", command = "b" }\n', "exactly one of"),
        ('[profiles.a]\namika_token = { vault = "x" }\n', "unknown key"),
        ('default_profile = "ghost"\n[profiles.a]\n', "default_profile 'ghost'"),
        ("[settings]\nbusy_interval = 0\n", "at least"),
        ("[settings]\nmax_response_mb = 0\n", "settings.max_response_mb: must be at least 1"),
        ('[settings]\nmax_response_mb = "big"\n', "settings.max_response_mb: expected a number"),
    ],
)
def test_wrong_types_are_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_profiles(write(tmp_path, text))


async def test_max_response_mb_caps_what_the_clients_read(tmp_path: Path) -> None:
    from boxdeck.api import DEFAULT_MAX_BODY_BYTES
    from boxdeck.service.configuration.config import Service

    text = (
        '[settings]\nmax_response_mb = 8\n[profiles.a]\namika_token = { env = "A" }\n'
        'sprites_token = "spr_x_1234"\n'
    )
    settings = resolve_settings(no_args(), {"A": "amk_a_1234"}, write(tmp_path, text))
    assert settings.max_response_bytes == 8 * 1024 * 1024
    async with Service.from_settings(settings) as service:
        clients = (service.monitor.amika, service.monitor.devbox)
        assert [c._core.max_body_bytes for c in clients if c is not None] == [8 * 1024 * 1024] * 2
    default = resolve_settings(no_args(), {"A": "amk_a_1234"}, write(tmp_path, text.split("\n", 2)[2]))
    assert default.max_response_bytes is None
    async with Service.from_settings(default) as service:
        assert service.monitor.amika is not None
        assert service.monitor.amika._core.max_body_bytes == DEFAULT_MAX_BODY_BYTES


def test_token_spec_error_never_holds_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\namika_token = { value = "amk_secret_xyz", ttl = 3 }\n')
    with pytest.raises(ConfigFileError) as info:
        load_profiles(path)
    assert "amk_secret_xyz" not in str(info.value)


# -- the permission rule ---------------------------------------------------------------------------------


@posix_only
def test_inline_token_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, FULL, mode=0o644)
    with pytest.raises(ConfigFileError) as info:
        load_profiles(path)
    msg = str(info.value)
    assert "chmod 600" in msg and str(path) in msg and "0644" in msg
    assert "amk_work_inline_secret_1234" not in msg


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o610])
def test_any_group_or_other_bit_with_a_secret_is_refused(tmp_path: Path, mode: int) -> None:
    with pytest.raises(ConfigFileError, match="chmod 600"):
        load_profiles(write(tmp_path, FULL, mode=mode))


@posix_only
def test_owner_only_file_with_secret_is_accepted(tmp_path: Path) -> None:
    pf = load_profiles(write(tmp_path, FULL, mode=0o600))
    assert pf.has_inline_secret and pf.warnings == ()


@posix_only
def test_world_readable_without_secrets_is_accepted_with_warning(tmp_path: Path) -> None:
    text = '[profiles.a]\namika_token = { env = "A_TOKEN" }\nsprites_token = { command = "pass show s" }\n'
    pf = load_profiles(write(tmp_path, text, mode=0o644))
    assert pf.names() == ["a"]
    assert any("readable by other users" in w and "chmod 600" in w for w in pf.warnings)


@posix_only
def test_writable_by_others_is_refused_even_without_secrets(tmp_path: Path) -> None:
    text = '[profiles.a]\namika_token = { command = "pass show a" }\n'
    with pytest.raises(ConfigFileError, match="writable by other users"):
        load_profiles(write(tmp_path, text, mode=0o666))


# -- precedence ------------------------------------------------------------------------------------------


def test_profile_values_are_used(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    cfg = resolve_app_config(no_args(), {"WORK_SPRITES": "spr_from_env_var"}, path)
    s = cfg.settings
    assert cfg.profile == "work"
    assert s.amika is not None and s.amika.url == "https://amika.work.example"
    assert s.amika.token == "amk_work_inline_secret_1234"
    assert s.devbox is not None and s.devbox.url == "https://devbox.work.example"
    assert s.devbox.sprites_token == "spr_from_env_var"
    assert s.devbox.user_token == "usr_from_command_5678"
    assert s.read_only is True and not cfg.read_only_locked
    assert s.steady_interval == 7.5 and s.busy_interval == 0.5
    assert cfg.theme == "textual-light" and cfg.clipboard_clear_seconds == 30 and cfg.write_grant_minutes == 5


def test_environment_beats_profile_and_flags_beat_environment(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    env = {
        "WORK_SPRITES": "spr_profile_env",
        "AMIKA_API_URL": "https://amika.env.example",
        "AMIKA_API_KEY": "amk_from_environment",
    }
    s = resolve_settings(no_args(), env, path)
    assert s.amika is not None
    assert (s.amika.url, s.amika.token) == ("https://amika.env.example", "amk_from_environment")

    flags = no_args(amika_url="https://amika.flag.example", amika_token="amk_from_flag", read_only=True)
    cfg = resolve_app_config(flags, env, path)
    assert cfg.settings.amika is not None
    assert (cfg.settings.amika.url, cfg.settings.amika.token) == (
        "https://amika.flag.example",
        "amk_from_flag",
    )
    assert cfg.settings.read_only and cfg.read_only_locked


def test_token_command_not_run_when_flag_gives_the_token(tmp_path: Path) -> None:
    text = '[profiles.a]\namika_url = "https://a.example"\namika_token = { command = "/nonexistent/tool" }\n'
    path = write(tmp_path, text)
    s = resolve_settings(no_args(amika_token="amk_flag_token"), {}, path)
    assert s.amika is not None and s.amika.token == "amk_flag_token"
    with pytest.raises(ConfigFileError, match="not found"):
        resolve_settings(no_args(), {}, path)


def test_profile_selection(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    env = {"WORK_SPRITES": "spr_x_123456"}
    assert resolve_app_config(no_args(), env, path).profile == "work"
    assert resolve_app_config(no_args(), {**env, "BOXDECK_PROFILE": "home"}, path).profile == "home"
    assert resolve_app_config(no_args(profile="home"), env, path).profile == "home"
    home = resolve_app_config(no_args(profile="work"), env, path, profile_name="home")
    assert home.profile == "home" and home.settings.read_only is False
    assert home.settings.devbox is None
    with pytest.raises(ConfigFileError, match="unknown profile 'nope'.*home, work"):
        resolve_app_config(no_args(), env, path, profile_name="nope")


def test_single_profile_is_used_without_default(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.only]\namika_token = "amk_only_one_token"\n')
    cfg = resolve_app_config(no_args(), {}, path)
    assert cfg.profile == "only" and cfg.settings.amika is not None


def test_config_location_from_env_and_flag(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.x]\namika_token = "amk_located_token"\n', name="custom.toml")
    cfg = resolve_app_config(no_args(), {"BOXDECK_CONFIG": str(path)}, None)
    assert cfg.config_path == path and cfg.profile == "x"
    cfg = resolve_app_config(no_args(config=str(path)), {}, None)
    assert cfg.profile == "x"
    with pytest.raises(ConfigFileError, match="does not exist"):
        resolve_app_config(no_args(), {"BOXDECK_CONFIG": str(tmp_path / "missing.toml")}, None)
    # No file at the default location: flags and environment alone.
    cfg = resolve_app_config(no_args(), {"AMIKA_API_KEY": "amk_env_only_1"}, None)
    assert cfg.profile is None and cfg.settings.amika is not None


def test_profile_urls_go_through_the_insecure_check(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[profiles.a]\namika_url = "http://amika.example"\namika_token = "amk_tok_12345"\n'
    )
    with pytest.raises(ConfigError, match="http"):
        resolve_settings(no_args(), {}, path)
    path = write(
        tmp_path,
        '[profiles.a]\namika_url = "http://amika.example"\namika_token = "amk_tok_12345"\n'
        "allow_insecure = true\n",
    )
    assert resolve_settings(no_args(), {}, path).allow_insecure


def test_resolve_all_keeps_profiles_apart(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    env = {"WORK_SPRITES": "spr_work_777777", "AMIKA_API_KEY": "amk_global_should_not_apply"}
    result = dict(resolve_all(path, None, environ=env))
    assert list(result) == ["work", "home"]
    assert result["work"].amika is not None and result["work"].amika.token == "amk_work_inline_secret_1234"
    assert result["home"].amika is not None and result["home"].amika.token == "amk_home_inline_secret_9999"
    assert result["home"].amika.url == "https://amika.home.example"

    errors: list[str] = []
    only = resolve_all(path, ["home", "work"], environ={}, on_error=lambda name, exc: errors.append(name))
    assert [n for n, _ in only] == ["home"] and errors == ["work"]  # WORK_SPRITES unset
    with pytest.raises(ConfigFileError, match="WORK_SPRITES"):
        resolve_all(path, ["work"], environ={})


def test_token_source_for_gives_live_sources(tmp_path: Path) -> None:
    pf = load_profiles(write(tmp_path, FULL))
    env = {"WORK_SPRITES": "first_value"}
    src = token_source_for(pf.get("work"), "sprites_token", env)
    assert src is not None and src.token() == "first_value"
    env["WORK_SPRITES"] = "rotated_value"
    assert src.token() == "rotated_value"
    assert token_source_for(pf.get("home"), "user_token") is None
    assert token_source_for(None, "amika_token") is None
    cmd = pf.token_source("work", "user_token")
    assert cmd is not None and cmd.token() == "usr_from_command_5678"


# -- keymap ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bare"),
    [("ctrl+d", True), ("d", False), ("shift+delete", False), ("ctrl+shift+d", False), ("delete", False)],
)
def test_bare_ctrl_chord(key: str, bare: bool) -> None:
    assert is_bare_ctrl_chord(key) is bare


def test_validate_keymap() -> None:
    assert validate_keymap({"delete": "d", "stop": "x", "refresh": "ctrl+r"}) == []
    problems = validate_keymap({"delete": "ctrl+d", "bulk_delete": "D,ctrl+x"})
    assert len(problems) == 2 and all("bare ctrl chord" in p for p in problems)
    assert validate_keymap({"stop": "ctrl+s"}, destructive_ids={"delete"}) == []
    assert any("bound to both" in p for p in validate_keymap({"start": "s", "stop": "s"}))
    assert any("empty key" in p for p in validate_keymap({"start": "s,"}))
    assert any("contains a space" in p for p in validate_keymap({"start": "ctrl s"}))
    assert any("unknown binding id" in p for p in validate_keymap({"zap": "z"}, known_ids={"start"}))


def test_bad_keymap_entries_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings.keymap]\ndelete = "ctrl+d"\nstop = "X"\nrefresh = 5\n')
    pf = load_profiles(path)
    assert dict(pf.settings.keymap) == {"stop": "X"}
    joined = "\n".join(pf.warnings)
    assert "bare ctrl chord" in joined and "refresh" in joined


def test_editor_and_desktop_notifications_settings(tmp_path: Path) -> None:
    from boxdeck.service.monitoring.desktop_notify import NotifyMethod

    default = load_profiles(write(tmp_path, "[settings]\n")).settings
    assert (default.editor, default.desktop_notifications) == ("vscode", NotifyMethod.TERMINAL)
    chosen = load_profiles(write(tmp_path, '[settings]\neditor = "zed"\ndesktop_notifications = "off"\n'))
    assert (chosen.settings.editor, chosen.settings.desktop_notifications) == ("zed", NotifyMethod.OFF)
    with pytest.raises(ConfigFileError, match=r"settings.editor: 'emacs' is not one of cursor, vscode, zed"):
        load_profiles(write(tmp_path, '[settings]\neditor = "emacs"\n'))
