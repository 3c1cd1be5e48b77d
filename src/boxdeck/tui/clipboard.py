"""Copying a command: the system clipboard through pyperclip, else the terminal's through OSC 52.

A copied command that holds a token is cleared after a while if the clipboard still holds it (the rule is
`ClipboardGuard`'s, also for OSC 52, which cannot be read back), and on quit. The dashboard's one-second tick
calls `tick()`; nothing here sets timers of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pyperclip

from boxdeck.service.access.clipboard_guard import DEFAULT_CLEAR_SECONDS, ClipboardGuard

__all__ = ["SYSTEM", "TERMINAL", "Clipboard"]

SYSTEM = "Copied to the clipboard"
TERMINAL = "Sent to the terminal clipboard (OSC 52)"


class Clipboard:
    """Where copies go. `terminal` writes OSC 52 (the app's `copy_to_clipboard`, bound when the app is made).
    """

    def __init__(
        self, *, clear_after: float = DEFAULT_CLEAR_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.terminal: Callable[[str], None] = lambda _text: None
        self._system = True  # where the last copy went: OSC 52 cannot be read back
        self.guard = ClipboardGuard(self._read, self._write, clock, clear_after=clear_after)

    def _read(self) -> str | None:
        if not self._system:
            return None
        text = pyperclip.paste()
        return text if isinstance(text, str) else None

    def _write(self, text: str) -> None:
        if self._system:
            try:
                pyperclip.copy(text)
                return
            except Exception:  # no clipboard program on this machine: the terminal's then
                pass
        self.terminal(text)

    def copy(self, text: str, *, secret: bool = False) -> str:
        """Copy `text`; the sentence that says where it went (and, for a token, when it will be cleared).

        Any copy through boxdeck tells the guard the clipboard is no longer its own; `secret` (the text holds
        a token) arms the clearing."""
        try:
            pyperclip.copy(text)
        except Exception:
            self.terminal(text)
            self._system, where = False, TERMINAL
        else:
            self._system, where = True, SYSTEM
        self.guard.copied(text, secret)
        if secret and self.guard.armed:
            return f"{where} (will be cleared in {self.guard.clear_after:.0f} s)"
        return where

    def tick(self) -> bool:
        """Clear a copied token when it is due and still in the clipboard; True when it was cleared."""
        return self.guard.due() and self.guard.clear_if_unchanged()

    def flush(self) -> bool:
        """On quit: a copied token does not outlive the app in the clipboard."""
        with contextlib.suppress(Exception):
            return self.guard.flush()
        return False
