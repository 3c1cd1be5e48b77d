"""The rows of a box table as data: cells, the filtered and sorted order, the cursor kept by key.

A dashboard watching 20,000 boxes cannot afford a widget operation per row, so the table's rows live here as
plain data and the widget only ever draws the few dozen that are on screen. Filtering is one pass over an
already sorted list (a keystroke never sorts), and a poll's diff moves each changed row with a binary search
instead of re-sorting everything. Nothing here knows about Textual.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

__all__ = ["Cell", "Column", "Row", "Rows"]


class Cell:
    """One literal table cell: its words, a Rich style string, the key it sorts by, and an optional mark
    drawn before the words in a style of its own (a selected or pinned row's name)."""

    __slots__ = ("lead", "lead_style", "sort_key", "style", "text", "width")

    def __init__(
        self, text: str, style: str = "", sort_key: Any = None, *, lead: str = "", lead_style: str = ""
    ) -> None:
        self.text = text
        self.style = style
        self.lead = lead
        self.lead_style = lead_style
        self.sort_key = (0, text.casefold()) if sort_key is None else sort_key
        self.width = cell_len(f"{lead} {text}" if lead else text)

    @property
    def plain(self) -> str:
        return f"{self.lead} {self.text}" if self.lead else self.text

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Cell)
            and self.text == other.text
            and self.style == other.style
            and self.lead == other.lead
            and self.lead_style == other.lead_style
            and self.sort_key == other.sort_key
        )

    def __hash__(self) -> int:
        return hash((self.text, self.style, self.lead))

    def __repr__(self) -> str:
        return f"Cell({self.plain!r})"


@dataclass(frozen=True, slots=True)
class Column:
    """`flex` columns (name, repo, URL, creator) share the width left over; the others take what their
    longest value needs, up to `max_width`."""

    key: str
    label: str
    min_width: int = 1
    flex: bool = False
    max_width: int | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """A row's cells in column order, the words a filter looks in (already case-folded), and whether it
    sorts before every other row whatever the order (a box pinned for "connect when ready")."""

    cells: tuple[Cell, ...]
    haystack: str = ""
    first: bool = False


class Rows:
    """Every row by key, all of them in sort order, and the filtered view of that order."""

    def __init__(self, columns: Sequence[Column], sort_column: str | None = None) -> None:
        self.columns = tuple(columns)
        self._index = {c.key: i for i, c in enumerate(self.columns)}
        self.sort_column = sort_column or self.columns[0].key
        self.sort_reverse = False
        self._tie = self._index.get("name", 0)
        self._rows: dict[str, Row] = {}
        self._sort_keys: dict[str, tuple[Any, ...]] = {}
        self._sorted: list[str] = []  # every key, ascending by sort key
        self._words: tuple[str, ...] = ()
        self._view: list[str] | None = None  # the filtered keys in `_sorted` order (None: no filter)
        self._positions: dict[str, int] | None = None  # display index by key, rebuilt when needed
        self._widths = [Counter[int]() for _ in self.columns]  # how many cells of each width, per column

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        """The rows shown (after the filter)."""
        return len(self._sorted if self._view is None else self._view)

    @property
    def total(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def get(self, key: str) -> Row | None:
        return self._rows.get(key)

    def cell(self, key: str, column: str) -> Cell:
        return self._rows[key].cells[self._index[column]]

    def key_at(self, index: int) -> str:
        order = self._sorted if self._view is None else self._view
        return order[len(order) - 1 - index] if self.sort_reverse else order[index]

    def keys(self) -> Iterator[str]:
        """The shown keys, top to bottom."""
        order = self._sorted if self._view is None else self._view
        return reversed(order) if self.sort_reverse else iter(order)

    def all_keys(self) -> Iterable[str]:
        return self._rows.keys()

    def index_of(self, key: str) -> int | None:
        """Where `key` is shown (None: filtered out or absent)."""
        if self._positions is None:
            self._positions = {k: i for i, k in enumerate(self.keys())}
        return self._positions.get(key)

    def shows(self, key: str) -> bool:
        return self.index_of(key) is not None

    def natural_width(self, column: int) -> int:
        """The widest cell of a column over every row (filtered or not, so filtering never moves columns)."""
        widths = self._widths[column]
        return max(widths) if widths else 0

    def has_content(self, column: int) -> bool:
        """Does any row have something in this column besides the empty placeholder?"""
        return any(width > 1 for width in self._widths[column])

    # ------------------------------------------------------------------ changing
    def replace(self, rows: Mapping[str, Row]) -> None:
        """Show exactly `rows`: everything is sorted once."""
        self._rows = dict(rows)
        for counter in self._widths:
            counter.clear()
        for row in self._rows.values():
            self._count(row, 1)
        self._resort()

    def patch(self, rows: Mapping[str, Row], removed: Iterable[str] = ()) -> set[str]:
        """Add or change `rows` and drop `removed`; only those rows move. Returns the keys whose cells
        changed (they must be redrawn)."""
        touched: set[str] = set()
        moved = False  # did any row change place? (the display index by key then no longer holds)
        for key in removed:
            old = self._rows.pop(key, None)
            if old is not None:
                self._count(old, -1)
                self._unplace(key)
                touched.add(key)
                moved = True
        for key, row in rows.items():
            old = self._rows.get(key)
            if old is not None and old == row:
                continue
            touched.add(key)
            self._rows[key] = row
            if old is not None:
                self._count(old, -1)
            self._count(row, 1)
            sort_key = self._sort_key(key, row)
            if old is not None and self._sort_keys.get(key) == sort_key:
                moved = self._refilter_one(key, row) or moved
                continue
            if old is not None:
                self._unplace(key)
            self._place(key, row, sort_key)
            moved = True
        if moved:
            self._positions = None
        return touched

    def set_cells(self, key: str, cells: Mapping[str, Cell]) -> bool:
        """Change some cells of one row (ages, spinner frames). True when anything changed."""
        row = self._rows.get(key)
        if row is None:
            return False
        new = list(row.cells)
        for column, cell in cells.items():
            new[self._index[column]] = cell
        if tuple(new) == row.cells:
            return False
        self.patch({key: Row(tuple(new), row.haystack, row.first)})
        return True

    def set_filter(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words == self._words:
            return
        # Typing on narrows the filter (each old word lies inside a new one): only the rows shown now can
        # still match, so a keystroke looks at those, not at the whole fleet.
        narrower = self._view is not None and all(any(old in new for new in words) for old in self._words)
        candidates = self._view if narrower and self._view is not None else self._sorted
        self._words = words
        self._view = self._filtered(candidates)
        self._positions = None

    def set_sort(self, column: str, reverse: bool) -> None:
        if column not in self._index:
            raise KeyError(column)
        if (column, reverse) == (self.sort_column, self.sort_reverse):
            return
        self.sort_column, self.sort_reverse = column, reverse
        self._resort()

    # ------------------------------------------------------------------ inside
    def _count(self, row: Row, delta: int) -> None:
        for counter, cell in zip(self._widths, row.cells, strict=False):
            counter[cell.width] += delta
            if counter[cell.width] <= 0:
                del counter[cell.width]

    def _matches(self, row: Row) -> bool:
        return all(word in row.haystack for word in self._words)

    def _filtered(self, keys: list[str]) -> list[str] | None:
        """`keys` (in order) whose rows hold every filter word; None when there is no filter. The loop over a
        fleet runs on every keystroke, so the common one-word case is a single comprehension."""
        words, rows = self._words, self._rows
        if not words:
            return None
        if len(words) == 1:
            word = words[0]
            return [k for k in keys if word in rows[k].haystack]
        return [k for k in keys if all(w in rows[k].haystack for w in words)]

    def _sort_key(self, key: str, row: Row) -> tuple[Any, ...]:
        # Stored ascending and shown reversed for a descending sort, so a row that goes first must sort
        # last in the reversed direction to still be shown on top. The row key settles ties: equal rows keep
        # one order, poll after poll.
        first = (0 if row.first else 1) if not self.sort_reverse else (1 if row.first else 0)
        cells = row.cells
        return (first, cells[self._index[self.sort_column]].sort_key, cells[self._tie].sort_key, key)

    def _resort(self) -> None:
        self._sort_keys = {key: self._sort_key(key, row) for key, row in self._rows.items()}
        self._sorted = sorted(self._rows, key=self._sort_keys.__getitem__)
        self._view = self._filtered(self._sorted)
        self._positions = None

    def _bisect(self, order: list[str], sort_key: tuple[Any, ...]) -> int:
        return bisect_left(order, sort_key, key=self._sort_keys.__getitem__)

    def _place(self, key: str, row: Row, sort_key: tuple[Any, ...]) -> None:
        at = self._bisect(self._sorted, sort_key)
        self._sort_keys[key] = sort_key
        self._sorted.insert(at, key)
        if self._view is not None and self._matches(row):
            self._view.insert(self._bisect(self._view, sort_key), key)

    def _unplace(self, key: str) -> None:
        sort_key = self._sort_keys.pop(key)
        self._remove_at(self._sorted, key, sort_key)
        if self._view is not None:
            self._remove_at(self._view, key, sort_key)

    def _remove_at(self, order: list[str], key: str, sort_key: tuple[Any, ...]) -> bool:
        """Remove `key` from `order`, found by binary search among the rows with the same sort key."""
        sort_keys = self._sort_keys
        at = bisect_left(order, sort_key, key=lambda k: sort_keys.get(k, sort_key))
        while at < len(order) and sort_keys.get(order[at], sort_key) == sort_key:
            if order[at] == key:
                del order[at]
                return True
            at += 1
        return False

    def _refilter_one(self, key: str, row: Row) -> bool:
        """The row stays where it is in the order; it may enter or leave the filtered view (True then)."""
        if self._view is None:
            return False
        sort_key = self._sort_keys[key]
        shown = self._remove_at(self._view, key, sort_key)
        matches = self._matches(row)
        if matches:
            self._view.insert(self._bisect(self._view, sort_key), key)
        return shown != matches
