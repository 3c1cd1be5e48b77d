"""The words of a confirmation: a name is asked for only when it reads in full and types as it reads."""

from __future__ import annotations

import pytest

from boxdeck.service.actions.confirmation import delete_phrase, name_list, plural, titled, typable


@pytest.mark.parametrize("name", ["acme/platform", "navy-riga", "web 1", "a" * 40])
def test_a_plain_name_is_typed_as_it_is(name):
    assert typable(name)
    assert delete_phrase([name], "sandbox") == name


@pytest.mark.parametrize(
    "name",
    [
        "a" * 41,  # cut to fit on a narrow terminal
        "web\u200b1",  # zero-width space
        "\u202eevil",  # bidi override
        "acme\u200e",  # bidi mark
        "\ufeffacme",  # BOM
        "аcme",  # a Cyrillic а that looks like a Latin a
        " acme",  # a space no one sees
        "two  spaces",
        "",
    ],
)
def test_a_name_that_cannot_be_read_or_typed_is_confirmed_by_a_phrase(name):
    assert not typable(name)
    assert delete_phrase([name], "sandbox") == "delete sandbox"


def test_several_boxes_are_confirmed_by_their_count():
    assert delete_phrase(["a", "b", "c"], "sandbox") == "delete 3 boxes"


def test_titles_name_what_they_act_on():
    assert titled("stop", "sandbox", ["a", "b"]) == "Stop 2 sandboxes: a and b?"
    assert titled("delete", "devbox", ["x", "y", "z"]) == "Delete 3 devboxes: x, y and z?"
    assert titled("stop", "box", list("abcde")) == "Stop 5 boxes: a, b, c and 2 more?"


def test_names_in_a_title_are_one_short_line_each():
    assert name_list(["line\nbreak\u202e", "b" * 50]) == f"line break and {'b' * 29}…"
    assert plural("sandbox", 1) == "1 sandbox"
