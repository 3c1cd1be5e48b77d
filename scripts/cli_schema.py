"""Print (or write into docs/cli.md) the JSON schema of `boxdeck ls --json` and `boxdeck watch --json`.

    .venv/bin/python scripts/cli_schema.py ls        # the schema of ls's output
    .venv/bin/python scripts/cli_schema.py watch     # the schema of one line of watch's output
    .venv/bin/python scripts/cli_schema.py --write   # refresh both sections of docs/cli.md

Generated from the models the commands build their output from (`boxdeck.cli.models`), so the document
cannot drift from what the commands print; tests/cli/test_json_schema.py checks that it is current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boxdeck.cli.models import ls_schema, watch_schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {"ls": ls_schema, "watch": watch_schema}


def block(name: str) -> str:
    """The fenced JSON block for one command."""
    return "```json\n" + json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n```"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- schema:{name}:start", f"<!-- schema:{name}:end -->"


def span(text: str, name: str) -> tuple[int, int]:
    """Where docs/cli.md holds one command's schema: from the line after its start marker to its end."""
    start, end = markers(name)
    return text.index("\n", text.index(start)) + 1, text.index(end)


def section(text: str, name: str) -> str:
    begin, end = span(text, name)
    return text[begin:end].strip()


def write(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    for name in SCHEMAS:
        begin, end = span(text, name)
        text = text[:begin] + block(name) + "\n" + text[end:]
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", nargs="?", choices=sorted(SCHEMAS))
    parser.add_argument("--write", action="store_true", help=f"refresh the sections of {DOC.name}")
    args = parser.parse_args(argv)
    if args.write:
        write()
        return 0
    if args.command is None:
        parser.error("name a command, or pass --write")
    print(block(args.command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
