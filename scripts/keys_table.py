"""Print a Markdown table of every command: default key, binding id (for `[settings.keymap]`), what it does.

    .venv/bin/python scripts/keys_table.py            # every command, grouped by where it applies
    .venv/bin/python scripts/keys_table.py --ids-only # one binding id per line
    .venv/bin/python scripts/keys_table.py --write    # refresh the tables in README.md and docs/config.md

Generated from `boxdeck.tui.commands.COMMANDS` (the one list behind the bindings, the footer, the help screen
and the palette), so the README and docs/config.md never disagree with the app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from boxdeck.tui.commands import COMMANDS, Command
from boxdeck.tui.keymap import destructive_ids, known_ids

WHERE = {
    "app": "everywhere",
    "boxes": "box screens (0, 1, 2)",
    "sandboxes": "sandboxes (1)",
    "devboxes": "devboxes (2)",
    "secrets": "secrets (3)",
    "account": "account (4)",
    "agent": "agent prompt",
    "sessions": "sandbox sessions",
    "devbox_sessions": "devbox sessions",
    "snapshots": "sandbox snapshots",
}

ROOT = Path(__file__).resolve().parents[1]
#: The documents that show the table, between a `<!-- keys:start … -->` line and `<!-- keys:end -->`.
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "config.md")
START, END = "<!-- keys:start", "<!-- keys:end -->"

KEY_NAMES = {"slash": "/", "question_mark": "?", "escape": "Esc", "enter": "Enter", "space": "Space"}


def shown_key(command: Command) -> str:
    if command.key_display:
        return command.key_display
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in command.key.split(","))


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(commands: tuple[Command, ...] = COMMANDS) -> str:
    destructive = destructive_ids()
    lines = ["| Key | Binding id | Where | What it does |", "|---|---|---|---|"]
    for command in commands:
        notes = []
        if command.mutating:
            notes.append("off when read-only")
        if command.id in destructive:
            notes.append("never on a bare ctrl chord")
        what = command.help + (f" ({'; '.join(notes)})" if notes else "")
        where = WHERE.get(command.scope, command.scope)
        lines.append(f"| `{cell(shown_key(command))}` | `{command.id}` | {where} | {cell(what)} |")
    return "\n".join(lines)


def other_ids() -> list[str]:
    """Binding ids of the dialogs (confirm, forms…), remappable too."""
    ours = {c.id for c in COMMANDS}
    return sorted(i for i in known_ids() if i not in ours)


def section() -> str:
    """The table and the line of dialog bindings, as the documents show them."""
    others = other_ids()
    if not others:
        return table()
    return table() + "\n\nDialog bindings (also remappable): " + ", ".join(f"`{i}`" for i in others)


def shown(text: str) -> str:
    """What a document holds between the markers."""
    begin = text.index("\n", text.index(START)) + 1
    return text[begin : text.index(END)].strip()


def write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    begin = text.index("\n", text.index(START)) + 1
    path.write_text(text[:begin] + section() + "\n" + text[text.index(END) :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ids-only", action="store_true", help="one binding id per line")
    parser.add_argument("--write", action="store_true", help="refresh README.md and docs/config.md")
    args = parser.parse_args(argv)
    if args.ids_only:
        for binding_id in [c.id for c in COMMANDS] + other_ids():
            print(binding_id)
        return 0
    if args.write:
        for path in DOCUMENTS:
            write(path)
        return 0
    print(section())
    return 0


if __name__ == "__main__":
    sys.exit(main())
