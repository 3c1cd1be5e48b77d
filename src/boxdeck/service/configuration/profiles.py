"""Profiles and settings from a TOML file, merged under flags and the environment.

Why profiles: people run boxdeck against more than one account (work, personal, staging); typing five flags or
re-exporting five variables to switch is what makes them go back to one-shot CLIs. One file under the user's
config dir (``paths.config_file()``, or ``BOXDECK_CONFIG``) names each account's URLs and where its tokens
come from, plus the app settings (poll cadence, theme, clipboard clear time, read-only, keymap)::

    default_profile = "work"

    [settings]
    steady_interval = 5.0          # seconds between polls when all is steady
    busy_interval = 1.0            # ... while anything is changing
    theme = "textual-dark"
    clipboard_clear_seconds = 60   # 0 = never clear a copied command holding a token
    read_only = false              # default for every profile
    write_grant_minutes = 10       # how long the "grant write access" key lasts
    max_response_mb = 64           # the largest answer read from a server, decompressed
    editor = "vscode"              # `boxdeck code` and the dashboard's open-in-editor: cursor, vscode, zed
    desktop_notifications = "terminal"   # a waited-on box ready or failed: terminal, notify-send, off

    [settings.keymap]              # binding id -> keys (Textual keymap syntax, comma-separated)
    delete = "d"
    refresh = "r,f5"

    [profiles.work]
    amika_url = "https://app.amika.dev"
    amika_token = { command = "pass show amika/work" }
    devbox_url = "https://api.devbox-sdk.dev"
    sprites_token = { env = "WORK_SPRITES_TOKEN" }
    user_token = { value = "usr_..." }     # inline: the file must then be chmod 600
    read_only = true
    trusted_proxy_commands = ["devbox-proxy --relay relay.example %h %p"]   # ssh may run these locally

Precedence, per field: flags > environment (``AMIKA_API_URL`` …) > profile > defaults. A token source is only
run when neither a flag nor the environment gave that token (no password-manager prompt for nothing).

The permission rule, on POSIX. A file that sets a profile's URL or token decides which program boxdeck runs (a
``command`` source) or where a token is sent, so whoever can change it can take the token:
- writable by group or others (``mode & 0o022``): **refused** whatever it holds — whoever can edit it can
  point a URL at their server or swap a token command for their own program;
- any group/other permission bit (``mode & 0o077``) while the file holds an inline token: **refused**, with
  the fix ``chmod 600 <file>`` in the message;
- owned by another user (not you, not root) while it sets a URL or a token: **refused**, with the ``chown``
  that fixes it;
- in a directory (or below one) that another user owns, or that group or others can write (unless it is
  sticky, as ``/tmp`` is: then nobody else can rename or replace the file), while it sets a URL or a token:
  **refused** — they could swap the file for their own —, with the ``chmod go-w`` or ``chown`` that fixes it;
- readable by others but with only ``env``/``command`` token sources: accepted, with a warning — it names
  variables and commands, not secrets.

Problems that cannot hurt (unknown keys, a keymap entry that breaks a rule) become warnings and the rest of
the file is used; problems that would make boxdeck do something other than what the file says (bad TOML, a
wrong type, an unknown profile, a failing token source) raise :class:`ConfigFileError` (a ``ConfigError``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

from boxdeck.service.access.clipboard_guard import DEFAULT_CLEAR_SECONDS
from boxdeck.service.access.editors import EDITORS
from boxdeck.service.access.ssh_trust import CONFIG_KEY as TRUST_KEY
from boxdeck.service.access.sshcmd import proxy_command_problem
from boxdeck.service.configuration.config import (
    ConfigError,
    Settings,
    settings_from,
    values_from_args,
    values_from_env,
)
from boxdeck.service.configuration.paths import CONFIG_ENV, config_file, user_name
from boxdeck.service.configuration.token_sources import (
    SyncTokenSource,
    TokenSourceError,
    TokenSpec,
    parse_token_spec,
)
from boxdeck.service.configuration.write_grant import DEFAULT_GRANT_MINUTES
from boxdeck.service.monitoring.desktop_notify import NotifyMethod

__all__ = [
    "BACKEND_FIELDS",
    "DESTRUCTIVE_IDS",
    "PROFILE_ENV",
    "TOKEN_FIELDS",
    "AppConfig",
    "ConfigError",
    "ConfigFileError",
    "FileSettings",
    "Profile",
    "ProfilesFile",
    "clean_keymap",
    "is_bare_ctrl_chord",
    "load_profiles",
    "resolve_all",
    "resolve_app_config",
    "resolve_settings",
    "token_source_for",
    "validate_keymap",
]

PROFILE_ENV = "BOXDECK_PROFILE"
TOKEN_FIELDS = ("amika_token", "sprites_token", "user_token")
URL_FIELDS = ("amika_url", "devbox_url")
#: The fields that configure each backend: a command that needs one backend resolves only its fields.
BACKEND_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"amika": ("amika_url", "amika_token"), "devbox": ("devbox_url", "sprites_token", "user_token")}
)
#: Binding ids of actions that destroy or interrupt something; none may sit on a bare ctrl chord.
DESTRUCTIVE_IDS = frozenset(
    {"delete", "stop", "bulk_delete", "bulk_stop", "delete_box", "stop_box", "delete_session", "stop_session"}
)

#: The editor `boxdeck code` opens a box in when no --editor is given.
DEFAULT_EDITOR = "vscode"

_TOP_KEYS = frozenset({"default_profile", "settings", "profiles"})
_SETTINGS_KEYS = frozenset(
    {
        "steady_interval",
        "busy_interval",
        "poll",
        "theme",
        "clipboard_clear_seconds",
        "read_only",
        "write_grant_minutes",
        "max_response_mb",
        "keymap",
        "editor",
        "desktop_notifications",
    }
)
_POLL_KEYS = frozenset({"steady_interval", "busy_interval"})
_PROFILE_KEYS = frozenset({*URL_FIELDS, *TOKEN_FIELDS, "read_only", "allow_insecure", TRUST_KEY})
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


class ConfigFileError(ConfigError):
    """A problem with the config file; ``str(e)`` names the file (line/column for bad TOML) and the fix."""

    def __init__(
        self, message: str, *, path: Path | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


# -- the file's content --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` table. Token fields are specs (where the token comes from), not tokens."""

    name: str
    amika_url: str | None = None
    amika_token: TokenSpec | None = None
    devbox_url: str | None = None
    sprites_token: TokenSpec | None = None
    user_token: TokenSpec | None = None
    read_only: bool | None = None
    allow_insecure: bool | None = None
    #: ProxyCommands ssh may run for this profile's devboxes without asking (exact text).
    trusted_proxy_commands: tuple[str, ...] = ()

    def token_spec(self, field_name: str) -> TokenSpec | None:
        if field_name not in TOKEN_FIELDS:
            raise ValueError(f"not a token field: {field_name!r}")
        spec: TokenSpec | None = getattr(self, field_name)
        return spec

    @property
    def has_inline_secret(self) -> bool:
        specs = (self.amika_token, self.sprites_token, self.user_token)
        return any(s is not None and s.is_inline for s in specs)


@dataclass(frozen=True)
class FileSettings:
    """The ``[settings]`` table. ``None`` intervals mean "the service's default"."""

    steady_interval: float | None = None
    busy_interval: float | None = None
    theme: str | None = None
    clipboard_clear_seconds: float = DEFAULT_CLEAR_SECONDS
    read_only: bool = False
    write_grant_minutes: float = DEFAULT_GRANT_MINUTES
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The largest answer read from a server, once decompressed, in MiB (None: the clients' default).
    max_response_mb: float | None = None
    editor: str = DEFAULT_EDITOR
    desktop_notifications: NotifyMethod = NotifyMethod.TERMINAL


@dataclass(frozen=True)
class ProfilesFile:
    """A loaded config file (or the empty one when there is no file)."""

    path: Path | None = None
    exists: bool = False
    default_profile: str | None = None
    settings: FileSettings = field(default_factory=FileSettings)
    profiles: Mapping[str, Profile] = field(default_factory=lambda: MappingProxyType({}))
    #: Things the user should fix but that did not stop loading (unknown keys, rejected key bindings…).
    warnings: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return list(self.profiles)

    def get(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none defined"
            where = f" in {self.path}" if self.path else ""
            raise ConfigFileError(
                f"unknown profile {name!r}{where} (profiles: {known}){_did_you_mean(name, self.profiles)}",
                path=self.path,
            ) from None

    def require(self, names: Iterable[str], *, flag: str) -> None:
        """Check that the profiles an option names (``--watch a,b``) exist, saying what is wrong if not:
        there is no file at all, or which names it lacks."""
        wanted = list(names)
        if not self.exists:
            raise ConfigFileError(
                f"{flag} {','.join(wanted)}: no such profile, because there is no config file "
                f"({self.path}); profiles are defined there (see docs/config.md), or pass --config PATH",
                path=self.path,
            )
        unknown = [n for n in wanted if n not in self.profiles]
        if unknown:
            known = ", ".join(self.names()) or "none defined"
            raise ConfigFileError(
                f"{flag}: unknown profile {', '.join(map(repr, unknown))} (profiles: {known})"
                + _did_you_mean(unknown[0], self.profiles),
                path=self.path,
            )

    def choose(self, name: str | None) -> Profile | None:
        """The named profile, else ``default_profile``, else the only profile if there is exactly one."""
        if name:
            return self.get(name)
        if self.default_profile:
            return self.get(self.default_profile)
        if len(self.profiles) == 1:
            return next(iter(self.profiles.values()))
        return None

    @property
    def has_inline_secret(self) -> bool:
        return any(p.has_inline_secret for p in self.profiles.values())

    def token_source(
        self, profile: str, field_name: str, environ: Mapping[str, str] | None = None
    ) -> SyncTokenSource | None:
        return token_source_for(self.get(profile), field_name, environ)


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# -- parsing helpers -----------------------------------------------------------------------------------------


class _Reader:
    """Typed access to a TOML table with the dotted key in every error, and unknown keys collected."""

    def __init__(self, path: Path | None, warnings: list[str]) -> None:
        self.path = path
        self.warnings = warnings

    def fail(self, message: str) -> ConfigFileError:
        where = f"{self.path}: " if self.path else ""
        return ConfigFileError(where + message, path=self.path)

    def unknown(self, table: Mapping[str, Any], known: Iterable[str], prefix: str) -> None:
        names = frozenset(known)
        for key in table:
            if key not in names:
                dotted = f"{prefix}.{key}" if prefix else key
                self.warnings.append(f"unknown key {dotted!r} ignored{_did_you_mean(key, names)}")

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{key}: expected a table")
        return value

    def string(self, value: Any, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}: expected a non-empty string")
        return value.strip()

    def boolean(self, value: Any, key: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(f"{key}: expected true or false")
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key}: expected a list of non-empty strings")
        return tuple(value)

    def number(self, value: Any, key: str, *, minimum: float, allow_zero: bool = False) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"{key}: expected a number")
        if value < minimum and not (allow_zero and value == 0):
            raise self.fail(f"{key}: must be at least {minimum:g}" + (" (or 0)" if allow_zero else ""))
        return float(value)


def _parse_keymap(reader: _Reader, raw: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for binding_id, value in raw.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[binding_id] = ",".join(v.strip() for v in value)
        elif isinstance(value, str):
            out[binding_id] = value
        else:
            reader.warnings.append(f"settings.keymap.{binding_id}: expected a string of keys; ignored")
    return out


def _parse_settings(reader: _Reader, raw: Mapping[str, Any]) -> FileSettings:
    reader.unknown(raw, _SETTINGS_KEYS, "settings")
    poll = reader.table(raw.get("poll"), "settings.poll")
    reader.unknown(poll, _POLL_KEYS, "settings.poll")
    steady = reader.number(
        raw.get("steady_interval", poll.get("steady_interval")), "settings.steady_interval", minimum=0.2
    )
    busy = reader.number(
        raw.get("busy_interval", poll.get("busy_interval")), "settings.busy_interval", minimum=0.2
    )
    clear = reader.number(
        raw.get("clipboard_clear_seconds"), "settings.clipboard_clear_seconds", minimum=1, allow_zero=True
    )
    grant = reader.number(raw.get("write_grant_minutes"), "settings.write_grant_minutes", minimum=0.1)
    max_response = reader.number(raw.get("max_response_mb"), "settings.max_response_mb", minimum=1)
    editor = _choice(reader, raw.get("editor"), "settings.editor", tuple(EDITORS)) or DEFAULT_EDITOR
    notify = _choice(reader, raw.get("desktop_notifications"), "settings.desktop_notifications",
                     tuple(m.value for m in NotifyMethod))
    keymap_raw = _parse_keymap(reader, reader.table(raw.get("keymap"), "settings.keymap"))
    keymap, problems = clean_keymap(keymap_raw)
    reader.warnings.extend(f"settings.keymap: {p}; that binding keeps its default key" for p in problems)
    return FileSettings(
        steady_interval=steady,
        busy_interval=busy,
        theme=reader.string(raw.get("theme"), "settings.theme"),
        clipboard_clear_seconds=DEFAULT_CLEAR_SECONDS if clear is None else clear,
        read_only=bool(reader.boolean(raw.get("read_only"), "settings.read_only")),
        write_grant_minutes=DEFAULT_GRANT_MINUTES if grant is None else grant,
        keymap=MappingProxyType(keymap),
        max_response_mb=max_response,
        editor=editor,
        desktop_notifications=NotifyMethod(notify) if notify else NotifyMethod.TERMINAL,
    )


def _choice(reader: _Reader, value: Any, key: str, choices: tuple[str, ...]) -> str | None:
    text = reader.string(value, key)
    if text is not None and text not in choices:
        raise reader.fail(f"{key}: {text!r} is not one of {', '.join(choices)}")
    return text


def _parse_profile(reader: _Reader, name: str, raw: Any) -> Profile:
    prefix = f"profiles.{name}"
    table = reader.table(raw, prefix)
    reader.unknown(table, _PROFILE_KEYS, prefix)
    specs: dict[str, TokenSpec | None] = {}
    for key in TOKEN_FIELDS:
        value = table.get(key)
        try:
            specs[key] = None if value is None else parse_token_spec(value, f"{prefix}.{key}")
        except TokenSourceError as exc:
            raise reader.fail(str(exc)) from None
    trusted = reader.strings(table.get(TRUST_KEY), f"{prefix}.{TRUST_KEY}")
    for command in trusted:
        problem = proxy_command_problem(command)
        if problem is not None:
            raise reader.fail(f"{prefix}.{TRUST_KEY}: {command[:60]!r}: {problem}")
    return Profile(
        name=name,
        trusted_proxy_commands=trusted,
        amika_url=reader.string(table.get("amika_url"), f"{prefix}.amika_url"),
        devbox_url=reader.string(table.get("devbox_url"), f"{prefix}.devbox_url"),
        read_only=reader.boolean(table.get("read_only"), f"{prefix}.read_only"),
        allow_insecure=reader.boolean(table.get("allow_insecure"), f"{prefix}.allow_insecure"),
        **specs,
    )


def _risk(pf: ProfilesFile) -> str | None:
    """What the file can make boxdeck do, worst first, naming the key; None when it sets no URL or token."""
    specs = [
        (f"profiles.{p.name}.{f}", spec)
        for p in pf.profiles.values()
        for f in TOKEN_FIELDS
        if (spec := p.token_spec(f)) is not None
    ]
    for kind, words in (("command", "runs a command"), ("value", "holds a token")):
        where = next((w for w, spec in specs if spec.kind == kind), None)
        if where is not None:
            return f"{words} ({where})"
    if specs:
        return f"says where a token is sent ({specs[0][0]})"
    urls = [f"profiles.{p.name}.{f}" for p in pf.profiles.values() for f in URL_FIELDS if getattr(p, f)]
    return f"says where your tokens are sent ({urls[0]})" if urls else None


def _unsafe_directory(path: Path, uid: int) -> str | None:
    """Why someone else could replace ``path`` through one of its directories (with the fix), or None."""
    seen: set[Path] = set()
    for start in (Path(os.path.abspath(path)).parent, path.resolve().parent):
        for directory in (start, *start.parents):
            if directory in seen:
                continue
            seen.add(directory)
            try:
                st = directory.stat()
            except OSError:
                continue
            mode = stat.S_IMODE(st.st_mode)
            quoted = shlex.quote(str(directory))
            if st.st_uid not in (uid, 0):
                owner, you = user_name(st.st_uid), user_name(uid)
                return (f"its directory {directory} belongs to another user ({owner}), who could replace it. "
                        f"Fix: move the file to a directory you own, or sudo chown {you} {quoted}")
            if mode & 0o022 and not mode & stat.S_ISVTX:
                return (f"its directory {directory} is writable by other users (mode {mode:04o}), who could "
                        f"replace it. Fix: chmod go-w {quoted}")
    return None


def _check_permissions(path: Path, st: os.stat_result, pf: ProfilesFile, warnings: list[str]) -> None:
    """Enforce the permission rule of the module docstring (POSIX only)."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(st.st_mode)
    quoted = shlex.quote(str(path))
    if mode & 0o022:
        raise ConfigFileError(
            f"{path} is writable by other users (mode {mode:04o}); anyone who can edit it can redirect your "
            f"tokens. Fix: chmod 600 {quoted}",
            path=path,
        )
    risk = _risk(pf)
    if risk is None:
        return
    if pf.has_inline_secret and mode & 0o077:
        secret_at = next(
            f"profiles.{p.name}.{f}"
            for p in pf.profiles.values()
            for f in TOKEN_FIELDS
            if (s := p.token_spec(f)) is not None and s.is_inline
        )
        raise ConfigFileError(
            f"{path} holds a token ({secret_at}) and other users can access it (mode {mode:04o}). "
            f"Fix: chmod 600 {quoted} — or move the token to {{ env = \"NAME\" }} or {{ command = \"…\" }}",
            path=path,
        )
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return
    uid = getuid()
    if st.st_uid not in (uid, 0):
        raise ConfigFileError(
            f"{path} {risk} but belongs to another user ({user_name(st.st_uid)}), who could change it. "
            f"Fix: sudo chown {user_name(uid)} {quoted} — or use a config file you own",
            path=path,
        )
    unsafe = _unsafe_directory(path, uid)
    if unsafe is not None:
        raise ConfigFileError(f"{path} {risk}, but {unsafe}", path=path)
    if not pf.has_inline_secret and mode & 0o044:
        warnings.append(
            f"{path} is readable by other users (mode {mode:04o}); it holds no inline token so it is "
            f"accepted, but chmod 600 {quoted} is recommended"
        )


def load_profiles(
    path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    required: bool = False,
    check_permissions: bool = True,
) -> ProfilesFile:
    """Read and validate the config file. A missing file is an empty config unless ``required``.

    ``path`` defaults to :func:`boxdeck.service.configuration.paths.config_file` (``BOXDECK_CONFIG`` from
    ``environ``).
    """
    target = Path(path).expanduser() if path is not None else config_file(environ)
    try:
        st = target.stat()
        data = target.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigFileError(f"config file {target} does not exist", path=target) from None
        return ProfilesFile(path=target, exists=False)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigFileError(f"cannot read config file {target}: {reason}", path=target) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigFileError(f"config file {target} is not a regular file", path=target)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigFileError(f"{target}: not UTF-8 text", path=target) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_POS.search(message)
        line, column = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        reason = _TOML_POS.sub("", message).strip()
        where = f"line {line}, column {column}" if line is not None else "end of file"
        raise ConfigFileError(
            f"{target}: invalid TOML at {where}: {reason}", path=target, line=line, column=column
        ) from None

    warnings: list[str] = []
    reader = _Reader(target, warnings)
    reader.unknown(raw, _TOP_KEYS, "")
    settings = _parse_settings(reader, reader.table(raw.get("settings"), "settings"))
    profiles_raw = reader.table(raw.get("profiles"), "profiles")
    profiles = {name: _parse_profile(reader, name, value) for name, value in profiles_raw.items()}
    default = reader.string(raw.get("default_profile"), "default_profile")
    if default is not None and default not in profiles:
        known = ", ".join(sorted(profiles)) or "none defined"
        raise reader.fail(f"default_profile {default!r} is not a profile (profiles: {known})")
    pf = ProfilesFile(
        path=target,
        exists=True,
        default_profile=default,
        settings=settings,
        profiles=MappingProxyType(profiles),
    )
    if check_permissions:
        _check_permissions(target, st, pf, warnings)
    return dataclasses.replace(pf, warnings=tuple(f"{target}: {w}" for w in warnings))


# -- keymap --------------------------------------------------------------------------------------------------


def _split_keys(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",")]


def is_bare_ctrl_chord(key: str) -> bool:
    """``ctrl+d`` is; ``d``, ``shift+delete``, ``ctrl+shift+d`` are not.

    A bare ctrl chord is one slip away from the terminal's own chords (ctrl+c, ctrl+d, ctrl+w, ctrl+z), so a
    destructive action there is one accident away from running.
    """
    parts = [p.strip().lower() for p in key.split("+")]
    modifiers = parts[:-1]
    return bool(modifiers) and all(m in ("ctrl", "control") for m in modifiers) and len(set(modifiers)) == 1


def _entry_problems(binding_id: str, keys: Any, destructive_ids: Iterable[str]) -> list[str]:
    if not isinstance(keys, str):
        return [f"{binding_id}: expected a string of comma-separated keys"]
    problems: list[str] = []
    parts = _split_keys(keys)
    if not keys.strip() or any(not p for p in parts):
        problems.append(f"{binding_id} = {keys!r}: empty key")
    for key in parts:
        if key and any(ch.isspace() for ch in key):
            problems.append(f"{binding_id} = {keys!r}: {key!r} contains a space (separate keys with commas)")
        if key and binding_id in destructive_ids and is_bare_ctrl_chord(key):
            problems.append(
                f"{binding_id} = {keys!r}: a destructive action cannot sit on a bare ctrl chord ({key}); "
                "use a plain key or add shift"
            )
    return problems


def validate_keymap(
    keymap: Mapping[str, Any],
    destructive_ids: Iterable[str] = DESTRUCTIVE_IDS,
    *,
    known_ids: Iterable[str] | None = None,
) -> list[str]:
    """Every problem with a keymap (binding id → ``"key1,key2"``), as user-facing lines; empty when fine.

    Checks: no destructive binding on a bare ctrl chord, no empty or malformed keys, no key bound to two
    actions, and (when ``known_ids`` is given) no unknown binding id.
    """
    destructive = frozenset(destructive_ids)
    known = frozenset(known_ids) if known_ids is not None else None
    problems: list[str] = []
    owners: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if known is not None and binding_id not in known:
            problems.append(f"{binding_id}: unknown binding id")
        problems.extend(_entry_problems(binding_id, keys, destructive))
        if isinstance(keys, str):
            for key in _split_keys(keys):
                norm = key.lower()
                if norm and norm in owners and owners[norm] != binding_id:
                    problems.append(f"{key!r} is bound to both {owners[norm]} and {binding_id}")
                elif norm:
                    owners[norm] = binding_id
    return problems


def clean_keymap(
    keymap: Mapping[str, Any], destructive_ids: Iterable[str] = DESTRUCTIVE_IDS
) -> tuple[dict[str, str], list[str]]:
    """The keymap without its invalid entries (they keep their default keys), and the problems found."""
    destructive = frozenset(destructive_ids)
    clean: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if not _entry_problems(binding_id, keys, destructive):
            clean[binding_id] = ",".join(_split_keys(keys))
    return clean, validate_keymap(keymap, destructive)


# -- resolving -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs at start: the contract's ``Settings`` plus what only the UI uses.

    ``settings.read_only`` is the read-only *default* (a profile or ``[settings]`` saying so, or the flag);
    ``read_only_locked`` is true when the flag asked for it, so no key may grant write access
    (``WriteGrant(settings.read_only, write_grant_minutes, locked=read_only_locked)``).
    """

    settings: Settings
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    clipboard_clear_seconds: float = DEFAULT_CLEAR_SECONDS
    write_grant_minutes: float = DEFAULT_GRANT_MINUTES
    profile: str | None = None
    read_only_locked: bool = False
    warnings: tuple[str, ...] = ()
    config_path: Path | None = None
    editor: str = DEFAULT_EDITOR
    desktop_notifications: NotifyMethod = NotifyMethod.TERMINAL


def token_source_for(
    profile: Profile | None, field_name: str, environ: Mapping[str, str] | None = None
) -> SyncTokenSource | None:
    """A live token source for one of a profile's token fields (``None`` when the profile does not set it).

    For clients that should re-read the token (a rotated env var, a password manager with a short TTL) rather
    than hold the string resolved at start-up.
    """
    if profile is None:
        return None
    spec = profile.token_spec(field_name)
    return None if spec is None else spec.source(environ)


def _resolve_token(profile: Profile, field_name: str, environ: Mapping[str, str] | None) -> str | None:
    try:
        source = token_source_for(profile, field_name, environ)
        return None if source is None else source.token()
    except TokenSourceError as exc:
        raise ConfigFileError(f"profile {profile.name!r}: {field_name}: {exc}") from None


def _load_for(
    profiles_file: ProfilesFile | Path | str | None, args: Any, environ: Mapping[str, str]
) -> ProfilesFile:
    if isinstance(profiles_file, ProfilesFile):
        return profiles_file
    flag_path = getattr(args, "config", None)
    if profiles_file is not None:
        return load_profiles(profiles_file, required=True)
    if flag_path:
        return load_profiles(flag_path, required=True)
    explicit = bool(environ.get(CONFIG_ENV, "").strip())
    return load_profiles(config_file(environ), required=explicit)


def _unused_fields(backends: Iterable[str] | None) -> frozenset[str]:
    """The URL and token fields of the backends not asked for (none when ``backends`` is None)."""
    if backends is None:
        return frozenset()
    wanted = set(backends)
    unknown = wanted - set(BACKEND_FIELDS)
    if unknown:
        raise ValueError(f"unknown backends: {sorted(unknown)}")
    return frozenset(f for backend, fields in BACKEND_FIELDS.items() if backend not in wanted for f in fields)


def _resolve(
    pf: ProfilesFile,
    profile: Profile | None,
    flag_values: Mapping[str, Any],
    env_values: Mapping[str, Any],
    token_environ: Mapping[str, str] | None,
    *,
    flag_read_only: bool,
    args: Any,
    backends: Iterable[str] | None = None,
) -> AppConfig:
    merged: dict[str, Any] = {}
    if profile is not None:
        for key in URL_FIELDS:
            if getattr(profile, key):
                merged[key] = getattr(profile, key)
        if profile.allow_insecure is not None:
            merged["allow_insecure"] = profile.allow_insecure
    merged.update(env_values)
    # A store_true flag left off (False) means "not given", not "force off": it must not mask the profile.
    merged.update({k: v for k, v in flag_values.items() if v is not False})
    unused = _unused_fields(backends)
    for key in unused:
        merged.pop(key, None)
    if profile is not None:
        for key in TOKEN_FIELDS:
            if key not in unused and not merged.get(key):
                token = _resolve_token(profile, key, token_environ)
                if token:
                    merged[key] = token
    merged.pop("read_only", None)
    base = settings_from(SimpleNamespace(**merged), {})

    fs = pf.settings
    read_only = flag_read_only or (
        profile.read_only if profile is not None and profile.read_only is not None else fs.read_only
    )
    replace: dict[str, Any] = {
        "read_only": read_only,
        "profile": profile.name if profile is not None else None,
        "trusted_proxy_commands": profile.trusted_proxy_commands if profile is not None else (),
        "config_path": pf.path,
    }
    for name in ("steady_interval", "busy_interval"):
        flag = getattr(args, name, None)
        value = flag if isinstance(flag, int | float) and not isinstance(flag, bool) else getattr(fs, name)
        if value is not None:
            replace[name] = float(value)
    if fs.max_response_mb is not None:
        replace["max_response_bytes"] = int(fs.max_response_mb * 1024 * 1024)
    settings = dataclasses.replace(base, **replace)
    return AppConfig(
        settings=settings,
        theme=getattr(args, "theme", None) or fs.theme,
        keymap=fs.keymap,
        clipboard_clear_seconds=fs.clipboard_clear_seconds,
        write_grant_minutes=fs.write_grant_minutes,
        profile=profile.name if profile is not None else None,
        read_only_locked=flag_read_only,
        warnings=pf.warnings,
        config_path=pf.path,
        editor=fs.editor,
        desktop_notifications=fs.desktop_notifications,
    )


def resolve_app_config(
    args: Any,
    environ: Mapping[str, str],
    profiles_file: ProfilesFile | Path | str | None = None,
    profile_name: str | None = None,
    *,
    backends: Iterable[str] | None = None,
) -> AppConfig:
    """Merge flags > environment > profile > ``[settings]`` > defaults into an :class:`AppConfig`.

    ``args`` is an argparse namespace (or anything with the attributes ``amika_url``, ``amika_token``,
    ``devbox_url``, ``sprites_token``, ``user_token``, ``read_only``, ``allow_insecure`` and optionally
    ``profile``, ``config``, ``theme``, ``steady_interval``, ``busy_interval``; missing ones count as unset).
    ``profiles_file`` is a loaded file, a path, or ``None`` for ``--config`` > ``BOXDECK_CONFIG`` > the
    default location. The profile is ``profile_name`` > ``args.profile`` > ``BOXDECK_PROFILE`` >
    ``default_profile`` > the only profile. ``backends`` (``"amika"``, ``"devbox"``; None: both) limits what
    is resolved: the other backend's URLs and tokens are neither read nor checked, so ``boxdeck ls --backend
    devbox`` runs no password-manager command for Amika and fails on none of its variables. Raises
    ``ConfigError`` (a :class:`ConfigFileError` for file problems).
    """
    args = args if args is not None else SimpleNamespace()
    pf = _load_for(profiles_file, args, environ)
    name = profile_name or getattr(args, "profile", None) or environ.get(PROFILE_ENV, "").strip() or None
    profile = pf.choose(name)
    return _resolve(
        pf,
        profile,
        values_from_args(args),
        values_from_env(environ),
        environ,
        flag_read_only=bool(getattr(args, "read_only", False)),
        args=args,
        backends=backends,
    )


def resolve_settings(
    args: Any,
    environ: Mapping[str, str],
    profiles_file: ProfilesFile | Path | str | None = None,
    profile_name: str | None = None,
    *,
    backends: Iterable[str] | None = None,
) -> Settings:
    """The contract's :class:`Settings`: flags > environment > profile (see :func:`resolve_app_config`)."""
    return resolve_app_config(args, environ, profiles_file, profile_name, backends=backends).settings


def resolve_all(
    profiles_file: ProfilesFile | Path | str | None,
    names: Iterable[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    on_error: Callable[[str, ConfigError], None] | None = None,
) -> list[tuple[str, Settings]]:
    """Settings for several profiles at once (the All boxes screen watching many accounts).

    Each profile stands alone: flags and ``AMIKA_API_KEY``-style variables are *not* applied (they would make
    every profile the same account); ``environ`` only feeds the profiles' own ``{ env = … }`` sources.
    ``names=None`` means every profile, in file order. A profile that fails raises, or is skipped and reported
    to ``on_error(name, error)`` when given, so one broken account does not hide the others.
    """
    env = os.environ if environ is None else environ
    pf = profiles_file if isinstance(profiles_file, ProfilesFile) else _load_for(profiles_file, None, env)
    out: list[tuple[str, Settings]] = []
    for name in list(names) if names is not None else pf.names():
        try:
            profile = pf.get(name)
            cfg = _resolve(pf, profile, {}, {}, env, flag_read_only=False, args=SimpleNamespace())
        except ConfigError as exc:
            if on_error is None:
                raise
            on_error(name, exc)
            continue
        out.append((name, cfg.settings))
    return out
