"""Reading an answer's body with a cap on its size once decoded.

A body is read raw and decoded here, a bounded step at a time, rather than with httpx's own decoders: those
inflate each network chunk whole, so 64 KB of gzip becomes 64 MB in one step, and a 590-byte body gzipped
twice (``Content-Encoding: gzip, gzip``) becomes 256 MB before the caller sees its first byte. Here no
step produces more than ``STEP`` bytes, and reading stops as soon as the decoded size passes the cap, so a
gzip bomb or an endless body costs at most the cap, whatever it would have grown to.

Only the encodings the clients ask for (``ACCEPT_ENCODING``) are decoded; anything else is refused rather
than passed on undecoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final

import httpx

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_MAX_BODY_BYTES",
    "ERROR_BODY_BYTES",
    "BodyEncodingError",
    "BodyTooLarge",
    "check_limit",
    "describe_size",
    "read_body",
]

#: The largest decoded body a client reads by default. The simulator's list of 10,000 sandboxes is about
#: 10 MB (10,000 devboxes: 2 MB), so 20,000 boxes fit three times over.
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024 * 1024

#: An error body is only read for its message: anything past this is dropped (not an error).
ERROR_BODY_BYTES: Final = 1024 * 1024

#: What the clients tell servers they can decode; other encodings are refused.
ACCEPT_ENCODING: Final = "gzip, deflate"

#: The most one decoding step may produce.
STEP: Final = 256 * 1024

_IDENTITY = frozenset({"", "identity"})
_GZIP = frozenset({"gzip", "x-gzip"})


class BodyTooLarge(Exception):
    """The decoded body passed ``limit`` bytes; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {describe_size(limit)} once decompressed")
        self.limit = limit


class BodyEncodingError(Exception):
    """The body's ``Content-Encoding`` is not one the clients read, or its compressed data is broken."""


def describe_size(size: int) -> str:
    """``67108864`` -> ``"64 MiB"``; sizes under 1 MiB in KiB, under 1 KiB in bytes."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def check_limit(value: object, *, what: str = "max_body_bytes") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive number of bytes")
    return value


class _Inflater:
    """One content coding (gzip or deflate), undone at most ``STEP`` output bytes at a time."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in _GZIP
        self._zlib_header = True  # deflate: the zlib wrapper first, raw deflate if that fails (as httpx)
        self._obj = self._new()
        self._started = False

    def _new(self) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        return zlib.decompressobj(zlib.MAX_WBITS if self._zlib_header else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while not self._obj.eof:
            try:
                out = self._obj.decompress(pending, STEP)
            except zlib.error as exc:
                if not self._gzip and self._zlib_header and not self._started:
                    self._zlib_header = False
                    self._obj = self._new()
                    continue
                raise BodyEncodingError(f"the compressed body is broken ({exc})") from None
            self._started = True
            pending = self._obj.unconsumed_tail
            if out:
                yield out
            if not pending and len(out) < STEP:  # all input used and nothing held back
                return

    def finish(self) -> bytes:
        try:
            return self._obj.flush()
        except zlib.error as exc:
            raise BodyEncodingError(f"the compressed body is broken ({exc})") from None


def _inflaters(content_encoding: str) -> list[_Inflater]:
    """The decoders to run, in decoding order (the header lists codings in the order they were applied)."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    out: list[_Inflater] = []
    for coding in reversed(codings):
        if coding in _IDENTITY:
            continue
        if coding not in _GZIP and coding != "deflate":
            raise BodyEncodingError(f"the body is encoded as {coding[:40]!r}, which boxdeck does not read")
        out.append(_Inflater(coding))
    return out


def _through(stages: list[_Inflater], index: int, data: bytes) -> Iterator[bytes]:
    if index == len(stages):
        if data:
            yield data
        return
    for piece in stages[index].feed(data):
        yield from _through(stages, index + 1, piece)


async def read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytearray:
    """The decoded body of a streamed response, at most ``limit`` bytes.

    Past the limit: ``BodyTooLarge``, or with ``truncate`` the first ``limit`` bytes (for error bodies, read
    only for a message). The caller closes the response, which drops whatever was not read.
    """
    if response.is_stream_consumed:  # built in memory (a test transport): read and decoded when it was built
        content = response.content
        if len(content) > limit and not truncate:
            raise BodyTooLarge(limit)
        return bytearray(content[:limit])
    stages = _inflaters(response.headers.get("Content-Encoding", ""))
    declared = response.headers.get("Content-Length", "")
    if not stages and not truncate and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()

    def take(piece: bytes) -> bool:
        """Keep `piece`; False once the limit is reached (stop reading)."""
        room = limit - len(body)
        if len(piece) <= room:
            body.extend(piece)
            return True
        if not truncate:
            raise BodyTooLarge(limit)
        body.extend(piece[:room])
        return False

    async for raw in response.aiter_raw():
        for piece in _through(stages, 0, raw):
            if not take(piece):
                return body
    for index, stage in enumerate(stages):
        for piece in _through(stages, index + 1, stage.finish()):
            if not take(piece):
                return body
    return body
