"""Hostile server data through every method of both clients: only typed errors or parsed models come out.

Each example serves one generated response (status, headers, body) through ``httpx.MockTransport`` to every
method of ``AmikaClient`` and ``DevboxClient``. Whatever the server sends (wrong types, missing and extra
fields, unknown states, ~100 KB and unicode strings, Rich markup, ANSI/OSC escapes, non-JSON, truncated JSON,
any status from 100 to 599, broken headers, dropped connections), a call either returns the documented type or
raises the client's own error (``AmikaError`` / ``DevboxError`` subclasses) with a bounded message — never a
bare ``KeyError``, ``TypeError``, ``ValidationError``, ``JSONDecodeError``, ``RecursionError`` or httpx error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from boxdeck.api import (
    AccessSession,
    AgentSendResult,
    AmikaClient,
    AmikaError,
    Devbox,
    DevboxClient,
    DevboxError,
    DevboxRepository,
    ExecSession,
    GitHubConnection,
    GitHubOrg,
    GitHubRepo,
    OAuthStart,
    Operation,
    OrgGrantsResult,
    ProviderSecret,
    Sandbox,
    Secret,
    Session,
    SSHInfo,
    UserProfile,
)
from support.hostile_data import (
    AMIKA_FIELDS,
    DEVBOX_FIELDS,
    HOSTILE_STRINGS,
    bodies,
    record,
    response_headers,
    statuses,
)

FUZZ = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
#: An error message may quote the server, but never whole: a 100 KB body must not become a 100 KB message.
MAX_MESSAGE = 2_000

Call = Callable[[], Awaitable[Any]]


class _Time:
    """Fake monotonic clock whose sleep advances it, so the wait helpers finish without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.5)


def _is(*types: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, types)


def _list_of(model: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(isinstance(v, model) for v in value)


def _none(value: Any) -> bool:
    return value is None


def amika_calls(c: AmikaClient) -> list[tuple[str, Call, Callable[[Any], bool]]]:
    return [
        ("list_sandboxes", c.list_sandboxes, _list_of(Sandbox)),
        ("create_sandbox", lambda: c.create_sandbox(name="n", repo_url="https://g.example/r"), _is(Sandbox)),
        ("get_sandbox", lambda: c.get_sandbox("dev box/1"), _is(Sandbox)),
        ("start_sandbox", lambda: c.start_sandbox("dev"), _none),
        ("stop_sandbox", lambda: c.stop_sandbox("dev"), _none),
        ("delete_sandbox", lambda: c.delete_sandbox("dev"), _none),
        ("wait_for_sandbox", lambda: c.wait_for_sandbox("dev", interval=1, timeout=3), _is(Sandbox)),
        (
            "wait_for_sandbox_stop",
            lambda: c.wait_for_sandbox_stop("dev", interval=1, timeout=3),
            _is(Sandbox),
        ),
        ("get_ssh", lambda: c.get_ssh("dev"), _is(SSHInfo)),
        ("revoke_ssh", lambda: c.revoke_ssh("dev", "tok_x"), _none),
        ("agent_send", lambda: c.agent_send("dev", "hi", new_session=True), _is(AgentSendResult)),
        ("create_session", lambda: c.create_session("dev", "claude", {"k": "v"}), _is(Session)),
        ("list_sessions", lambda: c.list_sessions("dev"), _list_of(Session)),
        ("get_latest_session", lambda: c.get_latest_session("dev"), _is(Session, type(None))),
        ("get_session", lambda: c.get_session("dev", "s1"), _is(Session)),
        ("update_session", lambda: c.update_session("dev", "s1", status="completed"), _is(Session)),
        ("list_secrets", c.list_secrets, _list_of(Secret)),
        ("create_secret", lambda: c.create_secret("N", "v"), _is(Secret, type(None))),
        ("update_secret", lambda: c.update_secret("sec_1", "v"), _is(Secret, type(None))),
        (
            "create_provider_secret",
            lambda: c.create_provider_secret("claude", "n", "v", "api_key"),
            _is(ProviderSecret, type(None)),
        ),
        ("list_provider_secrets", lambda: c.list_provider_secrets("codex"), _list_of(ProviderSecret)),
        ("delete_provider_secret", lambda: c.delete_provider_secret("claude", "ps_1"), _none),
    ]


def devbox_calls(c: DevboxClient) -> list[tuple[str, Call, Callable[[Any], bool]]]:
    d, u, g = c.devboxes, c.users, c.github
    return [
        ("devboxes.create", lambda: d.create("n", claude_token="cl_tok"), _is(Devbox)),
        ("devboxes.list", d.list, _list_of(Devbox)),
        ("devboxes.get", lambda: d.get("db_1"), _is(Devbox)),
        ("devboxes.delete", lambda: d.delete("db_1"), _none),
        ("devboxes.list_operations", lambda: d.list_operations("db_1"), _list_of(Operation)),
        ("devboxes.list_repositories", lambda: d.list_repositories("db_1"), _list_of(DevboxRepository)),
        ("devboxes.create_session", lambda: d.create_session("db_1"), _is(AccessSession)),
        ("devboxes.list_sessions", lambda: d.list_sessions("db_1"), _list_of(ExecSession)),
        ("devboxes.revoke_session", lambda: d.revoke_session("db_1", "as_1"), _none),
        ("devboxes.wait_for_ready", lambda: d.wait_for_ready("db_1", interval=1, timeout=3), _is(Devbox)),
        ("users.get_profile", u.get_profile, _is(UserProfile)),
        ("users.set_ssh_key", lambda: u.set_ssh_key("ssh-ed25519 AAAA"), _none),
        ("users.delete_ssh_key", u.delete_ssh_key, _none),
        ("github.start_oauth", lambda: g.start_oauth("http://127.0.0.1/cb"), _is(OAuthStart)),
        ("github.get_connection", g.get_connection, _is(GitHubConnection, type(None))),
        ("github.disconnect", g.disconnect, _none),
        ("github.list_repos", g.list_repos, _list_of(GitHubRepo)),
        ("github.list_orgs", g.list_orgs, _list_of(GitHubOrg)),
        ("github.update_org_grants", lambda: g.update_org_grants(["a", "b"]), _is(OrgGrantsResult)),
    ]


def _clients(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[AmikaClient, DevboxClient]:
    transport = httpx.MockTransport(handler)
    t = _Time()
    amika = AmikaClient(
        "https://amika.test",
        access_token="amk_fuzz_token_0001",
        transport=transport,
        sleep=t.sleep,
        clock=t.clock,
    )
    devbox = DevboxClient(
        "https://devbox.test",
        sprites_token="spr_fuzz_token_0001",
        user_token="usr_fuzz_token_0001",
        transport=transport,
        sleep=t.sleep,
        clock=t.clock,
    )
    return amika, devbox


async def _exercise(handler: Callable[[httpx.Request], httpx.Response]) -> list[str]:
    """Run every method against ``handler``; return a list of violations (empty when all is well)."""
    amika, devbox = _clients(handler)
    problems: list[str] = []
    try:
        for family, calls in ((AmikaError, amika_calls(amika)), (DevboxError, devbox_calls(devbox))):
            for name, call, shape_ok in calls:
                try:
                    result = await call()
                except family as exc:
                    message = str(exc)
                    if len(message) > MAX_MESSAGE:
                        problems.append(f"{name}: {type(exc).__name__} message is {len(message)} chars")
                    repr(exc)
                except BaseException as exc:
                    problems.append(
                        f"{name}: bare {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]!r}"
                    )
                else:
                    if not shape_ok(result):
                        problems.append(f"{name}: returned {type(result).__name__}")
    finally:
        await amika.aclose()
        await devbox.aclose()
    return problems


def _serve(status: int, body: bytes, headers: dict[str, str]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    return handler


@FUZZ
@given(status=statuses, body=bodies(AMIKA_FIELDS + DEVBOX_FIELDS), headers=response_headers)
def test_any_response_gives_a_model_or_a_typed_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    assert asyncio.run(_exercise(_serve(status, body, headers))) == []


@FUZZ
@given(body=bodies(AMIKA_FIELDS + DEVBOX_FIELDS))
def test_any_2xx_body_gives_a_model_or_a_decode_error(body: bytes) -> None:
    assert asyncio.run(_exercise(_serve(200, body, {"content-type": "application/json"}))) == []


@FUZZ
@given(
    status=st.integers(min_value=300, max_value=599),
    body=bodies(AMIKA_FIELDS + DEVBOX_FIELDS),
    headers=response_headers,
)
def test_any_error_response_gives_a_typed_http_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    assert asyncio.run(_exercise(_serve(status, body, headers))) == []


@FUZZ
@given(
    message=st.sampled_from(HOSTILE_STRINGS),
    shape=st.sampled_from(["amika", "legacy", "fastapi", "validation", "agent-auth", "text"]),
    status=st.integers(min_value=400, max_value=599),
)
def test_error_bodies_quoting_hostile_text(message: str, shape: str, status: int) -> None:
    """Error envelopes of each API's shape, carrying hostile text in every slot the clients read."""
    doc: Any
    if shape == "amika":
        doc = {"type": "error", "code": message, "message": message}
    elif shape == "legacy":
        doc = {"error_code": message, "message": message * 1000}
    elif shape == "fastapi":
        doc = {"detail": message}
    elif shape == "validation":
        doc = {"detail": [{"msg": message, "loc": ["body", message]}, message, [message], {"x": message}]}
    elif shape == "agent-auth":
        inner = {"is_error": True, "result": f"authentication_error {message}" * 50}
        doc = {"error": message, "details": json.dumps(inner)}
    else:
        doc = None
    body = message.encode("utf-8", "surrogatepass") if doc is None else json.dumps(doc).encode()
    assert asyncio.run(_exercise(_serve(status, body, {}))) == []


_TRANSPORT_ERRORS = [
    httpx.ConnectError("connection refused"),
    httpx.ConnectTimeout("connect timeout"),
    httpx.ReadTimeout("read timeout"),
    httpx.WriteTimeout("write timeout"),
    httpx.PoolTimeout("pool timeout"),
    httpx.ReadError("connection reset by peer"),
    httpx.WriteError("broken pipe"),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.LocalProtocolError("illegal header"),
    httpx.ProxyError("proxy said no"),
    httpx.UnsupportedProtocol("gopher"),
    httpx.DecodingError("bad gzip"),
    httpx.TooManyRedirects("loop"),
    httpx.NetworkError("\x1b]52;c;AAAA\x07 network down"),
]


@pytest.mark.parametrize("error", _TRANSPORT_ERRORS, ids=lambda e: type(e).__name__)
def test_transport_failures_become_typed_errors(error: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    assert asyncio.run(_exercise(handler)) == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b"[" * 5_000 + b"]" * 5_000,
        b'{"detail": ' + b"[" * 100_000,
        b'{"error": "x", "details": "' + b"[" * 100_000 + b'"}',
    ],
    ids=["deep-array", "deep-object", "deep-balanced", "deep-detail", "deep-details-string"],
)
@pytest.mark.parametrize("status", [200, 409, 500])
def test_deeply_nested_json_is_a_typed_error(body: bytes, status: int) -> None:
    """json.loads raises RecursionError (not ValueError) on deep nesting; the clients must still answer with
    their own error types."""
    assert asyncio.run(_exercise(_serve(status, body, {}))) == []


@pytest.mark.parametrize("status", [200, 500])
def test_nesting_just_under_the_parser_limit(status: int) -> None:
    """Nesting the JSON parser accepts, inside fields the models keep (extras, metadata, validation details):
    later reads of those values (equality, str(), json.dumps) must not blow the stack either."""
    for depth in (200, 500, 800, 900, 950, 980):
        nested: Any = "leaf"
        for _ in range(depth):
            nested = [nested]
        doc = {
            "id": "x",
            "name": "n",
            "state": "active",
            "extra": nested,
            "metadata": {"m": nested},
            "detail": [{"msg": nested}, nested],
            "message": "m",
            "data": [{"id": "d", "deep": nested}],
        }
        try:
            body = json.dumps(doc).encode()
        except RecursionError:
            continue
        assert asyncio.run(_exercise(_serve(status, body, {}))) == [], depth


@FUZZ
@given(doc=record(AMIKA_FIELDS))
def test_sandbox_text_is_kept_literally(doc: dict[str, Any]) -> None:
    """The client never rewrites server text: markup and escapes arrive verbatim for the UI to neutralise."""
    assume(not _surrogate_key(doc))  # see test_a_lone_surrogate_in_an_extra_key_does_not_hide_the_row
    body = json.dumps(doc).encode()

    async def run() -> Sandbox:
        amika, _ = _clients(_serve(200, body, {}))
        async with amika:
            return await amika.get_sandbox("x")

    sandbox = asyncio.run(run())
    for field in ("id", "name", "state", "error_message", "branch", "repo_url"):
        value = doc.get(field)
        if isinstance(value, str):
            assert getattr(sandbox, field) == value


@FUZZ
@given(doc=record(DEVBOX_FIELDS))
def test_devbox_text_is_kept_literally(doc: dict[str, Any]) -> None:
    assume(not _surrogate_key(doc))
    body = json.dumps([doc]).encode()

    async def run() -> list[Devbox]:
        _, devbox = _clients(_serve(200, body, {}))
        async with devbox:
            return await devbox.devboxes.list()

    [box] = asyncio.run(run())
    for field in ("id", "name", "state"):
        value = doc.get(field)
        if isinstance(value, str):
            assert getattr(box, field) == value


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "idna", "base64", "rot13", "hex", "zlib", "nope"])
@pytest.mark.parametrize("status", [200, 404, 500])
def test_error_body_in_an_undecodable_charset(charset: str, status: int) -> None:
    """httpx's ``response.text`` raises UnicodeError/TypeError/AssertionError for these declared charsets;
    the error body must still become the client's own HTTP error."""
    headers = {"content-type": f"text/plain; charset={charset}"}
    assert asyncio.run(_exercise(_serve(status, b'{"message": "\xff\xfe gone"}', headers))) == []


def _surrogate_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            any(0xD800 <= ord(c) <= 0xDFFF for c in str(k)) or _surrogate_key(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_surrogate_key(v) for v in value)
    return False


@pytest.mark.parametrize("where", ["top-level-extra", "nested-created-by", "nested-service"])
def test_a_lone_surrogate_in_an_extra_key_does_not_hide_the_row(where: str) -> None:
    """``"\\ud800"`` is valid JSON; pydantic refuses it as the *key* of an extra field, so one odd key makes
    the whole sandbox unreadable and ``list_sandboxes`` drops the row silently. Values with lone surrogates
    are fine, which is the bar keys should meet too (models tolerate extra fields)."""
    odd = {"x\ud800": 1}
    doc: dict[str, Any] = {"id": "sb_1", "name": "dev", "state": "active"}
    if where == "top-level-extra":
        doc.update(odd)
    elif where == "nested-created-by":
        doc["created_by"] = {"name": "Ann", **odd}
    else:
        doc["services"] = [{"name": "web", **odd}]
    body = json.dumps([doc]).encode()

    async def run() -> list[Sandbox]:
        amika, _ = _clients(_serve(200, body, {}))
        async with amika:
            return await amika.list_sandboxes()

    assert [s.name for s in asyncio.run(run())] == ["dev"]
