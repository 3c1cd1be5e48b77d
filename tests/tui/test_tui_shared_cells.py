"""Shared table cells: equal cells are one object, and marking a row never changes a shared cell."""

from __future__ import annotations

from boxdeck.tui.format import Cell, shared_cell, text_cell


def test_equal_text_cells_are_shared_and_keep_their_content() -> None:
    a, b = text_cell("daytona"), text_cell("daytona")
    assert a is b
    assert a.plain == "daytona" and a.sort_key == (0, "daytona")
    assert text_cell(None) is text_cell("")
    assert text_cell(None).plain == "-" and text_cell(None).sort_key == (1, "")
    assert shared_cell("x", style="red") is not shared_cell("x", style="green")


def test_cell_keeps_the_callers_string() -> None:
    value = "".join(["purple", "-geneva"])
    cell = Cell(value)
    assert cell.plain is value
    assert cell.sort_key == (0, "purple-geneva")
    assert Cell("a\x07b").plain == "ab"  # control codes are still stripped
