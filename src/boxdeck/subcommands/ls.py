"""`boxdeck ls [--json] [--backend amika|devbox] [--state STATE]`: every box of both backends, one per row.

One poll of each configured backend through the monitor (one list request each, plus operations for the
devboxes that are provisioning, so their row can say which step they are on). A backend that fails does not
hide the other: its rows are printed, the failure goes to stderr and the exit code is 1, so a script notices
that the list is partial.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.service.text.sanitize import single_line
from boxdeck.service.text.timefmt import relative
from boxdeck.subcommands import _common
from boxdeck.subcommands._common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    add_connection_flags,
    build_service,
    err,
    parse_or_exit,
    poll_backends,
    require_backend,
    resolve_settings,
    run_main,
)
from boxdeck.subcommands._follow import failure_reason, step_progress

__all__ = ["box_record", "build_parser", "main"]

KINDS = tuple(k.value for k in StateKind)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boxdeck ls",
        description="List Amika sandboxes and Latitude devboxes, one row per box.",
        epilog="Exit status: 0 ok, 1 a backend failed (the other's rows are still printed), 2 bad usage or "
        "configuration.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON array on stdout")
    parser.add_argument("--backend", choices=[b.value for b in Backend], help="only this backend")
    parser.add_argument(
        "--state", action="append", metavar="STATE",
        help="only boxes in this state: a server state (active, provisioning, …) or a kind "
        f"({', '.join(KINDS)}); repeat or comma-separate for several",
    )
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
    async with build_service(settings, timing) as service:
        backends = list(service.monitor.backends)
        if args.backend:
            backend = Backend(args.backend)
            require_backend(service, backend)
            backends = [backend]
        errors = await poll_backends(service, backends)
        wanted = _state_filter(args.state)
        rows = [
            box
            for b in backends
            if (snap := service.monitor.snapshot(b)) is not None and b not in errors
            for box in snap.boxes.values()
            if wanted is None or _matches(box, wanted)
        ]
        now = timing.now()
        if args.json:
            records = [box_record(box, service.monitor.detail(box.key)) for box in rows]
            sys.stdout.write(json.dumps(records, indent=2) + "\n")
        else:
            _print_table(service, rows, now, empty=not errors)
        sys.stdout.flush()
        for backend, error in errors.items():
            err(f"{backend}: {error}")
        return EXIT_FAILURE if errors else EXIT_OK


def _state_filter(values: list[str] | None) -> frozenset[str] | None:
    if not values:
        return None
    return frozenset(v.strip().lower() for value in values for v in value.split(",") if v.strip())


def _matches(box: Box, wanted: frozenset[str]) -> bool:
    return box.state.lower() in wanted or box.state_kind.value in wanted


# -- text ----------------------------------------------------------------------------------------------------


def _repo(url: str | None) -> str | None:
    """`https://github.com/acme/web.git` -> `acme/web` (owner kept: two owners may both have a `web`)."""
    if not url:
        return None
    path = urlsplit(url).path if "://" in url else url.rsplit(":", 1)[-1]
    path = path.strip("/")
    return path.removesuffix(".git") or url


def detail_text(box: Box, detail: DevboxDetail | None) -> str:
    """The last column: what the user wants to know next about this box."""
    if box.sandbox is not None:
        repo = _repo(box.sandbox.repo_url)
        branch = box.sandbox.branch
        text = f"{repo}@{branch}" if repo and branch else (repo or "-")
        if box.state_kind is StateKind.FAILED:
            text = f"{text}  {failure_reason(box, None)}"
        return single_line(text, limit=200)
    if box.state_kind is StateKind.TRANSITIONAL:
        return step_progress(detail) or "waiting for the first step"
    if box.state_kind is StateKind.FAILED and detail is not None:
        return failure_reason(box, detail)
    access = box.devbox.access_url if box.devbox is not None else None
    return single_line(access, limit=200) if access else "-"


def _print_table(service: Service, rows: list[Box], now: datetime, *, empty: bool) -> None:
    if not rows:
        if empty:
            print("No boxes found.")
        return
    header = ("BACKEND", "NAME", "STATE", "AGE", "DETAIL")
    # Server text goes through single_line: a name holding an escape sequence must not reach the terminal.
    table = [
        (box.backend.value, single_line(box.name, limit=80), single_line(box.state, limit=40),
         relative(box.created_at, now), detail_text(box, service.monitor.detail(box.key)))
        for box in rows
    ]
    widths = [max(len(r[i]) for r in (header, *table)) for i in range(len(header) - 1)]
    for row in (header, *table):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip())


# -- JSON ----------------------------------------------------------------------------------------------------


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


def box_record(box: Box, detail: DevboxDetail | None = None) -> dict[str, Any]:
    """The JSON object for one box: the fields scripts filter on, verbatim from the server (JSON escaping
    makes any control character harmless), plus `kind`, the backend-neutral reading of the state."""
    model: Any = box.sandbox if box.sandbox is not None else box.devbox
    record: dict[str, Any] = {
        "backend": box.backend.value,
        "id": getattr(model, "id", None) or box.ref,
        "name": box.name,
        "state": box.state,
        "kind": box.state_kind.value,
        "created_at": _iso(box.created_at),
    }
    if box.sandbox is not None:
        record.update(
            repo_url=box.sandbox.repo_url, branch=box.sandbox.branch, error_message=box.sandbox.error_message,
        )
    else:
        record["access_url"] = getattr(model, "access_url", None)
        step = detail.operations[-1] if detail is not None and detail.operations else None
        if step is not None:
            record["step"] = {"step": step.step, "status": step.status, "message": step.message}
    return record
