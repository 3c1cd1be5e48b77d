"""DevboxClient: every resource method's request on the wire and its response parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boxdeck.api import (
    AccessSession,
    CredentialProfile,
    Devbox,
    DevboxApiError,
    DevboxClient,
    DevboxDecodeError,
    DevboxRepositoryRequest,
    GitHubConnection,
    OrgGrantsResult,
    UserProfile,
)
from support.api_wire import DEVBOX_BASE, Wire, assert_no_body, body_of

PREFIX = f"{DEVBOX_BASE}/api/v1"
DEVBOX = {
    "id": "db-1",
    "name": "box",
    "state": "ready",
    "created_at": "2024-01-15T10:30:00.123456+00:00",
    "access_url": None,
}


def url(path: str) -> str:
    return PREFIX + path


# ------------------------------------------------------------------------------------------------- headers


async def test_default_headers(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, [])
    await devbox.devboxes.list()
    request = wire.last
    assert request.headers["x-sprites-token"] == "spr_test"
    assert request.headers["x-provider-token"] == "spr_test"
    assert request.headers["authorization"] == "Bearer usr_test"
    assert "x-claude-token" not in request.headers and "x-codex-token" not in request.headers
    assert_no_body(request)


async def test_no_user_token_means_no_authorization(wire: Wire) -> None:
    wire.reply(200, [])
    async with DevboxClient(DEVBOX_BASE, sprites_token="s", transport=wire.transport) as client:
        await client.devboxes.list()
    assert "authorization" not in wire.last.headers


async def test_token_header_is_configurable_and_compat_header_optional(wire: Wire) -> None:
    wire.reply(200, [])
    async with DevboxClient(
        DEVBOX_BASE,
        sprites_token="s",
        token_header="X-Provider-Token",
        compat_token_header=None,
        transport=wire.transport,
    ) as client:
        await client.devboxes.list()
    assert wire.last.headers["x-provider-token"] == "s"
    assert "x-sprites-token" not in wire.last.headers


async def test_only_seed_header_when_compat_disabled(wire: Wire) -> None:
    wire.reply(200, [])
    async with DevboxClient(
        DEVBOX_BASE, sprites_token="s", compat_token_header=None, transport=wire.transport
    ) as client:
        await client.devboxes.list()
    assert wire.last.headers["x-sprites-token"] == "s"
    assert "x-provider-token" not in wire.last.headers


def test_sprites_token_required() -> None:
    with pytest.raises(ValueError, match="sprites_token"):
        DevboxClient(DEVBOX_BASE, sprites_token="")


# ------------------------------------------------------------------------------------------------ devboxes


async def test_create_defaults(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(202, {**DEVBOX, "state": "requested"})
    box = await devbox.devboxes.create("box")
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/devboxes")
    assert body_of(request) == {
        "name": "box",
        "plan": "small",
        "repository": "",
        "branch": "main",
        "setup_timeout_seconds": 900,
    }
    assert "x-claude-token" not in request.headers and "x-codex-token" not in request.headers
    assert box.state == "requested"
    assert box.created_at == datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)


async def test_create_full_with_agent_tokens(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(202, DEVBOX)
    await devbox.devboxes.create(
        "box",
        plan="large",
        repository="https://github.com/org/legacy",
        branch="dev",
        repositories=[
            {"repo_id": 12345, "full_name": "org/repo", "ref": "main", "target_path": "/workspace/repo"},
            DevboxRepositoryRequest(repo_id=7, full_name="org/b", target_path="/workspace/b"),
        ],
        credential_profile=CredentialProfile(inject_claude_token=True),
        env={"A": "1"},
        setup_commands=["make"],
        setup_timeout_seconds=60,
        claude_token="cl-tok",
        codex_token="cx-tok",
    )
    request = wire.last
    assert request.headers["x-claude-token"] == "cl-tok"
    assert request.headers["x-codex-token"] == "cx-tok"
    assert body_of(request) == {
        "name": "box",
        "plan": "large",
        "repository": "https://github.com/org/legacy",
        "branch": "dev",
        "repositories": [
            {"repo_id": 12345, "full_name": "org/repo", "ref": "main", "target_path": "/workspace/repo"},
            {"repo_id": 7, "full_name": "org/b", "target_path": "/workspace/b", "ref": "main"},
        ],
        "credential_profile": {"inject_codex_token": False, "inject_claude_token": True},
        "env": {"A": "1"},
        "setup_commands": ["make"],
        "setup_timeout_seconds": 60,
    }


async def test_create_empty_agent_tokens_are_not_sent(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(202, DEVBOX)
    await devbox.devboxes.create("box", claude_token="", codex_token=None)
    assert "x-claude-token" not in wire.last.headers and "x-codex-token" not in wire.last.headers


async def test_agent_tokens_only_on_create(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(202, DEVBOX).reply(200, DEVBOX)
    await devbox.devboxes.create("box", claude_token="cl")
    await devbox.devboxes.get("db-1")
    assert "x-claude-token" not in wire.last.headers


async def test_list_bare_array(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, [DEVBOX, {"id": "db-2", "state": "hibernating"}])
    boxes = await devbox.devboxes.list()
    assert wire.last.method == "GET" and str(wire.last.url) == url("/devboxes")
    assert [b.id for b in boxes] == ["db-1", "db-2"]
    assert boxes[1].state == "hibernating" and boxes[1].name == "" and boxes[1].created_at is None


async def test_list_tolerates_data_envelope(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"data": [DEVBOX]})
    assert [b.id for b in await devbox.devboxes.list()] == ["db-1"]


async def test_get(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, DEVBOX)
    box = await devbox.devboxes.get("db-1")
    assert wire.last.method == "GET" and str(wire.last.url) == url("/devboxes/db-1")
    assert box == Devbox.model_validate(DEVBOX)


async def test_ids_are_encoded_as_one_segment(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"data": []})
    await devbox.devboxes.list_operations("a/b c")
    assert wire.last.url.raw_path == b"/api/v1/devboxes/a%2Fb%20c/operations"


@pytest.mark.parametrize("bad", ["", ".", ".."])
async def test_dot_ids_refused(devbox: DevboxClient, wire: Wire, bad: str) -> None:
    with pytest.raises(ValueError):
        await devbox.devboxes.delete(bad)
    assert wire.requests == []


@pytest.mark.parametrize(("status", "text"), [(204, None), (200, ""), (200, "null")])
async def test_delete_accepts_204_and_empty_200(
    devbox: DevboxClient, wire: Wire, status: int, text: str
) -> None:
    wire.reply(status, text=text)
    await devbox.devboxes.delete("db-1")
    assert wire.last.method == "DELETE" and str(wire.last.url) == url("/devboxes/db-1")
    assert_no_body(wire.last)


async def test_list_operations(devbox: DevboxClient, wire: Wire) -> None:
    ops = [
        {
            "id": "op1",
            "step": "provision",
            "status": "success",
            "message": "",
            "created_at": "2024-01-15T10:30:00Z",
        },
        {"id": "op2", "step": "clone_repositories", "status": "failed", "message": "repo gone"},
    ]
    wire.reply(200, {"data": ops})
    result = await devbox.devboxes.list_operations("db-1")
    assert str(wire.last.url) == url("/devboxes/db-1/operations")
    assert [(o.step, o.status, o.message) for o in result] == [
        ("provision", "success", ""),
        ("clone_repositories", "failed", "repo gone"),
    ]


async def test_envelope_lists_tolerate_bare_array(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, [{"id": "op1", "step": "provision"}])
    assert [o.id for o in await devbox.devboxes.list_operations("db-1")] == ["op1"]


async def test_list_repositories(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        200,
        {
            "data": [
                {
                    "installation_id": 9,
                    "repo_id": 12345,
                    "full_name": "org/repo",
                    "ref": "main",
                    "target_path": "/workspace/repo",
                    "clone_status": "cloning",
                    "clone_error": None,
                }
            ]
        },
    )
    repos = await devbox.devboxes.list_repositories("db-1")
    assert str(wire.last.url) == url("/devboxes/db-1/repositories")
    assert repos[0].repo_id == 12345 and repos[0].clone_status == "cloning" and repos[0].clone_error is None


async def test_create_session_sends_empty_object(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        201,
        {
            "session_id": "as-1",
            "expires_at": "2024-01-15T11:30:00Z",
            "command": "ssh user@host -p 2222",
            "ssh": {
                "host": "host",
                "port": 2222,
                "username": "user",
                "workspace_path": "/workspace",
                "host_key_fingerprint": "SHA256:abc",
                "proxy_command": None,
                "ssh_port": None,
                "proxy_host": None,
            },
        },
    )
    session = await devbox.devboxes.create_session("db-1")
    request = wire.last
    assert request.method == "POST" and str(request.url) == url("/devboxes/db-1/access/session")
    assert body_of(request) == {}
    assert isinstance(session, AccessSession)
    assert session.command == "ssh user@host -p 2222"
    assert session.ssh.port == 2222 and session.ssh.host_key_fingerprint == "SHA256:abc"
    assert session.expires_at == datetime(2024, 1, 15, 11, 30, tzinfo=UTC)


async def test_list_sessions(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        200,
        {
            "data": [
                {
                    "id": "ex-1",
                    "command": "bash",
                    "workdir": "/workspace",
                    "created": "2024-01-15T10:30:00Z",
                    "is_active": True,
                    "tty": True,
                    "last_activity": None,
                    "bytes_per_second": 12.5,
                }
            ]
        },
    )
    sessions = await devbox.devboxes.list_sessions("db-1")
    assert wire.last.method == "GET" and str(wire.last.url) == url("/devboxes/db-1/access/sessions")
    assert sessions[0].created == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert sessions[0].is_active is True and sessions[0].bytes_per_second == 12.5


async def test_revoke_session(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(204)
    await devbox.devboxes.revoke_session("db-1", "as-1")
    assert wire.last.method == "DELETE" and str(wire.last.url) == url("/devboxes/db-1/access/session/as-1")
    assert_no_body(wire.last)


# --------------------------------------------------------------------------------------------------- users


async def test_get_profile(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"has_ssh_key": True})
    assert await devbox.users.get_profile() == UserProfile(has_ssh_key=True)
    assert wire.last.method == "GET" and str(wire.last.url) == url("/users/me")


async def test_set_ssh_key(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(204)
    await devbox.users.set_ssh_key("ssh-ed25519 AAAA test")
    assert wire.last.method == "PUT" and str(wire.last.url) == url("/users/me/ssh-key")
    assert body_of(wire.last) == {"public_key": "ssh-ed25519 AAAA test"}


async def test_delete_ssh_key(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(204)
    await devbox.users.delete_ssh_key()
    assert wire.last.method == "DELETE" and str(wire.last.url) == url("/users/me/ssh-key")
    assert_no_body(wire.last)


# -------------------------------------------------------------------------------------------------- github


async def test_start_oauth(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        200, {"authorize_url": "https://github.com/login", "state": "csrf", "expires_at": "2024-01-15T10:40Z"}
    )
    start = await devbox.github.start_oauth("https://app.example.com/callback")
    assert wire.last.method == "POST" and str(wire.last.url) == url("/integrations/github/connect")
    assert body_of(wire.last) == {"return_url": "https://app.example.com/callback"}
    assert start.authorize_url == "https://github.com/login" and start.state == "csrf"
    assert start.expires_at == datetime(2024, 1, 15, 10, 40, tzinfo=UTC)


async def test_get_connection(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"github_login": "ada", "github_user_id": 42, "connected_at": "2024-01-15T10:30:00Z"})
    conn = await devbox.github.get_connection()
    assert wire.last.method == "GET" and str(wire.last.url) == url("/integrations/github/connection")
    assert conn == GitHubConnection(
        github_login="ada", github_user_id=42, connected_at=datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    )


async def test_get_connection_none_on_404_and_on_null(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(404, {"detail": "Not connected"}).reply(200, text="null")
    assert await devbox.github.get_connection() is None
    assert await devbox.github.get_connection() is None


async def test_get_connection_reraises_other_errors(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(401, {"detail": "Invalid service token"})
    with pytest.raises(DevboxApiError) as info:
        await devbox.github.get_connection()
    assert info.value.status == 401 and info.value.detail == "Invalid service token"


async def test_disconnect(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(204)
    await devbox.github.disconnect()
    assert wire.last.method == "DELETE" and str(wire.last.url) == url("/integrations/github/connection")


async def test_list_repos_and_orgs(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        200,
        {
            "data": [
                {
                    "repo_id": 1,
                    "full_name": "org/a",
                    "default_branch": "main",
                    "private": True,
                    "granted": False,
                }
            ]
        },
    )
    wire.reply(200, {"data": [{"org_login": "org", "granted": True}]})
    repos = await devbox.github.list_repos()
    assert str(wire.requests[0].url) == url("/integrations/github/repos")
    orgs = await devbox.github.list_orgs()
    assert str(wire.last.url) == url("/integrations/github/orgs")
    assert repos[0].private is True and repos[0].granted is False and repos[0].default_branch == "main"
    assert orgs[0].org_login == "org" and orgs[0].granted is True


async def test_update_org_grants(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"selected_count": 2})
    result = await devbox.github.update_org_grants(["a", "b"])
    assert wire.last.method == "PUT" and str(wire.last.url) == url("/integrations/github/org-grants")
    assert body_of(wire.last) == {"org_logins": ["a", "b"]}
    assert result == OrgGrantsResult(selected_count=2)


# -------------------------------------------------------------------------------------------------- errors


async def test_string_detail(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(404, {"detail": "Devbox not found"})
    with pytest.raises(DevboxApiError) as info:
        await devbox.devboxes.get("nope")
    assert info.value.status == 404 and info.value.detail == "Devbox not found"
    assert str(info.value) == "404: Devbox not found"


async def test_validation_list_detail(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(
        422,
        {
            "detail": [
                {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}},
                {"type": "value_error", "loc": ["body", "plan"], "msg": "bad plan"},
            ]
        },
    )
    with pytest.raises(DevboxApiError) as info:
        await devbox.devboxes.create("x")
    assert str(info.value) == "422: Field required, bad plan"


@pytest.mark.parametrize(
    ("status", "answer", "detail"),
    [
        (500, {"detail": {"nested": 1}}, "Internal Server Error"),
        (400, {"detail": []}, "Bad Request"),
        (502, {"error": "x"}, "Bad Gateway"),
        (503, "<html>down</html>", "Service Unavailable"),
    ],
)
async def test_unusable_detail_falls_back_to_reason(
    devbox: DevboxClient, wire: Wire, status: int, answer: object, detail: str
) -> None:
    if isinstance(answer, str):
        wire.reply(status, text=answer)
    else:
        wire.reply(status, answer)
    with pytest.raises(DevboxApiError) as info:
        await devbox.devboxes.list()
    assert info.value.detail == detail
    assert info.value.status == status


async def test_non_json_2xx_is_devbox_error(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, text="<html>proxy</html>")
    with pytest.raises(DevboxDecodeError):
        await devbox.devboxes.get("db-1")


async def test_object_endpoint_with_empty_body_is_decode_error(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200)
    with pytest.raises(DevboxDecodeError):
        await devbox.users.get_profile()


@pytest.mark.parametrize("answer", ["null", "", '{"data": null}'])
async def test_lists_tolerate_null(devbox: DevboxClient, wire: Wire, answer: str) -> None:
    wire.reply(200, text=answer).reply(200, text=answer)
    assert await devbox.devboxes.list() == []
    assert await devbox.github.list_orgs() == []


async def test_list_of_wrong_shape_is_decode_error(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(200, {"data": "nope"})
    with pytest.raises(DevboxDecodeError):
        await devbox.devboxes.list_operations("db-1")
