"""Desktop notifications from the dashboard: a box the user waits on is ready or failed while the terminal
does not have focus.

The rule and the escape are the service's (`service.monitoring.desktop_notify`); this module knows the two
things only the app knows: whether the terminal has focus (Textual's `App.app_focus`, kept by the terminal's
focus events) and how to write to the terminal between frames (Textual's driver, as `App.bell` and
`App.copy_to_clipboard` do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boxdeck.service.monitoring.desktop_notify import DesktopNotifier, desktop_messages
from boxdeck.service.monitoring.notices import Notice
from boxdeck.service.monitoring.snapshot import Diff
from boxdeck.tui.context import Deck

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from textual.app import App

__all__ = ["DesktopNotifications"]


class DesktopNotifications:
    def __init__(self, app: App[None], deck: Deck) -> None:
        self.app = app
        self.notifier = DesktopNotifier(deck.config.desktop_notifications, write=self._write,
                                        redact=deck.main.service.redactor.redact)
        self.sent = 0

    def _write(self, text: str) -> None:
        driver = self.app._driver  # Textual has no public terminal write; bell and OSC 52 use the same
        if driver is not None:
            driver.write(text)

    def boxes_changed(self, diff: Diff, notices: Sequence[Notice], waited: Collection[str]) -> None:
        """A diff arrived; `waited`: the keys of the boxes pinned to connect or open when it came."""
        for title, body in desktop_messages(notices, diff.changed, waited):
            if self.notifier.notify(title, body, focused=self.app.app_focus):
                self.sent += 1
