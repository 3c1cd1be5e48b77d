"""`boxdeck watch NAME [--timeout S] [--json]`: follow a box's provisioning until it is ready or failed.

For a script the exit status is the answer: 0 ready, 1 failed, deleted or stopped (the reason on stderr),
124 timed out, 130 interrupted — so `boxdeck watch api && boxdeck ssh api -- make test` reads as it should.
For a person, stderr shows each devbox step with its status and duration, the repositories' clone status and
Amika state transitions, with a live status line on a terminal. `--json` writes one JSON object per change to
stdout instead (and keeps stderr for the final error only), for tools that react to each step.
"""

from __future__ import annotations

import argparse
import sys

from boxdeck.cli import _common
from boxdeck.cli._common import (
    build_service,
    err,
    find_box,
    poll_backends,
    resolve_settings,
    run_main,
    split_query,
)
from boxdeck.cli._follow import Follower, Outcome, attach_eta
from boxdeck.cli.progress import Progress
from boxdeck.service.boxes import Backend

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """`boxdeck watch`, its arguments parsed by `boxdeck.cli.parser`."""
    return run_main(lambda: _run(args))


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    backend, _ = split_query(args.name)
    settings = resolve_settings(args, backends=[backend] if backend else None)
    async with build_service(settings, timing, max_detail_fetches=0) as service:
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
    return result.outcome.exit_code
