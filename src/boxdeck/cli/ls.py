"""`boxdeck ls [--json] [--backend amika|devbox] [--state STATE]`: every box of both backends, one per row.

One poll of each configured backend through the monitor (one list request each, plus operations for the
devboxes that are provisioning, so their row can say which step they are on). A backend that fails does not
hide the other: its rows are printed, the failure goes to stderr and the exit code is 1, so a script notices
that the list is partial.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from rich.cells import cell_len

from boxdeck.cli import _common
from boxdeck.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    build_service,
    err,
    poll_backends,
    require_backend,
    resolve_settings,
    run_main,
)
from boxdeck.cli._follow import failure_reason, step_progress
from boxdeck.cli.models import BoxRecord, Step, dump
from boxdeck.cli.output import write_out
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.service.text.sanitize import single_line
from boxdeck.service.text.timefmt import relative

__all__ = ["box_record", "detail_text", "run"]


def run(args: argparse.Namespace) -> int:
    """`boxdeck ls`, its arguments parsed by `boxdeck.cli.parser`."""
    return run_main(lambda: _run(args))


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    only = [Backend(args.backend)] if args.backend else None
    settings = resolve_settings(args, backends=only)
    async with build_service(settings, timing) as service:
        backends = list(service.monitor.backends)
        if only:
            require_backend(service, only[0])
            backends = only
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
            write_out(dump(records, indent=2) + "\n")
        else:
            _print_table(service, rows, now, empty=not errors)
        for backend, error in errors.items():
            err(f"{backend}: {error}")
        return EXIT_FAILURE if errors else EXIT_OK


def _state_filter(values: Sequence[Sequence[str]] | None) -> frozenset[str] | None:
    """`--state` values (each already split and checked by the parser), or None for no filter."""
    if not values:
        return None
    return frozenset(v for value in values for v in value)


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
            write_out("No boxes found.\n")
        return
    header = ("BACKEND", "NAME", "STATE", "AGE", "DETAIL")
    # Server text goes through single_line: a name holding an escape sequence must not reach the terminal.
    table = [
        (box.backend.value, single_line(box.name, limit=80), single_line(box.state, limit=40),
         relative(box.created_at, now), detail_text(box, service.monitor.detail(box.key)))
        for box in rows
    ]
    # Padded by display width, not by characters: a CJK or emoji name takes two columns a character.
    widths = [max(cell_len(r[i]) for r in (header, *table)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *table):
        cells = [cell + " " * (widths[i] - cell_len(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    write_out("\n".join(lines) + "\n")


# -- JSON ----------------------------------------------------------------------------------------------------


def box_record(box: Box, detail: DevboxDetail | None = None) -> BoxRecord:
    """The JSON row for one box (`boxdeck.cli.models.BoxRecord`): the fields scripts filter on, verbatim from
    the server, plus `kind`, the backend-neutral reading of the state."""
    sandbox, devbox = box.sandbox, box.devbox
    model = sandbox if sandbox is not None else devbox
    op = detail.operations[-1] if devbox is not None and detail is not None and detail.operations else None
    return BoxRecord(
        backend=box.backend,
        id=getattr(model, "id", None) or box.ref,
        name=box.name,
        state=box.state,
        kind=box.state_kind,
        created_at=box.created_at,
        repo_url=sandbox.repo_url if sandbox is not None else None,
        branch=sandbox.branch if sandbox is not None else None,
        error_message=sandbox.error_message if sandbox is not None else None,
        access_url=getattr(devbox, "access_url", None) if devbox is not None else None,
        step=Step(step=op.step, status=op.status, message=op.message) if op is not None else None,
    )
