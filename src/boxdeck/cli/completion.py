"""`boxdeck completion SHELL`: the completion script for bash, zsh or fish, written by shtab from the parser.

Generated from `boxdeck.cli.parser` itself, so a new subcommand or flag completes without anyone touching
this file. Options that take a file (`--config`, the token files) complete file names.
"""

from __future__ import annotations

import argparse

from boxdeck.cli.output import write_out

__all__ = ["run", "script"]


def script(shell: str) -> str:
    import shtab

    from boxdeck.cli.parser import build_parser

    parser = build_parser(for_completion=True)
    for p in _parsers(parser):
        for action in p._actions:
            if action.metavar == "PATH":
                action.complete = shtab.FILE  # type: ignore[attr-defined]
    text: str = shtab.complete(parser, shell=shell)
    return text if text.endswith("\n") else text + "\n"


def run(shell: str) -> int:
    write_out(script(shell))
    return 0


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every subcommand's."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_parsers(sub))
    return found
