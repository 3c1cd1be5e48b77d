"""`boxdeck`'s entry point: parse the command line once, then run the dashboard or one subcommand.

Everything is imported as late as it can be: `boxdeck --version` builds no parser, `--help` and
`completion` load argparse and nothing heavy, `ls`/`ssh`/`watch` load the HTTP clients but never textual, and
only the dashboard loads the UI. Every ending is an exit status: argparse's own exits are caught, a closed or
full stdout ends quietly (`boxdeck.cli.output`), nothing ends in a traceback.
"""

from __future__ import annotations

import sys

from boxdeck import __version__

#: Not `typing.TYPE_CHECKING`: importing typing costs `--version` a third of its start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["has_terminal", "main"]

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    from boxdeck.cli.output import OutputClosed, flush_out, silence_stdout

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            code = _main(args)
        except SystemExit as exc:  # argparse after --help, --version or a usage error
            code = _exit_status(exc)
        flush_out()
    except OutputClosed as exc:
        silence_stdout()
        if str(exc):
            _err(str(exc))
        return exc.code
    return code


def _main(args: list[str]) -> int:
    separated = "--" in args
    own = args[: args.index("--")] if separated else args
    if "--version" in own or "-V" in own:  # anywhere before `--`, without building a parser
        from boxdeck.cli.output import write_out

        write_out(f"boxdeck {__version__}\n")
        return 0
    if args[:1] == ["sim"]:  # the simulator parses its own options
        from boxdeck.sim.cli import main as sim_main

        return sim_main(args[1:])

    from boxdeck.cli.parser import build_parser, given_dashboard_flags

    parser = build_parser()
    ns = parser.parse_args(own)
    remote: list[str] = []
    if ns.command == "ssh":
        remote = args[len(own) + 1 :]  # `boxdeck ssh NAME -- COMMAND …`: the words ssh runs on the box
    elif separated:
        ns = parser.parse_args(args)  # `--` ends the options as usual
    if ns.command is None:
        return dashboard(ns)
    if ns.command == "sim":
        parser.error("sim takes only its own options, after it: boxdeck sim [--port N …] (sim -h)")
    wrong = given_dashboard_flags(parser, ns)
    if wrong:
        parser.error(f"{', '.join(wrong)}: only for the dashboard, not for {ns.command}")
    if ns.command == "completion":
        from boxdeck.cli.completion import run as completion

        return completion(ns.shell)
    import importlib

    module = importlib.import_module(f"boxdeck.cli.{ns.command.replace('-', '_')}")
    status: int = module.run(ns, remote) if ns.command == "ssh" else module.run(ns)
    return status


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    _err(str(exc.code))
    return 1


def _err(message: str) -> None:
    print(f"boxdeck: {message}", file=sys.stderr, flush=True)


# -- the dashboard -------------------------------------------------------------------------------------------


def _isatty(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def has_terminal(args: argparse.Namespace) -> bool:
    """The dashboard draws on stdout and reads keys from stdin, so both must be a terminal — except stdin
    when a token comes down a pipe (`--amika-token-file -`): the dashboard then reads keys from /dev/tty."""
    files = (getattr(args, f"{name}_token_file", None) for name in ("amika", "sprites", "user"))
    token_on_stdin = "-" in files
    return _isatty(sys.stdout) and (token_on_stdin or _isatty(sys.stdin))


def dashboard(args: argparse.Namespace) -> int:
    """Refuse without a terminal (a full-screen app in a pipe would run until killed), else start the
    demo's simulator first, so it starts while the dashboard imports the UI, and run the dashboard."""
    if not has_terminal(args):
        _err(
            "the dashboard needs a terminal (stdin and stdout); in a script or a pipe use `boxdeck ls` or "
            "`boxdeck watch NAME` (`boxdeck --help` lists every command)"
        )
        return EXIT_USAGE
    demo_sim = None
    if args.demo:
        from boxdeck.sim.child import start_demo_child

        demo_sim = start_demo_child(args.seed)
    import os

    from boxdeck.tui.launch import run

    return run(args, os.environ, demo_sim=demo_sim)
