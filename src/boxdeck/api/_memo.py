"""The last list a client parsed, remembered row by row by the exact bytes each row came in.

A dashboard asks for the same list every few seconds, and between two polls of a fleet almost every row is
byte-for-byte what it was: a box or two moved. Decoding and validating every row again was most of a poll's
CPU (pydantic with lenient field types costs ~20 µs a row, decoding ~4 µs), so the list is split into its
rows' raw JSON without decoding them (msgspec's `Raw`, about 1 ms for 1,000 rows), and a row whose bytes the
memo saw in the last body is answered with the model built from them then. Only the rows that changed are
decoded and validated.

Handing back the previous objects also means a long-running poller keeps one copy of each model however often
it polls, and comparing an unchanged row later is an identity check.

A row is known by ``hash()`` of its bytes (with the length). bytes hashes are keyed per process (SipHash with
a random key), so a server cannot choose rows that collide, and an accidental 64-bit collision between two
rows of one fleet is not a practical risk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from pydantic import BaseModel

from ._parse import parse_row

__all__ = ["ListMemo", "Rows"]

#: When more rows than this need validating, they are validated in a worker thread, off the event loop.
OFFLOAD_ITEMS = 200
#: A list longer than this is matched against the memo in a worker thread whatever changed.
OFFLOAD_ROWS = 2_000

M = TypeVar("M", bound=BaseModel)
Fingerprint = tuple[int, int]

_AS_ROWS = msgspec.json.Decoder(list[msgspec.Raw])
_AS_ENVELOPE = msgspec.json.Decoder(dict[str, msgspec.Raw])


@dataclass(frozen=True, slots=True)
class Rows:
    """A list body split into its rows' bytes, each with its fingerprint (see the module's docstring)."""

    rows: list[tuple[Fingerprint, bytes]]


class ListMemo(Generic[M]):
    """One per list endpoint of one client (not shared). `key` names the envelope's list (``{key: [...]}``),
    for APIs that may wrap the array; a bare array is always accepted."""

    def __init__(self, model: type[M], *, key: str | None = None) -> None:
        self._model = model
        self._key = key
        self._by_row: dict[Fingerprint, M] = {}

    def decode(self, body: bytes | bytearray) -> Any:
        """The body as `Rows` when it is a JSON array (bare or in the envelope), else its plain JSON (None
        for an empty body). Raises ValueError for a body that is not JSON, as `json.loads` does."""
        if not body or body.isspace():
            return None
        try:
            return Rows([((hash(row), len(row)), row) for row in map(bytes, self._split(body))])
        except msgspec.DecodeError:  # another shape, or JSON msgspec reads stricter (NaN, UTF-16): as before
            return json.loads(body)

    def _split(self, body: bytes | bytearray) -> list[msgspec.Raw]:
        if self._key is not None and body.lstrip()[:1] == b"{":
            inner = _AS_ENVELOPE.decode(body).get(self._key)
            if inner is None:
                raise msgspec.DecodeError("no list under the key")
            return _AS_ROWS.decode(inner)
        return _AS_ROWS.decode(body)

    def models(self, data: Any, *, parse: Callable[[Any], list[M]]) -> list[M]:
        """The models of a decoded body: unchanged rows as the remembered objects, the others validated (a
        row that is not an object, or that pydantic cannot read, is skipped, as in `parse_many`). A body that
        is not a list is given to `parse` (which raises the client's decode error for a wrong shape)."""
        if not isinstance(data, Rows):
            items = parse(data)
            self._by_row = {}
            return items
        previous = self._by_row
        kept: dict[Fingerprint, M] = {}
        items = []
        for fingerprint, row in data.rows:
            model = previous.get(fingerprint)
            if model is None:
                try:
                    decoded = json.loads(row)
                except ValueError:
                    continue
                model = parse_row(self._model, decoded)
                if model is None:
                    continue
            kept[fingerprint] = model
            items.append(model)
        self._by_row = kept
        return items

    async def models_async(self, data: Any, *, parse: Callable[[Any], list[M]]) -> list[M]:
        """`models`, in a worker thread when many rows need validating (5,000 rows take ~100 ms) or the list
        is long enough that even looking every row up would hold the event loop."""
        if isinstance(data, Rows) and len(data.rows) > OFFLOAD_ROWS:
            return await asyncio.to_thread(self.models, data, parse=parse)
        if isinstance(data, Rows):
            previous = self._by_row
            todo = sum(1 for fingerprint, _ in data.rows if fingerprint not in previous)
        else:
            rows = data.get(self._key) if isinstance(data, dict) and self._key is not None else data
            todo = len(rows) if isinstance(rows, list) else 0
        if todo > OFFLOAD_ITEMS:
            return await asyncio.to_thread(self.models, data, parse=parse)
        return self.models(data, parse=parse)
