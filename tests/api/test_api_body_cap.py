"""Bodies are read as a stream with a cap on their decoded size, pinned with ``httpx.MockTransport``.

Every response here is built with ``stream=`` so it arrives as from a socket, unread; a gzip bomb, a body
gzipped twice, an endless body and a too-large ``Content-Length`` each end in the client's too-large error
with memory bounded by the cap, and error bodies are cut at a limit instead.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from boxdeck.api import (
    DEFAULT_MAX_BODY_BYTES,
    AmikaClient,
    AmikaDecodeError,
    AmikaHTTPError,
    AmikaResponseTooLargeError,
    DevboxApiError,
    DevboxClient,
    DevboxResponseTooLargeError,
    RequestRecord,
    _http,
)
from support.api_wire import AMIKA_BASE, DEVBOX_BASE

MiB = 1024 * 1024
SANDBOX = {"id": "sb_1", "name": "dev", "state": "active"}


class Endless(httpx.AsyncByteStream):
    """A body that never ends; counts what was pulled from it."""

    def __init__(self, block: bytes = b"x" * 65536) -> None:
        self.block = block
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.pulled += len(self.block)
            yield self.block


class Chunks(httpx.AsyncByteStream):
    """A finite body delivered in network-sized pieces, produced lazily."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


def zeros_gzipped(total: int, *, wbits: int = zlib.MAX_WBITS | 16) -> Iterator[bytes]:
    """`total` zero bytes compressed as they go, cut into 64 KiB network reads."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MiB)
    pending = bytearray()
    for _ in range(total // MiB):
        pending += compressor.compress(block)
        while len(pending) >= 65536:
            yield bytes(pending[:65536])
            del pending[:65536]
    pending += compressor.flush()
    yield bytes(pending)


def regzipped(pieces: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    for piece in pieces:
        if out := compressor.compress(piece):
            yield out
    yield compressor.flush()


Handler = Callable[[httpx.Request], httpx.Response]


def streamed(status: int, stream: httpx.AsyncByteStream, **headers: str) -> Handler:
    """Answer with `stream` (unread, as from a socket); header names with `_` for `-`."""
    named = {k.replace("_", "-"): v for k, v in headers.items()}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=named, stream=stream)

    return handler


def amika(handler: Callable[[httpx.Request], httpx.Response], records: list[RequestRecord] | None = None,
          **kw: object) -> AmikaClient:
    extra = {"on_request": records.append} if records is not None else {}
    return AmikaClient(AMIKA_BASE, access_token="amk_test", transport=httpx.MockTransport(handler),
                       **extra, **kw)  # type: ignore[arg-type]


def devbox(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> DevboxClient:
    return DevboxClient(DEVBOX_BASE, sprites_token="spr_test", transport=httpx.MockTransport(handler),
                        **kw)  # type: ignore[arg-type]


async def peak_of(call: Callable[[], object]) -> tuple[BaseException | None, int]:
    """Run `call` under tracemalloc: (what it raised, the peak of Python allocations in bytes)."""
    tracemalloc.start()
    try:
        try:
            await call()  # type: ignore[misc]
        except Exception as exc:
            raised: BaseException | None = exc
        else:
            raised = None
        return raised, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_default_cap_is_far_above_a_big_fleet() -> None:
    # The simulator's list of 10,000 sandboxes is ~10 MB: 20,000 boxes fit three times over.
    assert 64 * MiB == DEFAULT_MAX_BODY_BYTES
    assert AmikaClient(access_token="t")._core.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    assert DevboxClient(sprites_token="s", max_body_bytes=5 * MiB)._core.max_body_bytes == 5 * MiB


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "64"])
def test_the_cap_must_be_a_positive_number_of_bytes(bad: object) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        amika(streamed(200, Endless()), max_body_bytes=bad)
    with pytest.raises(ValueError, match="max_body_bytes"):
        devbox(streamed(200, Endless()), max_body_bytes=bad)


async def test_the_client_asks_only_for_encodings_it_decodes_itself() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Accept-Encoding"])
        return httpx.Response(200, json=[])

    async with amika(handler) as client:
        await client.list_sandboxes()
    assert seen == ["gzip, deflate"]


@pytest.mark.parametrize(
    "encode, header",
    [
        (lambda b: gzip.compress(b), "gzip"),
        (lambda b: gzip.compress(b), "x-gzip"),
        (lambda b: zlib.compress(b), "deflate"),
        (lambda b: zlib.compress(b)[2:-4], "deflate"),  # raw deflate, as some servers send it
        (lambda b: gzip.compress(gzip.compress(b)), "gzip, gzip"),
        (lambda b: b, "identity"),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "gzip-twice", "identity"],
)
async def test_an_encoded_list_within_the_cap_is_read(encode: Callable[[bytes], bytes], header: str) -> None:
    body = json.dumps([SANDBOX] * 2000).encode()  # ~100 KB decoded, read in several steps
    stream = Chunks(iter([encode(body)]))
    async with amika(streamed(200, stream, content_encoding=header), max_body_bytes=MiB) as client:
        sandboxes = await client.list_sandboxes()
    assert len(sandboxes) == 2000 and sandboxes[0].name == "dev"


async def test_a_gzip_bomb_ends_in_a_clear_error_with_memory_bounded_by_the_cap() -> None:
    records: list[RequestRecord] = []
    stream = Chunks(zeros_gzipped(512 * MiB))
    client = amika(streamed(200, stream, content_encoding="gzip"), records, max_body_bytes=2 * MiB)
    raised, peak = await peak_of(client.list_sandboxes)
    await client.aclose()
    assert isinstance(raised, AmikaResponseTooLargeError), raised
    assert isinstance(raised, AmikaDecodeError)  # callers that catch decode errors still catch it
    assert "GET /sandboxes" in str(raised) and "larger than 2 MiB once decompressed" in str(raised)
    assert peak < 12 * MiB, f"peak {peak / MiB:.1f} MiB for a 2 MiB cap"
    assert records[-1].error == "answer too large" and records[-1].status == 200


async def test_a_body_gzipped_twice_is_undone_step_by_step() -> None:
    """590 bytes of gzip-in-gzip hold 256 MB: decoded a network chunk at a time, they would arrive at once."""
    stream = Chunks(regzipped(zeros_gzipped(256 * MiB)))
    client = devbox(streamed(200, stream, content_encoding="gzip, gzip"), max_body_bytes=2 * MiB)
    raised, peak = await peak_of(client.devboxes.list)
    await client.aclose()
    assert isinstance(raised, DevboxResponseTooLargeError), raised
    assert peak < 12 * MiB, f"peak {peak / MiB:.1f} MiB for a 2 MiB cap"


async def test_an_endless_body_stops_at_the_cap() -> None:
    stream = Endless()
    client = amika(streamed(200, stream), max_body_bytes=3 * MiB)
    raised, peak = await peak_of(client.list_sandboxes)
    await client.aclose()
    assert isinstance(raised, AmikaResponseTooLargeError), raised
    assert 3 * MiB <= stream.pulled <= 3 * MiB + 2 * len(stream.block)
    assert peak < 12 * MiB, f"peak {peak / MiB:.1f} MiB for a 3 MiB cap"


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    stream = Endless()
    client = amika(streamed(200, stream, content_length=str(10 * MiB)), max_body_bytes=MiB)
    with pytest.raises(AmikaResponseTooLargeError):
        await client.list_sandboxes()
    await client.aclose()
    assert stream.pulled == 0


@pytest.mark.parametrize("status", [429, 500, 502])
async def test_an_error_body_bomb_is_cut_and_still_gives_the_http_error(status: int) -> None:
    """Error bodies are read for a message only: cut at a limit, the status error still comes through."""
    stream = Chunks(zeros_gzipped(512 * MiB))
    client = amika(streamed(status, stream, content_encoding="gzip", retry_after="7"))
    raised, peak = await peak_of(client.list_sandboxes)
    await client.aclose()
    assert isinstance(raised, AmikaHTTPError), raised
    assert raised.status_code == status and raised.retry_after == 7
    assert len(raised.body) == _http.ERROR_BODY_BYTES
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


async def test_an_endless_error_body_gives_the_devbox_error() -> None:
    async with devbox(streamed(503, Endless())) as client:
        with pytest.raises(DevboxApiError) as info:
            await client.devboxes.list()
    assert info.value.status == 503


async def test_an_error_body_in_its_declared_charset() -> None:
    body = json.dumps({"message": "déjà là"}, ensure_ascii=False).encode("latin-1")
    latin = streamed(409, Chunks(iter([body])), content_type="application/json; charset=latin-1")
    async with amika(latin) as c:
        with pytest.raises(AmikaHTTPError) as info:
            await c.list_sandboxes()
    assert info.value.user_message == "déjà là"


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
async def test_an_encoding_the_client_did_not_ask_for_is_refused(encoding: str) -> None:
    async with amika(streamed(200, Chunks(iter([b"\x00" * 100])), content_encoding=encoding)) as client:
        with pytest.raises(AmikaDecodeError, match="which boxdeck does not read"):
            await client.list_sandboxes()


async def test_broken_gzip_is_a_decode_error() -> None:
    async with amika(streamed(200, Chunks(iter([b"not gzip at all"])), content_encoding="gzip")) as client:
        with pytest.raises(AmikaDecodeError, match="broken"):
            await client.list_sandboxes()


async def test_an_unchanged_list_gives_back_its_models_and_a_big_one_is_read_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The list memo and the thread offload work on streamed bodies."""
    body = json.dumps([{**SANDBOX, "id": f"sb_{i}", "name": f"box-{i}"} for i in range(6000)]).encode()
    assert len(body) >= _http.OFFLOAD_BYTES
    off_loop: list[str] = []
    real_to_thread = _http.asyncio.to_thread

    async def to_thread(func: Callable[..., object], *args: object, **kwargs: object) -> object:
        off_loop.append(getattr(func, "__name__", "?"))
        return await real_to_thread(func, *args, **kwargs)

    monkeypatch.setattr(_http.asyncio, "to_thread", to_thread)

    def handler(request: httpx.Request) -> httpx.Response:
        gzipped = Chunks(iter([gzip.compress(body)]))
        return httpx.Response(200, stream=gzipped, headers={"content-encoding": "gzip"})

    async with amika(handler) as client:
        first = await client.list_sandboxes()
        second = await client.list_sandboxes()
    # Both bodies are split and matched against the memo off the loop (6,000 rows are too many to even look
    # up on it); only the first has rows to validate: the second gives back the very same models.
    assert off_loop == ["decode", "models", "decode", "models"]
    assert len(first) == 6000 and all(a is b for a, b in zip(first, second, strict=True))
