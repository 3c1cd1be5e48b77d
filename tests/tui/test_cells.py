"""Table cells: what a server value shows as, and how it sorts."""

from __future__ import annotations

from boxdeck.tui.format import text_cell


def test_a_server_value_shows_literally_and_sorts_by_its_folded_words() -> None:
    cell = text_cell("Daytona")
    assert cell.plain == "Daytona" and cell.sort_key == (0, "daytona")
    assert text_cell("[bold]x[/]").plain == "[bold]x[/]"  # markup is just text
    assert text_cell("a\x07b\x1b[2Jc").plain == "abc"  # control codes and escape sequences are dropped


def test_nothing_shows_as_a_dash_and_sorts_after_every_value() -> None:
    for empty in (None, ""):
        assert text_cell(empty).plain == "-"
    assert sorted([text_cell(None).sort_key, text_cell("zz").sort_key, text_cell("a").sort_key]) == [
        text_cell("a").sort_key, text_cell("zz").sort_key, text_cell(None).sort_key,
    ]
