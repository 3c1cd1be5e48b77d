"""Memory sharing in the wire models and list parsing must not be observable as behaviour."""

from __future__ import annotations

from boxdeck.api._parse import parse_many
from boxdeck.api.amika_models import Sandbox
from boxdeck.api.devbox_models import Devbox


def _error(message: str) -> Exception:
    return ValueError(message)


def test_rows_with_the_same_fields_share_bookkeeping_without_changing_behaviour() -> None:
    a = Sandbox.model_validate({"id": "a", "name": "one", "state": "running"})
    b = Sandbox.model_validate({"id": "b", "name": "two", "state": "running"})
    c = Sandbox.model_validate({"id": "c", "name": "three", "state": "running", "shiny": 1})
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert a.__pydantic_extra__ is b.__pydantic_extra__
    assert a.state is b.state  # a repeated word is one object
    assert c.model_extra == {"shiny": 1} and a.model_extra == {}
    assert a.model_fields_set == {"id", "name", "state"}
    assert a.model_dump(exclude_unset=True) == {"id": "a", "name": "one", "state": "running"}
    assert a == Sandbox.model_validate({"id": "a", "name": "one", "state": "running"})
    copied = a.model_copy(update={"branch": "main"})
    assert copied.model_fields_set == {"id", "name", "state", "branch"}
    assert a.model_fields_set == {"id", "name", "state"}  # the shared set was not touched
    assert b.model_fields_set == {"id", "name", "state"}


def test_parse_many_keeps_order_and_skips_bad_rows() -> None:
    rows = [{"id": "1", "name": "a"}, "junk", {"id": "2", "name": "b"}, {"id": "3", "name": "c"}]
    out = parse_many(Devbox, {"data": rows}, what="devbox list", error=_error, key="data")
    assert [d.id for d in out] == ["1", "2", "3"]
