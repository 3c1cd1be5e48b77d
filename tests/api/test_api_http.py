"""Plumbing shared by both clients.

Constructor rules, base-URL safety, tokens, transport failures, the request log, Retry-After, lifecycle.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from boxdeck.api import (
    AmikaClient,
    AmikaDecodeError,
    AmikaError,
    AmikaHTTPError,
    AmikaTimeoutError,
    AmikaTransportError,
    DevboxApiError,
    DevboxClient,
    DevboxError,
    DevboxRequestTimeoutError,
    DevboxTransportError,
    RequestRecord,
    StaticTokenSource,
    TokenSource,
    parse_retry_after,
)
from support.api_wire import AMIKA_BASE, DEVBOX_BASE, Wire

# ------------------------------------------------------------------------------------------- constructor


def test_amika_requires_a_token() -> None:
    with pytest.raises(ValueError, match="access_token or token_source is required"):
        AmikaClient(AMIKA_BASE)


def test_amika_empty_token_counts_as_missing() -> None:
    with pytest.raises(ValueError, match="required"):
        AmikaClient(AMIKA_BASE, access_token="")


def test_amika_refuses_both_tokens() -> None:
    with pytest.raises(ValueError, match="not both"):
        AmikaClient(AMIKA_BASE, access_token="a", token_source=StaticTokenSource("b"))


def test_default_base_urls() -> None:
    assert AmikaClient(access_token="t").base_url == "https://app.amika.dev/api/v0beta1"
    assert DevboxClient(sprites_token="s").base_url == "https://api.devbox-sdk.dev/api/v1"


@pytest.mark.parametrize(
    "base",
    [
        "http://127.0.0.1:8000",
        "http://127.5.6.7",
        "http://localhost:9000/",
        "http://LOCALHOST",
        "http://[::1]:8080",
        "https://example.com",
    ],
)
def test_allowed_base_urls(base: str) -> None:
    AmikaClient(base, access_token="t")
    DevboxClient(base, sprites_token="s")


@pytest.mark.parametrize(
    "base",
    [
        "http://example.com",
        "http://10.0.0.1",
        "http://localhost.evil.com",
        "http://128.0.0.1",
        "ftp://example.com",
        "example.com",
        "",
        "https://user:pw@example.com",
        "https://example.com/?x=1",
    ],
)
def test_refused_base_urls(base: str) -> None:
    with pytest.raises(ValueError):
        AmikaClient(base, access_token="t")
    with pytest.raises(ValueError):
        DevboxClient(base, sprites_token="s")


async def test_allow_insecure_opts_in_to_plain_http(wire: Wire) -> None:
    wire.reply(200, [])
    async with AmikaClient(
        "http://example.com", access_token="t", allow_insecure=True, transport=wire.transport
    ) as client:
        await client.list_sandboxes()
    assert str(wire.last.url) == "http://example.com/api/v0beta1/sandboxes"
    DevboxClient("http://example.com", sprites_token="s", allow_insecure=True)


def test_repr_never_shows_tokens() -> None:
    amika = AmikaClient(AMIKA_BASE, access_token="amk_secret_123")
    devbox = DevboxClient(DEVBOX_BASE, sprites_token="spr_secret_456", user_token="usr_secret_789")
    text = repr(amika) + repr(devbox) + repr(StaticTokenSource("tok_secret")) + str(vars(amika))
    for secret in ("amk_secret_123", "spr_secret_456", "usr_secret_789", "tok_secret"):
        assert secret not in text


@pytest.mark.parametrize("bad", ["tok\nen", "tök", "tok\x00"])
def test_unsendable_token_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        AmikaClient(AMIKA_BASE, access_token=bad)
    assert bad not in str(info.value)
    with pytest.raises(ValueError):
        DevboxClient(DEVBOX_BASE, sprites_token=bad)


# ------------------------------------------------------------------------------------------------ tokens


class CountingSource:
    def __init__(self) -> None:
        self.calls = 0

    def token(self) -> str:
        self.calls += 1
        return f"tok-{self.calls}"


class AsyncCountingSource:
    def __init__(self) -> None:
        self.calls = 0

    async def token(self) -> str:
        await asyncio.sleep(0)
        self.calls += 1
        return f"atok-{self.calls}"


@pytest.mark.parametrize(("source_type", "prefix"), [(CountingSource, "tok"), (AsyncCountingSource, "atok")])
async def test_token_source_asked_on_every_request(
    wire: Wire, source_type: type[CountingSource] | type[AsyncCountingSource], prefix: str
) -> None:
    source = source_type()
    assert isinstance(source, TokenSource)
    wire.reply(200, []).reply(200, [])
    async with AmikaClient(AMIKA_BASE, token_source=source, transport=wire.transport) as client:
        await client.list_sandboxes()
        await client.list_sandboxes()
    assert [r.headers["authorization"] for r in wire.requests] == [f"Bearer {prefix}-1", f"Bearer {prefix}-2"]
    assert source.calls == 2


async def test_devbox_accepts_token_sources(wire: Wire) -> None:
    sprites, user = CountingSource(), AsyncCountingSource()
    wire.reply(200, []).reply(200, [])
    async with DevboxClient(
        DEVBOX_BASE, sprites_token=sprites, user_token=user, transport=wire.transport
    ) as c:
        await c.devboxes.list()
        await c.devboxes.list()
    assert wire.last.headers["x-sprites-token"] == "tok-2"
    assert wire.last.headers["authorization"] == "Bearer atok-2"


class BrokenSource:
    def token(self) -> str:
        raise RuntimeError("keychain locked")


class JunkSource:
    def token(self) -> object:
        return 42


@pytest.mark.parametrize("source", [BrokenSource(), JunkSource()])
async def test_bad_token_source_raises_client_error_and_sends_nothing(
    wire: Wire, source: TokenSource
) -> None:
    async with AmikaClient(AMIKA_BASE, token_source=source, transport=wire.transport) as client:
        with pytest.raises(AmikaError):
            await client.list_sandboxes()
    async with DevboxClient(DEVBOX_BASE, sprites_token=source, transport=wire.transport) as dclient:
        with pytest.raises(DevboxError):
            await dclient.devboxes.list()
    assert wire.requests == []


# ------------------------------------------------------------------------------------- transport failures


@pytest.mark.parametrize(
    ("exc", "amika_type", "devbox_type"),
    [
        (httpx.ConnectError("connection refused"), AmikaTransportError, DevboxTransportError),
        (httpx.ReadTimeout("timed out"), AmikaTimeoutError, DevboxRequestTimeoutError),
        (httpx.ConnectTimeout("timed out"), AmikaTimeoutError, DevboxRequestTimeoutError),
        (httpx.RemoteProtocolError("peer closed"), AmikaTransportError, DevboxTransportError),
    ],
)
async def test_transport_failures_are_wrapped(
    wire: Wire, exc: Exception, amika_type: type[Exception], devbox_type: type[Exception]
) -> None:
    wire.fail(exc).fail(exc)
    async with AmikaClient(AMIKA_BASE, access_token="t", transport=wire.transport) as amika:
        with pytest.raises(amika_type) as info:
            await amika.get_sandbox("dev")
    assert isinstance(info.value, AmikaError) and not isinstance(info.value, AmikaHTTPError)
    assert info.value.__cause__ is exc
    async with DevboxClient(DEVBOX_BASE, sprites_token="s", transport=wire.transport) as devbox:
        with pytest.raises(devbox_type) as dinfo:
            await devbox.devboxes.get("db")
    assert isinstance(dinfo.value, DevboxError) and not isinstance(dinfo.value, DevboxApiError)


async def test_total_request_deadline_applies(wire: Wire) -> None:
    class Stalling(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(10)
            raise AssertionError("not reached")

    async with AmikaClient(AMIKA_BASE, access_token="t", transport=Stalling(), timeout=0.01) as client:
        with pytest.raises(AmikaTimeoutError):
            await client.list_sandboxes()


async def test_non_json_2xx_is_amika_error(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, text="<html>captive portal</html>")
    with pytest.raises(AmikaDecodeError):
        await amika.get_sandbox("dev")


async def test_empty_2xx_for_list_is_empty(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204)
    assert await amika.list_sandboxes() == []


# ------------------------------------------------------------------------------------------- request log


async def test_on_request_records_success_and_failures(amika: AmikaClient, wire: Wire, records: list) -> None:
    wire.reply(200, []).reply(404, {"message": "gone"}).fail(httpx.ConnectError("refused"))
    await amika.list_sandboxes()
    with pytest.raises(AmikaHTTPError):
        await amika.get_sandbox("a b")
    with pytest.raises(AmikaTransportError):
        await amika.delete_sandbox("x")
    assert [(r.api, r.method, r.path, r.status, r.error) for r in records] == [
        ("amika", "GET", "/sandboxes", 200, None),
        ("amika", "GET", "/sandboxes/a%20b", 404, "HTTP 404"),
        ("amika", "DELETE", "/sandboxes/x", None, "ConnectError: refused"),
    ]
    assert all(isinstance(r, RequestRecord) and r.latency_s >= 0 for r in records)
    with pytest.raises(AttributeError):
        records[0].status = 500  # frozen


async def test_on_request_devbox_and_decode_failure(devbox: DevboxClient, wire: Wire, records: list) -> None:
    wire.reply(200, text="nope")
    with pytest.raises(DevboxError):
        await devbox.devboxes.get("db-1")
    assert records == [
        RequestRecord("devbox", "GET", "/devboxes/db-1", 200, records[0].latency_s, "invalid JSON")
    ]


async def test_records_carry_no_tokens_headers_or_bodies(
    devbox: DevboxClient, wire: Wire, records: list
) -> None:
    wire.reply(202, {"id": "db-1"})
    await devbox.devboxes.create("box", claude_token="cl_secret", env={"PASSWORD": "hunter2"})
    text = repr(records)
    for secret in ("spr_test", "usr_test", "cl_secret", "hunter2"):
        assert secret not in text


async def test_broken_observer_does_not_break_requests(wire: Wire) -> None:
    def explode(record: RequestRecord) -> None:
        raise RuntimeError("log is full")

    wire.reply(200, [])
    async with AmikaClient(AMIKA_BASE, access_token="t", transport=wire.transport, on_request=explode) as c:
        assert await c.list_sandboxes() == []


# ------------------------------------------------------------------------------------------- Retry-After


async def test_retry_after_seconds_on_both_clients(
    amika: AmikaClient, devbox: DevboxClient, wire: Wire
) -> None:
    wire.reply(429, {"message": "slow down"}, headers={"Retry-After": "7"})
    wire.reply(429, {"detail": "slow down"}, headers={"Retry-After": "2.5"})
    wire.reply(500, {"detail": "x"})
    with pytest.raises(AmikaHTTPError) as a:
        await amika.list_sandboxes()
    with pytest.raises(DevboxApiError) as d:
        await devbox.devboxes.list()
    with pytest.raises(DevboxApiError) as none:
        await devbox.devboxes.list()
    assert a.value.retry_after == 7.0
    assert d.value.retry_after == 2.5
    assert none.value.retry_after is None


def test_parse_retry_after_forms() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    for junk in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(junk) is None


# ------------------------------------------------------------------------------------------ lifecycle


async def test_one_pooled_client_reused_and_closed(wire: Wire) -> None:
    wire.reply(200, []).reply(200, []).reply(200, [])
    client = AmikaClient(AMIKA_BASE, access_token="t", transport=wire.transport)
    assert client._core._client is None  # lazily created
    await client.list_sandboxes()
    pooled = client._core._client
    await client.list_sandboxes()
    assert client._core._client is pooled and pooled is not None
    await client.aclose()
    assert pooled.is_closed and client._core._client is None
    await client.list_sandboxes()  # a later call opens a fresh pool
    await client.aclose()


async def test_context_managers_close(wire: Wire) -> None:
    wire.reply(200, []).reply(200, [])
    async with AmikaClient(AMIKA_BASE, access_token="t", transport=wire.transport) as amika:
        await amika.list_sandboxes()
        inner = amika._core._client
    async with DevboxClient(DEVBOX_BASE, sprites_token="s", transport=wire.transport) as devbox:
        await devbox.devboxes.list()
        dinner = devbox._core._client
    assert inner is not None and inner.is_closed
    assert dinner is not None and dinner.is_closed


async def test_aclose_without_requests_is_harmless() -> None:
    await AmikaClient(AMIKA_BASE, access_token="t").aclose()
    await DevboxClient(DEVBOX_BASE, sprites_token="s").aclose()
