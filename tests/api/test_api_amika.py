"""AmikaClient: every method's request on the wire and its response parsing.

Ports the TS SDK unit tests 3-28 and 46-52 from the wire reference (section 9).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boxdeck.api import (
    AgentSendResult,
    AmikaAgentAuthError,
    AmikaClient,
    AmikaDecodeError,
    AmikaHTTPError,
    ProviderSecret,
    Sandbox,
    Secret,
    Session,
    SSHInfo,
)
from support.api_wire import AMIKA_BASE, Wire, assert_no_body, body_of

PREFIX = f"{AMIKA_BASE}/api/v0beta1"

SANDBOX = {
    "id": "sb_1",
    "name": "dev",
    "state": "active",
    "provider": "daytona",
    "repo_url": "https://github.com/org/repo.git",
    "repo_name": "repo",
    "branch": "main",
    "error_message": None,
    "created_at": "2026-06-04T18:30:00.000Z",
    "updated_at": "2026-06-04T18:31:00+00:00",
    "created_by": {"name": "Ada", "email": "ada@example.com"},
    "services": [
        {
            "name": "Coding Agent",
            "url": "https://x",
            "hostPort": 4096,
            "containerPort": 4096,
            "protocol": "tcp",
        }
    ],
    "current_session_id": None,
    "future_field": {"nested": True},
}

SESSION = {
    "id": "s1",
    "sandbox_id": "sb_1",
    "org_id": "org_1",
    "agent_name": "claude",
    "status": "active",
    "started_at": "2026-06-04T18:30:00Z",
    "ended_at": None,
    "metadata": {"topic": "x"},
    "created_at": "2026-06-04T18:30:00Z",
    "updated_at": "2026-06-04T18:30:00Z",
}


def url(path: str) -> str:
    return PREFIX + path


# ------------------------------------------------------------------------------------------------- plumbing


async def test_bearer_token_and_no_content_type_on_get(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, [])
    await amika.list_sandboxes()
    request = wire.last
    assert request.method == "GET"
    assert str(request.url) == url("/sandboxes")
    assert request.headers["authorization"] == "Bearer amk_test"
    assert_no_body(request)
    assert "accept" not in request.headers or request.headers["accept"] == "*/*"


@pytest.mark.parametrize("base", ["https://amika.test/", "https://amika.test///", " https://amika.test "])
async def test_trailing_slashes_trimmed(wire: Wire, base: str) -> None:
    wire.reply(200, [])
    async with AmikaClient(base, access_token="t", transport=wire.transport) as client:
        await client.list_sandboxes()
    assert str(wire.last.url) == "https://amika.test/api/v0beta1/sandboxes"


async def test_base_url_with_path_prefix_is_kept(wire: Wire) -> None:
    wire.reply(200, [])
    async with AmikaClient("https://proxy.test/amika/", access_token="t", transport=wire.transport) as client:
        await client.list_sandboxes()
    assert str(wire.last.url) == "https://proxy.test/amika/api/v0beta1/sandboxes"


async def test_non_2xx_keeps_status_and_exact_raw_body(amika: AmikaClient, wire: Wire) -> None:
    raw = '{"type":"error","code":"NOT_FOUND","message":"sandbox not found"}'
    wire.reply(404, text=raw)
    with pytest.raises(AmikaHTTPError) as info:
        await amika.get_sandbox("ghost")
    assert info.value.status_code == 404
    assert info.value.body == raw
    assert str(info.value) == "HTTP 404: NOT_FOUND: sandbox not found"


async def test_redirect_is_an_error_not_followed(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(302, headers={"Location": "https://elsewhere.test/steal"})
    with pytest.raises(AmikaHTTPError) as info:
        await amika.list_sandboxes()
    assert info.value.status_code == 302
    assert len(wire.requests) == 1


# ------------------------------------------------------------------------------------------------ sandboxes


async def test_list_sandboxes_parses_bare_array(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, [SANDBOX, {"id": "sb_2", "name": "other", "state": "mystery-state"}])
    boxes = await amika.list_sandboxes()
    assert [b.name for b in boxes] == ["dev", "other"]
    first = boxes[0]
    assert isinstance(first, Sandbox)
    assert first.repo_url == "https://github.com/org/repo.git"
    assert first.created_at == datetime(2026, 6, 4, 18, 30, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 6, 4, 18, 31, tzinfo=UTC)
    assert first.created_by is not None and first.created_by.name == "Ada"
    assert first.services[0].host_port == 4096 and first.services[0].container_port == 4096
    assert (first.model_extra or {})["future_field"] == {"nested": True}  # extra fields are kept
    assert boxes[1].state == "mystery-state"
    assert boxes[1].created_at is None and boxes[1].repo_url is None


async def test_list_sandboxes_null_body_is_empty(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, text="null")
    assert await amika.list_sandboxes() == []


async def test_list_sandboxes_object_instead_of_array_is_decode_error(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"items": []})
    with pytest.raises(AmikaDecodeError):
        await amika.list_sandboxes()


async def test_create_sandbox_sends_snake_case_and_accepts_202(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"id": "sb_9", "name": "new", "state": "initializing"})
    sandbox = await amika.create_sandbox(
        name="new",
        repo_url="https://github.com/org/repo",
        env_vars={"A": "1"},
        secret_env_vars={"TOKEN": "my-secret"},
        setup_script_text="#!/bin/bash\nexit 0\n",
        new_branch_name="feature",
        agent_credentials=[{"kind": "claude", "name": "work"}],
    )
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/sandboxes")
    assert body_of(request) == {
        "name": "new",
        "repo_url": "https://github.com/org/repo",
        "env_vars": {"A": "1"},
        "secret_env_vars": {"TOKEN": "my-secret"},
        "setup_script_text": "#!/bin/bash\nexit 0\n",
        "new_branch_name": "feature",
        "agent_credentials": [{"kind": "claude", "name": "work"}],
    }
    assert sandbox.state == "initializing" and sandbox.id == "sb_9"


async def test_create_sandbox_omits_fields_not_given(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"name": "only"})
    await amika.create_sandbox(name="only")
    assert list(body_of(wire.last)) == ["name"]


async def test_create_sandbox_every_known_field(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"name": "x"})
    await amika.create_sandbox(
        name="x",
        provider="daytona",
        repo_url="r",
        auto_stop_interval=30,
        auto_delete_interval=-1,
        env_vars={},
        secret_env_vars={},
        preset="coder",
        size="m",
        snapshot="amika-mono-base",
        setup_script_text="s",
        agent_credentials=[{"kind": "codex", "none": True}],
        branch="main",
        new_branch_name="nb",
        github_auth_mode="app_token",
    )
    body = body_of(wire.last)
    assert set(body) == {
        "name", "provider", "repo_url", "auto_stop_interval", "auto_delete_interval", "env_vars",
        "secret_env_vars", "preset", "size", "snapshot", "setup_script_text", "agent_credentials", "branch",
        "new_branch_name", "github_auth_mode",
    }  # fmt: skip
    assert body["auto_delete_interval"] == -1 and body["env_vars"] == {}


async def test_create_sandbox_snapshot_string(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"name": "x"})
    await amika.create_sandbox(name="x", snapshot="amika-mono-base")
    assert body_of(wire.last) == {"name": "x", "snapshot": "amika-mono-base"}


async def test_create_sandbox_snapshot_none_is_explicit_null(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"name": "x"})
    await amika.create_sandbox(name="x", snapshot=None)
    assert wire.last.content == b'{"name":"x","snapshot":null}'
    assert list(body_of(wire.last)) == ["name", "snapshot"]


async def test_create_sandbox_passes_unknown_wire_fields_verbatim(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, {"name": "x"})
    await amika.create_sandbox(name="x", initial_prompt="hi", skip_setup_script=True)
    assert body_of(wire.last) == {"name": "x", "initial_prompt": "hi", "skip_setup_script": True}


async def test_create_sandbox_empty_2xx_is_decode_error(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202)
    with pytest.raises(AmikaDecodeError):
        await amika.create_sandbox(name="x")


async def test_get_sandbox_encodes_name_as_one_segment(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, SANDBOX).reply(200, SANDBOX)
    await amika.get_sandbox("org/proj")
    assert wire.last.url.raw_path == b"/api/v0beta1/sandboxes/org%2Fproj"
    await amika.get_sandbox("a b/c")
    assert wire.last.url.raw_path == b"/api/v0beta1/sandboxes/a%20b%2Fc"


async def test_get_sandbox_encodes_like_encode_uri_component(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, SANDBOX)
    await amika.get_sandbox("x?y#z&w=1+2%~!*'().v_")
    assert wire.last.url.raw_path == b"/api/v0beta1/sandboxes/x%3Fy%23z%26w%3D1%2B2%25~!*'().v_"


@pytest.mark.parametrize("bad", ["", ".", ".."])
async def test_dot_and_empty_names_are_refused(amika: AmikaClient, wire: Wire, bad: str) -> None:
    with pytest.raises(ValueError):
        await amika.delete_sandbox(bad)
    assert wire.requests == []


@pytest.mark.parametrize(
    ("call", "method", "path"),
    [
        ("start_sandbox", "POST", "/sandboxes/dev/start"),
        ("stop_sandbox", "POST", "/sandboxes/dev/stop"),
        ("delete_sandbox", "DELETE", "/sandboxes/dev"),
    ],
)
@pytest.mark.parametrize(("status", "answer"), [(202, None), (204, None), (200, {"ok": True}), (200, None)])
async def test_bodyless_actions_accept_any_2xx(
    amika: AmikaClient, wire: Wire, call: str, method: str, path: str, status: int, answer: object
) -> None:
    wire.reply(status, answer)
    assert await getattr(amika, call)("dev") is None
    request = wire.last
    assert request.method == method and str(request.url) == url(path)
    assert_no_body(request)


async def test_delete_ignores_non_json_success_body(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, text="OK")
    await amika.delete_sandbox("dev")


async def test_get_ssh(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(
        200,
        {
            "ssh_destination": "-p 2222 tok@ssh.app.daytona.io",
            "token": "tok",
            "expires_at": "2026-06-04T18:30:00.000Z",
            "repo_name": "repo",
        },
    )
    info = await amika.get_ssh("dev")
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/sandboxes/dev/ssh")
    assert_no_body(request)
    assert isinstance(info, SSHInfo)
    assert info.ssh_destination == "-p 2222 tok@ssh.app.daytona.io"
    assert info.repo_name == "repo"
    assert info.expires_at == datetime(2026, 6, 4, 18, 30, tzinfo=UTC)
    assert "tok" not in repr(info)


async def test_revoke_ssh_sends_token_body(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204)
    await amika.revoke_ssh("dev", "tok-xyz")
    request = wire.last
    assert request.method == "DELETE" and str(request.url) == url("/sandboxes/dev/ssh")
    assert body_of(request) == {"token": "tok-xyz"}


# -------------------------------------------------------------------------------------------------- agent


async def test_agent_send_full_body_and_result(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(
        200,
        {
            "session_id": "s1",
            "response": "done",
            "is_error": False,
            "is_new_session": True,
            "agent_session_id": "a1",
            "cost_usd": 0.25,
        },
    )
    result = await amika.agent_send("dev", "hello", new_session=True, session_id="s0", agent="claude")
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/sandboxes/dev/agent-send")
    assert body_of(request) == {
        "message": "hello",
        "new_session": True,
        "session_id": "s0",
        "agent": "claude",
    }
    assert result == AgentSendResult(
        response="done",
        session_id="s1",
        is_error=False,
        is_new_session=True,
        agent_session_id="a1",
        cost_usd=0.25,
    )


async def test_agent_send_minimal_body(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"session_id": "s1", "response": "r", "is_error": True, "is_new_session": False})
    result = await amika.agent_send("dev", "hello")
    assert body_of(wire.last) == {"message": "hello"}
    assert result.is_error is True and result.cost_usd is None


async def test_agent_send_uses_ten_minute_timeout(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"response": "r"}).reply(200, [])
    await amika.agent_send("dev", "m")
    assert wire.requests[0].extensions["timeout"]["read"] == 600.0
    await amika.list_sandboxes()
    assert wire.requests[1].extensions["timeout"]["read"] == 30.0


AUTH_RESULT = (
    'Failed to authenticate. API Error: 401 {"type":"error","error":{"type":"authentication_error",'
    '"message":"Invalid authentication credentials"}}'
)


def auth_envelope(result: str = AUTH_RESULT, *, is_error: bool = True) -> dict[str, str]:
    import json

    return {
        "error": "Agent command failed",
        "details": json.dumps({"type": "result", "is_error": is_error, "result": result}),
    }


async def test_agent_send_auth_failure_is_rewritten(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(500, auth_envelope())
    with pytest.raises(AmikaAgentAuthError) as info:
        await amika.agent_send("dev", "hello")
    err = info.value
    assert not isinstance(err, AmikaHTTPError)
    message = str(err)
    assert message.startswith(
        "remote agent-send: agent failed to authenticate with its AI provider: Failed to authenticate."
    )
    assert "authentication_error" in message
    assert "expired or been revoked" in message
    assert err.result == AUTH_RESULT and err.status_code == 500
    assert isinstance(err.__cause__, AmikaHTTPError)


async def test_agent_send_other_agent_error_stays_http_error(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(500, auth_envelope("rate limited"))
    with pytest.raises(AmikaHTTPError) as info:
        await amika.agent_send("dev", "hello")
    assert info.value.status_code == 500
    assert not isinstance(info.value, AmikaAgentAuthError)


# ----------------------------------------------------------------------------------------------- sessions


async def test_create_session(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(201, SESSION)
    session = await amika.create_session("dev", "claude", {"topic": "x"})
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/sandboxes/dev/sessions")
    assert body_of(request) == {"agent_name": "claude", "metadata": {"topic": "x"}}
    assert isinstance(session, Session)
    assert session.sandbox_id == "sb_1" and session.ended_at is None and session.metadata == {"topic": "x"}


async def test_create_session_without_metadata(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(201, SESSION)
    await amika.create_session("dev", "codex")
    assert body_of(wire.last) == {"agent_name": "codex"}


async def test_list_sessions_unwraps_envelope(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"sessions": [SESSION, {**SESSION, "id": "s2"}], "total": 2})
    sessions = await amika.list_sessions("dev")
    assert str(wire.last.url) == url("/sandboxes/dev/sessions")
    assert [s.id for s in sessions] == ["s1", "s2"]


@pytest.mark.parametrize("answer", [{"total": 0}, {"sessions": None, "total": 0}])
async def test_list_sessions_missing_list_is_empty(amika: AmikaClient, wire: Wire, answer: object) -> None:
    wire.reply(200, answer)
    assert await amika.list_sessions("dev") == []


async def test_get_latest_session(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, SESSION)
    session = await amika.get_latest_session("dev")
    assert str(wire.last.url) == url("/sandboxes/dev/sessions/latest")
    assert session is not None and session.id == "s1"


async def test_get_latest_session_none_on_404(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(404, {"type": "error", "code": "NOT_FOUND", "message": "no session"})
    assert await amika.get_latest_session("dev") is None


async def test_get_latest_session_reraises_other_errors(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(500, text="boom")
    with pytest.raises(AmikaHTTPError) as info:
        await amika.get_latest_session("dev")
    assert info.value.status_code == 500


async def test_get_session_encodes_both_segments(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, SESSION)
    await amika.get_session("org/dev", "s 1/x")
    assert wire.last.method == "GET"
    assert wire.last.url.raw_path == b"/api/v0beta1/sandboxes/org%2Fdev/sessions/s%201%2Fx"


async def test_update_session_patch(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {**SESSION, "status": "completed"})
    session = await amika.update_session("dev", "s1", status="completed", metadata={"k": 1})
    request = wire.last
    assert request.method == "PATCH" and str(request.url) == url("/sandboxes/dev/sessions/s1")
    assert body_of(request) == {"status": "completed", "metadata": {"k": 1}}
    assert session.status == "completed"


async def test_update_session_sends_only_given_fields(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, SESSION)
    await amika.update_session("dev", "s1", status="failed")
    assert body_of(wire.last) == {"status": "failed"}


# ------------------------------------------------------------------------------------------------ secrets


async def test_list_secrets(amika: AmikaClient, wire: Wire) -> None:
    row = {
        "id": "sec_1",
        "org_id": "o",
        "user_id": "u",
        "name": "GH",
        "description": None,
        "scope": "user",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    wire.reply(200, [row])
    secrets = await amika.list_secrets()
    assert wire.last.method == "GET" and str(wire.last.url) == url("/secrets")
    assert secrets == [Secret.model_validate(row)]
    assert secrets[0].scope == "user" and secrets[0].description is None


async def test_create_secret_exact_body_and_empty_201(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(201)
    assert await amika.create_secret("GH", "v", "org") is None
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/secrets")
    assert body_of(request) == {"name": "GH", "value": "v", "scope": "org"}


async def test_create_secret_returns_summary_when_sent(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(201, {"id": "sec_1", "name": "GH", "scope": "user"})
    secret = await amika.create_secret("GH", "v")
    assert body_of(wire.last)["scope"] == "user"
    assert secret is not None and secret.id == "sec_1"


async def test_update_secret_put_204(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204)
    assert await amika.update_secret("abc", "new") is None
    request = wire.last
    assert request.method == "PUT" and str(request.url) == url("/secrets/abc")
    assert body_of(request) == {"value": "new"}


@pytest.mark.parametrize("bad", ["a/b", "a?b", "a#b", "a%2Fb", "a b", "..", ""])
async def test_unescaped_ids_refuse_path_injection(amika: AmikaClient, wire: Wire, bad: str) -> None:
    with pytest.raises(ValueError):
        await amika.update_secret(bad, "v")
    with pytest.raises(ValueError):
        await amika.delete_provider_secret("claude", bad)
    assert wire.requests == []


async def test_create_provider_secret(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"id": "ps_1", "name": "work", "scope": "user"})
    secret = await amika.create_provider_secret("claude", "work", '{"claudeAiOauth":{}}', "oauth")
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/secrets/claude")
    assert body_of(request) == {"name": "work", "value": '{"claudeAiOauth":{}}', "type": "oauth"}
    assert secret == ProviderSecret(id="ps_1", name="work", scope="user")


async def test_create_provider_secret_with_scope_and_empty_answer(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204)
    assert await amika.create_provider_secret("codex", "k", "v", "api_key", scope="org") is None
    assert body_of(wire.last) == {"name": "k", "value": "v", "type": "api_key", "scope": "org"}


async def test_list_provider_secrets(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, [{"id": "ps_1", "name": "work", "type": "api_key", "scope": "user"}])
    secrets = await amika.list_provider_secrets("github")
    assert wire.last.method == "GET" and str(wire.last.url) == url("/secrets/github")
    assert secrets[0].type == "api_key"


async def test_delete_provider_secret(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204)
    await amika.delete_provider_secret("claude", "abc")
    assert wire.last.method == "DELETE" and str(wire.last.url) == url("/secrets/claude/abc")
    assert_no_body(wire.last)


@pytest.mark.parametrize("bad", ["Claude", "../sandboxes", "claude/x", "", "ssh-public-keys", "c1"])
async def test_provider_segment_is_validated(amika: AmikaClient, wire: Wire, bad: str) -> None:
    with pytest.raises(ValueError):
        await amika.list_provider_secrets(bad)
    assert wire.requests == []


async def test_secret_values_never_reach_the_request_log(
    amika: AmikaClient, wire: Wire, records: list
) -> None:
    wire.reply(201)
    await amika.create_secret("GH", "super-secret-value")
    assert "super-secret-value" not in repr(records)
    assert records[0].path == "/secrets"


async def test_get_latest_session_null_body_is_none(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, text="null")
    assert await amika.get_latest_session("dev") is None


async def test_list_skips_rows_that_are_not_objects(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, [SANDBOX, "junk", 3, None, {"name": "second"}])
    assert [b.name for b in await amika.list_sandboxes()] == ["dev", "second"]


async def test_wait_rejects_negative_interval(amika: AmikaClient, wire: Wire) -> None:
    with pytest.raises(ValueError):
        await amika.wait_for_sandbox("dev", interval=-1)
    assert wire.requests == []
