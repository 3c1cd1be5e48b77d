"""The box table's data side (`Rows`) and how columns share the width: the order shown is always the sorted,
filtered order of the rows, whatever sequence of changes got it there."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from boxdeck.tui.widgets.box_table import share_widths
from boxdeck.tui.widgets.rows import Cell, Column, Row, Rows

COLUMNS = (
    Column("name", "name", 4, flex=True), Column("state", "state"), Column("repo", "repo", 4, flex=True),
)
WORDS = ["alpha", "beta", "lima", "ready", "stopped", "web", "api", "x"]


def row(name: str, state: str, repo: str, *, first: bool = False) -> Row:
    return Row((Cell(name), Cell(state), Cell(repo)), f"{name} {state} {repo}".casefold(), first)


def expected(rows: dict[str, Row], rows_model: Rows, words: tuple[str, ...]) -> list[str]:
    """The brute-force answer: filter, then sort by (pinned first, the sort column, the name)."""
    index = {c.key: i for i, c in enumerate(COLUMNS)}
    col = index[rows_model.sort_column]
    shown = [k for k, r in rows.items() if all(w in r.haystack for w in words)]
    shown.sort(key=lambda k: (rows[k].cells[col].sort_key, rows[k].cells[0].sort_key, k),
               reverse=rows_model.sort_reverse)
    shown.sort(key=lambda k: not rows[k].first)  # stable: pinned rows go first, in either direction
    return shown


rows_strategy = st.dictionaries(
    st.sampled_from([f"k{i}" for i in range(12)]),
    st.builds(
        row, st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(WORDS), first=st.booleans()
    ),
    max_size=12,
)
operation = st.one_of(
    st.tuples(st.just("patch"), rows_strategy, st.lists(st.sampled_from([f"k{i}" for i in range(12)]))),
    st.tuples(st.just("filter"), st.sampled_from(["", "a", "l", "li", "lin", "ready", "ready web", "zz"])),
    st.tuples(st.just("sort"), st.sampled_from(["name", "state", "repo"]), st.booleans()),
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy, st.lists(operation, max_size=8))
def test_the_shown_order_is_always_the_filtered_sorted_order(start: dict[str, Row], ops: list[tuple]) -> None:
    model = Rows(COLUMNS)
    model.replace(start)
    truth = dict(start)
    words: tuple[str, ...] = ()
    for op in ops:
        if op[0] == "patch":
            _, changed, removed = op
            model.patch(changed, removed)
            for key in removed:
                truth.pop(key, None)
            truth.update(changed)
        elif op[0] == "filter":
            model.set_filter(op[1])
            words = tuple(op[1].split())
        else:
            model.set_sort(op[1], op[2])
        shown = list(model.keys())
        assert shown == expected(truth, model, words)
        assert len(model) == len(shown) and model.total == len(truth)
        assert all(model.index_of(k) == i for i, k in enumerate(shown))
        assert all(model.key_at(i) == k for i, k in enumerate(shown))


def test_widths_follow_the_content_and_an_empty_column_takes_no_free_room() -> None:
    columns = (Column("name", "name", 4, flex=True), Column("age", "age"), Column("url", "url", 4, flex=True),
               Column("creator", "creator", 4, flex=True))
    # Plenty of room: the short name is never cut, the URL gets the rest, the empty creator column none.
    widths = share_widths(columns, natural=[16, 3, 55, 1], filled=[True, True, True, False], available=89)
    assert widths[0] == 16 and widths[1] == 5  # a header word (plus its sort arrow) is never cut
    assert widths[3] == len("creator") + 2
    assert sum(widths) + len(columns) == 89
    # Tight: flex columns give up width, the widest first; fixed ones keep theirs.
    tight = share_widths(columns, natural=[16, 3, 55, 12], filled=[True] * 4, available=40)
    assert tight[1] == 5 and sum(tight) + len(columns) <= 40
