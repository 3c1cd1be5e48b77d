"""Command-line entry point: the dashboard by default, plain subcommands for scripts.

Each subcommand owns its own argument parser in its own module, so this file only dispatches.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from boxdeck import __version__

SUBCOMMANDS = ("sim",)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"boxdeck {__version__}")
        return 0
    if args[:1] == ["sim"]:
        from boxdeck.sim.cli import main as sim_main

        return sim_main(args[1:])
    from boxdeck.tui.launch import main as tui_main

    return tui_main(args)
