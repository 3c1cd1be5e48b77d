"""Secret values are write-only: after ``SecretStore.create/update/create_provider`` nothing reachable
from the store (its client, the HTTP core, the pooled httpx client and transport) holds the value, and no
error a user or a log could see quotes it — also when the server echoes the value back in its error body.
"""

from __future__ import annotations

import gc
import json
import secrets
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

import httpx
import pytest

from boxdeck.api import AmikaClient
from boxdeck.service.actions.secret_store import SecretError, SecretStore
from boxdeck.sim import SimServer
from support.security import SECURITY_SIM

_SKIP = (type, ModuleType, FunctionType, BuiltinFunctionType, int, float, bool, type(None))


def _children(obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict):
        yield from obj.keys()
        yield from obj.values()
        return
    if isinstance(obj, list | tuple | set | frozenset | deque):
        yield from obj
        return
    if isinstance(obj, MethodType):
        yield obj.__self__
        return
    if isinstance(obj, str | bytes | bytearray | memoryview):
        return
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        yield from state.values()
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and hasattr(obj, slot):
                yield getattr(obj, slot)
    if isinstance(obj, Callable):  # closures (auth header factories and the like)
        for cell in getattr(obj, "__closure__", None) or ():
            yield cell.cell_contents


def holders(root: Any, value: str, *, limit: int = 200_000) -> list[str]:
    """Type names of objects reachable from ``root`` that contain ``value`` (as text or UTF-8 bytes)."""
    needle = value.encode()
    seen: set[int] = set()
    queue: deque[tuple[Any, str]] = deque([(root, type(root).__name__)])
    found: list[str] = []
    while queue and len(seen) < limit:
        obj, path = queue.popleft()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if value in obj:
                found.append(path)
            continue
        if isinstance(obj, bytes | bytearray | memoryview):
            if needle in bytes(obj):
                found.append(path)
            continue
        for child in _children(obj):
            queue.append((child, f"{path}>{type(child).__name__}"))
    return found


def _rendered(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), "".join(traceback.format_exception(exc))])


@pytest.fixture(scope="module")
def secret_sim() -> Iterator[SimServer]:
    with SimServer(SECURITY_SIM) as server:
        yield server


def _value() -> str:
    return "sv_SECRET_VALUE_" + secrets.token_hex(12)


async def test_created_and_updated_values_are_not_kept(secret_sim: SimServer) -> None:
    secret_sim.reset(demo_world=False)
    async with AmikaClient(secret_sim.base_url, access_token=secret_sim.amika_token) as amika:
        store = SecretStore(amika)
        values = [_value() for _ in range(5)]
        await store.create("CANARY_ONE", values[0])
        listed = await store.list()
        target = next(s for s in listed if s.name == "CANARY_ONE")
        await store.update(target.id, values[1], name="CANARY_ONE")
        await store.create_provider("claude", "canary-key", "api_key", values[2])
        await store.create_provider(
            "codex", "canary-oauth", "oauth", json.dumps({"tokens": {"access_token": values[3]}})
        )
        with pytest.raises(SecretError) as info:  # a duplicate: the server refuses, the value must not linger
            await store.create("CANARY_ONE", values[4])
        gc.collect()
        for value in values:
            assert holders(store, value) == [], value[:20]
            assert value not in _rendered(info.value)
        listing = repr(await store.list()) + repr(await store.list_provider("claude"))
        assert not any(v in listing for v in values)


@pytest.mark.parametrize("status", [400, 409, 422, 500])
async def test_values_echoed_by_a_server_error_do_not_reach_messages_or_the_store(status: int) -> None:
    """A server that quotes the request body in its error: the SecretError (what the UI shows and logs) does
    not carry the value, and neither does anything reachable from the store."""
    value = _value()

    def echo(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        return httpx.Response(status, json={"type": "error", "code": "bad", "message": f"rejected {body}"})

    async with AmikaClient(
        "https://amika.test", access_token="amk_store_token_123", transport=httpx.MockTransport(echo)
    ) as amika:
        store = SecretStore(amika)
        calls = [
            lambda: store.create("NAME", value),
            lambda: store.update("sec_1", value),
            lambda: store.create_provider("claude", "n", "api_key", value),
        ]
        for call in calls:
            with pytest.raises(SecretError) as info:
                await call()
            assert value not in _rendered(info.value)
            assert value not in str(info.value.message)
        gc.collect()
        assert holders(store, value) == []


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda v: ("oauth", json.dumps({"claudeAiOauth": {"accessToken": v}})), id="oauth-json"),
        pytest.param(lambda v: ("generic", 'pa"ss\\word-' + v), id="generic-with-quote-and-backslash"),
    ],
)
async def test_json_escaped_echo_of_a_value_is_masked_too(make: Callable[[str], tuple[str, str]]) -> None:
    """The echo arrives JSON-escaped (``{\\"accessToken\\": …}``), which is not the raw value the store
    redacts: the token inside an OAuth credential, or a value with a quote, must still not reach the
    message."""
    inner = _value()
    kind, value = make(inner)

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"type": "error", "code": "bad", "message": f"rejected {request.content.decode()}"}
        )

    async with AmikaClient(
        "https://amika.test", access_token="amk_store_token_123", transport=httpx.MockTransport(echo)
    ) as amika:
        store = SecretStore(amika)
        with pytest.raises(SecretError) as info:
            if kind == "oauth":
                await store.create_provider("claude", "n", "oauth", value)
            else:
                await store.create("NAME", value)
        assert inner not in _rendered(info.value)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` / ``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__]
    return seen


@pytest.mark.parametrize("status", [400, 404, 409, 500])
async def test_the_raised_error_does_not_chain_to_the_client_error_holding_the_echo(status: int) -> None:
    """``raise … from None`` only hides the chain from tracebacks: ``__context__`` would still point at the
    client error whose body quotes the value. The store raises after its ``except`` block instead, so nothing
    reachable from the error (cause, context, their attributes) holds the value."""
    value = _value()
    oauth = json.dumps({"claudeAiOauth": {"accessToken": value, "refreshToken": value[::-1]}})

    def echo(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        return httpx.Response(status, json={"type": "error", "code": "bad", "message": f"rejected {body}"})

    async with AmikaClient(
        "https://amika.test", access_token="amk_store_token_123", transport=httpx.MockTransport(echo)
    ) as amika:
        store = SecretStore(amika)
        calls = [
            lambda: store.create("NAME", value),
            lambda: store.update("sec_1", value),
            lambda: store.create_provider("claude", "n", "api_key", value),
            lambda: store.create_provider("claude", "n", "oauth", oauth),
        ]
        for call in calls:
            with pytest.raises(SecretError) as info:
                await call()
            error = info.value
            assert error.__cause__ is None and error.__context__ is None
            for e in _chain(error):
                for secret in (value, value[::-1]):
                    assert secret not in _rendered(e)
                    assert secret not in repr(e.args)
                    assert holders(e, secret) == [], type(e).__name__


async def test_a_multi_line_oauth_credential_echoed_raw_is_masked() -> None:
    """A pretty-printed credential echoed as is: the error text is made one line (newlines become spaces)
    before it is redacted, so the collapsed form, and each token inside, is masked too."""
    value = _value()
    oauth = json.dumps({"tokens": {"access_token": value, "account": "acct_12345678"}}, indent=2)

    def echo(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["value"]
        return httpx.Response(422, json={"message": f"rejected {sent}"})

    async with AmikaClient(
        "https://amika.test", access_token="amk_store_token_123", transport=httpx.MockTransport(echo)
    ) as amika:
        with pytest.raises(SecretError) as info:
            await SecretStore(amika).create_provider("codex", "n", "oauth", oauth)
    rendered = _rendered(info.value)
    assert value not in rendered and "acct_12345678" not in rendered
    assert "Could not create codex credential" in str(info.value)
