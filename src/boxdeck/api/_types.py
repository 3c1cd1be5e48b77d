"""Forgiving pydantic field types for server responses.

The dashboard must keep showing boxes when a server omits a field, sends ``null`` where the schema says
string, or sends a number as a string. Each type here coerces what it cheaply can and otherwise falls back to
the field's empty value, so model validation of a JSON object never fails.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from ._time import parse_timestamp

__all__ = [
    "Bool",
    "Float",
    "Int",
    "JsonObject",
    "OptFloat",
    "OptInt",
    "OptStr",
    "OptWord",
    "Str",
    "StrList",
    "StrMap",
    "Timestamp",
    "WireModel",
    "Word",
    "dict_or_none",
    "dicts_only",
]


def _to_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return ""


def _to_opt_str(value: object) -> str | None:
    if value is None or isinstance(value, list | dict):
        return None
    return _to_str(value)


#: Bound of the table of shared words (see `_word`); when it fills up it starts again from empty.
_WORDS_MAX = 4096
_words: dict[str, str] = {}


def _word(value: str) -> str:
    """One shared string object per distinct value of a low-cardinality field.

    JSON decoding makes a new string object for every value, so 10,000 sandboxes in the state "running" hold
    10,000 equal copies of it (about 60 bytes each, a dozen such fields per sandbox). Equal strings are
    interchangeable, so sharing them changes nothing but memory. Long values are left alone (they are rarely
    repeated), and the table is bounded so a field that turns out to be unique cannot grow it without end.
    Not `sys.intern`: interned strings are immortal on newer Pythons, a leak for values that come and go.
    """
    if len(value) > 200:
        return value
    shared = _words.get(value)
    if shared is None:
        if len(_words) >= _WORDS_MAX:
            _words.clear()
        shared = _words[value] = value
    return shared


def _to_word(value: object) -> str:
    return _word(_to_str(value))


def _to_opt_word(value: object) -> str | None:
    text = _to_opt_str(value)
    return None if text is None else _word(text)


def _to_opt_int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


def _to_int(value: object) -> int:
    result = _to_opt_int(value)
    return 0 if result is None else result


def _to_opt_float(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _to_float(value: object) -> float:
    result = _to_opt_float(value)
    return 0.0 if result is None else result


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return False


def _to_str_tuple(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(_to_str(item) for item in value if item is not None)


def _to_str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _to_str(v) for k, v in value.items()}


def _to_json_object(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _to_timestamp(value: object) -> datetime | None:
    return parse_timestamp(value)


def dict_or_none(value: object) -> object:
    """Before-validator for an optional nested object: anything that is not a JSON object becomes None."""
    return value if isinstance(value, dict | BaseModel) else None


def dicts_only(value: object) -> object:
    """Before-validator for a list of nested objects: a non-list becomes empty, non-object items are
    dropped."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, dict | BaseModel))


Str = Annotated[str, BeforeValidator(_to_str)]
OptStr = Annotated[str | None, BeforeValidator(_to_opt_str)]
#: A `Str` whose values repeat across rows (states, providers, org and repo ids): equal values share one
#: object (see `_word`).
Word = Annotated[str, BeforeValidator(_to_word)]
OptWord = Annotated[str | None, BeforeValidator(_to_opt_word)]
Int = Annotated[int, BeforeValidator(_to_int)]
OptInt = Annotated[int | None, BeforeValidator(_to_opt_int)]
Float = Annotated[float, BeforeValidator(_to_float)]
OptFloat = Annotated[float | None, BeforeValidator(_to_opt_float)]
Bool = Annotated[bool, BeforeValidator(_to_bool)]
StrList = Annotated[tuple[str, ...], BeforeValidator(_to_str_tuple)]
StrMap = Annotated[dict[str, str], BeforeValidator(_to_str_map)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_to_json_object)]
Timestamp = Annotated[datetime | None, BeforeValidator(_to_timestamp)]


class WireModel(BaseModel):
    """Base of every response model: extra wire fields are kept (servers add fields), and instances are frozen
    because the service layer keeps them in snapshots and diffs old against new."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unencodable_keys(cls, data: Any) -> Any:
        """Drop the keys that cannot be encoded as UTF-8 (a lone surrogate, valid JSON as ``"x\\ud800"``).

        Pydantic refuses such a key as an extra field, which would make the whole object (and so the row of
        a list) unreadable; no field is declared under such a name, so nothing is lost but the odd extra.
        Values are left alone: a lone surrogate inside text is kept verbatim for the service to sanitize.
        """
        if isinstance(data, dict) and not all(isinstance(k, str) and k.isascii() for k in data):
            return {k: v for k, v in data.items() if not isinstance(k, str) or _encodable(k)}
        return data

    @model_validator(mode="after")
    def _share_bookkeeping(self) -> Self:
        """Share pydantic's per-instance bookkeeping between instances that carry the same.

        Every validated instance gets its own ``__pydantic_fields_set__`` (a set of the field names the wire
        sent: ~2.3 KB for a 32-field sandbox, three times its ``__dict__``) and, with ``extra="allow"``, its
        own empty ``__pydantic_extra__``. Rows of a list almost always carry the same fields and no extras,
        so with 10,000 sandboxes that was ~25 MB of identical sets. Instances are frozen, so nothing adds to
        either in place (pydantic's ``model_copy`` copies both before updating them); equal content keeps
        equality, ``model_fields_set`` and ``model_dump(exclude_unset=True)`` exactly as they were.
        """
        fields_set = self.__pydantic_fields_set__
        key = frozenset(fields_set)
        shared = _FIELDS_SETS.get(key)
        if shared is None:
            if len(_FIELDS_SETS) >= _FIELDS_SETS_MAX:
                _FIELDS_SETS.clear()
            shared = _FIELDS_SETS[key] = fields_set
        elif shared is not fields_set:
            object.__setattr__(self, "__pydantic_fields_set__", shared)
        if self.__pydantic_extra__ is not None and not self.__pydantic_extra__:
            object.__setattr__(self, "__pydantic_extra__", _NO_EXTRA)
        return self


#: Shared `__pydantic_fields_set__` sets by content (bounded: a server sending every subset of the optional
#: fields must not grow it without end), and the shared empty `__pydantic_extra__`.
_FIELDS_SETS_MAX = 1024
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
_NO_EXTRA: dict[str, Any] = {}


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
