"""`boxdeck watch NAME [--timeout S] [--json]`: follow a box's provisioning until it is ready or failed.

For a script the exit status is the answer: 0 ready, 1 failed, deleted or stopped (the reason on stderr),
124 timed out, 130 interrupted — so `boxdeck watch api && boxdeck ssh api -- make test` reads as it should.
For a person, stderr shows each devbox step with its status and duration, the repositories' clone status and
Amika state transitions, with a live status line on a terminal. `--json` writes one JSON object per change to
stdout instead (and keeps stderr for the final error only), for tools that react to each step.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from boxdeck.cli import _common
from boxdeck.cli._common import (
    build_service,
    err,
    find_box,
    poll_backends,
    resolve_config,
    run_main,
    split_query,
)
from boxdeck.cli._follow import Follower, Outcome, attach_eta
from boxdeck.cli.progress import Progress
from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.desktop_notify import DesktopNotifier

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """`boxdeck watch`, its arguments parsed by `boxdeck.cli.parser`."""
    return run_main(lambda: _run(args))


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    backend, _ = split_query(args.name)
    config = resolve_config(args, backends=[backend] if backend else None)
    async with build_service(config.settings, timing, max_detail_fetches=0) as service:
        tracker = attach_eta(service, timing)
        errors = await poll_backends(service, [backend] if backend else list(Backend))
        box = find_box(service, args.name, errors)
        progress = Progress(enabled=not args.json)
        result = await Follower(
            service, box, timing=timing, progress=progress, timeout=args.timeout, tracker=tracker,
            json_out=sys.stdout if args.json else None,
        ).run()
    if result.outcome is Outcome.READY:
        progress.event(f"{progress.mark('ok')} {result.message}")
    else:
        err(result.message)
    if args.notify:
        notifier = DesktopNotifier(config.desktop_notifications, write=write_to_terminal,
                                   redact=service.redactor.redact)
        title = "boxdeck: ready" if result.outcome is Outcome.READY else "boxdeck: not ready"
        notifier.notify(title, result.message, focused=False)  # a script cannot tell where the user looks
    return result.outcome.exit_code


def write_to_terminal(text: str) -> None:
    """The notification escape goes to the terminal: stderr when it is one (stdout may be a pipe), else the
    controlling terminal, else nowhere."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            sys.stderr.write(text)
            sys.stderr.flush()
            return
    except (AttributeError, ValueError, OSError):
        pass
    with contextlib.suppress(OSError), open("/dev/tty", "w", encoding="utf-8") as tty:
        tty.write(text)
