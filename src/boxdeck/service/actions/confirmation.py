"""The words of a confirmation: what a question names, and what the user types to confirm a delete.

A typed confirmation only protects when what is asked for can be read in full and typed as read. A box name
cut to fit, or holding characters that do not show (zero-width, bidi marks, look-alike letters from another
script), cannot be: such a name is confirmed by a short phrase instead ("delete sandbox").
"""

from __future__ import annotations

from collections.abc import Sequence

from boxdeck.service.text.sanitize import single_line

__all__ = ["TYPABLE_MAX", "delete_phrase", "name_list", "plural", "titled", "typable"]

#: The longest name asked for as it is; a longer one would be cut on a narrow terminal.
TYPABLE_MAX = 40
#: How many names a title lists before "and N more".
TITLE_NAMES = 3


def plural(noun: str, count: int) -> str:
    """`noun` for `count` things: "1 sandbox", "2 sandboxes"."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}es" if noun.endswith(("x", "s")) else f"{count} {noun}s"


def typable(name: str) -> bool:
    """True when `name` reads in full and types as it reads: printable ASCII, no space at either end or
    twice in a row, at most `TYPABLE_MAX` characters."""
    return (
        0 < len(name) <= TYPABLE_MAX
        and name.isascii()
        and name.isprintable()
        and name == name.strip()
        and "  " not in name
    )


def delete_phrase(names: Sequence[str], noun: str) -> str:
    """What to type to delete the boxes called `names` (as the server sent them)."""
    if len(names) == 1:
        return names[0] if typable(names[0]) else f"delete {noun}"
    return f"delete {len(names)} boxes"


def name_list(names: Sequence[str], *, most: int = TITLE_NAMES, limit: int = 30) -> str:
    """"a, b and c" or "a, b, c and 4 more": each name on one line, cut to `limit` characters."""
    shown = [single_line(name, limit=limit) for name in names[:most]]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) > 1:
        return f"{', '.join(shown[:-1])} and {shown[-1]}"
    return shown[0] if shown else ""


def titled(verb: str, noun: str, names: Sequence[str]) -> str:
    """A question that names what it acts on: "Stop 2 sandboxes: a and b?"."""
    return f"{verb.capitalize()} {plural(noun, len(names))}: {name_list(names)}?"
