"""`boxdeck` / `boxdeck --demo`: resolve the configuration, build the service, run the app (the flags are
parsed by `boxdeck.cli.parser`).

Configuration, per field: flags > environment (``AMIKA_API_URL`` …) > the profile in the config file
(``--config`` > ``BOXDECK_CONFIG`` > ``<user config dir>/config.toml``; the profile is ``--profile`` >
``BOXDECK_PROFILE`` > ``default_profile`` > the only one). See ``docs/config.md`` and
:mod:`boxdeck.service.configuration.profiles`. A configuration problem (bad TOML, a file others can read
holding a token, an
unknown profile, a bad URL) is one line on stderr, ``boxdeck: …``, and exit status 2; warnings (unknown keys,
a rejected key binding, an unknown theme) become one notification once the dashboard is up, never text printed
over the full-screen app.

With `--demo` the simulator runs on an ephemeral loopback port in a child process (real clock, churn on, so
the world is lively; see `demo_simulator`) and stops when the app quits. The demo never reads the user's
environment or config file (no real token can reach it) but honours ``--read-only`` and ``--theme``.

Every request and user action goes to the rotating log in the user's state dir (``--no-log`` turns it off).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from boxdeck.service.configuration.config import ENV_VARS, ConfigError, Service, Settings, settings_from
from boxdeck.service.configuration.profiles import (
    PROFILE_ENV,
    AppConfig,
    load_profiles,
    resolve_all,
    resolve_app_config,
)
from boxdeck.service.configuration.token_files import resolve_token_files, terminal_as_stdin

log = logging.getLogger(__name__)

#: Flags that name one account; they do not follow a switch to another profile.
ACCOUNT_FLAGS = tuple(ENV_VARS)


def demo_args(args: argparse.Namespace, sim: Any) -> argparse.Namespace:
    """The flags that point both backends at a running simulator."""
    return argparse.Namespace(
        **{
            **vars(args),
            "amika_url": sim.base_url,
            "amika_token": sim.amika_token,
            "devbox_url": sim.base_url,
            "sprites_token": sim.sprites_token,
            "user_token": sim.user_token,
        }
    )


def _check_flags(args: argparse.Namespace) -> None:
    if args.steady_interval is not None and args.steady_interval <= 0:
        raise ConfigError("--steady-interval must be a positive number of seconds")


def make_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    """Flags > environment only (no config file): what the demo uses."""
    _check_flags(args)
    settings = settings_from(args, environ)
    if args.steady_interval is not None:
        settings = dataclasses.replace(settings, steady_interval=args.steady_interval)
    return settings


def resolve_config(args: argparse.Namespace, environ: Mapping[str, str]) -> AppConfig:
    """Flags > environment > profile > ``[settings]`` > defaults (raises ``ConfigError``)."""
    _check_flags(args)
    return resolve_app_config(args, environ)


def watch_names(args: argparse.Namespace) -> list[str]:
    names: list[str] = []
    for value in args.watch or ():
        for name in value.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return names


def resolve_watched(
    args: argparse.Namespace, environ: Mapping[str, str], config: AppConfig
) -> tuple[dict[str, Settings], list[str]]:
    """Settings of the ``--watch`` profiles, each standing alone (account flags and variables don't apply).

    An unknown name is an error (exit 2); a profile whose token source fails is skipped with a warning, so one
    broken account does not hide the others.
    """
    names = [n for n in watch_names(args) if n != config.profile]
    if not names:
        return {}, []
    pf = load_profiles(config.config_path)
    pf.require(names, flag="--watch")
    warnings: list[str] = []
    resolved = resolve_all(
        pf, names, environ=environ, on_error=lambda name, error: warnings.append(f"--watch {name}: {error}")
    )
    out: dict[str, Settings] = {}
    for name, settings in resolved:
        if settings.amika is None and settings.devbox is None:
            warnings.append(f"--watch {name}: the profile configures no backend (no token)")
            continue
        if args.steady_interval is not None:
            settings = dataclasses.replace(settings, steady_interval=args.steady_interval)
        out[name] = settings
    return out, warnings


class ProfileSwitcher:
    """``app.profile_switcher``: ``await switcher("staging")`` resolves that profile, returns a new Service.

    The same rules as at start-up — ``--config``, ``--read-only``, ``--steady-interval`` and the file's
    settings still apply — minus what names one account: the URL and token flags and the
    ``AMIKA_API_KEY``-style variables (they would make every profile the same account). Raises
    ``ConfigError`` (its text is for the user). Token commands run in a thread so a slow password manager
    does not freeze the UI. The services it builds log their requests to the same log; ``built`` lists them
    (the app closes them on quit).
    """

    def __init__(
        self, args: argparse.Namespace, environ: Mapping[str, str], *, request_log: Any = None
    ) -> None:
        self.args = args
        self.environ = environ
        self.request_log = request_log
        self.built: list[Service] = []
        self.configs: dict[str, AppConfig] = {}

    def resolve(self, name: str) -> AppConfig:
        args = argparse.Namespace(**vars(self.args))
        for flag in ACCOUNT_FLAGS:
            setattr(args, flag, None)
        args.profile = name
        environ = {k: v for k, v in self.environ.items() if k not in ENV_VARS.values() and k != PROFILE_ENV}
        return resolve_config(args, environ)

    async def __call__(self, name: str) -> Service:
        config = await asyncio.to_thread(self.resolve, name)
        on_request = self.request_log.on_request if self.request_log is not None else None
        service = Service.from_settings(config.settings, on_request=on_request)
        if self.request_log is not None:
            self.request_log.add_secrets(*config.settings.secrets)
            self.request_log.log_event(f"switched to profile {name}")
        self.configs[name] = config
        self.built.append(service)
        return service


def open_log(enabled: bool) -> tuple[Any, str | None]:
    """(the RequestLogger or None, a warning when it could not be opened)."""
    if not enabled:
        return None, None
    from boxdeck.service.history.activity_log import RequestLogger

    try:
        return RequestLogger(), None
    except OSError as error:
        return None, f"request log disabled: {error}"


def run_app(
    settings: Settings,
    demo: Any = None,
    *,
    config: AppConfig | None = None,
    watch: Mapping[str, Settings] | None = None,
    log: bool = True,
    switcher: ProfileSwitcher | None = None,
    prefs_path: Any = None,
    trust_path: Any = None,
) -> int:
    """Run the dashboard to the end; its exit status (non-zero after a crash, which is reported)."""
    from rich.console import Console

    from boxdeck.service.configuration.prefs import Prefs
    from boxdeck.tui.app import BoxdeckApp
    from boxdeck.tui.context import Deck

    config = config if config is not None else AppConfig(settings=settings)
    request_log, log_warning = open_log(log)
    if log_warning:
        config = dataclasses.replace(config, warnings=(*config.warnings, log_warning))
    on_request = request_log.on_request if request_log is not None else None
    try:
        service = Service.from_settings(settings, on_request=on_request, trust_path=trust_path)
        if request_log is not None:
            request_log.use_redactor(service.redactor)
        extra = {
            name: Service.from_settings(extra_settings, on_request=on_request)
            for name, extra_settings in (watch or {}).items()
        }
        if switcher is not None:
            switcher.request_log = request_log
        deck = Deck(
            service,
            config=config,
            extra=extra,
            demo=demo is not None,
            request_log=request_log,
            prefs=Prefs(prefs_path),
            switcher=switcher,
        )
        app = BoxdeckApp(deck)
        # Textual prints a crash's traceback, locals and all, to `error_console` once the terminal is back:
        # it is kept here instead, for the log, and the terminal gets one plain line.
        crash = io.StringIO()
        app.error_console = Console(file=crash, width=120, color_system=None, markup=False, highlight=False)
        app.run()
        status = app.return_code or 0
        if status:
            report_crash(crash.getvalue(), request_log)
        return status
    finally:  # the services are closed by the app on quit (the deck owns them)
        if request_log is not None:
            request_log.close()


@contextlib.contextmanager
def demo_simulator(seed: int, started: Any = None) -> Iterator[Any]:
    """The demo's simulator: a child process started first (by `boxdeck.cli` when it can, as `started`), so
    its start-up overlaps the dashboard's own on the other core (`boxdeck.sim.child`). Its URL is known before
    it serves, so the dashboard does not wait for it: its first requests wait in the socket's backlog. If the
    child exits before it serves, a simulator in this process takes over its socket (`DemoStandby`); with no
    child at all (no `python -m` in a frozen build, a sandbox that forbids processes) one runs here from the
    start. Its SSH host key is pinned for the run (see `pinned_host_key`)."""
    from boxdeck.sim.child import start_demo_child

    child = started if started is not None else start_demo_child(seed)
    if child is None:
        log.warning("demo simulator: no child process; running it in this process")
        from boxdeck.sim import SimConfig, SimServer

        with (
            SimServer(SimConfig(seed=seed, churn=True)) as sim,
            pinned_host_key(lambda: _server_host_key(sim)),
        ):
            yield sim
        return
    standby = DemoStandby(child, seed)
    try:
        with pinned_host_key(standby.host_key):
            yield child
    finally:
        standby.close()
        child.stop()


class DemoStandby:
    """Watches the demo's child until it serves. If it exits first (or says nothing for 30 s), a simulator in
    this process takes over the child's listening socket: the dashboard, already asking that URL, gets its
    answers from there, the requests waiting in the backlog included."""

    def __init__(self, child: Any, seed: int) -> None:
        self._child = child
        self._seed = seed
        self.server: Any = None
        self._thread = threading.Thread(target=self._watch, name="demo standby", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        from boxdeck.sim.child import SimChildError

        try:
            self._child.wait_ready()
        except SimChildError as exc:
            log.warning("demo simulator: the child did not start (%s); running it in this process", exc)
            listener = self._child.take_listener()
            self._child.stop()
            if listener is None:
                return
            from boxdeck.sim import SimConfig, SimServer

            self.server = SimServer(SimConfig(seed=self._seed, churn=True), listener=listener).start()

    def host_key(self) -> HostKey | None:
        self._thread.join()
        if self.server is not None:
            return _server_host_key(self.server)
        return _child_host_key(self._child)

    def close(self) -> None:
        self._thread.join(timeout=5.0)
        if self.server is not None:
            self.server.stop()


HostKey = tuple[str, int, str]


def _child_host_key(child: Any) -> HostKey | None:
    if not child.wait_ssh():
        return None
    return child.ssh_host, child.ssh_port, child.ssh_host_key


def _server_host_key(sim: Any) -> HostKey | None:
    if sim.ssh is None or not sim.ssh_ready():
        return None
    return sim.ssh.host, sim.ssh.port, sim.ssh.public_key()


@contextlib.contextmanager
def pinned_host_key(fetch: Callable[[], HostKey | None]) -> Iterator[threading.Event]:
    """Pin the demo simulator's SSH host key in boxdeck's known_hosts while the demo runs, so enter on a box
    logs in without a host key prompt, and to that key only. boxdeck started the simulator itself, so its key
    comes from a source it trusts. Fetched in a thread, so the dashboard does not wait for the SSH side; the
    event yielded is set once that is settled."""
    from boxdeck.service.access.hostkeys import HostKeyError, KnownHosts

    known = KnownHosts()
    pinned: list[HostKey] = []
    settled = threading.Event()

    def pin() -> None:
        try:
            _pin()
        finally:
            settled.set()

    def _pin() -> None:
        key = fetch()
        if key is None:
            log.warning("demo simulator: no SSH host key; ssh to its boxes will ask about the host key")
            return
        try:
            known.pin(*key)
        except (HostKeyError, OSError) as exc:
            log.warning("demo simulator: could not pin its SSH host key: %s", exc)
            return
        pinned.append(key)

    thread = threading.Thread(target=pin, name="demo host key", daemon=True)
    thread.start()
    try:
        yield settled
    finally:
        thread.join(timeout=1.0)
        for host, port, _key in pinned:
            with contextlib.suppress(HostKeyError, OSError):
                known.forget(host, port)


def report_crash(details: str, request_log: Any) -> None:
    """A crash: its traceback goes to the log (redacted like every line there), one plain line to stderr."""
    lines = [line.strip() for line in details.splitlines() if line.strip()]
    summary = lines[-1] if lines else "unknown error"
    if request_log is not None:
        request_log.log_crash(details or summary)
        summary = request_log.redact(summary)
        where = f"the traceback is in {request_log.path}"
    else:
        where = "run it again without --no-log to keep the traceback"
    print(f"boxdeck: the dashboard crashed ({summary[:200]}); {where}", file=sys.stderr)


def run_demo(args: argparse.Namespace, started: Any = None) -> int:
    from boxdeck.service.configuration.paths import state_dir

    _check_flags(args)
    with demo_simulator(args.seed, started) as sim:
        # The demo never reads real credentials from the environment or the config file.
        settings = make_settings(demo_args(args, sim), {})
        config = AppConfig(
            settings=settings, theme=args.theme, read_only_locked=bool(args.read_only)
        )
        return run_app(
            settings,
            demo=sim,
            config=config,
            log=not args.no_log,
            prefs_path=state_dir() / "prefs-demo.json",
            trust_path=state_dir() / "trusted_proxies-demo.json",  # the demo's answers stay the demo's
        )


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, demo_sim: Any = None
) -> int:
    """Parse the dashboard's flags (`boxdeck.cli.parser`; exits 2 on bad usage) and `run` it. For tests and
    benchmarks: unlike `boxdeck`, it does not refuse to start without a terminal."""
    from boxdeck.cli.parser import parse_dashboard_args

    try:
        args = parse_dashboard_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit:
        if demo_sim is not None:
            demo_sim.stop()
        raise
    return run(args, environ, demo_sim=demo_sim)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None, *, demo_sim: Any = None) -> int:
    """Run the dashboard for parsed flags. `demo_sim`: the demo's simulator child, already started by
    `boxdeck.cli` (see `demo_simulator`)."""
    environ = os.environ if environ is None else environ
    if demo_sim is not None and not args.demo:
        demo_sim.stop()
        demo_sim = None
    try:
        if args.demo:
            return run_demo(args, demo_sim)
        from_stdin = resolve_token_files(args)
        config = resolve_config(args, environ)
        watch, warnings = resolve_watched(args, environ, config)
        if warnings:
            config = dataclasses.replace(config, warnings=(*config.warnings, *warnings))
        if from_stdin:
            terminal_as_stdin()
        return run_app(
            config.settings,
            config=config,
            watch=watch,
            log=not args.no_log,
            switcher=ProfileSwitcher(args, environ),
        )
    except ConfigError as error:
        print(f"boxdeck: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl+C before the dashboard took the terminal (a slow token command…)
        print("boxdeck: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a crash outside the app's own loop (building the services, the demo…)
        _log_startup_crash(error)
        return 1


def _log_startup_crash(error: Exception) -> None:
    from boxdeck.service.history.activity_log import RequestLogger
    details = "".join(traceback.format_exception(error))
    try:
        with RequestLogger() as request_log:
            report_crash(details, request_log)
    except OSError:
        report_crash(details, None)
