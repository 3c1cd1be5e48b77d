"""What the running dashboard is made of, built once at launch: the `Deck`.

Every screen, modal and widget gets what it needs from the deck through its constructor; nothing reaches into
the App for state. The deck holds one `Profile` per account being watched (the main one, whose boxes all
screens show, plus the `--watch` ones, shown on the All boxes screen), the poll scheduler over them, the
write grant, the clipboard, the remembered preferences, ETA history, the request and action log, and the
clock. None of it touches a widget: the App turns what happens here into messages for the screens.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from boxdeck.service.access.devbox_access import DevboxAccess
from boxdeck.service.access.expiry import Credential, ExpiryWarnings
from boxdeck.service.access.ssh_run import SshExit, run_attached
from boxdeck.service.access.waits import Waits, quoted
from boxdeck.service.actions.account import Account
from boxdeck.service.actions.agent_prompts import Conversations
from boxdeck.service.actions.sandbox_sessions import SandboxSessions, SshGrants
from boxdeck.service.actions.secret_store import SecretStore
from boxdeck.service.boxes import Backend, Box, StateKind, devbox_key
from boxdeck.service.configuration.config import ConfigError, Service
from boxdeck.service.configuration.paths import history_file
from boxdeck.service.configuration.prefs import Prefs, ScreenPrefs
from boxdeck.service.configuration.profiles import AppConfig, load_profiles
from boxdeck.service.configuration.write_grant import WriteGrant
from boxdeck.service.history.activity_log import RequestLogger
from boxdeck.service.history.audit import audit
from boxdeck.service.history.eta import EtaHistory, TransitionTracker
from boxdeck.service.monitoring.poller import Poller
from boxdeck.tui.clipboard import Clipboard

__all__ = ["MAIN", "Deck", "Profile", "SshRunner", "utc_now"]

log = logging.getLogger(__name__)

#: The main profile's key (the one every screen shows; extra profiles go by their names).
MAIN = ""

SshRunner = Callable[[list[str]], SshExit]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Profile:
    """One account as the dashboard uses it: its service, the per-box services the views act through (each
    logged by the action log), the boxes pinned for "connect when ready", its ETAs and unsent prompts."""

    def __init__(
        self,
        key: str,
        label: str,
        service: Service,
        *,
        clock: Callable[[], datetime],
        eta_history: EtaHistory,
        audited: Callable[[Any], Any] = lambda obj: obj,
    ) -> None:
        self.key = key
        self.label = label
        self.service = service
        monitor = service.monitor
        amika, devbox = monitor.amika, monitor.devbox
        devbox_settings = service.settings.devbox

        def logged(obj: T) -> T:
            return cast(T, audited(obj))

        self.conversations = logged(Conversations(amika, clock=clock)) if amika is not None else None
        self.sessions = logged(SandboxSessions(amika)) if amika is not None else None
        self.grants = (
            logged(SshGrants(amika, clock=clock, known_hosts=service.known_hosts,
                             grants=service.actions.grants))
            if amika is not None
            else None
        )
        self.access = (
            logged(DevboxAccess(devbox, clock=clock, trust=service.proxy_trust, scrub=service.redactor.redact,
                                known_hosts=service.known_hosts))
            if devbox is not None else None
        )
        self.account = logged(
            Account(devbox, has_user_token=bool(devbox_settings and devbox_settings.user_token))
        )
        self.secrets = logged(SecretStore(amika, redactor=service.redactor)) if amika is not None else None
        self.actions = logged(service.actions)
        self.waits = Waits()
        self.eta = TransitionTracker(eta_history)
        self.drafts: dict[str, str] = {}
        """Unsent prompt text per sandbox (also where a failed prompt comes back to be edited)."""
        self._unsubscribe = monitor.subscribe(self._observe)

    @property
    def is_main(self) -> bool:
        return self.key == MAIN

    @property
    def monitor(self) -> Any:
        return self.service.monitor

    @property
    def read_only(self) -> bool:
        return bool(self.service.actions.read_only)

    def _observe(self, diff: Any) -> None:
        try:
            self.eta.observe_diff(diff)
        except Exception:  # an ETA is a nicety: never let it break the data flow
            log.exception("ETA tracking failed")

    def eta_of(self, box: Box, now: datetime) -> tuple[str, bool]:
        """("ready in ~40 s" / "slower than usual" / "", slow?) for a box on its way up."""
        if box.kind is not StateKind.TRANSITIONAL:
            return "", False
        text = self.eta.describe(box.key, now)
        return text, bool(text) and self.eta.is_slow(box.key, now)

    def box(self, backend: Backend, key: str) -> Box | None:
        snapshot = self.monitor.snapshot(backend)
        return snapshot.boxes.get(key) if snapshot is not None else None

    def boxes(self) -> Iterator[Box]:
        """Every box of this profile as last seen, sandboxes first."""
        for backend in self.monitor.backends:
            snapshot = self.monitor.snapshot(backend)
            if snapshot is not None:
                yield from snapshot.boxes.values()

    def box_by_ref(self, backend: Backend, ref: str) -> Box | None:
        snapshot = self.monitor.snapshot(backend)
        if snapshot is None:
            return None
        return next((box for box in snapshot.boxes.values() if box.ref == ref), None)

    async def aclose(self) -> None:
        self._unsubscribe()
        await self.service.aclose()


class Deck:
    """The one object the dashboard is built from (see the module docstring)."""

    def __init__(
        self,
        service: Service,
        *,
        config: AppConfig | None = None,
        extra: dict[str, Service] | None = None,
        now: Callable[[], datetime] = utc_now,
        demo: bool = False,
        request_log: RequestLogger | None = None,
        prefs: Prefs | None = None,
        eta_history: EtaHistory | None = None,
        spinner_interval: float | None = 0.3,
        grant_clock: Callable[[], float] | None = None,
        clipboard_clock: Callable[[], float] | None = None,
        ssh_runner: SshRunner = run_attached,
        switcher: Callable[[str], Awaitable[Service]] | None = None,
        owns_services: bool = True,
    ) -> None:
        # Without a config (tests, a plain Service) read-only means the flag's kind: locked.
        self._locked_read_only = config is None and bool(service.settings.read_only)
        self.config = config if config is not None else AppConfig(settings=service.settings)
        self.now = now
        self.demo = demo
        self.request_log = request_log
        self.prefs = prefs
        self.spinner_interval = spinner_interval
        self.ssh_runner = ssh_runner
        self.switcher = switcher
        """Builds the Service of another profile of the config file (palette: "Switch to profile …")."""
        self.owns_services = owns_services
        if eta_history is None:
            # The demo's simulated durations are kept apart so they never skew a real account's ETAs.
            path = history_file()
            eta_history = EtaHistory(path.with_name("eta_history.demo.json") if demo else path)
            if eta_history.load_error:
                log.warning("%s", eta_history.load_error)
        self.eta_history = eta_history
        self.clipboard = Clipboard(
            clear_after=self.config.clipboard_clear_seconds,
            **({"clock": clipboard_clock} if clipboard_clock is not None else {}),
        )
        self._grant_clock = grant_clock
        self.expiry = ExpiryWarnings()
        self.copied: dict[str, Credential] = {}
        """Commands copied for a box (by `c`, or a connect that could not hand the terminal over)."""
        self.profiles: dict[str, Profile] = {}
        self.poller = Poller()
        self._add(MAIN, self.config.profile or "default", service)
        for name, extra_service in (extra or {}).items():
            if name and extra_service is not service:
                self._add(name, name, extra_service)
        self.write_grant = self._new_grant()
        self._badge = self._live_badge()

    # ------------------------------------------------------------------ profiles
    def _add(self, key: str, label: str, service: Service) -> Profile:
        if self.request_log is not None:
            self.request_log.add_secrets(*service.settings.secrets)
        profile = Profile(key, label, service, clock=self.now, eta_history=self.eta_history,
                          audited=self._audited)
        self.profiles[key] = profile
        self.poller.add(key, service.monitor)
        return profile

    @property
    def main(self) -> Profile:
        return self.profiles[MAIN]

    @property
    def several(self) -> bool:
        """More than one profile watched (the All boxes screen then names each box's profile)."""
        return len(self.profiles) > 1

    async def replace_main(self, service: Service, label: str) -> None:
        """Make `service` the main profile (a profile switch): the old one stops being polled and is closed.
        """
        old = self.profiles.pop(MAIN)
        await self.poller.remove(MAIN)
        profiles = dict(self.profiles)
        self.profiles.clear()
        self._add(MAIN, label, service)
        self.profiles.update(profiles)
        self.write_grant = self._new_grant()
        self._badge = self._live_badge()
        if self.request_log is not None:
            self.request_log.log_event(f"switched to profile {label}")
        if self.owns_services and old.service is not service:
            with contextlib.suppress(Exception):
                await old.aclose()

    def profile_of_key(self, key: str) -> Profile:
        return self.profiles.get(key, self.main)

    def profile_names(self) -> list[str]:
        """The profiles of the config file, in file order; none (not an error) without a readable one."""
        try:
            return load_profiles(self.config.config_path).names()
        except (ConfigError, OSError):
            return []

    # ------------------------------------------------------------------ the action log
    def _audited(self, obj: Any) -> Any:
        return obj if self.request_log is None else audit(obj, self.log_action)

    def log_action(
        self,
        action: str,
        box: str | None = None,
        backend: str | None = None,
        outcome: str = "ok",
        *,
        detail: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        """One line in the action log (nothing without one). Never pass a secret value as text."""
        if self.request_log is not None:
            self.request_log.log_action(action, box, backend, outcome, detail=detail, secrets=secrets)

    def log_event(self, message: str) -> None:
        if self.request_log is not None:
            self.request_log.log_event(message)

    # ------------------------------------------------------------------ write grant
    def _new_grant(self) -> WriteGrant:
        read_only = bool(self.main.service.settings.read_only)
        options: dict[str, Any] = {"locked": self.config.read_only_locked or self._locked_read_only}
        if self._grant_clock is not None:
            options["clock"] = self._grant_clock
        return WriteGrant(read_only, self.config.write_grant_minutes, **options)

    @property
    def badge(self) -> str | None:
        """``[RO]`` or ``[RW 9m]`` for a read-only profile, None for a read-write one — as of the last
        `sync_write_grant`, so the header never says more than the actions allow."""
        return self._badge

    def _live_badge(self) -> str | None:
        grant = self.write_grant
        return grant.badge() if grant.read_only_default else None

    def read_only_reason(self) -> str:
        """Why a change is refused now, and how to get write access, in one line."""
        grant = self.write_grant
        if grant.locked:
            return "Read-only: boxdeck was started with --read-only; restart without it to make changes."
        minutes = f"{grant.minutes:g} minute" + ("" if grant.minutes == 1 else "s")
        return f"Read-only profile: press w for write access ({minutes})."

    def sync_write_grant(self) -> bool:
        """Make every profile's actions follow the grant; True when anything changed (keys to re-dim, the
        header's badge)."""
        badge = self._live_badge()
        changed = badge != self._badge
        self._badge = badge
        grant = self.write_grant
        for profile in self.profiles.values():
            settings_read_only = bool(profile.service.settings.read_only)
            if profile.is_main:
                want = not grant.allowed()
            else:
                want = grant.locked or (settings_read_only and not grant.granted)
            if profile.service.actions.read_only != want:
                profile.service.actions.read_only = want
                changed = True
        return changed

    # ------------------------------------------------------------------ preferences
    @property
    def pref_profile(self) -> str | None:
        """The profile the preferences are kept under."""
        return self.config.profile

    def screen_prefs(self, screen: str) -> ScreenPrefs | None:
        return self.prefs.screen(self.pref_profile, screen) if self.prefs is not None else None

    def remember(self, screen: str, *, filter: str | None = None,
                 sort: tuple[str | None, bool] | None = None) -> None:
        """A screen's filter or sort changed: keep it for next time (saved on screen switch and on quit)."""
        if self.prefs is None:
            return
        if filter is not None:
            self.prefs.set_filter(self.pref_profile, screen, filter)
        if sort is not None:
            self.prefs.set_sort(self.pref_profile, screen, sort[0], sort[1])

    def remember_screen(self, mode: str) -> None:
        if self.prefs is not None and not mode.startswith("_"):
            self.prefs.set_last_screen(self.pref_profile, mode)
            with contextlib.suppress(OSError):
                self.prefs.save()

    def last_screen(self) -> str | None:
        return self.prefs.last_screen(self.pref_profile) if self.prefs is not None else None

    # ------------------------------------------------------------------ credentials that expire
    def remember_copied(self, key: str | None, name: str, expires_at: datetime | None) -> None:
        """A command was copied for a box: warn before it stops working."""
        if expires_at is None:
            return
        ident = key or f"name:{name}"
        self.copied[ident] = Credential(f"copied:{ident}", f"The SSH command copied for {quoted(name)}",
                                        expires_at, key)

    def credentials(self) -> Iterator[Credential]:
        """Everything with an expiry the dashboard knows about: grants and access sessions minted in this
        run (the main profile's), and commands copied."""
        main = self.main
        if main.grants is not None:
            for grant in main.grants.all():
                box = main.box_by_ref(Backend.AMIKA, grant.sandbox)
                yield Credential(
                    f"grant:{grant.sandbox}",
                    f"The SSH grant of sandbox {quoted(grant.sandbox)}",
                    grant.expires_at,
                    box.key if box else None,
                )
        if main.access is not None:
            snapshot = main.monitor.snapshot(Backend.DEVBOX)
            listed = snapshot.boxes if snapshot is not None else {}
            for devbox_id in main.access.remembered():  # not the whole fleet: this runs every second
                if (box := listed.get(devbox_key(devbox_id))) is None:
                    continue
                for known in main.access.known(box.ref, include_expired=True):
                    yield Credential(f"access:{box.ref}:{known.session_id}",
                                     f"The SSH access session of devbox {quoted(box.name)}", known.expires_at,
                                     box.key)
        yield from self.copied.values()

    # ------------------------------------------------------------------ lifetime
    def save(self) -> None:
        """What is kept between runs: preferences, ETA history, the log's buffer."""
        if self.eta_history.keys():
            with contextlib.suppress(OSError):
                self.eta_history.save()
        if self.prefs is not None:
            with contextlib.suppress(OSError):
                self.prefs.save()
        if self.request_log is not None:
            self.request_log.flush()

    async def aclose(self) -> None:
        self.clipboard.flush()
        self.save()
        if self.owns_services:
            for profile in list(self.profiles.values()):
                with contextlib.suppress(Exception):
                    await profile.aclose()
