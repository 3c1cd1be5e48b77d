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
from collections.abc import Sequence

from boxdeck.service.boxes import Backend
from boxdeck.subcommands import _common
from boxdeck.subcommands._common import (
    CliError,
    add_connection_flags,
    build_service,
    err,
    find_box,
    parse_or_exit,
    poll_backends,
    resolve_settings,
    run_main,
    seconds,
    split_query,
)
from boxdeck.subcommands._follow import Follower, Outcome, attach_eta
from boxdeck.subcommands.progress import Progress

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boxdeck watch",
        description="Show a box's provisioning progress until it is ready (exit 0) or failed (exit 1). "
        "NAME is a box name, an id, or amika:NAME / devbox:NAME.",
        epilog="Exit status: 0 ready; 1 failed, deleted or stopped; 2 bad usage, configuration or an "
        "ambiguous NAME; 124 --timeout reached; 130 interrupted.",
    )
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--timeout", type=seconds, metavar="SECONDS",
                        help="give up after this long (exit 124)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per change on stdout (progress display off)")
    add_connection_flags(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    try:
        args = parse_or_exit(build_parser(), argv)
    except CliError as exc:
        return exc.code
    return run_main(lambda: _run(args))


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    settings = resolve_settings(args)
    async with build_service(settings, timing, max_detail_fetches=0) as service:
        tracker = attach_eta(service, timing)
        backend, _ = split_query(args.name)
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
