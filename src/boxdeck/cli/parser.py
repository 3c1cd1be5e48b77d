"""boxdeck's command line as one argparse parser: the dashboard's flags and every subcommand.

Why argparse rather than click: it is in the standard library (the dependency list stays as it is), a parser
costs nothing to build (``--help``, ``--version`` and completion load no UI, no HTTP client and no pydantic),
and shtab writes the bash, zsh and fish completion straight from it, so completion cannot disagree with the
flags.

The global options are defined twice from one function: on the top-level parser, whose defaults fill the
namespace (the dashboard reads them there), and on every subcommand with ``default=argparse.SUPPRESS``, so a
flag given before the subcommand (``boxdeck --profile work ls``) is not reset by the subcommand's default and
one given after it (``boxdeck ls --profile work``) is read as well.

This module imports only argparse and a few light modules: building the parser must stay cheap, and a
subcommand's own code loads only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from boxdeck import __version__
from boxdeck.service.boxes import Backend, StateKind, known_states
from boxdeck.service.configuration.token_files import add_token_file_flags
from boxdeck.sim.config import DEMO_SEED

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = [
    "COMMANDS",
    "DASHBOARD_ONLY",
    "EXIT_USAGE",
    "SHELLS",
    "Parser",
    "build_parser",
    "parse_dashboard_args",
    "seconds",
    "state_list",
]

EXIT_USAGE: Final = 2

#: Every subcommand and its line in `boxdeck --help`, in the order shown.
COMMANDS: Final = {
    "ls": "list every box of both backends, one per row (--json for scripts)",
    "ssh": "open a box's ready-to-use SSH command, or print it (--print); --wait for a box not ready yet",
    "watch": "follow a box's provisioning until it is ready (exit 0) or failed (exit 1)",
    "ssh-config": "a Host alias per box for ssh and editors; --write keeps them in ~/.ssh/boxdeck.conf",
    "code": "open a box in Cursor, VS Code or Zed over SSH",
    "sim": "run the simulator of both APIs on a loopback port (its own options: boxdeck sim --help)",
    "completion": "print the shell completion script for bash, zsh or fish",
}
#: The subcommands that run in `boxdeck.cli.<name>` with `run(args)`.
PLAIN_COMMANDS: Final = ("ls", "ssh", "watch", "ssh-config", "code")
#: The editors `code --editor` accepts (boxdeck.service.access.editors.EDITORS; listed here so building the
#: parser stays cheap).
EDITOR_CHOICES: Final = ("cursor", "vscode", "zed")
SHELLS: Final = ("bash", "zsh", "fish")
#: Flags only the dashboard reads (dest -> flag); given with a subcommand they are a usage error.
DASHBOARD_ONLY: Final = {
    "demo": "--demo",
    "watch": "--watch",
    "theme": "--theme",
    "steady_interval": "--steady-interval",
    "no_log": "--no-log",
    "seed": "--seed",
}
KINDS: Final = tuple(k.value for k in StateKind)
STATES: Final = known_states()

_ENVIRONMENT = (
    "environment:\n"
    "  AMIKA_API_URL, AMIKA_API_KEY          the Amika account\n"
    "  DEVBOX_API_URL, DEVBOX_SPRITES_TOKEN, DEVBOX_USER_TOKEN\n"
    "                                        the Latitude Devbox account\n"
    "  BOXDECK_PROFILE, BOXDECK_CONFIG       the profile and the config file\n"
    "  flags win over the environment, the environment over the profile (docs/config.md)\n"
)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that suggests the closest choice for a mistyped command or value (as Python 3.14's
    ``suggest_on_error`` does), and whose help on a closed or full stdout ends as any other output does
    (argparse itself ignores the error, so the help would be lost with status 0)."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message and file is sys.stdout:
            from boxdeck.cli.output import write_out

            write_out(message)
        else:
            super()._print_message(message, file)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or not isinstance(value, str) or value in choices:
            super()._check_value(action, value)
            return
        import difflib

        names = [str(c) for c in choices]
        close = difflib.get_close_matches(value, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        what = "command" if isinstance(action, argparse._SubParsersAction) else "choice"
        message = f"unknown {what} {value!r}{hint}; choose from {', '.join(names)}"
        raise argparse.ArgumentError(action, message)


# -- argument types ------------------------------------------------------------------------------------------


def seconds(text: str) -> float:
    """argparse type for `--timeout`: a non-negative number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def state_list(text: str) -> list[str]:
    """argparse type for `ls --state`: comma-separated kinds or server states, each one boxdeck knows."""
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("expected a state")
    for value in values:
        if value not in KINDS and value not in STATES:
            import difflib

            close = difflib.get_close_matches(value, [*KINDS, *STATES], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise argparse.ArgumentTypeError(
                f"unknown state {value!r}{hint}; choose a kind ({', '.join(KINDS)}) "
                f"or a server state ({', '.join(STATES)})"
            )
    return values


# -- the options ---------------------------------------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """The options every command takes, before or after its name (see the module docstring)."""
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if subcommand else {}
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument("-V", "--version", action="version", version=f"boxdeck {__version__}",
                       help="print boxdeck's version and exit")
    group.add_argument("--profile", metavar="NAME",
                       help="the profile to use from the config file (env BOXDECK_PROFILE)", **unset)
    group.add_argument("--config", metavar="PATH",
                       help="the config file (env BOXDECK_CONFIG; default: the user config dir)", **unset)
    group.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS if subcommand else None,
                       help="turn every action that changes something off (no key can grant write access)")
    group.add_argument("--amika-url", metavar="URL", help="Amika API base URL (env AMIKA_API_URL)", **unset)
    group.add_argument("--amika-token", metavar="TOKEN",
                       help="Amika API key (env AMIKA_API_KEY); other users see it in ps", **unset)
    group.add_argument("--devbox-url", metavar="URL", help="Devbox API base URL (env DEVBOX_API_URL)",
                       **unset)
    group.add_argument("--sprites-token", metavar="TOKEN",
                       help="Devbox service token (env DEVBOX_SPRITES_TOKEN)", **unset)
    group.add_argument("--user-token", metavar="TOKEN", help="Devbox user token (env DEVBOX_USER_TOKEN)",
                       **unset)
    add_token_file_flags(group, default=argparse.SUPPRESS if subcommand else None)
    group.add_argument("--allow-insecure", action="store_true",
                       default=argparse.SUPPRESS if subcommand else None,
                       help="allow plain http:// to a non-loopback host (the token travels unencrypted)")


def _dashboard_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dashboard options (without a command)")
    group.add_argument("--demo", action="store_true", help="run against the built-in simulator")
    group.add_argument("--watch", metavar="PROFILE[,PROFILE…]", action="append", default=[],
                       help="also watch these profiles' boxes in the All boxes screen (0)")
    group.add_argument("--theme", metavar="NAME", help="Textual theme, e.g. textual-dark, textual-light")
    group.add_argument("--steady-interval", type=float, metavar="SECONDS", default=None,
                       help="poll interval when nothing is changing (default 5)")
    group.add_argument("--no-log", action="store_true",
                       help="do not write the request/action log (user state dir)")
    group.add_argument("--seed", type=int, default=DEMO_SEED, help=argparse.SUPPRESS)


def _add_ls(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "ls", help=COMMANDS["ls"], usage="boxdeck ls [options]",
        description="List Amika sandboxes and Latitude devboxes, one row per box. --json prints one JSON "
        "array whose rows all have the same keys (docs/cli.md).",
        epilog="Exit status: 0 ok; 1 a backend failed (the other's rows are still printed); 2 bad usage or "
        "configuration; 141 stdout closed early (| head).",
    )
    p.add_argument("--json", action="store_true", help="print one JSON array on stdout")
    p.add_argument("--backend", choices=[b.value for b in Backend],
                   help="only this backend (the other's tokens are not even looked up)")
    p.add_argument(
        "--state", action="append", metavar="STATE", type=state_list,
        help=f"only boxes in this state: a kind ({', '.join(KINDS)}) or a server state (active, "
        "provisioning, …); repeat or comma-separate for several",
    )
    return p


def _add_ssh(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "ssh", help=COMMANDS["ssh"],
        usage="boxdeck ssh [options] NAME [-- COMMAND ...]",
        description="Connect to a box over SSH, or print the command. NAME is a box name, an id, or "
        "amika:NAME / devbox:NAME when both backends have that name. Words after -- are run on the box "
        "instead of a shell.",
        epilog="Exit status: ssh's own status when it ran; 1 the box is not ready, failed or SSH access "
        "could not be had; 2 bad usage, configuration or an ambiguous NAME; 124 --timeout; 127 no ssh "
        "client; 130 interrupted.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print the command on stdout instead of running it (it contains the token)")
    p.add_argument("--wait", action="store_true",
                   help="wait for a box that is not ready yet, with progress on stderr")
    p.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up waiting after this long")
    return p


def _add_watch(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "watch", help=COMMANDS["watch"], usage="boxdeck watch [options] NAME",
        description="Show a box's provisioning progress until it is ready (exit 0) or failed (exit 1). "
        "NAME is a box name, an id, or amika:NAME / devbox:NAME. --json prints one JSON object per change "
        "(docs/cli.md).",
        epilog="Exit status: 0 ready; 1 failed, deleted or stopped; 2 bad usage, configuration or an "
        "ambiguous NAME; 124 --timeout reached; 130 interrupted; 141 stdout closed early.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up after this long (exit 124)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per change on stdout (progress display off)")
    p.add_argument("--notify", action="store_true",
                   help="a desktop notification when it ends (settings.desktop_notifications says how)")
    return p


def _add_yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true",
                   help="add `Include boxdeck.conf` to ~/.ssh/config without asking (a backup is kept)")


def _add_ssh_config(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "ssh-config", help=COMMANDS["ssh-config"], usage="boxdeck ssh-config [options] [NAME ...]",
        description="One ssh Host block per box (default: every ready box), with a stable alias "
        "boxdeck-NAME and exactly the options boxdeck itself passes to ssh. Without --write the blocks go "
        "to stdout (they contain Amika access tokens); with --write they go to ~/.ssh/boxdeck.conf "
        "(mode 0600, regenerated whole, entries renewed before they expire) and each alias is printed.",
        epilog="Exit status: 0 written or printed; 1 a named box is not ready or SSH access could not be "
        "had; 2 bad usage, configuration or an ambiguous NAME.",
    )
    p.add_argument("names", metavar="NAME", nargs="*")
    p.add_argument("--write", action="store_true", help="write ~/.ssh/boxdeck.conf and print each alias")
    _add_yes(p)
    return p


def _add_code(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "code", help=COMMANDS["code"], usage="boxdeck code [options] NAME",
        description="Write the box's entry to ~/.ssh/boxdeck.conf, then open it in an editor over "
        "Remote-SSH: `cursor`/`code --remote ssh-remote+ALIAS PATH` or `zed ssh://ALIAS/PATH`.",
        epilog="Exit status: 0 the editor has it; 1 the box is not ready or SSH access could not be had; "
        "2 bad usage or configuration; 127 the editor's shell command is not on PATH.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--editor", choices=EDITOR_CHOICES,
                   help="the editor (default: settings.editor, else vscode)")
    p.add_argument("--path", metavar="PATH",
                   help="the folder to open (default: the box's repository or workspace; a relative one "
                   "starts there)")
    _add_yes(p)
    return p


def _add_sim(sub: Any, *, with_options: bool) -> None:
    """`sim` parses its own options (`boxdeck.sim.cli`); the dispatcher hands it everything after `sim`.
    Its options are copied in only for completion, so an ordinary run never imports the simulator."""
    parents: list[argparse.ArgumentParser] = []
    if with_options:
        from boxdeck.sim.cli import build_parser as sim_parser

        parents.append(sim_parser())
    sub.add_parser("sim", parents=parents, add_help=False, help=COMMANDS["sim"],
                   description="Run boxdeck's simulator (see boxdeck sim --help).")


def _add_completion(sub: Any) -> None:
    p = sub.add_parser(
        "completion", help=COMMANDS["completion"],
        description="Print the completion script for SHELL on stdout. bash: add "
        "'eval \"$(boxdeck completion bash)\"' to ~/.bashrc; zsh: 'boxdeck completion zsh > "
        "\"${fpath[1]}/_boxdeck\"'; fish: 'boxdeck completion fish > "
        "~/.config/fish/completions/boxdeck.fish'.",
    )
    p.add_argument("shell", metavar="SHELL", choices=SHELLS, help=", ".join(SHELLS))


def build_parser(*, for_completion: bool = False) -> Parser:
    """The whole command line. `for_completion`: also copy in `sim`'s own options (it imports the
    simulator's parser, which an ordinary run does not need)."""
    parser = Parser(
        prog="boxdeck",
        usage="boxdeck [options] [COMMAND [ARGS ...]]",
        description="A live terminal dashboard for Amika sandboxes and Latitude devboxes.\n\n"
        "Without a COMMAND it opens the dashboard, which needs a terminal. With one, boxdeck is a plain\n"
        "tool for scripts and pipes: data on stdout, progress and errors on stderr, never a prompt.",
        epilog=_ENVIRONMENT + "\nexit status (dashboard): 0 quit; 1 it crashed (the traceback is in the "
        "log);\n  2 bad usage, configuration or no terminal; 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", prog="boxdeck",
                                parser_class=Parser)
    _global_options(parser, subcommand=False)
    _dashboard_options(parser)
    for add in (_add_ls, _add_ssh, _add_watch, _add_ssh_config, _add_code):
        _global_options(add(sub), subcommand=True)
    _add_sim(sub, with_options=for_completion)
    _add_completion(sub)
    return parser


def given_dashboard_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The dashboard-only flags that `args` holds a value for (not their default)."""
    return [
        flag for dest, flag in DASHBOARD_ONLY.items() if getattr(args, dest, None) != parser.get_default(dest)
    ]


def parse_dashboard_args(argv: Sequence[str]) -> argparse.Namespace:
    """The dashboard's flags (no subcommand), for `boxdeck.tui.launch.main`; exits 2 on bad usage."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is not None:
        parser.error(f"{args.command!r} is a command, not a dashboard option")
    return args
