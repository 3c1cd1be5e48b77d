"""The dashboard app: it routes. One mode per dashboard screen (each keeps its state), the poll scheduler in
one worker, what the deck's monitors publish turned into messages for the screens, global keys.

Everything the app is made of is in the `Deck` it is given (see `boxdeck.tui.context`); screens get the deck
through their constructors. Each message has one handler here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import App
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.worker import Worker

from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import ConfigError, Service
from boxdeck.service.monitoring.poller import Polled
from boxdeck.service.monitoring.snapshot import Diff
from boxdeck.service.text.redact import mask_known
from boxdeck.service.text.sanitize import sanitize, shown
from boxdeck.tui.commands import BY_ACTION, BoxCommands, BoxdeckCommands, ProfileCommands, bindings_for
from boxdeck.tui.connect import (
    AccessRenewed,
    ConnectCommandFetched,
    ConnectFailed,
    Connector,
    PinsChanged,
    ProxyTrustAsked,
)
from boxdeck.tui.context import MAIN, Deck
from boxdeck.tui.desktop_notify import DesktopNotifications
from boxdeck.tui.editor_open import EditorCommands, EditorOpener, EditorOutcome
from boxdeck.tui.heap import HeapFreezer
from boxdeck.tui.keymap import resolve_keymap
from boxdeck.tui.messages import (
    ActivityLogged,
    BoxesChanged,
    ConnectRequested,
    NotificationsCleared,
    OpenInEditorRequested,
    PollFinished,
    RenewRequested,
    StopWaiting,
    WriteAccessChanged,
)
from boxdeck.tui.paths import css_paths
from boxdeck.tui.screens.base import BoxdeckScreen
from boxdeck.tui.screens.boxes import BoxesScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.health_bar import Tab
from boxdeck.tui.workers import report_worker_error

__all__ = ["DASHBOARDS", "BoxdeckApp", "Dashboard"]

#: How often the write grant, credential expiry and the clipboard are looked at.
TICK = 1.0
#: How long a worker thread (a big poll's matching, building and diffing) may hold the interpreter while the
#: event loop waits for it. The loop gives the interpreter up every time it waits for input, and with
#: Python's 5 ms default each return could wait that long behind a busy worker: keys and frames would queue
#: behind background work. Measured at 20,000 rows while polling: fewer and shorter stalls of the loop.
SWITCH_INTERVAL = 0.001


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A screen on a number key."""

    key: str
    mode: str
    title: str
    backend: Backend | None  # the backend whose health its tab shows (None: none of its own)
    screen: Callable[[Deck, tuple[Tab, ...]], Screen[Any]]


# The screens not shown first are imported the first time they are shown: at start-up they would cost ~30 ms
# of imports before the first rows (the first screen, Sandboxes unless another was left open, is imported
# with the app).
def _all_boxes(deck: Deck, tabs: tuple[Tab, ...]) -> Screen[Any]:
    from boxdeck.tui.screens.all_boxes import AllBoxesScreen

    return AllBoxesScreen(deck, tabs)


def _devboxes(deck: Deck, tabs: tuple[Tab, ...]) -> Screen[Any]:
    from boxdeck.tui.screens.devboxes import DevboxesScreen

    return DevboxesScreen(deck, tabs)


def _secrets(deck: Deck, tabs: tuple[Tab, ...]) -> Screen[Any]:
    from boxdeck.tui.screens.secrets import SecretsScreen

    return SecretsScreen(deck, tabs)


def _account(deck: Deck, tabs: tuple[Tab, ...]) -> Screen[Any]:
    from boxdeck.tui.screens.account import AccountScreen

    return AccountScreen(deck, tabs)


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard("0", "all", "All", None, _all_boxes),
    Dashboard("1", "sandboxes", "Sandboxes", Backend.AMIKA, SandboxesScreen),
    Dashboard("2", "devboxes", "Devboxes", Backend.DEVBOX, _devboxes),
    Dashboard("3", "secrets", "Secrets", None, _secrets),
    Dashboard("4", "account", "Account", None, _account),
)
MODES = frozenset(d.mode for d in DASHBOARDS)
SWITCHING = "_switching-profile"


class BoxdeckApp(App[None]):
    TITLE = "boxdeck"
    CSS_PATH = css_paths()
    COMMANDS = App.COMMANDS | {BoxdeckCommands, ProfileCommands, BoxCommands, EditorCommands}
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("app"))
    #: The screen shown first when no other is asked for or remembered.
    FIRST_MODE = "sandboxes"
    # Screen classes for the terminal width: the detail pane hides below 110 columns (`i` shows it).
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"), (110, "-normal"), (170, "-wide"),
    ]

    def __init__(self, deck: Deck, *, initial_mode: str | None = None) -> None:
        super().__init__()
        self.deck = deck
        self.tabs = tuple(Tab(d.key, d.title, d.backend) for d in DASHBOARDS)
        self.dashboards: list[Screen[Any]] = []
        self.connector = Connector(self, deck)
        self.editors = EditorOpener(self, deck, self.connector)
        self.desktop = DesktopNotifications(self, deck)
        self.heap = HeapFreezer()
        deck.clipboard.terminal = lambda text: self.copy_to_clipboard(text)  # OSC 52, through this app
        deck.poller.on_polled = self._polled
        self._unsubscribe: list[Callable[[], None]] = []
        self._switch_interval = sys.getswitchinterval()  # the process's own, given back on exit
        self._css_parsed_with: object = None
        self._activity: Screen[Any] | None = None  # the activity log, once opened
        self._changed_since_poll = False
        last = deck.last_screen()
        self._initial_mode = initial_mode or (last if last in MODES else None) or self.FIRST_MODE
        self._add_modes()

    def _add_modes(self) -> None:
        for dashboard in DASHBOARDS:
            self.add_mode(dashboard.mode, self._factory(dashboard))

    def _factory(self, dashboard: Dashboard) -> Callable[[], Screen[Any]]:
        def make() -> Screen[Any]:
            screen = dashboard.screen(self.deck, self.tabs)
            self.dashboards.append(screen)
            return screen

        return make

    # ------------------------------------------------------------------ start and stop
    def on_mount(self) -> None:
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        self._apply_config()
        self._subscribe()
        self.run_worker(self.deck.poller.run(), name="poller", group="poller", exit_on_error=False)
        self.set_interval(TICK, self.tick)
        self.deck.sync_write_grant()
        self.deck.log_event(f"started profile={self.deck.pref_profile or '-'} badge={self.deck.badge or '-'}")
        # The app starts on Textual's own blank default screen and switches to the first dashboard from
        # there. Started directly as the default mode, a dashboard would mount while the mode's screen stack
        # is still empty: on Python 3.12+ Textual runs new tasks eagerly, so the screen's widgets mount
        # inside `_init_mode`, before the screen is pushed, and an Input asking `app.screen` as it mounts
        # crashes the app (Textualize/textual#6444).
        self.switch_mode(self._initial_mode)

    def _apply_config(self) -> None:
        """The config file's theme and keymap; what it got wrong is one notification, never a crash."""
        config = self.deck.config
        warnings = list(config.warnings)
        chosen = self.deck.prefs.theme if self.deck.prefs is not None else None
        if chosen in self.available_themes:  # the last one picked in the palette wins over the file's
            self.theme = chosen
        elif config.theme:
            if config.theme in self.available_themes:
                self.theme = config.theme
            else:
                known = ", ".join(sorted(self.available_themes))
                warnings.append(f"unknown theme {config.theme!r}; the default is kept (themes: {known})")
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
        if config.keymap:
            keymap, problems = resolve_keymap(config.keymap)
            warnings.extend(problems)
            if keymap:
                self.set_keymap(keymap)
        if warnings:
            self.notify("\n".join(warnings), title="Configuration", severity="warning", markup=False,
                        timeout=15)

    def refresh_css(self, animate: bool = True) -> None:
        """Re-parse the CSS only when what it is parsed with changed (the theme's variables, the terminal's
        colours). Textual also calls this the first time each mode's screen is shown — twice for the first
        screen, ~15 ms each at start-up — though nothing changed: a new screen's widgets are styled as they
        mount, and CSS that new widget classes bring is parsed as it is added."""
        key = self._css_key()
        if key == self._css_parsed_with:
            return
        self._css_parsed_with = key
        super().refresh_css(animate)

    def _css_key(self) -> object:
        return self.get_css_variables(), self.ansi_theme, self.current_theme.name

    def on_load(self) -> None:
        self._css_parsed_with = self._css_key()  # what Textual has just parsed the app's CSS with

    def _theme_chosen(self, theme: Theme) -> None:
        if self.deck.prefs is not None:
            self.deck.prefs.set_theme(theme.name)

    def _subscribe(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = [
            profile.monitor.subscribe(self._publisher(key)) for key, profile in self.deck.profiles.items()
        ]

    def _publisher(self, profile: str) -> Callable[[Diff], None]:
        def published(diff: Diff) -> None:  # never touches widgets: a message
            self.post_message(BoxesChanged(profile, diff))

        return published

    def _polled(self, polled: Polled) -> None:
        self.post_message(PollFinished(polled.profile, polled.backend, polled.health))

    async def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        mode = self.current_mode
        if mode in MODES:
            self.deck.remember_screen(mode)
        self.deck.log_event("quit")
        self.heap.close()
        await self.deck.aclose()
        sys.setswitchinterval(self._switch_interval)

    # ------------------------------------------------------------------ what every screen sees
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' too) passes here: a secret a server put into a name or a
        message is masked whatever built the text. A screen with a text editor at the bottom keeps one
        notification at a time (at its top), so a burst never covers what is being typed."""
        screen = self.screen if self.screen_stack else None
        if isinstance(screen, BoxdeckScreen) and screen.ONE_NOTIFICATION:
            # Notifications are queued as messages: the clearing is queued too, just before this one.
            self.post_message(NotificationsCleared())
        super().notify(
            mask_known(message), title=mask_known(title), severity=severity, timeout=timeout, markup=markup
        )

    @on(NotificationsCleared)
    def _notifications_cleared(self) -> None:
        self.clear_notifications()

    async def on_event(self, event: events.Event) -> None:
        # A paste arrives here first (App.on_event forwards it to the focused widget). Input and TextArea draw
        # their contents raw, so escape sequences and control characters in the clipboard would reach the
        # terminal: they are dropped before any widget sees the paste (line breaks and tabs stay).
        if isinstance(event, events.Paste) and not event.is_forwarded:
            event.text = sanitize(event.text, keep_newlines=True)
        await super().on_event(event)

    def switch_mode(self, mode: str) -> Any:
        result = super().switch_mode(mode)
        if mode in MODES:
            self.deck.remember_screen(mode)
        return result

    def _to_dashboards(self, message_factory: Callable[[], Any]) -> None:
        for screen in self.dashboards:
            screen.post_message(message_factory())

    # ------------------------------------------------------------------ data in
    @on(BoxesChanged)
    def _boxes_changed(self, message: BoxesChanged) -> None:
        self._changed_since_poll = True  # a poll's diff comes before its PollFinished
        deck = self.deck
        profile = deck.profiles.get(message.profile)
        if profile is None:  # a profile switched away: its late diffs land nowhere
            return
        diff = message.diff
        self._to_dashboards(lambda: BoxesChanged(message.profile, diff))
        # Only boxes the user created or acted on get a notice (the monitor remembers which); a box waited on
        # is told about once, by the connector.
        waited = {wait.key for wait in profile.waits}  # before the waits this diff ends are dropped
        told = self.connector.check(profile, diff)
        suffix = "" if profile.is_main else f" ({shown(profile.label)})"
        notices = profile.monitor.notices(diff)
        for notice in notices:
            if notice.key not in told:
                self.notify(notice.message, title=notice.title + suffix, severity=notice.level, markup=False,
                            timeout=8)
        self.desktop.boxes_changed(diff, notices, waited)
        activity = self._activity
        if activity is not None and activity in self.screen_stack:
            activity.post_message(ActivityLogged())

    @on(PollFinished)
    def _poll_finished(self, message: PollFinished) -> None:
        if message.profile not in self.deck.profiles:
            return
        self._to_dashboards(lambda: PollFinished(message.profile, message.backend, message.health))
        self.heap.settled(changed=self._changed_since_poll)
        self._changed_since_poll = False

    def tick(self) -> None:
        """Once a second: the write grant, credentials about to expire, a copied token to clear."""
        deck = self.deck
        if deck.sync_write_grant():
            self._to_dashboards(WriteAccessChanged)
        now = deck.now()
        for event in deck.expiry.check(deck.credentials(), now):
            hint = " Press R on the box to renew it." if event.credential.box_key else ""
            self.notify(
                event.message + hint,
                title="SSH access expiring" if event.kind == "expiring" else "SSH access expired",
                severity="warning",
                markup=False,
                timeout=15,
            )
        self.editors.tick()
        if deck.clipboard.tick():
            self.notify("Cleared the copied SSH command (it holds a token) from the clipboard.", markup=False,
                        timeout=5)

    # ------------------------------------------------------------------ connecting
    @on(ConnectRequested)
    def _connect_requested(self, message: ConnectRequested) -> None:
        profile = self.deck.profile_of_key(message.profile)
        if message.wait:
            self.connector.pin(message.box, profile, start=message.start)
        else:
            self.connector.connect(message.box, profile)

    @on(OpenInEditorRequested)
    def _open_in_editor(self, message: OpenInEditorRequested) -> None:
        self.editors.requested(message)

    @on(EditorOutcome)
    def _editor_outcome(self, message: EditorOutcome) -> None:
        self.editors.outcome(message)

    @on(StopWaiting)
    def _stop_waiting(self, message: StopWaiting) -> None:
        if self.connector.unpin(self.deck.profile_of_key(message.profile), message.box.key):
            self.notify(f"Stopped waiting for “{shown(message.box.name)}”.", markup=False, timeout=5)

    @on(RenewRequested)
    def _renew_requested(self, message: RenewRequested) -> None:
        self.connector.renew(message.box, self.deck.profile_of_key(message.profile))

    @on(ConnectCommandFetched)
    def _connect_command_fetched(self, message: ConnectCommandFetched) -> None:
        self.connector.run_ssh(message.command, message.name)

    @on(ConnectFailed)
    def _connect_failed(self, message: ConnectFailed) -> None:
        self.connector.failed(message)

    @on(ProxyTrustAsked)
    def _proxy_trust_asked(self, message: ProxyTrustAsked) -> None:
        self.connector.ask_proxy_trust(message.needed, message.then, verb=message.verb)

    @on(AccessRenewed)
    def _access_renewed(self, message: AccessRenewed) -> None:
        self.connector.renewed(message)

    @on(PinsChanged)
    def _pins_changed(self, _message: PinsChanged) -> None:
        self._to_dashboards(PinsChanged)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    # ------------------------------------------------------------------ global keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        in_dialog = isinstance(self.screen, ModalScreen) and not isinstance(self.screen, CommandPalette)
        if action == "grant_write":  # `w`: shown on a read-only profile (and when locked, to say why)
            grant = self.deck.write_grant
            return False if in_dialog else (True if grant.locked else bool(grant.read_only_default))
        name = f"{action}({parameters[0]!r})" if parameters else action
        command = BY_ACTION.get(name)
        # App-wide keys stay out of dialogs (a "1" in the delete confirmation must not switch screens); the
        # palette asks on behalf of the screen below it.
        return not (command is not None and command.scope == "app" and command.name != "quit" and in_dialog)

    def action_help(self) -> None:
        from boxdeck.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_show_errors(self) -> None:
        from boxdeck.tui.modals.errors import ErrorsModal

        healths = [self.deck.main.monitor.health(backend) for backend in Backend]
        self.push_screen(ErrorsModal(healths, self.deck.now()))

    def action_show_activity(self) -> None:
        from boxdeck.tui.screens.activity import ActivityScreen

        self._activity = ActivityScreen(self.deck.main.monitor)
        self.push_screen(self._activity)

    def action_grant_write(self) -> None:
        deck = self.deck
        grant = deck.write_grant
        if grant.locked:
            self.notify(
                "boxdeck was started with --read-only, so write access can't be granted. "
                "Restart without --read-only to make changes.",
                title="Read-only", severity="warning", markup=False,
            )
            return
        if not grant.read_only_default:
            self.notify("This profile is not read-only: changes are allowed.", markup=False)
            return
        grant.grant()
        self.tick()
        minutes = f"{grant.minutes:g} minute" + ("" if grant.minutes == 1 else "s")
        self.notify(f"Write access for {minutes}; then read-only again. {deck.badge}", title="Write access",
                    markup=False)
        deck.log_event(f"write access granted for {minutes}")

    def show_box(self, backend: Backend, key: str) -> None:
        """The palette's "go to": the box's own screen, the cursor on it."""
        mode = "sandboxes" if backend is Backend.AMIKA else "devboxes"

        def select() -> None:
            screen = self.screen
            if isinstance(screen, BoxesScreen):
                screen.show_box(key)

        self.switch_mode(mode)
        self.call_after_refresh(select)

    # ------------------------------------------------------------------ switching profile
    def switch_profile(self, name: str) -> None:
        """Make `name` the main profile (screens 1–4 and the first rows of All boxes)."""
        if self.deck.switcher is None:
            self.notify("Switching profiles needs a config file with [profiles.NAME] tables.",
                        title="Profiles", severity="warning", markup=False)
            return
        self.notify(f"Switching to profile {name}…", title="Profiles", markup=False)
        self.run_worker(self._switch(name), name=f"switch to {name}", group="switch-profile", exclusive=True,
                        exit_on_error=False)

    async def _switch(self, name: str) -> None:
        switcher = self.deck.switcher
        assert switcher is not None
        try:
            service: Service = await switcher(name)
        except (ConfigError, OSError) as error:
            self.notify(f"Cannot switch to profile {shown(name)}: {shown(str(error))}", title="Profiles",
                        severity="error", markup=False, timeout=10)
            return
        await self._swap_main(name, service)

    async def _swap_main(self, name: str, service: Service) -> None:
        """Swap the main profile: its polling stops, every dashboard is rebuilt on the new one."""
        current = self.current_mode
        back_to = current if current in MODES else self.FIRST_MODE
        self.add_mode(SWITCHING, Screen)
        await self.switch_mode(SWITCHING)
        for dashboard in DASHBOARDS:
            await self.remove_mode(dashboard.mode)
        self.dashboards.clear()
        await self.deck.replace_main(service, name)
        self._subscribe()
        self.deck.poller.poll_now(MAIN)
        self._add_modes()
        await self.switch_mode(back_to)
        with contextlib.suppress(Exception):
            await self.remove_mode(SWITCHING)
        self.notify(f"Profile {shown(name)}", title="Profiles", markup=False)
