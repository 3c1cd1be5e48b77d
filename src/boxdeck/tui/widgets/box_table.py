"""The box table: rows drawn one line at a time from `Rows`, only for what is on screen.

Textual's DataTable keeps per-row widget state and rebuilds O(N) maps on every removal, so filtering 10,000
rows took tens of seconds. This table is a Line API widget (a `ScrollView` with `render_line`, the way Toolong
draws huge logs): the rows are plain data (`Rows`), a line is rendered when it comes on screen and kept until
that row changes, a cursor move repaints the two rows it touches, and filtering or sorting is a change of
view, never thousands of widget operations.

Columns share the width: the `flex` ones (name, repo, URL, creator) get the space left over after every
other column took what its longest value needs; a column with nothing in it keeps only its header's width.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from boxdeck.tui.widgets.lists import vi_bindings
from boxdeck.tui.widgets.rows import Cell, Column, Row, Rows

__all__ = ["BoxTable", "Cell", "Column", "Row"]

ELLIPSIS = "…"
ARROWS = {False: "▲", True: "▼"}
#: Rendered rows kept; a screenful is a few dozen, so this covers scrolling back and forth.
CACHED_LINES = 1024


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis."""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    if width <= 1:
        return ELLIPSIS[:width]
    return set_cell_size(text, width - 1) + ELLIPSIS


def share_widths(columns: Sequence[Column], natural: Sequence[int], filled: Sequence[bool],
                 available: int) -> list[int]:
    """Each column's width in `available` cells (one space before each column).

    Fixed columns take their natural width (capped by `max_width`); flex columns with content share what is
    left, each up to what its longest value needs; empty flex columns keep their minimum. When even the
    minimums do not fit, flex columns give up width first, widest first.
    """
    widths = []
    for column, want in zip(columns, natural, strict=True):
        low = max(column.min_width, cell_len(column.label) + 2)
        if column.flex:
            widths.append(low)
        else:
            cap = column.max_width if column.max_width is not None else want
            widths.append(max(low, min(want, cap)))
    room = available - len(columns) - sum(widths)
    # Water-filling: the free room is shared equally, and a column that needs less than its share takes only
    # what it needs, leaving the rest to the others; so a short name is never cut while a long URL has room.
    growers = sorted((i for i, c in enumerate(columns) if c.flex and filled[i]),
                     key=lambda i: natural[i] - widths[i])
    for n, i in enumerate(growers):
        if room <= 0:
            break
        share = min(max(0, natural[i] - widths[i]), room // (len(growers) - n))
        widths[i] += share
        room -= share
    if room > 0 and any(c.flex and filled[i] for i, c in enumerate(columns)):
        last = max(i for i, c in enumerate(columns) if c.flex and filled[i])
        widths[last] += room  # what no column needs goes to the last flex column: no ragged right edge
        room = 0
    while room < 0:
        flex = [i for i, c in enumerate(columns) if c.flex and widths[i] > 4]
        if not flex:
            break
        widest = max(flex, key=lambda i: widths[i])
        widths[widest] -= 1
        room += 1
    return widths


class BoxTable(ScrollView, can_focus=True):
    """Rows keyed by box key, columns keyed by field name; see `Rows` for the data side."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        *vi_bindings(up="cursor_up", down="cursor_down", first="first", last="last",
                     half_up="half_page_up", half_down="half_page_down"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"box-table--header", "box-table--cursor"}

    DEFAULT_CSS = """
    BoxTable {
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        color: $foreground;
        & > .box-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .box-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .box-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    @dataclass
    class CursorMoved(Message):
        """The cursor is on another row (`key` None: no row shown)."""

        table: BoxTable
        key: str | None

        @property
        def control(self) -> BoxTable:
            return self.table

    @dataclass
    class Selected(Message):
        """Enter, or a click on the row under the cursor."""

        table: BoxTable
        key: str

        @property
        def control(self) -> BoxTable:
            return self.table

    @dataclass
    class HeaderClicked(Message):
        table: BoxTable
        column: str

        @property
        def control(self) -> BoxTable:
            return self.table

    class ViewMoved(Message):
        """Other rows came into view (scrolled, filtered, sorted): cells kept current only for the rows on
        screen (ages) want updating."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BoxTable.ViewMoved)

    def __init__(self, columns: Sequence[Column], *, sort_column: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows = Rows(columns, sort_column)
        self._cursor_key: str | None = None
        self._cursor_index = 0  # where the cursor was, for when its row goes away
        self._widths: list[int] = []
        self._lines: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------------ reading
    @property
    def columns(self) -> tuple[Column, ...]:
        return self.rows.columns

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> int:
        """Where the cursor is among the rows shown (0 when there are none)."""
        return self._cursor_index

    @property
    def sort_column(self) -> str:
        return self.rows.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self.rows.sort_reverse

    def ordered_keys(self) -> list[str]:
        return list(self.rows.keys())

    def get_cell(self, key: str, column: str) -> Cell:
        return self.rows.cell(key, column)

    @property
    def _body_height(self) -> int:
        return max(0, self.size.height - 1)

    def visible_keys(self) -> list[str]:
        """The rows on screen now."""
        top = int(self.scroll_offset.y)
        end = min(len(self.rows), top + self._body_height)
        return [self.rows.key_at(i) for i in range(top, end)]

    # ------------------------------------------------------------------ changing the data
    def replace(self, rows: Mapping[str, Row]) -> None:
        self.rows.replace(rows)
        self._lines.clear()
        self._data_changed()

    def patch(self, rows: Mapping[str, Row], removed: Iterable[str] = ()) -> None:
        """Only the rows named: each is redrawn if on screen; the rest stay as drawn unless they moved."""
        before = self._visible_set()
        touched = self.rows.patch(rows, removed)
        if not touched:
            return
        for key in touched:
            self._lines.pop(key, None)
        self._data_changed(touched, before)

    def set_cells(self, key: str, cells: Mapping[str, Cell]) -> None:
        """Some cells of one row (ages, spinner frames): repaints that row alone when it stays put."""
        index = self.rows.index_of(key)
        if not self.rows.set_cells(key, cells):
            return
        self._lines.pop(key, None)
        if self.rows.index_of(key) == index and index is not None:
            self._refresh_index(index)
            self._check_widths()
        else:
            self._data_changed({key}, None)

    def set_filter(self, text: str) -> None:
        self.rows.set_filter(text)
        self._data_changed()

    def set_sort(self, column: str, reverse: bool) -> None:
        self.rows.set_sort(column, reverse)
        self._header = None
        self._data_changed()

    def select_key(self, key: str, *, scroll: bool = True) -> None:
        index = self.rows.index_of(key)
        if index is not None:
            self._move_to(index, scroll=scroll)

    # ------------------------------------------------------------------ after a change
    def _visible_set(self) -> set[str]:
        return set(self.visible_keys()) if self.is_mounted else set()

    def _data_changed(self, touched: set[str] | None = None, before: set[str] | None = None) -> None:
        """Keep the cursor on its row (or near where it was), size the scroll area, repaint what changed."""
        rows = self.rows
        self.virtual_size = Size(0, len(rows) + 1)
        key = self._cursor_key
        index = rows.index_of(key) if key is not None else None
        if index is None:
            index = min(self._cursor_index, len(rows) - 1) if len(rows) else None
        moved_cursor = False
        if index is not None:
            new_key = rows.key_at(index)
            moved_cursor = new_key != key
            self._cursor_key, self._cursor_index = new_key, index
        elif key is not None:
            self._cursor_key, moved_cursor = None, True
        view_moved = True
        if self.is_mounted:
            widths_changed = self._check_widths()
            if touched is None or before is None or widths_changed:
                self.refresh()
            else:
                after = self._visible_set()
                if after != before or any(rows.index_of(k) is None for k in touched & before):
                    self.refresh()  # rows moved on screen: everything in view shifts
                else:
                    view_moved = False  # the same rows in view, the changed ones drawn from their new cells
                    for k in touched & after:
                        position = rows.index_of(k)
                        if position is not None:
                            self._refresh_index(position)
            if self._cursor_key is not None:
                self._scroll_to_index(self._cursor_index)
        if moved_cursor:
            self.post_message(self.CursorMoved(self, self._cursor_key))
        if view_moved:
            self.post_message(self.ViewMoved())

    def _check_widths(self) -> bool:
        rows = self.rows
        natural = [max(rows.natural_width(i), 1) for i in range(len(rows.columns))]
        filled = [rows.has_content(i) for i in range(len(rows.columns))]
        widths = share_widths(rows.columns, natural, filled, self.size.width - 1)
        if widths == self._widths:
            return False
        self._widths = widths
        self._lines.clear()
        self._header = None
        return True

    def on_resize(self, _event: events.Resize) -> None:
        self._check_widths()
        self.virtual_size = Size(0, len(self.rows) + 1)
        self.refresh()
        self.post_message(self.ViewMoved())

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._lines.clear()
        self._header = None

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value):
            self.post_message(self.ViewMoved())

    # ------------------------------------------------------------------ cursor
    def _refresh_index(self, index: int) -> None:
        self.refresh_line(index + 1)  # line 0 of the scroll area is under the header

    def _move_to(self, index: int, *, scroll: bool = True) -> None:
        rows = self.rows
        if not len(rows):
            return
        index = max(0, min(index, len(rows) - 1))
        key = rows.key_at(index)
        old = rows.index_of(self._cursor_key) if self._cursor_key is not None else None
        if key == self._cursor_key and index == self._cursor_index:
            return
        self._cursor_key, self._cursor_index = key, index
        if old is not None:
            self._refresh_index(old)
        self._refresh_index(index)
        if scroll:
            self._scroll_to_index(index)
        self.post_message(self.CursorMoved(self, key))

    def _scroll_to_index(self, index: int) -> None:
        top = int(self.scroll_offset.y)
        height = self._body_height
        if height <= 0:
            return
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._move_to(self._cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move_to(self._cursor_index + 1)

    def action_page_up(self) -> None:
        self._move_to(self._cursor_index - max(1, self._body_height - 1))

    def action_page_down(self) -> None:
        self._move_to(self._cursor_index + max(1, self._body_height - 1))

    def action_half_page_up(self) -> None:
        self._move_to(self._cursor_index - max(1, self._body_height // 2))

    def action_half_page_down(self) -> None:
        self._move_to(self._cursor_index + max(1, self._body_height // 2))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def action_select(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.Selected(self, self._cursor_key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if not 0 <= index < len(self.rows):
            return
        if self.rows.key_at(index) == self._cursor_key:
            self.action_select()
        else:
            self._move_to(index)

    def _column_at(self, x: int) -> str | None:
        left = 0
        for column, width in zip(self.columns, self._widths, strict=True):
            left += 1
            if left <= x < left + width:
                return column.key
            left += width
        return None

    # ------------------------------------------------------------------ drawing
    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if name.startswith("box-table--"):
                style = self.get_component_rich_style(name)
            else:
                style = Style.parse(name) if name else Style()
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self._widths:
            self._check_widths()
        if y == 0:
            if self._header is None:
                self._header = self._render_header(width)
            return self._header
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        key = self.rows.key_at(index)
        if key == self._cursor_key:
            return self._render_row(key, width, self._style("box-table--cursor"))
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) >= CACHED_LINES:
                self._lines.clear()
            line = self._lines[key] = self._render_row(key, width, None)
        return line

    def _render_header(self, width: int) -> Strip:
        base = self.rich_style + self._style("box-table--header")
        segments = [Segment(" ", base)]
        for column, size in zip(self.columns, self._widths, strict=True):
            label = column.label
            if column.key == self.rows.sort_column:
                label = f"{label} {ARROWS[self.rows.sort_reverse]}"
            segments.append(Segment(fit(label, size), base))
            segments.append(Segment(" ", base))
        return Strip(segments).adjust_cell_length(width, base)

    def _render_row(self, key: str, width: int, cursor: Style | None) -> Strip:
        row = self.rows.get(key)
        base = self.rich_style
        if row is None:
            return Strip.blank(width, base)
        pad = base + cursor if cursor is not None else base
        segments = [Segment(" ", pad)]
        for cell, size in zip(row.cells, self._widths, strict=True):
            style = base + self._style(cell.style)
            if cursor is not None:
                style += cursor
            if cell.lead and size > cell_len(cell.lead) + 1:
                lead_style = base + self._style(cell.lead_style)
                if cursor is not None:
                    lead_style += cursor
                lead = f"{cell.lead} "
                segments.append(Segment(lead, lead_style))
                segments.append(Segment(fit(cell.text, size - cell_len(lead)), style))
            else:
                segments.append(Segment(fit(cell.plain, size), style))
            segments.append(Segment(" ", pad))
        return Strip(segments).adjust_cell_length(width, pad)

    def refresh_header(self) -> None:
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))
