"""Generic and provider secrets: validation, exact requests, conflicts, and values never kept or shown."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from boxdeck.api import AmikaClient
from boxdeck.service.actions.secret_store import (
    GENERIC_DELETE_REASON,
    PROVIDER_SECRET_TYPES,
    PROVIDERS,
    SecretError,
    SecretStore,
    SecretValidationError,
    validate_api_key_value,
    validate_oauth_value,
    validate_secret_name,
    validate_secret_value,
)

BASE = "http://127.0.0.1:9"
VALUE = "s3cr3t-value-that-must-never-show"
CLAUDE_OAUTH = json.dumps({"claudeAiOauth": {"accessToken": "sk-ant-oat01-abcdefghijkl", "expiresAt": 1}})


class Recorder:
    def __init__(
        self, routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response] | httpx.Response]
    ):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.raw_path.decode()))
        if answer is None:
            return httpx.Response(404, json={"type": "error", "code": "not_found", "message": "no route"})
        return answer(request) if callable(answer) else answer

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def store(self) -> SecretStore:
        return SecretStore(
            AmikaClient(BASE, access_token="amk_test_0123456789", transport=httpx.MockTransport(self))
        )


def _secret(sid: str, name: str, scope: str = "user") -> dict[str, Any]:
    return {
        "id": sid,
        "org_id": "org",
        "user_id": "u",
        "name": name,
        "description": None,
        "scope": scope,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


S = "/api/v0beta1/secrets"


def _holds(obj: object, value: str) -> bool:
    """Whether any attribute reachable one level down from ``obj`` holds ``value``."""
    seen: list[object] = [getattr(obj, a, None) for a in getattr(obj, "__slots__", ())]
    seen += list(getattr(obj, "__dict__", {}).values())
    return any(value in repr(item) for item in seen if not isinstance(item, AmikaClient))


# ------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("", "Give the secret a name"),
        ("  ", "Give the secret a name"),
        ("x" * 256, "too long"),
        ("a\nb", "control characters"),
        ("a\x1bb", "control characters"),
        ("a\x85b", "control characters"),
    ],
)
def test_secret_names_are_validated(name: str, match: str) -> None:
    with pytest.raises(SecretValidationError, match=match) as info:
        validate_secret_name(name)
    assert info.value.field == "name"


def test_valid_names_are_trimmed() -> None:
    assert validate_secret_name("  GITHUB_TOKEN ") == "GITHUB_TOKEN"
    assert validate_secret_name("x" * 255) == "x" * 255


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("sk-ant-api03-not-json", r"An OAuth credential must be the JSON from ~/.claude/.credentials.json"),
        ('{"claudeAiOauth": {"accessToken": "sk-x"', r"not valid JSON \(line 1, column"),
        ('["a"]', "a JSON object, not a single value"),
        ('"just a string"', "a JSON object"),
        ("", "empty"),
    ],
)
def test_oauth_values_must_be_json_objects(value: str, match: str) -> None:
    with pytest.raises(SecretValidationError, match=match) as info:
        validate_oauth_value("claude", value)
    assert info.value.field == "value"
    if value:
        assert value not in str(info.value)


def test_api_key_is_one_word_with_surrounding_whitespace_dropped() -> None:
    assert validate_api_key_value("  sk-proj-abc123  \n") == "sk-proj-abc123"
    # Two lines, or two lines a masked input turned into "one two": two keys, never sent as one.
    for value in ("sk-ant-api03-first\nsk-ant-api03-second", "sk-first sk-second", "sk-a\tb", "sk-a\u2028b"):
        with pytest.raises(SecretValidationError, match="single word") as info:
            validate_api_key_value(value)
        assert info.value.field == "value"
        assert value not in str(info.value) and "sk-" not in str(info.value)
    with pytest.raises(SecretValidationError, match="empty"):
        validate_api_key_value(" \n ")


def test_codex_oauth_hint_and_valid_value() -> None:
    with pytest.raises(SecretValidationError, match=r"~/.codex/auth.json"):
        validate_oauth_value("codex", "nope")
    assert validate_oauth_value("codex", '{"tokens": {"access_token": "x"}}')


def test_constants_for_the_ui() -> None:
    assert PROVIDERS == ("claude", "codex") and PROVIDER_SECRET_TYPES == ("oauth", "api_key")
    assert SecretStore.can_delete_generic is False
    assert "no delete endpoint" in GENERIC_DELETE_REASON
    assert SecretStore.generic_delete_reason == GENERIC_DELETE_REASON


# --------------------------------------------------------------------------------------------- generic


async def test_list_has_names_and_scopes_sorted() -> None:
    rec = Recorder(
        {
            ("GET", S): httpx.Response(
                200, json=[_secret("2", "zeta", "org"), _secret("1", "Beta"), _secret("3", "alpha")]
            )
        }
    )
    secrets = await rec.store().list()
    assert [(s.scope, s.name) for s in secrets] == [("org", "zeta"), ("user", "alpha"), ("user", "Beta")]


async def test_create_and_update_pin_the_requests_and_keep_no_value() -> None:
    rec = Recorder({("POST", S): httpx.Response(201), ("PUT", f"{S}/sec_1"): httpx.Response(204)})
    store = rec.store()
    assert await store.create(" API_KEY ", VALUE, "org") is None
    assert await store.update("sec_1", VALUE + "2") is None
    assert rec.bodies() == [{"name": "API_KEY", "value": VALUE, "scope": "org"}, {"value": VALUE + "2"}]
    assert [r.method for r in rec.requests] == ["POST", "PUT"]
    assert not _holds(store, VALUE)
    # The client, where a value sent is learnt as a digest, and the keys of the requests out now (names and
    # ids, never a value).
    assert store.__slots__ == ("_amika", "_learn", "in_flight") and not hasattr(store, "__dict__")


async def test_a_value_sent_is_masked_wherever_it_is_shown_later_yet_not_kept() -> None:
    """With the service's redactor, a value the server may echo later (in a name, a reply) is masked in
    display text from the moment it is sent; only a digest of it is kept, in no object the store reaches."""
    import gc
    import importlib

    from boxdeck.service.text.redact import Redactor
    from boxdeck.service.text.sanitize import shown, single_line

    value = "sv_sent_once_" + "4f1e" * 6
    rec = Recorder({("POST", S): httpx.Response(201)})
    redactor = Redactor()
    store = SecretStore(rec.store()._amika, redactor=redactor)
    assert value in shown(f"box-{value}")  # not learnt yet (else this test would prove nothing)
    await store.create("API_KEY", value)
    for text in (shown(f"box-{value}"), single_line(f"echo: {value}!"), redactor.redact(f"x{value}y")):
        assert value not in text and value[:5] in text
    # Nothing reachable from the store, the redactor or the module that masks holds the value.
    redact_module = importlib.import_module("boxdeck.service.text.redact")
    todo: list[object] = [store, redactor, vars(redact_module)]
    seen: set[int] = set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | type(redact_module) | AmikaClient):
            continue
        seen.add(id(obj))
        if isinstance(obj, str | bytes):
            assert value not in str(obj), "the value is kept"
            continue
        todo.extend(gc.get_referents(obj))
    assert len(seen) > 20, "the walk reached nothing"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.create("", VALUE), "name"),
        (lambda s: s.create("N", ""), "value"),
        (lambda s: s.create("N", "   "), "value"),
        (lambda s: s.create("N", VALUE, "team"), "scope"),
        (lambda s: s.update("", VALUE), "id"),
        (lambda s: s.update("a/b", VALUE), "id"),
        (lambda s: s.update("sec_1", ""), "value"),
        (lambda s: s.list_provider("github"), "provider"),
        (lambda s: s.create_provider("claude", "n", "token", VALUE), "type"),
        (lambda s: s.create_provider("claude", "n", "oauth", "not json"), "value"),
        (lambda s: s.create_provider("claude", "n", "api_key", "a\nb"), "value"),
        (lambda s: s.create_provider("claude", "n", "api_key", "key-one key-two"), "value"),
        (lambda s: s.delete_provider("codex", ""), "id"),
    ],
)
async def test_invalid_input_sends_nothing(call: Callable[[SecretStore], Any], field: str) -> None:
    rec = Recorder({})
    with pytest.raises(SecretValidationError) as info:
        await call(rec.store())
    assert info.value.field == field
    assert rec.requests == []


async def test_duplicate_name_409_says_update_instead_and_masks_an_echoed_value() -> None:
    body = {"code": "conflict", "message": f'secret "API_KEY" already exists (value {VALUE})'}
    rec = Recorder({("POST", S): httpx.Response(409, json=body)})
    with pytest.raises(SecretError) as info:
        await rec.store().create("API_KEY", VALUE)
    err = info.value
    assert err.status == 409 and "already exists: update its value instead" in str(err)
    assert VALUE not in str(err)
    assert err.__cause__ is None and err.__suppress_context__  # the raw body is not chained along


async def test_update_of_a_missing_secret_is_a_clear_404() -> None:
    rec = Recorder(
        {("PUT", f"{S}/sec_9"): httpx.Response(404, json={"code": "not_found", "message": "nope"})}
    )
    with pytest.raises(SecretError, match='Secret "API_KEY" no longer exists') as info:
        await rec.store().update("sec_9", VALUE, name="API_KEY")
    assert info.value.status == 404


async def test_list_failure_is_explained() -> None:
    rec = Recorder({("GET", S): httpx.Response(401, json={"code": "unauthorized", "message": "bad token"})})
    with pytest.raises(SecretError, match="Could not list secrets: HTTP 401: unauthorized: bad token"):
        await rec.store().list()


# -------------------------------------------------------------------------------------------- provider


async def test_provider_secrets_create_list_delete_requests() -> None:
    rec = Recorder(
        {
            ("POST", f"{S}/claude"): httpx.Response(
                201, json={"id": "ps_1", "name": "work", "scope": "user"}
            ),
            ("POST", f"{S}/codex"): httpx.Response(201, json={"id": "ps_2", "name": "ci", "scope": "user"}),
            ("GET", f"{S}/claude"): httpx.Response(
                200,
                json=[
                    {"id": "ps_3", "name": "zz", "type": "api_key", "scope": "org"},
                    {"id": "ps_1", "name": "work", "type": "oauth", "scope": "user"},
                ],
            ),
            ("DELETE", f"{S}/claude/ps_1"): httpx.Response(204),
        }
    )
    store = rec.store()
    created = await store.create_provider("claude", "work", "oauth", CLAUDE_OAUTH)
    assert created is not None and created.id == "ps_1"
    await store.create_provider("codex", "ci", "api_key", "  sk-proj-abc123  \n")
    listed = await store.list_provider("claude")
    assert [(p.name, p.type) for p in listed] == [("work", "oauth"), ("zz", "api_key")]
    await store.delete_provider("claude", "ps_1")
    assert rec.bodies()[:2] == [
        {"name": "work", "value": CLAUDE_OAUTH, "type": "oauth"},  # the JSON goes verbatim
        {"name": "ci", "value": "sk-proj-abc123", "type": "api_key"},  # a pasted key loses its whitespace
    ]
    assert [(r.method, r.url.path) for r in rec.requests][2:] == [
        ("GET", f"{S}/claude"),
        ("DELETE", f"{S}/claude/ps_1"),
    ]


async def test_provider_conflict_and_already_deleted() -> None:
    rec = Recorder(
        {
            ("POST", f"{S}/codex"): httpx.Response(409, json={"code": "conflict", "message": "exists"}),
            ("DELETE", f"{S}/codex/ps_9"): httpx.Response(404, json={"code": "not_found", "message": "gone"}),
        }
    )
    store = rec.store()
    with pytest.raises(SecretError, match='codex credential named "ci" already exists') as conflict:
        await store.create_provider("codex", "ci", "api_key", VALUE)
    assert conflict.value.status == 409 and VALUE not in str(conflict.value)
    with pytest.raises(SecretError, match='credential "old" was already deleted') as gone:
        await store.delete_provider("codex", "ps_9", name="old")
    assert gone.value.status == 404


# ----------------------------------------------------------------------------------------- simulator


async def test_sim_generic_secrets(sim: Any, amika_client: AmikaClient) -> None:
    store = SecretStore(amika_client)
    before = {s.name for s in await store.list()}
    await store.create("BOXDECK_TEST_SECRET", VALUE, "user")
    secrets = {s.name: s for s in await store.list()}
    assert set(secrets) == before | {"BOXDECK_TEST_SECRET"}
    created = secrets["BOXDECK_TEST_SECRET"]
    assert created.scope == "user" and created.id
    assert VALUE not in repr(secrets)  # the API never returns values

    with pytest.raises(SecretError) as dup:
        await store.create("BOXDECK_TEST_SECRET", VALUE, "user")
    assert dup.value.status == 409 and VALUE not in str(dup.value)

    await store.update(created.id, "new-value-0123456789")
    with pytest.raises(SecretError) as missing:
        await store.update("sec_does_not_exist", VALUE)
    assert missing.value.status == 404
    gc.collect()
    assert not _holds(store, VALUE)


async def test_sim_provider_secrets(sim: Any, amika_client: AmikaClient) -> None:
    store = SecretStore(amika_client)
    with pytest.raises(SecretValidationError, match="must be the JSON from"):
        await store.create_provider("claude", "bad-oauth", "oauth", "sk-ant-plain-key")
    created = await store.create_provider("claude", "boxdeck-oauth", "oauth", CLAUDE_OAUTH)
    listed = {p.name: p for p in await store.list_provider("claude")}
    assert listed["boxdeck-oauth"].type == "oauth"
    secret_id = created.id if created is not None and created.id else listed["boxdeck-oauth"].id
    await store.delete_provider("claude", secret_id)
    assert "boxdeck-oauth" not in {p.name for p in await store.list_provider("claude")}
    with pytest.raises(SecretError) as gone:
        await store.delete_provider("claude", secret_id)
    assert gone.value.status == 404


@pytest.mark.parametrize(
    "value",
    ['{"k": "\\ud800"}', '{"\\udfff": "v"}', '{"a": ["x", {"b": "\\udc00"}]}'],
    ids=["value", "key", "nested"],
)
def test_an_escaped_lone_surrogate_in_oauth_json_is_refused(value: str) -> None:
    with pytest.raises(SecretValidationError, match="lone surrogate") as info:
        validate_oauth_value("claude", value)
    assert info.value.field == "value"


def test_a_raw_lone_surrogate_is_refused_in_names_and_values() -> None:
    with pytest.raises(SecretValidationError, match="lone surrogate") as info:
        validate_secret_name("NAME\udcff")
    assert info.value.field == "name"
    with pytest.raises(SecretValidationError, match="lone surrogate") as info:
        validate_secret_value("sk-\ud800-value")
    assert info.value.field == "value"


@pytest.mark.parametrize("value", ["[" * 100_000, '{"a":' * 100_000], ids=["array", "object"])
def test_deeply_nested_oauth_json_is_a_validation_error(value: str) -> None:
    with pytest.raises(SecretValidationError, match="nested") as info:
        validate_oauth_value("codex", value)
    assert info.value.__context__ is None
