"""`boxdeck ssh-config [NAME...] [--write] [--yes]`: a ``Host`` alias per box for every tool that speaks ssh.

Without ``--write`` the blocks go to stdout (they hold the Amika tokens, as ``ssh --print`` does: the user
asked for them). With it, ``~/.ssh/boxdeck.conf`` is regenerated (entries already there are kept, and renewed
when their access is close to expiry) and each alias written is printed, one per line. The rules live in
:mod:`boxdeck.service.access.ssh_config`; this module adds the one question a command line may ask: adding
``Include boxdeck.conf`` to ``~/.ssh/config``, asked once on a terminal, done with ``--yes``, and otherwise
only explained.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from boxdeck.cli import _common
from boxdeck.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    build_service,
    err,
    find_box,
    poll_backends,
    resolve_settings,
    run_main,
    split_query,
)
from boxdeck.cli.output import write_out
from boxdeck.service.access.ssh_config import (
    INCLUDE_LINE,
    HostEntry,
    SshConfig,
    SshConfigError,
    SshConfigFile,
    assign_aliases,
    render,
)
from boxdeck.service.actions.errors import ActionError
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.service.configuration.paths import atomic_write_text, state_dir
from boxdeck.service.text.sanitize import single_line

__all__ = ["entry_for", "home", "lookup_in", "offer_include", "ready_boxes", "run"]

#: Remembers that the user said no to the Include line, so it is asked once.
_DECLINED = "ssh_include_declined"


def home() -> Path:
    """The user's home as the environment says (``HOME``), so tests and wrappers can point it elsewhere."""
    return Path.home()


def run(args: argparse.Namespace) -> int:
    return run_main(lambda: _run(args))


def lookup_in(service: Service) -> Callable[[Backend, str], Box | None]:
    def lookup(backend: Backend, key: str) -> Box | None:
        snapshot = service.monitor.snapshot(backend) if backend in service.monitor.backends else None
        return snapshot.boxes.get(key) if snapshot is not None else None

    return lookup


def ready_boxes(service: Service, names: list[str], errors: dict[Backend, str]) -> list[Box]:
    """The boxes NAME… names (each must be ready), or every ready box of the profile."""
    if names:
        boxes = [find_box(service, name, errors) for name in names]
        for box in boxes:
            if box.kind is not StateKind.READY:
                raise CliError(f"{single_line(box.name, limit=80)!r} is "
                               f"{single_line(box.display_state, limit=40)}, not ready for SSH")
        return boxes
    for backend, error in errors.items():
        err(f"warning: {backend}: {error}")
    return [
        box
        for backend in service.monitor.backends
        if (snapshot := service.monitor.snapshot(backend)) is not None
        for box in snapshot.boxes.values()
        if box.kind is StateKind.READY
    ]


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    wanted = {b for name in args.names if (b := split_query(name)[0]) is not None}
    only = sorted(wanted) if wanted and all(split_query(n)[0] for n in args.names) else None
    settings = resolve_settings(args, backends=only)
    file = SshConfigFile(home())
    async with build_service(settings, timing, max_detail_fetches=0) as service:
        errors = await poll_backends(service, only or list(Backend))
        boxes = ready_boxes(service, list(args.names), errors)
        config = SshConfig(service.actions, file, now=timing.now)
        if args.write:
            result = await config.write(boxes, lookup_in(service))
            entries = [*result.written, *result.renewed]
            problems = result.problems
        else:
            aliases = assign_aliases(boxes, keep={e.key: e.alias for e in file.read()})
            entries, problems = [], []
            for box in boxes:
                try:
                    entries.append(await config.entry(box, aliases[box.key]))
                except (ActionError, SshConfigError) as exc:
                    problems.append(str(exc))
    for problem in problems:
        err(problem)
    if not args.write:
        write_out(render(entries))
    else:
        write_out("".join(f"{entry.alias}\n" for entry in sorted(entries, key=lambda e: e.alias)))
        if entries:
            offer_include(file, yes=args.yes)
    if problems and (args.names or not entries):
        return EXIT_FAILURE
    return EXIT_OK


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def offer_include(file: SshConfigFile, *, yes: bool, interactive: bool | None = None) -> bool:
    """Make ``ssh ALIAS`` find the entries: add ``Include boxdeck.conf`` to ``~/.ssh/config`` with ``--yes``,
    ask once on a terminal, else say what to add. True when the line is (now) there."""
    if file.has_include():
        return True
    declined = state_dir() / _DECLINED
    how = f"add the line `{INCLUDE_LINE}` at the top of {file.user_config}"
    if not yes:
        asking = _interactive() if interactive is None else interactive
        if not asking or declined.exists():
            err(f"to reach these by name (ssh ALIAS, editors), {how} (or run again with --yes)")
            return False
        print(f"boxdeck: add `{INCLUDE_LINE}` to the top of {file.user_config} (a backup is kept), so "
              "`ssh ALIAS` and editors find these? [y/N] ", end="", file=sys.stderr, flush=True)
        try:
            answer = sys.stdin.readline().strip().lower()
        except (OSError, ValueError):
            answer = ""
        if answer not in ("y", "yes"):
            with contextlib.suppress(OSError):
                atomic_write_text(declined, "declined\n")
            err(f"not changed; to do it yourself, {how}")
            return False
    try:
        backup = file.add_include()
    except OSError as exc:
        err(f"could not change {file.user_config} ({exc.strerror or exc}); {how}")
        return False
    kept = f" (the old one is in {backup})" if backup is not None else ""
    err(f"added `{INCLUDE_LINE}` to {file.user_config}{kept}")
    return True


def entry_for(result_entries: list[HostEntry], key: str) -> HostEntry | None:
    return next((e for e in result_entries if e.key == key), None)
