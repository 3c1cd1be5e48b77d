"""Where boxdeck keeps its files, and how it writes them safely.

Every path is computed on each call (never cached at import) so tests and users that change
``XDG_CONFIG_HOME``, ``XDG_STATE_HOME`` or ``BOXDECK_CONFIG`` at run time are honoured; platformdirs reads the
XDG variables on Linux.

- config: ``<user_config_dir>/config.toml`` — profiles and settings, edited by the user (``BOXDECK_CONFIG``
  overrides the file path).
- state: ``<user_state_dir>/`` — things boxdeck learns or records by itself: the request/action log, the ETA
  history and the remembered UI preferences. The directory is created owner-only (0700) because the log names
  boxes and actions.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "boxdeck"
CONFIG_ENV = "BOXDECK_CONFIG"

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "atomic_write_text",
    "config_dir",
    "config_file",
    "ensure_private_dir",
    "history_file",
    "log_file",
    "prefs_file",
    "read_state",
    "state_dir",
    "user_name",
]


def config_dir() -> Path:
    """The user's boxdeck config directory (``$XDG_CONFIG_HOME/boxdeck`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """The user's boxdeck state directory (``$XDG_STATE_HOME/boxdeck`` on Linux): logs, history, prefs."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The profiles/settings TOML file; ``BOXDECK_CONFIG`` (when set and not empty) wins over the default."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.toml"


def log_file() -> Path:
    """The rotating request/action log."""
    return state_dir() / "boxdeck.log"


def history_file() -> Path:
    """Observed provisioning/start/step durations, from which ETAs are estimated."""
    return state_dir() / "eta_history.json"


def prefs_file() -> Path:
    """Remembered UI preferences (last screen, filter and sort per profile)."""
    return state_dir() / "prefs.json"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; a directory we create is owner-only.

    An existing directory's mode is left alone: the user may have chosen it (e.g. a shared state dir).
    """
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def user_name(uid: int) -> str:
    """The login name of ``uid`` for a message about who owns a file (the number where there is none)."""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Write ``text`` to ``path`` so a reader never sees a half-written file.

    Writes a temporary file in the same directory (same filesystem, so ``os.replace`` is atomic), fsyncs it
    and renames it over the target. A crash mid-write leaves the old file intact, which is what makes the JSON
    state files safe to rewrite on every change. The file is created with ``mode`` (owner-only by default).
    """
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_state(path: Path, section: str, what: str) -> tuple[dict[str, Any], str | None]:
    """The JSON object under ``section`` in one of boxdeck's state files, and why the file was ignored (None
    when it was read, or is not there yet). A file that cannot be read costs what it remembered, never a
    start."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"ignored unreadable {what} {path}: {type(exc).__name__}"
    found = raw.get(section) if isinstance(raw, dict) else None
    if not isinstance(found, dict):
        return {}, f"ignored malformed {what} {path}"
    return found, None
