"""Print a Markdown table of every command: default key, binding id (for `[settings.keymap]`), what it does.

    .venv/bin/python scripts/keys_table.py            # every command, grouped by where it applies
    .venv/bin/python scripts/keys_table.py --ids-only # one binding id per line

Generated from `boxdeck.tui.commands.COMMANDS` (the one list behind the bindings, the footer, the help screen
and the palette), so the README and docs/config.md never disagree with the app.
"""

from __future__ import annotations

import argparse
import sys

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
}

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids-only", action="store_true", help="one binding id per line")
    args = parser.parse_args(argv)
    if args.ids_only:
        for binding_id in [c.id for c in COMMANDS] + other_ids():
            print(binding_id)
        return 0
    print(table())
    others = other_ids()
    if others:
        print()
        print("Dialog bindings (also remappable): " + ", ".join(f"`{i}`" for i in others))
    return 0


if __name__ == "__main__":
    sys.exit(main())
