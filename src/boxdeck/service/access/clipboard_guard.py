"""Clear a copied command that holds a token from the clipboard after a while — if it is still ours.

A copied ``ssh TOKEN@host`` sits in the clipboard (and in clipboard-history tools) long after it was pasted;
the token is good until it expires. So boxdeck clears it after ``clear_after`` seconds (default 60). It must
never destroy something the user copied since, so it clears only what it can show is still its own content.

This module is the logic only; the UI wires ``read``/``write`` to the clipboard and calls :meth:`due` /
:meth:`clear_if_unchanged` from a timer (and :meth:`flush` on quit).

The trade-off when the clipboard cannot be read (OSC 52 only — over SSH, in CI, where pyperclip has no
backend): ``read`` returns ``None`` and boxdeck cannot see whether the user copied something else *in another
program* meanwhile. It then clears (writes ``""``) only if the guard still owns the content — no other copy
went through boxdeck since — accepting that a copy made elsewhere in those 60 s could be blanked. The
alternative, never clearing, would leave a live token in the clipboard; a blanked clipboard is the lesser harm
and the user sees a notification saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["DEFAULT_CLEAR_SECONDS", "ClipboardGuard"]

DEFAULT_CLEAR_SECONDS = 60.0


class ClipboardGuard:
    """Tracks the one secret-bearing text boxdeck put in the clipboard, and when to clear it.

    ``read()`` returns the clipboard's text, or ``None`` when it cannot be read; it may raise (a clipboard
    backend failing), which counts as ``None``. ``write(text)`` sets the clipboard. ``clock`` is monotonic
    seconds. ``clear_after <= 0`` disables clearing.
    """

    def __init__(
        self,
        read: Callable[[], str | None] | None,
        write: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        clear_after: float = DEFAULT_CLEAR_SECONDS,
    ) -> None:
        self._read = read
        self._write = write
        self._clock = clock
        self.clear_after = clear_after
        self._owned: str | None = None
        self._deadline: float | None = None

    @property
    def armed(self) -> bool:
        """Whether a secret-bearing copy is waiting to be cleared."""
        return self._owned is not None

    def copied(self, text: str, has_secret: bool) -> None:
        """Record a copy boxdeck just made; a copy without a secret replaces ours (we no longer own it)."""
        if has_secret and text and self.clear_after > 0:
            self._owned = text
            self._deadline = self._clock() + self.clear_after
        else:
            self.cancel()

    def cancel(self) -> None:
        """Forget the pending clear (e.g. the user turned the feature off)."""
        self._owned = None
        self._deadline = None

    def seconds_left(self) -> float | None:
        """Seconds until the clear is due, or ``None`` when nothing is armed (for a countdown in the UI)."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def due(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline

    def clear_if_unchanged(self, *, force: bool = False) -> bool:
        """Clear the clipboard when due (or ``force``) if it still holds our text; returns whether it did.

        - Clipboard readable: clear only when its content equals what we put there; if the user copied
          something else, leave it and disarm.
        - Clipboard unreadable (``read`` is None, returns None or raises): clear because we still own the
          content (see the module docstring for the trade-off).
        Either way the guard is disarmed afterwards, so it never clears twice.
        """
        if self._owned is None or not (force or self.due()):
            return False
        owned = self._owned
        self.cancel()
        current: str | None = None
        if self._read is not None:
            try:
                current = self._read()
            except Exception:
                current = None
        if current is not None and current != owned:
            return False
        try:
            self._write("")
        except Exception:
            return False
        return True

    def flush(self) -> bool:
        """On quit: clear now rather than leave the token behind for the rest of its life."""
        return self.clear_if_unchanged(force=True)
