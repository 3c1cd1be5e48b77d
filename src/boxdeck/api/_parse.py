"""Turning decoded JSON into models, with the list envelopes each API uses.

A response of the wrong overall shape (a string where an object belongs) is a server bug the caller should
hear about as the client's own decode error; a single malformed row inside a list is skipped instead, so one
bad record does not blank a whole dashboard table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["parse_many", "parse_one", "parse_optional", "parse_row"]

M = TypeVar("M", bound=BaseModel)
ErrorFactory = Callable[[str], Exception]


def parse_one(model: type[M], data: object, *, what: str, error: ErrorFactory) -> M:
    """One object the endpoint must return; anything else (including an empty body) is a decode error."""
    if not isinstance(data, dict):
        got = "an empty body" if data is None else f"JSON {type(data).__name__}"
        raise error(f"expected a JSON object for {what}, got {got}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:  # only reachable through a nested shape the lenient types cannot repair
        raise error(f"could not read {what}: {exc.error_count()} invalid field(s)") from exc


def parse_optional(model: type[M], data: object, *, what: str, error: ErrorFactory) -> M | None:
    """An object the server may leave out (an empty 2xx, ``null``)."""
    if data is None:
        return None
    return parse_one(model, data, what=what, error=error)


def parse_many(
    model: type[M],
    data: object,
    *,
    what: str,
    error: ErrorFactory,
    key: str | None = None,
) -> list[M]:
    """A list of objects, either a bare array or wrapped as ``{key: [...]}``; both shapes are accepted because
    servers disagree and it costs nothing. ``null`` and a missing key give an empty list.
    """
    if isinstance(data, dict) and key is not None:
        data = data.get(key)
    if data is None:
        return []
    if not isinstance(data, list):
        raise error(f"expected a JSON array for {what}, got JSON {type(data).__name__}")
    rows = (parse_row(model, item) for item in data)
    return [row for row in rows if row is not None]


def parse_row(model: type[M], item: object) -> M | None:
    """`item` as a model; None for a row that is not an object, or that pydantic cannot read."""
    if not isinstance(item, dict):
        return None
    try:
        return model.model_validate(item)
    except ValidationError:
        return None
