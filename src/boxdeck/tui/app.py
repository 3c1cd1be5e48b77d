"""The dashboard app: one mode per screen (each keeps its state), polling workers, notices, the activity log.

Polling, per backend: a worker in group ``poll-<backend>`` awaits ``monitor.poll(backend)``; every diff the
monitor publishes reaches the app through ``monitor.subscribe`` as a ``BoxesChanged`` message, which the app
forwards to the dashboard screens. When the worker finishes, ``set_timer(monitor.next_delay(backend))``
re-arms the next poll,
so polls never overlap and a slow server stretches the cadence instead of piling requests up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from boxdeck.service.boxes import Backend
from boxdeck.service.text.redact import mask_known
from boxdeck.service.text.sanitize import sanitize
from boxdeck.tui.commands import BY_ACTION, BoxdeckCommands, bindings_for
from boxdeck.tui.configured import ConfiguredApp
from boxdeck.tui.connect import ConnectApp  # issue 6: enter connects, connect when ready
from boxdeck.tui.expiry_watch import ExpiryApp  # issue 6: warn before SSH access expires
from boxdeck.tui.heap import HeapFreezer
from boxdeck.tui.messages import ActivityLogged, BoxesChanged, HealthChanged, PollFinished
from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.paths import css_paths
from boxdeck.tui.screens.account import AccountScreen
from boxdeck.tui.screens.activity import ActivityScreen
from boxdeck.tui.screens.all_boxes import AllBoxesScreen
from boxdeck.tui.screens.base import BoxesScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.help import HelpScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.secrets import SecretsScreen
from boxdeck.tui.watching import ProfileCommands, WatchingApp
from boxdeck.tui.widgets.health_bar import Tab
from boxdeck.tui.workers import report_worker_error

if TYPE_CHECKING:
    from boxdeck.service.configuration.config import Service
    from boxdeck.service.history.eta import EtaHistory


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A screen on a number key. Later issues add `0` All boxes, `3` Secrets, `4` Account here."""

    key: str
    mode: str
    title: str
    backend: Backend | None
    screen: Callable[[Service], Screen[Any]]


DASHBOARDS: tuple[Dashboard, ...] = (
    # Issue 6: every box of both backends (and of every watched profile) in one table.
    Dashboard("0", "all", "All", None, AllBoxesScreen),
    Dashboard("1", "sandboxes", "Sandboxes", Backend.AMIKA, SandboxesScreen),
    Dashboard("2", "devboxes", "Devboxes", Backend.DEVBOX, DevboxesScreen),
    # backend=None: the tab shows no health of its own (screens 1 and 2 already show both backends').
    Dashboard("3", "secrets", "Secrets", None, SecretsScreen),
    Dashboard("4", "account", "Account", None, AccountScreen),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class BoxdeckApp(WatchingApp, ConfiguredApp, ConnectApp, ExpiryApp, App[None]):
    TITLE = "boxdeck"
    CSS_PATH = css_paths()
    COMMANDS = App.COMMANDS | {BoxdeckCommands, ProfileCommands}
    BINDINGS = bindings_for("app")
    #: The screen shown first when no other is asked for or remembered.
    FIRST_MODE = "sandboxes"
    # Screen classes for the terminal width: the detail pane hides below 110 columns (enter shows it).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-normal"), (170, "-wide")]

    def __init__(
        self,
        service: Service,
        *,
        demo: Any = None,
        now: Callable[[], datetime] | None = None,
        spinner_interval: float | None = 0.3,
        owns_service: bool = False,
        initial_mode: str | None = None,
        profile: str | None = None,  # issue 6: the main service's profile name
        extra_services: Mapping[str, Service] | None = None,  # issue 6: more profiles, shown in All boxes
        eta_history: EtaHistory | None = None,  # issue 6: default: the state dir's eta_history.json
        app_config: Any = None,  # boxdeck.service.configuration.profiles.AppConfig (theme, keymap, write
                                 # grant…)
        request_log: Any = None,  # boxdeck.service.history.activity_log.RequestLogger
        prefs: Any = None,  # boxdeck.service.configuration.prefs.Prefs (last screen, filter, sort per
                            # profile)
        grant_clock: Callable[[], float] | None = None,  # the write grant's clock (tests)
    ) -> None:
        super().__init__()
        self.service = service
        self.monitor = service.monitor
        self.demo = demo
        self.now: Callable[[], datetime] = now or utc_now
        self.spinner_interval = spinner_interval
        self.owns_service = owns_service
        self.tabs = tuple(Tab(d.key, d.title, d.backend) for d in DASHBOARDS)
        self.dashboards: list[Screen[Any]] = []
        self._poll_timers: dict[Backend, Timer] = {}
        self._again: set[Backend] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._initial_mode = initial_mode
        self.heap = HeapFreezer()  # issue 7: no full GC passes over thousands of boxes while keys wait
        self.setup_watching(profile=profile, extra_services=extra_services, eta_history=eta_history)
        for dashboard in DASHBOARDS:
            self.add_mode(dashboard.mode, self._factory(dashboard))
        self.setup_config(app_config, request_log=request_log, prefs=prefs, grant_clock=grant_clock)

    def _factory(self, dashboard: Dashboard) -> Callable[[], Screen[Any]]:
        def make() -> Screen[Any]:
            screen = dashboard.screen(self.service)
            if getattr(screen, "store", None) is not None:  # the secrets screen's SecretStore: issue 6's log
                screen.store = self.audited(screen.store)  # type: ignore[attr-defined]
            self.dashboards.append(screen)
            return screen

        return make

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
        message is masked whatever built the text."""
        super().notify(
            mask_known(message), title=mask_known(title), severity=severity, timeout=timeout, markup=markup
        )

    def on_mount(self) -> None:
        self._unsubscribe = self.monitor.subscribe(self._published)
        for backend in self.monitor.backends:
            self.poll(backend)
        # The app starts on Textual's own blank default screen and switches to the first dashboard from
        # there. Started directly as the default mode, a dashboard would mount while the mode's screen stack
        # is still empty: on Python 3.12+ Textual runs new tasks eagerly, so the screen's widgets mount
        # inside `_init_mode`, before the screen is pushed, and an Input asking `app.screen` as it mounts
        # crashes the app (Textualize/textual#6444).
        self.switch_mode(self._initial_mode or self.FIRST_MODE)

    async def on_event(self, event: events.Event) -> None:
        # A paste arrives here first (App.on_event forwards it to the focused widget). Input and TextArea draw
        # their contents raw, so escape sequences and control characters in the clipboard would reach the
        # terminal: they are dropped before any widget sees the paste (line breaks and tabs stay).
        if isinstance(event, events.Paste) and not event.is_forwarded:
            event.text = sanitize(event.text, keep_newlines=True)
        await super().on_event(event)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for timer in self._poll_timers.values():
            timer.stop()
        self.heap.close()
        if self.owns_service:
            await self.service.aclose()

    # ----------------------------------------------------------------- polling
    def _published(self, diff: Any) -> None:
        """The monitor's subscriber: turn every diff into a message (never touch widgets here)."""
        self.post_message(BoxesChanged(diff))

    def _polling(self, backend: Backend) -> bool:
        group = f"poll-{backend.value}"
        return any(
            w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers
        )

    def poll(self, backend: Backend) -> None:
        """Poll `backend` now (or right after the poll in flight)."""
        timer = self._poll_timers.pop(backend, None)
        if timer is not None:
            timer.stop()
        if self._polling(backend):
            self._again.add(backend)
            return
        # The equivalent of @work(exclusive=True, exit_on_error=False, group=f"poll-{backend}"): the group
        # depends on the backend, so the worker is started with run_worker.
        # A partial, not a coroutine object: a worker cancelled before it starts (quit, exclusive) then leaves
        # no un-awaited coroutine behind.
        self.run_worker(
            partial(self._poll_once, backend),
            name=f"poll {backend.value}",
            group=f"poll-{backend.value}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _poll_once(self, backend: Backend) -> None:
        await self.monitor.poll(backend)
        self.post_message(PollFinished(backend, self.monitor.health(backend)))

    def _rearm(self, backend: Backend) -> None:
        if backend in self._again:
            self._again.discard(backend)
            delay = 0.0
        else:
            delay = self.monitor.next_delay(backend)
        old = self._poll_timers.pop(backend, None)
        if old is not None:
            old.stop()
        self._poll_timers[backend] = self.set_timer(max(delay, 0.001), lambda: self.poll(backend))

    def refresh_now(self) -> None:
        for backend in self.monitor.backends:
            self.poll(backend)

    def poll_soon(self, backend: Backend) -> None:
        """Something was just done to a box of `backend`: look at once."""
        if backend in self.monitor.backends:
            self.poll(backend)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)
        group = event.worker.group or ""
        if group.startswith("poll-") and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self._rearm(Backend(group.removeprefix("poll-")))

    # ----------------------------------------------------------------- messages
    @on(PollFinished)
    def _poll_finished(self, message: PollFinished) -> None:
        for screen in self.dashboards:
            screen.post_message(HealthChanged(message.backend, message.health))
        self.heap.settled()

    @on(BoxesChanged)
    def _boxes_changed(self, message: BoxesChanged) -> None:
        diff = message.diff
        for screen in self.dashboards:
            screen.post_message(BoxesChanged(diff))
        # Only boxes the user created or acted on get a notice (the monitor remembers which).
        for notice in self.monitor.notices(diff):
            self.notify(notice.message, title=notice.title, severity=notice.level, markup=False, timeout=8)
        for screen in self.screen_stack:
            if isinstance(screen, ActivityScreen):
                screen.post_message(ActivityLogged())

    # ----------------------------------------------------------------- app-wide actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "grant_write":  # `w`: shown only where it means something (see ConfiguredApp)
            in_dialog = isinstance(self.screen, ModalScreen) and not isinstance(self.screen, CommandPalette)
            return False if in_dialog else self.check_grant_write()
        name = f"{action}({parameters[0]!r})" if parameters else action
        command = BY_ACTION.get(name)
        # App-wide keys stay out of dialogs (a "1" in the delete confirmation must not switch screens).
        return not (
            command is not None
            and command.scope == "app"
            and command.name != "quit"
            and isinstance(self.screen, ModalScreen)
            and not isinstance(self.screen, CommandPalette)  # the palette asks on behalf of the screen below
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.screen))

    def action_show_errors(self) -> None:
        healths = [self.monitor.health(backend) for backend in Backend]
        self.push_screen(ErrorsModal(healths, self.now()))

    def action_show_activity(self) -> None:
        self.push_screen(ActivityScreen(self.monitor))

    @property
    def box_screen(self) -> BoxesScreen | None:
        screen = self.screen
        return screen if isinstance(screen, BoxesScreen) else None
