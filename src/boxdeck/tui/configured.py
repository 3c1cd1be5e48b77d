"""What the config file and the state dir bring to the app (issue 6, "Configure once"): a BoxdeckApp mixin.

- Theme and keymap from the config (bad entries: one warning notification at start-up, defaults kept).
- The write grant: a read-only profile can be opened for writes for N minutes with `w`; the header shows
  ``[RO]``/``[RW 9m]`` and every screen's keys dim and undim as the grant starts and lapses. ``--read-only``
  locks it. ``service.actions.read_only`` (which every screen and the service itself obey) follows the grant.
- Remembered preferences per profile: the last screen, and each box screen's filter and sort.
- The request/action log: every user action, with its outcome, through
:func:`boxdeck.service.history.audit.audit`.

Textual calls ``on_mount``/``on_unmount`` of every class in the MRO, so the mixin's handlers run next to the
app's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from boxdeck.service.configuration.prefs import ScreenPrefs
from boxdeck.service.configuration.write_grant import DEFAULT_GRANT_MINUTES, WriteGrant
from boxdeck.service.history.audit import audit

if TYPE_CHECKING:
    from boxdeck.service.configuration.config import Service
    from boxdeck.service.configuration.prefs import Prefs
    from boxdeck.service.configuration.profiles import AppConfig
    from boxdeck.service.history.activity_log import RequestLogger

GRANT_TICK = 1.0
DEFAULT_CLIPBOARD_CLEAR = 60.0


def _minutes(value: float) -> str:
    return f"{value:g} minute" + ("" if value == 1 else "s")


class ConfiguredApp:
    """Mixin for :class:`boxdeck.tui.app.BoxdeckApp`; call :meth:`setup_config` at the end of ``__init__``."""

    service: Service
    app_config: AppConfig | None = None
    request_log: RequestLogger | None = None
    prefs: Prefs | None = None
    write_grant: WriteGrant
    clipboard_clear_seconds: float = DEFAULT_CLIPBOARD_CLEAR

    def setup_config(
        self,
        app_config: AppConfig | None = None,
        *,
        request_log: RequestLogger | None = None,
        prefs: Prefs | None = None,
        grant_clock: Callable[[], float] | None = None,
    ) -> None:
        self.app_config = app_config
        self.request_log = request_log
        self.prefs = prefs
        self._grant_clock = grant_clock
        self.clipboard_clear_seconds = (
            app_config.clipboard_clear_seconds if app_config is not None else DEFAULT_CLIPBOARD_CLEAR
        )
        self.write_grant = self._new_grant()
        self._grant_service: Service | None = self.service
        self._badge: str | None = self._live_badge()
        self._config_warnings: list[str] = list(app_config.warnings) if app_config is not None else []
        for service in self._services():
            self.audit_service(service)
        self._restore_initial_mode()

    # ----------------------------------------------------------------- helpers
    @property
    def pref_profile(self) -> str | None:
        """The profile the preferences are kept under (the app's current profile, if any)."""
        profile = getattr(self, "profile", None)
        if profile:
            return str(profile)
        return self.app_config.profile if self.app_config is not None else None

    def _services(self) -> list[Service]:
        extra = getattr(self, "extra_services", None) or {}
        out = [self.service]
        out.extend(s for s in extra.values() if s is not None and s is not self.service)
        return out

    def _all_screens(self) -> Iterator[Screen[Any]]:
        seen: set[int] = set()
        stacks: Iterable[Iterable[Screen[Any]]] = (
            *getattr(self, "_screen_stacks", {}).values(),
            getattr(self, "dashboards", ()),
        )
        for stack in stacks:
            for screen in stack:
                if id(screen) not in seen:
                    seen.add(id(screen))
                    yield screen

    # ----------------------------------------------------------------- start and stop
    def on_mount(self) -> None:
        app: Any = self
        warnings = self._config_warnings
        self._config_warnings = []
        config = self.app_config
        if config is not None and config.theme:
            if config.theme in app.available_themes:
                app.theme = config.theme
            else:
                known = ", ".join(sorted(app.available_themes))
                warnings.append(f"unknown theme {config.theme!r}; the default is kept (themes: {known})")
        if config is not None and config.keymap:
            from boxdeck.tui.keymap import resolve_keymap

            keymap, problems = resolve_keymap(config.keymap)
            warnings.extend(problems)
            if keymap:
                app.set_keymap(keymap)
        if warnings:
            app.notify(
                "\n".join(warnings), title="Configuration", severity="warning", markup=False, timeout=15
            )
        app.set_interval(GRANT_TICK, self.sync_write_grant)
        self.sync_write_grant()
        if self.request_log is not None:
            profile, badge = self.pref_profile or "-", self.write_badge or "-"
            self.request_log.log_event(f"started profile={profile} badge={badge}")

    def on_unmount(self) -> None:
        # (The watched services and a switched-away one are closed by WatchingApp; the current by the app.)
        if self.prefs is not None:
            with contextlib.suppress(Exception):
                mode = str(getattr(self, "current_mode", "") or "")
                if mode and not mode.startswith("_"):
                    self.prefs.set_last_screen(self.pref_profile, mode)
            with contextlib.suppress(OSError):
                self.prefs.save()
        if self.request_log is not None:
            self.request_log.log_event("quit")
            self.request_log.flush()

    # ----------------------------------------------------------------- request/action log
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
        """One line in the action log (a no-op without one). Never pass a secret value as text."""
        if self.request_log is not None:
            self.request_log.log_action(action, box, backend, outcome, detail=detail, secrets=secrets)

    def audited(self, obj: Any) -> Any:
        """``obj`` (a service object running user actions) with its actions logged (``service.audit``)."""
        if self.request_log is None:
            return obj
        return audit(obj, self.log_action)

    def audit_service(self, service: Service) -> Service:
        """Log the actions of `service` and mask its tokens in the log (switched or watched profiles too)."""
        if self.request_log is not None:
            self.request_log.add_secrets(*service.settings.secrets)
            self.audited(service.actions)
        return service

    # ----------------------------------------------------------------- write grant
    def _new_grant(self) -> WriteGrant:
        config = self.app_config
        read_only = bool(self.service.settings.read_only)
        # Without a config (tests, the plain constructor) read-only means the flag: locked.
        locked = config.read_only_locked if config is not None else read_only
        minutes = config.write_grant_minutes if config is not None else DEFAULT_GRANT_MINUTES
        kwargs: dict[str, Any] = {"locked": locked}
        if self._grant_clock is not None:
            kwargs["clock"] = self._grant_clock
        return WriteGrant(read_only, minutes, **kwargs)

    def _live_badge(self) -> str | None:
        grant = self.write_grant
        return grant.badge() if grant.read_only_default else None

    @property
    def write_badge(self) -> str | None:
        """``[RO]`` or ``[RW 9m]`` for a read-only profile; None (nothing shown) for a read-write one.

        As of the last :meth:`sync_write_grant`, so the header never says more than the actions allow."""
        return self._badge

    def _read_only_for(self, service: Service) -> bool:
        grant = self.write_grant
        if service is self.service:
            return not grant.allowed()
        return grant.locked or (bool(service.settings.read_only) and not grant.granted)

    def sync_write_grant(self) -> None:
        """Make every service's ``actions.read_only``, every screen's keys and the header follow the grant."""
        if self.service is not self._grant_service:  # another profile was switched to
            self._grant_service = self.service
            self.write_grant = self._new_grant()
            self.audit_service(self.service)
        changed = False
        for service in self._services():
            want = self._read_only_for(service)
            if service.actions.read_only != want:
                service.actions.read_only = want
                changed = True
        badge = self._live_badge()
        if badge != self._badge:
            self._badge = badge
            changed = True
        if changed:
            self._grant_changed()

    def _grant_changed(self) -> None:
        from boxdeck.tui.widgets.health_bar import HealthBar

        for screen in self._all_screens():
            with contextlib.suppress(Exception):
                screen.refresh_bindings()
                for bar in screen.query(HealthBar):
                    bar.refresh_badge()

    def check_grant_write(self) -> bool | None:
        """`w`: shown on a read-only profile (and when locked, so the key can say why); hidden otherwise."""
        grant = self.write_grant
        if grant.locked:
            return True
        return bool(grant.read_only_default)

    def action_grant_write(self) -> None:
        app: Any = self
        grant = self.write_grant
        if grant.locked:
            app.notify(
                "boxdeck was started with --read-only, so write access can't be granted. "
                "Restart without --read-only to make changes.",
                title="Read-only",
                severity="warning",
                markup=False,
            )
            return
        if not grant.read_only_default:
            app.notify("This profile is not read-only: changes are allowed.", markup=False)
            return
        grant.grant()
        self.sync_write_grant()
        app.notify(
            f"Write access for {_minutes(grant.minutes)}; then read-only again. {self.write_badge}",
            title="Write access",
            markup=False,
        )
        if self.request_log is not None:
            self.request_log.log_event(f"write access granted for {_minutes(grant.minutes)}")

    # ----------------------------------------------------------------- remembered preferences
    def _restore_initial_mode(self) -> None:
        if self.prefs is None or getattr(self, "_initial_mode", None):
            return
        last = self.prefs.last_screen(self.pref_profile)
        if last and last in getattr(self, "_modes", {}):
            self._initial_mode = last

    def prefs_for(self, screen: str) -> ScreenPrefs | None:
        """The remembered filter and sort of `screen` (a mode name), or None when nothing is remembered."""
        if self.prefs is None:
            return None
        return self.prefs.screen(self.pref_profile, screen)

    def remember(
        self, screen: str, *, filter: str | None = None, sort: tuple[str | None, bool] | None = None
    ) -> None:
        """A screen's filter or sort changed: keep it for next time (saved on screen switch and on quit)."""
        if self.prefs is None:
            return
        if filter is not None:
            self.prefs.set_filter(self.pref_profile, screen, filter)
        if sort is not None:
            self.prefs.set_sort(self.pref_profile, screen, sort[0], sort[1])

    def switch_mode(self, mode: str) -> Any:
        result = super().switch_mode(mode)  # type: ignore[misc]
        if self.prefs is not None and not mode.startswith("_"):  # not a transient mode ("_switching-profile")
            self.prefs.set_last_screen(self.pref_profile, mode)
            with contextlib.suppress(OSError):
                self.prefs.save()
        return result
