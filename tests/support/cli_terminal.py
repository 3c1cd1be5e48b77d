"""What a terminal shows after a program's output: the bytes fed through pyte, a VT100 emulator that counts
wide (CJK) characters as two columns, as real terminals do."""

from __future__ import annotations

import io

import pyte


class Tty(io.StringIO):
    """A stream that says it is a terminal, so the progress display draws live."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def screen(output: str, *, columns: int, lines: int = 24) -> list[str]:
    """The terminal's rows, right-stripped, with the trailing empty ones dropped."""
    term = pyte.Screen(columns, lines)
    stream = pyte.Stream(term)
    stream.feed(output.replace("\n", "\r\n"))  # a tty's output processing turns \n into \r\n
    rows = [row.rstrip() for row in term.display]
    while rows and not rows[-1]:
        rows.pop()
    return rows
