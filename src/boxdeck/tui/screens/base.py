"""What every dashboard screen is: the deck it is built from, the header with the tabs, the keys line, and
one place that turns a failed background job into a notification.

A screen gets the deck (and the tabs) through its constructor and reads state only from there; the App
forwards what happens (`BoxesChanged`, `PollFinished`, `WriteAccessChanged`) as messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from boxdeck.service.boxes import Backend
from boxdeck.tui.commands import BY_ACTION, Scope, commands_for
from boxdeck.tui.context import MAIN, Deck
from boxdeck.tui.format import Palette
from boxdeck.tui.messages import ActionFailed, PollFinished, WriteAccessChanged
from boxdeck.tui.widgets.health_bar import HealthBar, Tab
from boxdeck.tui.widgets.key_bar import KeyBar
from boxdeck.tui.workers import report_worker_error

__all__ = ["BoxdeckScreen", "DeckScreen"]


class BoxdeckScreen(Screen[None]):
    """Any full screen of boxdeck: built from the deck, its keys from one scope of the command list."""

    #: The commands of `boxdeck.tui.commands` this screen offers besides the app's (None: only those).
    COMMAND_SCOPE: ClassVar[Scope | None] = None
    #: Show one notification at a time (a new one replaces the last): for a screen whose input a stack of
    #: them would cover.
    ONE_NOTIFICATION: ClassVar[bool] = False

    def __init__(self, deck: Deck, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.deck = deck
        self._shown_timers: list[Timer] = []

    def now(self) -> datetime:
        return self.deck.now()

    @property
    def read_only(self) -> bool:
        return self.deck.main.read_only

    def keys(self) -> ComposeResult:
        yield KeyBar()

    # ------------------------------------------------------------------ what ticks while the screen is shown
    def every(self, interval: float, callback: Callable[[], object]) -> Timer:
        """A timer for words that only matter on screen ("3 s ago", a countdown): it stops while another
        screen or a modal covers this one, so a screen visited once costs nothing afterwards, and runs again
        when it is shown (the screen redraws what went stale then)."""
        timer = self.set_interval(interval, callback)
        self._shown_timers.append(timer)
        return timer

    @on(events.ScreenSuspend)
    def _pause_shown_timers(self, _event: events.ScreenSuspend) -> None:
        for timer in self._shown_timers:
            timer.pause()

    @on(events.ScreenResume)
    def _resume_shown_timers(self, _event: events.ScreenResume) -> None:
        for timer in self._shown_timers:
            timer.resume()

    # ------------------------------------------------------------------ keys that do not apply now
    def on_key(self, event: events.Key) -> None:
        """A key whose action does not apply now (dimmed in the footer, or hidden) says why in one line,
        instead of doing nothing. Keys reach here before the bindings run, so the answer is about now."""
        reason = self.why_key_does_nothing(event.key)
        if reason is not None:
            event.stop()
            self.notify(reason, title="Not now", severity="warning", timeout=5, markup=False)

    def why_key_does_nothing(self, key: str) -> str | None:
        active = self.active_bindings.get(key)
        if active is not None:
            if active.enabled:
                return None
            action = active.binding.action
            return self.why_not(action) or f"{active.binding.description or action}: not available now."
        # Hidden keys (their check says False): only the app's `w` on a profile that is not read-only.
        hidden = next((c for c in commands_for("app") if key in c.key.split(",")), None)
        if hidden is not None and hidden.action == "grant_write":
            grant = self.deck.write_grant
            if not grant.read_only_default and not grant.locked:
                return "This profile is not read-only: changes are allowed already."
        return None

    def why_not(self, action: str) -> str | None:
        """Why `action` does not apply now, for the user; None when it does (or there is nothing to say).
        Screens add their own reasons; a change under read-only is explained here for all of them."""
        command = BY_ACTION.get(action)
        if command is not None and command.mutating and self.read_only:
            return self.deck.read_only_reason()
        return None

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.notify(message.message, severity=message.severity, markup=False, timeout=8)
        self.action_failed()

    def action_failed(self) -> None:
        """An action started here failed (the notification is out): reload what it may have changed."""

    @on(WriteAccessChanged)
    def _write_access_changed(self, _message: WriteAccessChanged) -> None:
        self.refresh_bindings()
        self.write_access_changed()

    def write_access_changed(self) -> None:
        """The write grant started or lapsed (keys are re-dimmed already)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)


class DeckScreen(BoxdeckScreen):
    """A screen on a number key: the header with the tabs and the backends' health on top."""

    #: The number key whose tab is highlighted in the header.
    TAB_KEY: ClassVar[str]

    def __init__(self, deck: Deck, tabs: tuple[Tab, ...], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(deck, id=id, classes=classes)
        self.tabs = tabs
        self.palette = Palette()

    #: Does the header's "2 s ago" get a timer of its own (False: the screen's own tick drives it, so both
    #: change in one frame rather than two a second)?
    HEALTH_TICKS = True

    def header(self) -> ComposeResult:
        yield HealthBar(self.deck, self.tabs, self.TAB_KEY)

    @on(events.Mount)
    def _tick_header(self, _event: events.Mount) -> None:
        if self.HEALTH_TICKS:
            self.every(1.0, self.query_one(HealthBar).tick)

    def on_mount(self) -> None:
        self.palette = Palette.from_variables(self.app.theme_variables)
        self.query_one(HealthBar).set_palette(self.palette)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.palette = Palette.from_variables(self.app.theme_variables)
        self.query_one(HealthBar).set_palette(self.palette)
        self.theme_changed()

    def theme_changed(self) -> None:
        """The theme changed: redraw what carries its colours."""

    @on(PollFinished)
    def _poll_finished(self, message: PollFinished) -> None:
        if message.profile == MAIN:
            self.query_one(HealthBar).set_health(message.backend, message.health)
            self.health_changed(message.backend)

    def health_changed(self, backend: Backend) -> None:
        """A poll of the main profile's `backend` finished."""

    def write_access_changed(self) -> None:
        self.query_one(HealthBar).refresh_badge()
