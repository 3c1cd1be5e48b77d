"""A selection list whose boxes show their state in shape: ✓ when chosen, empty when not.

Textual's SelectionList draws the same "X" in every box and tells chosen from not by colour alone, which
reads as "all chosen" on a monochrome terminal, to a colour-blind user, or in a screenshot.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.segment import Segment
from textual.binding import BindingType
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

from boxdeck.tui.widgets.lists import vi_bindings

__all__ = ["CHECKED", "UNCHECKED", "CheckList"]

SelectionType = TypeVar("SelectionType")

CHECKED = "✓"
UNCHECKED = " "


class CheckList(SelectionList[SelectionType]):
    BINDINGS: ClassVar[list[BindingType]] = vi_bindings(
        up="cursor_up", down="cursor_down", first="first", last="last",
        half_up="page_up", half_down="page_down",
    )

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        # Checkbox.BUTTON_INNER is the glyph SelectionList draws in every box.
        if len(segments) < 2 or segments[1].text != Checkbox.BUTTON_INNER:
            return strip  # not an option's line
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        mark = CHECKED if selection.value in self.selected else UNCHECKED
        segments[1] = Segment(mark, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)
