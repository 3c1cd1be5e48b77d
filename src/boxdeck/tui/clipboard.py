"""Copy text: the system clipboard via pyperclip, else the terminal's clipboard via OSC 52."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyperclip

if TYPE_CHECKING:
    from textual.app import App

SYSTEM = "Copied to the clipboard"
TERMINAL = "Sent to the terminal clipboard (OSC 52)"


def copy_text(app: App[object], text: str) -> str:
    """Copy `text` and say where it went (one of SYSTEM, TERMINAL)."""
    try:
        pyperclip.copy(text)
    except Exception:
        app.copy_to_clipboard(text)
        return TERMINAL
    return SYSTEM
