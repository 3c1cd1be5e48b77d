"""A DataTable of boxes that is only ever changed in place: rows by key, cells by column key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from boxdeck.tui.format import Cell


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str  # the Box field name it shows
    label: str
    width: int | None = None


class BoxTable(DataTable[Cell]):
    """Rows keyed by `Box.key`, columns keyed by field name.

    `sync()` removes gone rows, updates only cells whose text or style changed, adds new rows, sorts once and
    keeps the cursor on the same row key; filter and scroll position survive every update. `patch()` does the
    same for just the rows a poll's diff names (a removal list instead of "everything not given").
    """

    def __init__(self, columns: tuple[ColumnSpec, ...], *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self.specs = columns
        self._cells: dict[str, dict[str, Cell]] = {}
        self.sort_column: str = columns[0].key
        self.sort_reverse: bool = False
        #: Called when other rows may have come into view (scrolled, re-sorted): the screen brings the
        #: cells it keeps current only for the rows in view (ages) up to date.
        self.view_moved: Callable[[], None] | None = None

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value):
            self._view_moved()

    def _view_moved(self) -> None:
        if self.view_moved is not None and self.is_mounted:
            self.view_moved()

    def on_mount(self) -> None:
        for spec in self.specs:
            self.add_column(spec.label, key=spec.key, width=spec.width)

    @property
    def keys(self) -> list[str]:
        return list(self._cells)

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return row_key.value

    def ordered_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    def visible_keys(self) -> list[str]:
        """Keys of the rows currently in view (plus a small margin)."""
        top = int(self.scroll_y)
        height = max(1, self.size.height)
        return [str(row.key.value) for row in self.ordered_rows[max(0, top - 2) : top + height + 2]]

    def sync(self, rows: Mapping[str, Mapping[str, Cell]]) -> bool:
        """Make the table show exactly `rows` (in the current sort). Returns True if anything changed."""
        return self.patch(rows, [k for k in self._cells if k not in rows])

    def patch(self, rows: Mapping[str, Mapping[str, Cell]], removed: Iterable[str] = ()) -> bool:
        """Update or add just `rows` and remove `removed`; every other row is left alone."""
        cursor_key = self.cursor_key
        changed = False
        resort = False
        for key in removed:
            if key in self._cells:
                self.remove_row(key)
                del self._cells[key]
                changed = True
        for key, cells in rows.items():
            old = self._cells.get(key)
            if old is None:
                self.add_row(*(cells[spec.key] for spec in self.specs), key=key)
                self._cells[key] = dict(cells)
                changed = resort = True
                continue
            for column, cell in cells.items():
                if not cell.same_as(old.get(column)):
                    self.update_cell(key, column, cell)
                    old[column] = cell
                    changed = True
                    if column in (self.sort_column, "name"):  # name: every sort's tie-break
                        resort = True
        if resort:
            self._sort()
        self._restore_cursor(cursor_key)
        return changed

    def update_cells(self, key: str, cells: Mapping[str, Cell]) -> None:
        """Update some cells of one row (the spinner and the age clock use this)."""
        old = self._cells.get(key)
        if old is None:
            return
        for column, cell in cells.items():
            if not cell.same_as(old.get(column)):
                try:
                    self.update_cell(key, column, cell)
                except RowDoesNotExist:
                    return
                old[column] = cell

    def set_sort(self, column: str, reverse: bool) -> None:
        cursor_key = self.cursor_key
        self.sort_column = column
        self.sort_reverse = reverse
        self._sort()
        self._restore_cursor(cursor_key)

    def _sort(self) -> None:
        if not self._cells:
            return
        column = self.sort_column
        # Issue 6: a name cell with `sort_first` (a box pinned for "connect when ready") sorts first, in
        # either direction.
        first = 1 if self.sort_reverse else 0
        self.sort(
            column,
            "name",
            key=lambda cells: (
                first if getattr(cells[1], "sort_first", False) else 1 - first,
                cells[0].sort_key,
                cells[1].sort_key,
            ),
            reverse=self.sort_reverse,
        )
        self._view_moved()

    def _restore_cursor(self, key: str | None) -> None:
        if key is None or key not in self._cells:
            return
        index = self.get_row_index(key)
        if index != self.cursor_row:
            self.move_cursor(row=index, scroll=False)

    def select_key(self, key: str) -> None:
        if key in self._cells:
            self.move_cursor(row=self.get_row_index(key))

    def column_keys(self) -> Iterable[str]:
        return (spec.key for spec in self.specs)
