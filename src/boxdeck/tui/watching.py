"""Issue 6, "See everything": several profiles at once, ETAs, switching profile — a BoxdeckApp mixin.

- Extra profiles (``extra_services``: profile name → Service) are polled like the main one
  (:class:`boxdeck.tui.polling.ExtraPolling`); their boxes show only on the All boxes screen (``0``).
- ETAs: one :class:`~boxdeck.service.history.eta.TransitionTracker` per profile, all sharing one
  :class:`~boxdeck.service.history.eta.EtaHistory` kept in the state dir (saved as samples arrive, and on
  quit). Every
  diff — main or extra, poll or local — is fed to its profile's tracker before any screen sees it.
- Switching profile (command palette: "Switch to profile NAME", the profiles of the config file): the
  ``profile_switcher`` hook (set by the launcher) builds the new profile's Service in a worker; the app then
  stops polling the old one, resets every dashboard onto the new service and polls it.

Textual calls ``on_mount``/``on_unmount`` (and plain ``on_<message>`` handlers) of every class in the MRO, so
the mixin's handlers run next to the app's own. Nothing here touches a screen's widgets: screens get messages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.paths import history_file
from boxdeck.service.history.eta import EtaHistory, TransitionTracker
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.messages import BoxesChanged
from boxdeck.tui.polling import ExtraPolling, ProfileBoxesChanged, ProfilePollFinished

if TYPE_CHECKING:
    from boxdeck.service.configuration.config import Service
    from boxdeck.service.monitoring.snapshot import Diff

log = logging.getLogger(__name__)

MAIN = ""  # the main service's key in the per-profile maps
HOLDING_MODE = "_switching-profile"
NO_CONFIG = "Switching profiles needs a config file with [profiles.NAME] tables."


@dataclass
class ProfileSwitched(Message, bubble=False):
    """The profile switcher built the new main service; the app swaps it in."""

    profile: str
    service: Service


class WatchingApp:
    """Mixin for :class:`boxdeck.tui.app.BoxdeckApp`; call :meth:`setup_watching` in ``__init__``."""

    service: Service
    monitor: Any
    owns_service: bool
    dashboards: list[Screen[Any]]
    profile: str | None = None
    extra_services: dict[str, Service]
    #: Set by the launcher: build the Service of profile NAME (raises ConfigError with a user-facing message).
    profile_switcher: Callable[[str], Awaitable[Service]] | None = None
    eta_history: EtaHistory
    eta_trackers: dict[str, TransitionTracker]
    extra_polling: ExtraPolling

    def setup_watching(
        self,
        *,
        profile: str | None = None,
        extra_services: Mapping[str, Service] | None = None,
        eta_history: EtaHistory | None = None,
    ) -> None:
        self.profile = profile
        self.extra_services = {
            name: s for name, s in (extra_services or {}).items() if name and s is not self.service
        }
        if eta_history is None:
            # The state dir's eta_history.json (unreadable = empty); the demo's simulated durations are kept
            # apart so they never skew a real account's ETAs.
            path = history_file()
            if getattr(self, "demo", None) is not None:
                path = path.with_name("eta_history.demo.json")
            eta_history = EtaHistory(path)
            if eta_history.load_error:
                log.warning("%s", eta_history.load_error)
        self.eta_history = eta_history
        self.eta_trackers = {MAIN: TransitionTracker(eta_history)}
        for name in self.extra_services:
            self.eta_trackers[name] = TransitionTracker(eta_history)
        self.extra_polling = ExtraPolling(self, self.extra_services)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- start and stop
    def on_mount(self) -> None:
        self.extra_polling.start()

    async def on_unmount(self) -> None:
        self.extra_polling.stop()
        if self.eta_history.keys():
            with contextlib.suppress(OSError):
                self.eta_history.save()
        if self.owns_service:
            for service in self.extra_services.values():
                with contextlib.suppress(Exception):
                    await service.aclose()

    # ----------------------------------------------------------------- names
    @property
    def profile_label(self) -> str:
        """What the All boxes screen calls the main profile when several are watched."""
        return self.profile or "default"

    # ----------------------------------------------------------------- ETA
    def on_boxes_changed(self, message: BoxesChanged) -> None:
        """A main diff: feed the tracker (the app's own handler forwards the diff to the screens)."""
        self._observe(MAIN, message.diff)

    def _observe(self, profile: str, diff: Diff) -> None:
        tracker = self.eta_trackers.get(profile)
        if tracker is None:
            return
        try:
            tracker.observe_diff(diff)
        except Exception:  # an ETA is a nicety: never let it break the data flow
            log.exception("ETA tracking failed")

    def eta_of(self, box: Box, profile: str = MAIN) -> tuple[str, bool]:
        """("ready in ~40 s" / "slower than usual" / "", slow?) for a box that is on its way up."""
        tracker = self.eta_trackers.get(profile)
        if tracker is None or box.kind is not StateKind.TRANSITIONAL:
            return "", False
        now = self.now()  # type: ignore[attr-defined]
        text = tracker.describe(box.key, now)
        return text, bool(text) and tracker.is_slow(box.key, now)

    # ----------------------------------------------------------------- extra profiles
    def _watch_screens(self) -> list[Screen[Any]]:
        return [s for s in self.dashboards if getattr(s, "WATCHES_PROFILES", False)]

    def on_profile_boxes_changed(self, message: ProfileBoxesChanged) -> None:
        self._observe(message.profile, message.diff)
        for screen in self._watch_screens():
            screen.post_message(ProfileBoxesChanged(message.profile, message.diff))
        service = self.extra_services.get(message.profile)
        if service is None:
            return
        for notice in service.monitor.notices(message.diff):
            self.notify(  # type: ignore[attr-defined]
                notice.message, title=f"{notice.title} ({shown(message.profile)})",
                severity=notice.level, markup=False, timeout=8,
            )

    def on_profile_poll_finished(self, message: ProfilePollFinished) -> None:
        self.extra_polling.finished(message.profile, message.backend)
        for screen in self._watch_screens():
            screen.post_message(ProfilePollFinished(message.profile, message.backend, message.health))

    def service_of(self, profile: str) -> Service | None:
        return self.service if profile == MAIN else self.extra_services.get(profile)

    def poll_profile_soon(self, profile: str, backend: Backend) -> None:
        if profile == MAIN:
            self.poll_soon(backend)  # type: ignore[attr-defined]
        else:
            self.extra_polling.poll_soon(profile, backend)

    # ----------------------------------------------------------------- switching profile
    def config_path(self) -> Path | None:
        config = getattr(self, "app_config", None)
        return getattr(config, "config_path", None)

    def profile_names(self) -> list[str]:
        """The profiles of the config file, in file order; none (not an error) without a config file."""
        from boxdeck.service.configuration.config import ConfigError
        from boxdeck.service.configuration.profiles import load_profiles

        try:
            return load_profiles(self.config_path()).names()
        except (ConfigError, OSError):
            return []

    def switch_profile(self, name: str) -> None:
        """Make `name` the main profile (screens 1–4 and the first rows of All boxes)."""
        if self.profile_switcher is None:
            self.notify(NO_CONFIG, title="Profiles", severity="warning", markup=False)  # type: ignore[attr-defined]
            return
        self.notify(f"Switching to profile {name}…", title="Profiles", markup=False)  # type: ignore[attr-defined]
        self.run_worker(  # type: ignore[attr-defined]
            self._build_profile(name), name=f"switch to {name}", group="switch-profile", exclusive=True,
            exit_on_error=False,
        )

    async def _build_profile(self, name: str) -> None:
        switcher = self.profile_switcher
        assert switcher is not None
        try:
            service = await switcher(name)
        except Exception as error:  # ConfigError (a bad token command, an unknown profile…) or a bug
            self.notify(  # type: ignore[attr-defined]
                shown(f"Cannot switch to profile {name}: {error}"), title="Profiles", severity="error",
                markup=False, timeout=10,
            )
            return
        self.post_message(ProfileSwitched(name, service))  # type: ignore[attr-defined]

    async def on_profile_switched(self, message: ProfileSwitched) -> None:
        """Swap the main service: stop its polling, reset every dashboard onto the new one, poll it."""
        app: Any = self
        old, new = self.service, message.service
        # 1. Stop everything that still talks to the old service (its late diffs must not land anywhere).
        if app._unsubscribe is not None:
            app._unsubscribe()
            app._unsubscribe = None
        for timer in app._poll_timers.values():
            timer.stop()
        app._poll_timers.clear()
        app._again.clear()
        for backend in Backend:
            app.workers.cancel_group(app, f"poll-{backend.value}")
        # 2. The new service and profile; ETA phases of the old boxes mean nothing for the new ones.
        self.service = new
        self.monitor = new.monitor
        self.profile = message.profile
        self.eta_trackers[MAIN] = TransitionTracker(self.eta_history)
        from boxdeck.tui.state import ATTRIBUTE  # the issue-5 views' per-app state holds the old clients

        if hasattr(app, ATTRIBUTE):
            delattr(app, ATTRIBUTE)
        # 3. Fresh dashboards on the new service, back on the screen the user was looking at.
        await self._reset_dashboards()
        app._unsubscribe = self.monitor.subscribe(app._published)
        for backend in self.monitor.backends:
            app.poll(backend)
        app.notify(f"Profile {message.profile}", title="Profiles", markup=False)
        if self.owns_service and old is not new:
            with contextlib.suppress(Exception):
                await old.aclose()

    async def _reset_dashboards(self) -> None:
        from boxdeck.tui.app import DASHBOARDS

        app: Any = self
        modes = [d.mode for d in DASHBOARDS]
        current = app.current_mode
        back_to = current if current in modes else app.FIRST_MODE
        app.add_mode(HOLDING_MODE, Screen)
        await app.switch_mode(HOLDING_MODE)
        for dashboard in DASHBOARDS:
            await app.remove_mode(dashboard.mode)
        self.dashboards.clear()
        for dashboard in DASHBOARDS:
            app.add_mode(dashboard.mode, app._factory(dashboard))
        await app.switch_mode(back_to)
        await app.remove_mode(HOLDING_MODE)


class ProfileCommands(Provider):
    """The palette's "Switch to profile NAME" entries: the config file's profiles except the current one."""

    def _hits(self) -> list[tuple[str, str, Callable[[], None]]]:
        app: Any = self.app
        names = app.profile_names() if hasattr(app, "profile_names") else []
        current = getattr(app, "profile", None)
        return [
            (f"Switch to profile {name}", "show this profile", partial(app.switch_profile, name))
            for name in names
            if name != current
        ]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._hits():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._hits():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
