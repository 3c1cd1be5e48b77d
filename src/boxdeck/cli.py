"""Command-line entry point: the dashboard by default, plain subcommands for scripts.

Each subcommand owns its own argument parser in its own module, so this file only dispatches — and imports
lazily, so `boxdeck ls` never loads textual and `boxdeck --version` loads nothing at all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from boxdeck import __version__

#: subcommand -> module with `main(argv) -> int`.
SUBCOMMANDS = {
    "sim": "boxdeck.sim.cli",
    "ls": "boxdeck.subcommands.ls",
    "ssh": "boxdeck.subcommands.ssh",
    "watch": "boxdeck.subcommands.watch",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"boxdeck {__version__}")
        return 0
    if args and args[0] in SUBCOMMANDS:
        code: int = importlib.import_module(SUBCOMMANDS[args[0]]).main(args[1:])
        return code
    demo_sim = None
    if "--demo" in args and "--seed" not in args and not {"-h", "--help"} & set(args):
        # Start the demo's simulator before the dashboard's imports, so they run side by side (the flags
        # are still checked by the dashboard's parser; a bad one just stops the child again).
        from boxdeck.sim.child import start_demo_child

        demo_sim = start_demo_child()
    from boxdeck.tui.launch import main as tui_main

    return tui_main(args, demo_sim=demo_sim)
