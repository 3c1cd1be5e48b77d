"""`boxdeck ssh NAME [--print] [--wait] [--timeout S] [-- COMMAND…]`: open (or print) the ready-to-use SSH
command of a box.

The command comes from `Actions.ssh_command` — the same one the dashboard copies: Amika's SSH credentials
(`ssh -p 2222 -- TOKEN@host`) or a Devbox access session (`ssh -p 2222 -- user@host`), each built only from
words that passed the grammar of `boxdeck.service.access.sshcmd`. A refused answer, or a Devbox ProxyCommand
the
profile has not trusted, ends here with the reason (and how to trust it) on stderr: nothing is run or
printed — there is no one to ask. `--print` puts an allowed command on stdout in full, because the user asked
for it (e.g. `$(boxdeck ssh web --print)`); nothing boxdeck writes to stderr ever holds the token. ssh runs
as a child with the terminal passed through (its own error lines reach stderr as usual), and its exit status
becomes ours, so `boxdeck ssh box -- make test` works in a script like plain ssh does.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Sequence

from boxdeck.cli import _common
from boxdeck.cli._common import (
    EXIT_OK,
    CliError,
    build_service,
    find_box,
    poll_backends,
    resolve_settings,
    run_main,
    split_query,
)
from boxdeck.cli._follow import Follower, Outcome, attach_eta, outcome_of
from boxdeck.cli.output import write_out
from boxdeck.cli.progress import Progress
from boxdeck.service.access.ssh_run import interrupts_go_to_child, status_of
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.boxes import Backend
from boxdeck.service.text.sanitize import single_line

__all__ = ["run", "run_command", "stdin_is_terminal"]

EXIT_NOT_FOUND = 127


def run(args: argparse.Namespace, remote: Sequence[str] = ()) -> int:
    """`boxdeck ssh`, its arguments parsed by `boxdeck.cli.parser`; `remote`: the words after `--`."""
    outcome: list[list[str]] = []
    code = run_main(lambda: _run(args, outcome))
    if code != EXIT_OK or not outcome:
        return code
    argv_to_run = outcome[0] + list(remote)
    if args.print_only:
        write_out(shlex.join(argv_to_run) + "\n")
        return EXIT_OK
    if not stdin_is_terminal():
        # Nobody can answer a host-key or password prompt: make ssh fail instead of hanging on /dev/tty.
        argv_to_run[1:1] = ["-o", "BatchMode=yes"]
    try:
        return run_command(argv_to_run)
    except CliError as exc:
        _common.err(str(exc))
        return exc.code


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


async def _run(args: argparse.Namespace, out: list[list[str]]) -> int:
    """Resolve, wait when asked, and get the command; the clients are closed before ssh starts."""
    timing = _common.TIMING
    backend, _ = split_query(args.name)
    settings = resolve_settings(args, backends=[backend] if backend else None)
    # Lists only while resolving NAME; the follower asks for the one devbox's details if it waits.
    async with build_service(settings, timing, max_detail_fetches=0) as service:
        tracker = attach_eta(service, timing) if args.wait else None
        errors = await poll_backends(service, [backend] if backend else list(Backend))
        box = find_box(service, args.name, errors)
        if outcome_of(box) is not Outcome.READY:
            name = repr(single_line(box.name, limit=80))
            progress = Progress() if args.wait else Progress(enabled=False)
            result = await Follower(
                service, box, timing=timing, progress=progress, tracker=tracker,
                timeout=args.timeout if args.wait else 0.0,
            ).run()
            if result.outcome is Outcome.TIMEOUT and not args.wait:
                raise CliError(
                    f"{name} is {single_line(box.display_state, limit=40)}, not ready for SSH yet; "
                    "pass --wait to wait for it"
                )
            if result.outcome is not Outcome.READY:
                raise CliError(result.message, result.outcome.exit_code)
            progress.event(f"{progress.mark('ok')} {result.message}")
            assert result.box is not None
            box = result.box
        try:
            command = await service.actions.ssh_command(box)
        except ActionError as exc:  # already sanitized and redacted; an untrusted ProxyCommand says how
            raise CliError(str(exc)) from None
    if command.dropped:
        _common.err(f"warning: left out ssh options the server may not set: {', '.join(command.dropped)}")
    out.append(list(command.argv))
    return EXIT_OK


def run_command(argv: list[str]) -> int:
    """Run ssh attached to this terminal and return its exit status (128+N when a signal killed it).

    A child rather than `exec`: the exit status is still ours to return, and a missing ssh binary gets a
    readable message. While it runs, Ctrl-C belongs to ssh (`interrupts_go_to_child`).
    """
    with interrupts_go_to_child():
        try:
            code = subprocess.call(argv)
        except FileNotFoundError:
            missing = f"{argv[0]} not found on PATH: install an OpenSSH client"
            raise CliError(missing, EXIT_NOT_FOUND) from None
    return status_of(code)
