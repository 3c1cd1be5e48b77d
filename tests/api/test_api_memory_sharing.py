"""Memory sharing in the wire models and list parsing must not be observable as behaviour."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from boxdeck.api._parse import parse_many
from boxdeck.api.amika_models import Sandbox
from boxdeck.api.devbox_models import Devbox


def _error(message: str) -> Exception:
    return ValueError(message)


def test_rows_with_the_same_fields_share_bookkeeping_without_changing_behaviour() -> None:
    a = Sandbox.model_validate({"id": "a", "name": "one", "state": "running"})
    b = Sandbox.model_validate({"id": "b", "name": "two", "state": "running"})
    c = Sandbox.model_validate({"id": "c", "name": "three", "state": "running", "shiny": 1})
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


def _bytes_per_row(model: type[BaseModel], rows: list[dict[str, Any]]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [model.model_validate(row) for row in rows]
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(kept) == len(rows)
    return used / len(rows)


def test_a_fleet_of_rows_costs_a_fraction_of_what_plain_models_of_the_same_fields_cost() -> None:
    """10,000 sandboxes must fit the dashboard's memory budget: rows of the same shape share what pydantic
    keeps per instance (and repeated words), so a row costs well under a plain model's share."""
    fields = [name for name in Sandbox.model_fields if name not in {"created_at", "updated_at"}][:24]
    rows = [
        {name: f"{name}-{i % 3}" for name in fields} | {"id": f"sb_{i}", "name": f"box-{i}"}
        for i in range(2000)
    ]
    plain = create_model(
        "Plain", __config__=ConfigDict(extra="allow", frozen=True), **{n: (Any, None) for n in fields}
    )
    assert _bytes_per_row(Sandbox, rows) < 0.6 * _bytes_per_row(plain, rows)
