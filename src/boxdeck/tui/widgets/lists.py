"""The keys people move with in k9s, lazygit and less, on every table and list of boxdeck.

`j`/`k` move a row, `g`/`G` go to the first/last row, `ctrl+d`/`ctrl+u` move half a page. Nothing that changes
state sits on these letters anywhere in the app (tests/tui/test_keymap.py checks the command list).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList

__all__ = ["NAVIGATION_KEYS", "NavOptionList", "NavTable", "vi_bindings"]

#: Keys that only ever move a cursor: no command of boxdeck may be bound to them.
NAVIGATION_KEYS = frozenset({"j", "k", "g", "G", "ctrl+d", "ctrl+u"})


def vi_bindings(
    *, up: str, down: str, first: str, last: str, half_up: str, half_down: str
) -> list[BindingType]:
    """The navigation keys bound to a widget's own actions (named as that widget names them)."""
    return [
        Binding("j", down, "Down", show=False),
        Binding("k", up, "Up", show=False),
        Binding("g", first, "First", show=False),
        Binding("G", last, "Last", show=False),
        Binding("ctrl+d", half_down, "Half page down", show=False),
        Binding("ctrl+u", half_up, "Half page up", show=False),
    ]


class NavTable(DataTable[Any]):
    """A row table that also moves with j/k/g/G/ctrl+d/ctrl+u."""

    BINDINGS: ClassVar[list[BindingType]] = vi_bindings(
        up="cursor_up", down="cursor_down", first="scroll_top", last="scroll_bottom",
        half_up="half_page_up", half_down="half_page_down",
    )

    def action_half_page_up(self) -> None:
        self.move_cursor(row=max(0, self.cursor_row - max(1, self.scrollable_content_region.height // 2)))

    def action_half_page_down(self) -> None:
        step = max(1, self.scrollable_content_region.height // 2)
        self.move_cursor(row=min(self.row_count - 1, self.cursor_row + step))


class NavOptionList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = vi_bindings(
        up="cursor_up", down="cursor_down", first="first", last="last",
        half_up="page_up", half_down="page_down",
    )
