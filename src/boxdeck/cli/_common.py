"""What every subcommand shares: connection flags, settings resolution, service construction, box lookup,
exit codes and the error handling that keeps tracebacks away from users.

Why one module: the three subcommands must agree on how a backend is configured (flags > environment >
profile, exactly as the dashboard does), on what a failure looks like on stderr and on which exit code means
what, or scripts built on one of them break on another.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from boxdeck.cli.output import EXIT_BROKEN_PIPE, OutputClosed, silence_stdout
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.configuration.config import ConfigError, Service, Settings
from boxdeck.service.configuration.token_files import resolve_token_files
from boxdeck.service.text.sanitize import single_line

if TYPE_CHECKING:
    from boxdeck.service.configuration.profiles import AppConfig

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "TIMING",
    "CliError",
    "Timing",
    "backend_error",
    "backend_error_status",
    "build_service",
    "err",
    "find_box",
    "poll_backends",
    "resolve_settings",
    "run_main",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
"""Usage and configuration problems, and an ambiguous name: the command line must change, not the world."""
EXIT_TIMEOUT = 124
"""What coreutils `timeout` returns, so scripts can treat both the same way."""
EXIT_INTERRUPTED = 130

#: HTTP statuses after which polling again cannot help (the token or the account is wrong).
FATAL_STATUSES = frozenset({401, 403})


class CliError(Exception):
    """An expected failure: `str(e)` goes to stderr as is (already sanitized), `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Timing:
    """How the subcommands wait and tell the time.

    Injectable because `watch` and `ssh --wait` wait on servers: tests drive them with the simulator's manual
    clock (each `sleep` advances the simulated world) instead of sleeping on wall time.
    """

    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


#: The timing every subcommand uses; tests replace it (`monkeypatch.setattr(_common, "TIMING", …)`).
TIMING = Timing()


def err(message: str, *, stream: TextIO | None = None) -> None:
    """One line on stderr, prefixed so it reads as boxdeck's in a script's combined output."""
    print(f"boxdeck: {message}", file=stream or sys.stderr, flush=True)


# -- flags and settings ------------------------------------------------------------------------------------


def resolve_settings(
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    *,
    backends: Iterable[Backend] | None = None,
) -> Settings:
    """Flags > environment > profile, through the same resolver as the dashboard; warnings go to stderr.

    `backends`: only these are configured (their tokens alone are looked up: `ls --backend devbox` asks no
    password manager for the Amika key). Raises `CliError(exit 2)` for a configuration problem or when no
    backend is configured at all.
    """
    return resolve_config(args, environ, backends=backends).settings


def resolve_config(
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    *,
    backends: Iterable[Backend] | None = None,
) -> AppConfig:
    """:func:`resolve_settings` with the file's app settings too (the default editor, notifications)."""
    from boxdeck.service.configuration.profiles import resolve_app_config

    env = os.environ if environ is None else environ
    wanted = None if backends is None else [b.value for b in backends]
    try:
        resolve_token_files(args)
        app_config = resolve_app_config(args, env, backends=wanted)
        for warning in app_config.warnings:
            err(f"warning: {single_line(warning)}")
        settings = app_config.settings
    except ConfigError as exc:
        raise CliError(single_line(str(exc), limit=1000), EXIT_CONFIG) from None
    for backend in backends or ():
        if (settings.amika if backend is Backend.AMIKA else settings.devbox) is None:
            raise _not_configured(backend)
    if settings.amika is None and settings.devbox is None:
        raise CliError(
            "no backend configured. Set AMIKA_API_KEY (and AMIKA_API_URL) for Amika and/or "
            "DEVBOX_SPRITES_TOKEN (and DEVBOX_API_URL) for Devbox, pass --amika-token-file / "
            "--sprites-token-file, or choose a profile with --profile",
            EXIT_CONFIG,
        )
    return app_config


def build_service(settings: Settings, timing: Timing, **monitor_options: Any) -> Service:
    """The dashboard's `Service`, on the subcommand's clock (so the monitor's busy window and backoff run in
    the same time as the waiting loop)."""
    try:
        return Service.from_settings(settings, clock=timing.monotonic, now=timing.now, **monitor_options)
    except ConfigError as exc:
        raise CliError(single_line(str(exc), limit=1000), EXIT_CONFIG) from None


def require_backend(service: Service, backend: Backend) -> None:
    if backend not in service.monitor.backends:
        raise _not_configured(backend)


def _not_configured(backend: Backend) -> CliError:
    hint = "AMIKA_API_KEY / --amika-token-file" if backend is Backend.AMIKA else (
        "DEVBOX_SPRITES_TOKEN / --sprites-token-file"
    )
    return CliError(f"{backend} is not configured: set {hint}", EXIT_CONFIG)


# -- polling and lookup ------------------------------------------------------------------------------------


def backend_error(service: Service, backend: Backend) -> str | None:
    """The last poll's error for `backend` (sanitized and redacted by the monitor), or None if it worked."""
    health = service.monitor.health(backend)
    return health.last_error or "unknown error" if health.consecutive_failures else None


def backend_error_status(service: Service, backend: Backend) -> int | None:
    """The HTTP status of the last poll's failure for `backend` (401, 503, …), or None (it worked, or the
    server was not reached)."""
    health = service.monitor.health(backend)
    return health.last_status if health.consecutive_failures else None


async def poll_backends(service: Service, backends: Iterable[Backend]) -> dict[Backend, str]:
    """One list request per backend, concurrently; returns the errors of the backends that failed."""
    chosen = [b for b in backends if b in service.monitor.backends]
    await asyncio.gather(*(service.monitor.poll(b) for b in chosen))
    return {b: e for b in chosen if (e := backend_error(service, b)) is not None}


def split_query(query: str) -> tuple[Backend | None, str]:
    """`amika:NAME` / `devbox:NAME` pick a backend; anything else searches both."""
    prefix, sep, rest = query.partition(":")
    if sep and rest and prefix.lower() in (Backend.AMIKA.value, Backend.DEVBOX.value):
        return Backend(prefix.lower()), rest
    return None, query


def _ids(box: Box) -> set[str]:
    model = box.sandbox if box.sandbox is not None else box.devbox
    return {v for v in (box.ref, box.key, getattr(model, "id", None)) if v}


def describe_box(box: Box) -> str:
    ident = next((i for i in (getattr(box.sandbox or box.devbox, "id", None), box.ref) if i), "")
    return f"{box.backend}:{single_line(box.name, limit=80)} (id {single_line(ident, limit=60)}, {box.state})"


def find_box(service: Service, query: str, errors: Mapping[Backend, str]) -> Box:
    """Resolve NAME, an id, or `backend:NAME` against the last snapshots.

    A name matching boxes on both backends (or two devboxes, whose names need not be unique) is ambiguous:
    guessing would SSH into the wrong machine, so the candidates are listed and the caller must be explicit.
    """
    backend, name = split_query(query)
    if backend is not None:
        require_backend(service, backend)
    backends = [backend] if backend is not None else list(service.monitor.backends)
    boxes = [
        box
        for b in backends
        if (snap := service.monitor.snapshot(b)) is not None
        for box in snap.boxes.values()
    ]
    matches = [b for b in boxes if b.name == name] or [b for b in boxes if name in _ids(b)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        lines = "\n".join(f"  {describe_box(b)}" for b in matches)
        raise CliError(
            f"{single_line(query)!r} is ambiguous; it matches:\n{lines}\n"
            "Use amika:NAME, devbox:NAME or the id to pick one",
            EXIT_CONFIG,
        )
    failed = [f"{b}: {errors[b]}" for b in backends if b in errors]
    if failed:
        raise CliError(f"no box named {single_line(query)!r} found, and " + "; ".join(failed))
    close = difflib.get_close_matches(name, sorted({b.name for b in boxes}), n=3)
    hint = f" (did you mean {', '.join(repr(single_line(c)) for c in close)}?)" if close else ""
    raise CliError(f"no box named {single_line(query)!r}{hint}; `boxdeck ls` lists them")


# -- running -----------------------------------------------------------------------------------------------


def run_main(body: Callable[[], Awaitable[int]], *, on_interrupt: Callable[[], None] | None = None) -> int:
    """Run a subcommand's coroutine and map every expected ending to an exit code without a traceback.

    Ctrl-C exits 130 quietly (asyncio.run cancels the task first, so clients close and the progress line is
    cleared); a closed or full stdout ends as `boxdeck.cli.output` says (141 for `boxdeck ls | head -1`).
    """
    try:
        return asyncio.run(_call(body))
    except CliError as exc:
        if str(exc):
            err(str(exc))
        return exc.code
    except KeyboardInterrupt:
        if on_interrupt is not None:
            on_interrupt()
        return EXIT_INTERRUPTED
    except OutputClosed as exc:
        silence_stdout()
        if str(exc):
            err(str(exc))
        return exc.code
    except BrokenPipeError:  # stderr, or a write that did not go through `output.write_out`
        silence_stdout()
        return EXIT_BROKEN_PIPE


async def _call(body: Callable[[], Awaitable[int]]) -> int:
    return await body()


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    raise CliError(message, code)
