"""Devbox exec sessions, SSH access sessions, and the create-devbox form's request builder."""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from boxdeck.api import DevboxClient
from boxdeck.api.devbox_models import ExecSession, GitHubRepo
from boxdeck.service.access.devbox_access import (
    AccessError,
    DevboxAccess,
    DevboxFormError,
    RepoChoice,
    build_devbox_request,
    exec_session_row,
    format_rate,
    parse_env_text,
    parse_setup_commands,
)
from boxdeck.service.access.ssh_trust import ProxyTrustRequired
from boxdeck.service.access.sshcmd import SshCommandError
from boxdeck.service.actions.actions import ActionError

BASE = "http://127.0.0.1:9"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
D = "/api/v1/devboxes/dbx-1"


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
            return httpx.Response(404, json={"detail": "Not Found"})
        return answer(request) if callable(answer) else answer

    def client(self) -> DevboxClient:
        return DevboxClient(
            BASE,
            sprites_token="spr_test_0123456789",
            user_token="usr_test_0123456789",
            transport=httpx.MockTransport(self),
        )


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _access(session_id: str = "acc-1", expires: str = "2026-01-01T13:00:00Z", **ssh: Any) -> dict[str, Any]:
    ssh_obj = {
        "host": "box.example.dev",
        "port": 2222,
        "username": "dev",
        "workspace_path": "/workspace",
        "host_key_fingerprint": "SHA256:abc\x1b[31mdef",
        **ssh,
    }
    return {
        "session_id": session_id,
        "expires_at": expires,
        "command": "ssh dev@box.example.dev -p 2222",
        "ssh": ssh_obj,
    }


# ------------------------------------------------------------------------------------------ exec sessions


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (None, "idle"),
        (0, "idle"),
        (-5, "idle"),
        (math.nan, "idle"),
        (math.inf, "idle"),
        (0.4, "<1 B/s"),
        (512, "512 B/s"),
        (1023, "1023 B/s"),
        (1024, "1.0 KB/s"),
        (1234, "1.2 KB/s"),
        (5 * 1024**2, "5.0 MB/s"),
        (3.5 * 1024**3, "3.5 GB/s"),
        (4096 * 1024**3, "4096.0 GB/s"),
    ],
)
def test_format_rate(rate: float | None, text: str) -> None:
    assert format_rate(rate) == text


def test_exec_session_row() -> None:
    session = ExecSession.model_validate(
        {
            "id": "e1",
            "command": "vim \x1b]52;c;eA==\x07main.py",
            "workdir": "/workspace",
            "created": "2026-01-01T11:00:00Z",
            "is_active": True,
            "tty": True,
            "last_activity": "2026-01-01T11:59:50Z",
            "bytes_per_second": 2048,
        }
    )
    row = exec_session_row(session, NOW)
    assert (row.command, row.workdir, row.active, row.tty, row.last_activity, row.rate) == (
        "vim main.py",
        "/workspace",
        "yes",
        "yes",
        "10s",
        "2.0 KB/s",
    )
    idle = exec_session_row(ExecSession.model_validate({"id": "e2", "bytes_per_second": 99}), NOW)
    assert (idle.command, idle.active, idle.last_activity, idle.rate) == ("-", "no", "-", "idle")


async def test_list_exec_sessions_active_first_then_recent() -> None:
    rec = Recorder(
        {
            ("GET", f"{D}/access/sessions"): httpx.Response(
                200,
                json={
                    "data": [
                        {"id": "old-idle", "is_active": False, "last_activity": "2026-01-01T10:00:00Z"},
                        {"id": "active-old", "is_active": True, "last_activity": "2026-01-01T10:00:00Z"},
                        {"id": "active-new", "is_active": True, "last_activity": "2026-01-01T11:00:00Z"},
                        {"id": "new-idle", "is_active": False, "created": "2026-01-01T11:30:00Z"},
                    ]
                },
            )
        }
    )
    sessions = await DevboxAccess(rec.client()).list_exec_sessions("dbx-1")
    assert [s.id for s in sessions] == ["active-new", "active-old", "new-idle", "old-idle"]


async def test_list_exec_sessions_error_names_the_devbox() -> None:
    rec = Recorder(
        {("GET", f"{D}/access/sessions"): httpx.Response(404, json={"detail": "Devbox not found"})}
    )
    with pytest.raises(AccessError) as info:
        await DevboxAccess(rec.client()).list_exec_sessions("dbx-1")
    assert str(info.value) == 'Could not list the exec sessions of devbox "dbx-1": HTTP 404: Devbox not found'
    assert info.value.status == 404 and isinstance(info.value, ActionError)


# ---------------------------------------------------------------------------------------- access sessions


async def test_create_returns_the_command_and_remembers_the_session() -> None:
    rec = Recorder({("POST", f"{D}/access/session"): httpx.Response(201, json=_access())})
    clock = FakeClock()
    access = DevboxAccess(rec.client(), clock=clock)
    session, command = await access.create("dbx-1")
    assert json.loads(rec.requests[0].content) == {}
    assert session.session_id == "acc-1"
    assert command.argv == ("ssh", "-p", "2222", "--", "dev@box.example.dev")
    assert command.expires_at == session.expires_at
    (known,) = access.known("dbx-1")
    assert known.session_id == "acc-1" and known.command == command and known.created_at == NOW
    assert known.host_key_fingerprint == "SHA256:abcdef"
    assert known.countdown(NOW) == "expires in 1h"
    assert access.known("other") == ()
    clock.now = NOW + timedelta(hours=1, seconds=1)
    assert access.known("dbx-1") == ()  # expired sessions drop out


async def test_create_with_a_proxy_needs_trust_then_keeps_the_proxy_command_one_word() -> None:
    proxy = "devbox-proxy --relay r.example %h %p"
    payload = _access(proxy_command=proxy, ssh_port=22, host="box.internal", port=22)
    payload["command"] = f"ssh -o {shlex.quote('ProxyCommand=' + proxy)} dev@box.internal -p 22"
    rec = Recorder({("POST", f"{D}/access/session"): httpx.Response(201, json=payload)})
    access = DevboxAccess(rec.client(), clock=FakeClock())
    with pytest.raises(ProxyTrustRequired) as needed:
        await access.create("dbx-1")
    assert needed.value.proxy_command == proxy
    assert needed.value.session is not None and needed.value.session.session_id == "acc-1"
    assert [k.session_id for k in access.known("dbx-1")] == ["acc-1"]  # opened: it can be revoked
    with pytest.raises(SshCommandError):
        needed.value.approved()
    access.trust.trust(proxy)
    assert f"ProxyCommand={proxy}" in needed.value.approved().argv
    _, command = await access.create("dbx-1")  # trusted now: no question
    assert command.argv == ("ssh", "-o", f"ProxyCommand={proxy}", "-p", "22", "--", "dev@box.internal")


async def test_create_on_a_devbox_that_is_not_ready() -> None:
    rec = Recorder(
        {
            ("POST", f"{D}/access/session"): httpx.Response(
                409, json={"detail": "Devbox is not ready (state: provisioning)"}
            )
        }
    )
    access = DevboxAccess(rec.client())
    with pytest.raises(AccessError, match=r'SSH access to devbox "dbx-1": HTTP 409: Devbox is not ready'):
        await access.create("dbx-1")
    assert access.known("dbx-1") == ()


async def test_create_with_unusable_ssh_details_is_refused() -> None:
    rec = Recorder(
        {
            ("POST", f"{D}/access/session"): httpx.Response(
                201, json={"session_id": "acc-1", "command": "rm -rf /; ssh x", "ssh": {}}
            )
        }
    )
    with pytest.raises(AccessError, match="SSH details are unusable"):
        await DevboxAccess(rec.client()).create("dbx-1")


async def test_revoke_forgets_and_404_says_already_revoked() -> None:
    rec = Recorder(
        {
            ("POST", f"{D}/access/session"): lambda r: httpx.Response(
                201, json=_access(f"acc-{len(rec.requests)}")
            ),
            ("DELETE", f"{D}/access/session/acc-1"): httpx.Response(204),
            ("DELETE", f"{D}/access/session/acc-2"): httpx.Response(
                404, json={"detail": "Access session not found"}
            ),
            ("DELETE", f"{D}/access/session/acc-3"): httpx.Response(500, json={"detail": "boom"}),
        }
    )
    access = DevboxAccess(rec.client(), clock=FakeClock())
    for _ in range(3):
        await access.create("dbx-1")
    assert {k.session_id for k in access.known("dbx-1")} == {"acc-1", "acc-2", "acc-3"}

    await access.revoke("dbx-1", "acc-1")
    with pytest.raises(AccessError) as gone:
        await access.revoke("dbx-1", "acc-2")
    assert gone.value.status == 404
    assert 'Access session "acc-2" of devbox "dbx-1" was already revoked or expired' in str(gone.value)
    with pytest.raises(AccessError, match="Could not revoke access session .*HTTP 500: boom"):
        await access.revoke("dbx-1", "acc-3")
    assert [k.session_id for k in access.known("dbx-1")] == ["acc-3"]  # a failed revoke keeps it listed
    access.forget("dbx-1")
    assert access.known("dbx-1") == ()


# ------------------------------------------------------------------------------------- create-devbox form

REPO = GitHubRepo(
    repo_id=700101, full_name="octo/dotfiles", default_branch="develop", private=False, granted=True
)
REPO2 = GitHubRepo(repo_id=700102, full_name="acme/web", default_branch="main", private=True, granted=True)


def test_build_request_full_form() -> None:
    kwargs = build_devbox_request(
        "  my box ",
        repos=[(REPO, "", ""), RepoChoice(REPO2, "feature/x", "/srv/web")],
        inject_claude=True,
        claude_token=" sk-ant-123 ",
        inject_codex=False,
        codex_token="ignored-because-off",
        env_text="# comment\n\nFOO=bar\nURL=https://x.example/?a=b=c\n  _UNDER = spaced value\n",
        setup_commands_text="npm install\n\n  make build  \n",
        setup_timeout="1200",
    )
    assert kwargs == {
        "name": "my box",
        "repositories": [
            {
                "repo_id": 700101,
                "full_name": "octo/dotfiles",
                "ref": "develop",
                "target_path": "/workspace/dotfiles",
            },
            {"repo_id": 700102, "full_name": "acme/web", "ref": "feature/x", "target_path": "/srv/web"},
        ],
        "claude_token": "sk-ant-123",
        "credential_profile": {"inject_claude_token": True, "inject_codex_token": False},
        "env": {"FOO": "bar", "URL": "https://x.example/?a=b=c", "_UNDER": " spaced value"},
        "setup_commands": ["npm install", "  make build"],
        "setup_timeout_seconds": 1200,
    }


def test_build_request_minimal_form_leaves_server_defaults() -> None:
    assert build_devbox_request("box") == {"name": "box", "setup_timeout_seconds": 900}
    assert build_devbox_request("box", setup_timeout="", plan="large") == {
        "name": "box",
        "plan": "large",
        "setup_timeout_seconds": 900,
    }


@pytest.mark.parametrize(
    ("kwargs", "field", "match"),
    [
        ({"name": " "}, "name", "Give the devbox a name"),
        ({"name": "a\x1bb"}, "name", "one line"),
        ({"inject_claude": True}, "claude_token", "Paste a Claude token"),
        ({"inject_codex": True, "codex_token": "  "}, "codex_token", "Paste a Codex token"),
        ({"inject_codex": True, "codex_token": "two words"}, "codex_token", "one word"),
        ({"env_text": "NOEQUALS"}, "env", "line 1: expected KEY=VALUE"),
        ({"env_text": "OK=1\n1BAD=x"}, "env", 'line 2: "1BAD" is not a valid variable name'),
        ({"env_text": "A-B=x"}, "env", "not a valid variable name"),
        ({"env_text": "=x"}, "env", "not a valid variable name"),
        ({"env_text": "A=1\nA=2"}, "env", "A is set twice"),
        ({"env_text": "A=\x1b[31m"}, "env", "control characters"),
        ({"setup_commands_text": "ok\nbad\x07"}, "setup_commands", "Setup command 2"),
        ({"setup_timeout": 0}, "setup_timeout", "between 1 and 86400"),
        ({"setup_timeout": 86401}, "setup_timeout", "between 1 and 86400"),
        ({"setup_timeout": "ten"}, "setup_timeout", "whole number"),
        ({"setup_timeout": 1.5}, "setup_timeout", "whole number"),
        ({"setup_timeout": True}, "setup_timeout", "whole number"),
        ({"setup_timeout": float("inf")}, "setup_timeout", "whole number"),
        ({"setup_timeout": float("-inf")}, "setup_timeout", "whole number"),
        ({"setup_timeout": float("nan")}, "setup_timeout", "whole number"),
        ({"setup_timeout": "9" * 5000}, "setup_timeout", "whole number"),
        ({"repos": [(REPO, "has space", "")]}, "repos", "must be one word"),
        ({"repos": [(REPO, "", "relative/path")]}, "repos", "absolute path"),
        ({"repos": [(REPO, "", "/w"), (REPO2, "", "/w")]}, "repos", "share the target path /w"),
        ({"repos": [(GitHubRepo(), "", "")]}, "repos", "no id or name"),
    ],
)
def test_build_request_validation(kwargs: dict[str, Any], field: str, match: str) -> None:
    args = {"name": "box", **kwargs}
    with pytest.raises(DevboxFormError, match=match) as info:
        build_devbox_request(args.pop("name"), **args)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_setup_timeout_bounds_are_inclusive() -> None:
    assert build_devbox_request("b", setup_timeout=1)["setup_timeout_seconds"] == 1
    assert build_devbox_request("b", setup_timeout=" 86400 ")["setup_timeout_seconds"] == 86400


def test_env_and_commands_parsers_directly() -> None:
    assert parse_env_text("") == {} and parse_setup_commands("") == []
    assert parse_env_text("A=\nB==") == {"A": "", "B": "="}


async def test_built_request_goes_through_the_client_as_intended() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "d1", "name": "box", "state": "requested"})

    kwargs = build_devbox_request(
        "box",
        repos=[(REPO, "", "")],
        inject_codex=True,
        codex_token="cx-123456",
        env_text="A=1",
        setup_commands_text="make",
    )
    client = DevboxClient(BASE, sprites_token="spr_test_0123456789", transport=httpx.MockTransport(handler))
    devbox = await client.devboxes.create(**kwargs)
    assert devbox.state == "requested"
    request = seen[0]
    assert request.headers["X-Codex-Token"] == "cx-123456" and "X-Claude-Token" not in request.headers
    body = json.loads(request.content)
    assert body["repositories"] == kwargs["repositories"]
    assert body["credential_profile"] == {"inject_claude_token": False, "inject_codex_token": True}
    assert body["env"] == {"A": "1"} and body["setup_commands"] == ["make"]
    assert "cx-123456" not in request.content.decode()  # tokens only travel as headers


# ----------------------------------------------------------------------------------------- simulator


async def _ready_devbox(sim: Any, devbox: DevboxClient, name: str) -> str:
    created = await devbox.devboxes.create(name)
    async with httpx.AsyncClient(base_url=sim.base_url) as control:
        response = await control.post(f"/_sim/boxes/devbox/{created.id}/state", json={"state": "ready"})
        response.raise_for_status()
    return created.id


async def test_sim_access_sessions_and_exec_sessions(sim: Any, devbox_client: DevboxClient) -> None:
    devbox_id = await _ready_devbox(sim, devbox_client, "access-test")
    access = DevboxAccess(devbox_client)
    before = await access.list_exec_sessions(devbox_id)

    session, command = await access.create(devbox_id)
    assert command.argv[0] == "ssh" and session.expires_at is not None
    assert session.ssh.host_key_fingerprint and session.ssh.host_key_fingerprint.startswith("SHA256:")
    assert [k.session_id for k in access.known(devbox_id)] == [session.session_id]

    after = await access.list_exec_sessions(devbox_id)
    assert len(after) == len(before) + 1
    rows = [exec_session_row(s) for s in after]
    assert any(r.command == "bash -l" for r in rows)
    assert all(r.rate == "idle" or r.rate.endswith("/s") for r in rows)

    await access.revoke(devbox_id, session.session_id)
    assert access.known(devbox_id) == ()
    with pytest.raises(AccessError) as gone:
        await access.revoke(devbox_id, session.session_id)
    assert gone.value.status == 404 and "already revoked or expired" in str(gone.value)


async def test_sim_create_access_on_a_devbox_being_provisioned(sim: Any, devbox_client: DevboxClient) -> None:
    created = await devbox_client.devboxes.create("not-ready-yet")
    with pytest.raises(AccessError) as info:
        await DevboxAccess(devbox_client).create(created.id)
    assert info.value.status == 409 and "not ready" in str(info.value)


async def test_sim_create_devbox_from_the_form(sim: Any, devbox_client: DevboxClient) -> None:
    kwargs = build_devbox_request(
        "form-box",
        repos=[(REPO2, "", "")],
        inject_claude=True,
        claude_token="sk-ant-sim-0123456789",
        env_text="MODE=dev",
        setup_commands_text="echo hi",
        setup_timeout=60,
    )
    devbox = await devbox_client.devboxes.create(**kwargs)
    assert devbox.name == "form-box" and devbox.state == "requested"
    repos = await devbox_client.devboxes.list_repositories(devbox.id)
    assert [(r.full_name, r.ref, r.target_path) for r in repos] == [("acme/web", "main", "/workspace/web")]
