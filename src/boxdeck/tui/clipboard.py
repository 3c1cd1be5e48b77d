"""Copy text: the system clipboard via pyperclip, else the terminal's clipboard via OSC 52."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import pyperclip

from boxdeck.service.access.clipboard_guard import DEFAULT_CLEAR_SECONDS, ClipboardGuard

if TYPE_CHECKING:
    from textual.app import App

SYSTEM = "Copied to the clipboard"
TERMINAL = "Sent to the terminal clipboard (OSC 52)"


def copy_text(app: App[object], text: str, *, secret: bool = False) -> str:
    """Copy `text` and say where it went (one of SYSTEM, TERMINAL).

    `secret`: the text holds a token; the clipboard guard clears it after a while (see `copy_secret`). Any
    other copy through boxdeck tells the guard the clipboard is no longer its own.
    """
    try:
        pyperclip.copy(text)
    except Exception:
        app.copy_to_clipboard(text)
        where = TERMINAL
    else:
        where = SYSTEM
    _guarded(app).copied(text, secret, system=where == SYSTEM)
    return where


# ----------------------------------------------------------------------------------- clearing copied tokens
# A copied command holding a token is cleared after `app.clipboard_clear_seconds` (default 60; 0 = never)
# if the clipboard still holds it (service/clipboard_guard.py has the rule, also for OSC 52, which cannot be
# read). `app.clipboard_clock` (monotonic seconds) is injectable for tests. A 1 s app timer checks `due()`,
# started with the first guarded copy; the app flushes on quit (`flush_clipboard`).

GUARD_ATTRIBUTE = "_boxdeck_clipboard_guard"
CHECK_INTERVAL = 1.0


def clear_seconds(app: App[object]) -> float:
    value = getattr(app, "clipboard_clear_seconds", DEFAULT_CLEAR_SECONDS)
    try:
        return float(value)
    except (TypeError, ValueError):
        return DEFAULT_CLEAR_SECONDS


class _AppGuard:
    """The app's one `ClipboardGuard`, plus where the last copy went (OSC 52 cannot be read back)."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.system = True
        clock = getattr(app, "clipboard_clock", None) or time.monotonic
        self.guard = ClipboardGuard(self._read, self._write, clock, clear_after=clear_seconds(app))
        self.timer: Any = None

    def _read(self) -> str | None:
        if not self.system:
            return None
        text = pyperclip.paste()
        return text if isinstance(text, str) else None

    def _write(self, text: str) -> None:
        if self.system:
            try:
                pyperclip.copy(text)
                return
            except Exception:
                pass
        self.app.copy_to_clipboard(text)

    def copied(self, text: str, secret: bool, *, system: bool) -> None:
        self.system = system
        self.guard.clear_after = clear_seconds(self.app)
        self.guard.copied(text, secret)
        if self.guard.armed and self.timer is None:
            self.timer = self.app.set_interval(CHECK_INTERVAL, lambda: check_clipboard(self.app))


def _guarded(app: App[object]) -> _AppGuard:
    guarded: _AppGuard | None = getattr(app, GUARD_ATTRIBUTE, None)
    if guarded is None:
        guarded = _AppGuard(app)
        setattr(app, GUARD_ATTRIBUTE, guarded)
    return guarded


def clipboard_guard(app: App[object]) -> ClipboardGuard:
    return _guarded(app).guard


def copy_secret(app: App[object], text: str, has_secret: bool) -> str:
    """Copy a command; when it holds a token, say when it will be cleared. Returns the sentence to show."""
    where = copy_text(app, text, secret=has_secret)
    guard = clipboard_guard(app)
    if has_secret and guard.armed:
        return f"{where} (will be cleared in {guard.clear_after:.0f} s)"
    return where


def check_clipboard(app: App[object]) -> bool:
    """The timer's tick: clear the copied token when due, if the clipboard still holds it."""
    guarded: _AppGuard | None = getattr(app, GUARD_ATTRIBUTE, None)
    if guarded is None or not guarded.guard.due():
        return False
    cleared = guarded.guard.clear_if_unchanged()
    if cleared:
        app.notify("Cleared the copied SSH command (it holds a token) from the clipboard.", markup=False,
                   timeout=5)
    return cleared


def flush_clipboard(app: App[object]) -> bool:
    """On quit: clear a copied token now rather than leave it behind (if the clipboard still holds it)."""
    guarded: _AppGuard | None = getattr(app, GUARD_ATTRIBUTE, None)
    if guarded is None:
        return False
    with contextlib.suppress(Exception):
        return guarded.guard.flush()
    return False
