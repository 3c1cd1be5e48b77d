"""Amika sessions (list, latest, detail, create, mark, metadata) and SSH grants (current, revoke)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from boxdeck.api import AmikaClient
from boxdeck.api.amika_models import Session
from boxdeck.service.actions.errors import ServiceError
from boxdeck.service.actions.sandbox_sessions import (
    SESSION_STATUSES,
    MetadataError,
    SandboxSessions,
    SessionError,
    SshGrantError,
    SshGrants,
    format_metadata,
    parse_metadata_text,
    session_row,
    validate_metadata,
)

BASE = "http://127.0.0.1:9"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Recorder:
    """A MockTransport handler answering from a (method, path) table and remembering every request."""

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

    def client(self) -> AmikaClient:
        return AmikaClient(BASE, access_token="amk_test_0123456789", transport=httpx.MockTransport(self))


def _session(sid: str, started: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "sandbox_id": "sb_1",
        "org_id": "org",
        "agent_name": "claude",
        "status": "active",
        "started_at": started,
        "ended_at": None,
        "metadata": {},
        "created_at": started,
        "updated_at": started,
        **extra,
    }


P = "/api/v0beta1/sandboxes/dev%2Fbox"


# -------------------------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("  \n ", {}),
        (
            '{"ticket": "ABC-1", "n": 2, "tags": ["a"], "nested": {"ok": true}, "none": null}',
            {"ticket": "ABC-1", "n": 2, "tags": ["a"], "nested": {"ok": True}, "none": None},
        ),
    ],
)
def test_parse_metadata_text_accepts_objects(text: str, expected: dict[str, Any]) -> None:
    assert parse_metadata_text(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[1, 2]", "JSON object .* not a list"),
        ('"text"', "not a string"),
        ("42", "not a number"),
        ("null", "not null"),
        ('{"a": 1,}', r"not valid JSON: .* at line 1, column"),
        ('{\n  "a": \n}', "line 3, column 1"),
        ('{"a": NaN}', "NaN is not allowed"),
    ],
)
def test_parse_metadata_text_explains_what_is_wrong(text: str, match: str) -> None:
    with pytest.raises(MetadataError, match=match):
        parse_metadata_text(text)


def test_validate_metadata_rules() -> None:
    assert validate_metadata({"a": (1, 2)}) == {"a": [1, 2]}
    with pytest.raises(MetadataError, match="keys must be strings"):
        validate_metadata({1: "x"})
    with pytest.raises(MetadataError, match="only JSON values"):
        validate_metadata({"a": {1, 2}})
    with pytest.raises(MetadataError, match="only JSON values"):
        validate_metadata({"a": float("inf")})
    with pytest.raises(MetadataError, match="too large"):
        validate_metadata({"a": "x" * 70_000})
    assert issubclass(MetadataError, ValueError)


def test_format_metadata_round_trips_and_never_emits_raw_controls() -> None:
    metadata = {"b": "é\x1b[31m\x9b", "a": [1, {"c": None}]}
    text = format_metadata(metadata)
    assert "\x1b" not in text and "\x9b" not in text
    assert "é" in text  # readable, not \u-escaped
    assert parse_metadata_text(text) == metadata
    assert format_metadata(None) == "{}"


def test_session_row_cells() -> None:
    session = Session.model_validate(
        _session(
            "ses_1",
            "2026-01-01T11:56:00Z",
            agent_name="co\x1b[2Jdex",
            ended_at="2026-01-01T11:59:00Z",
            status="completed",
        )
    )
    row = session_row(session, NOW)
    assert (row.id, row.agent, row.status, row.started, row.ended) == (
        "ses_1",
        "codex",
        "completed",
        "4m",
        "1m",
    )
    assert session_row(Session.model_validate(_session("s", "2026-01-01T12:00:00Z")), NOW).ended == "-"


# -------------------------------------------------------------------------------------------- sessions


async def test_list_is_newest_first_and_latest_is_none_on_404() -> None:
    rec = Recorder(
        {
            ("GET", f"{P}/sessions"): httpx.Response(
                200,
                json={
                    "sessions": [
                        _session("old", "2026-01-01T10:00:00Z"),
                        _session("new", "2026-01-01T11:00:00Z"),
                        _session("undated", ""),
                    ],
                    "total": 3,
                },
            ),
            ("GET", f"{P}/sessions/latest"): httpx.Response(
                404, json={"code": "not_found", "message": "none"}
            ),
        }
    )
    sessions = SandboxSessions(rec.client())
    assert [s.id for s in await sessions.list("dev/box")] == ["new", "old", "undated"]
    assert await sessions.latest("dev/box") is None


async def test_create_mark_and_metadata_pin_the_requests() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json=_session(
                "ses_1",
                "2026-01-01T11:00:00Z",
                **{k: v for k, v in body.items() if k in ("status", "metadata")},
            ),
        )

    rec = Recorder(
        {
            ("POST", f"{P}/sessions"): lambda r: httpx.Response(
                201, json=_session("ses_1", "2026-01-01T11:00:00Z", **json.loads(r.content))
            ),
            ("PATCH", f"{P}/sessions/ses%2F1"): echo,
        }
    )
    sessions = SandboxSessions(rec.client())
    created = await sessions.create("dev/box", " codex ", {"ticket": "A-1"})
    assert created.agent_name == "codex" and created.metadata == {"ticket": "A-1"}
    marked = await sessions.mark("dev/box", "ses/1", "completed")
    assert marked.status == "completed"
    updated = await sessions.update_metadata("dev/box", "ses/1", {"k": [1, 2]})
    assert updated.metadata == {"k": [1, 2]}
    await sessions.create("dev/box", "claude")
    assert rec.bodies() == [
        {"agent_name": "codex", "metadata": {"ticket": "A-1"}},
        {"status": "completed"},
        {"metadata": {"k": [1, 2]}},
        {"agent_name": "claude"},
    ]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.mark("dev", "ses_1", "done"), 'can be marked active, completed, failed; not "done"'),
        (lambda s: s.create("dev", "  "), "agent name"),
        (lambda s: s.create("dev", "a\nb"), "one short line"),
        (lambda s: s.create("dev", "claude", ["not", "a", "dict"]), "JSON object"),
        (lambda s: s.update_metadata("dev", "ses_1", {1: 2}), "keys must be strings"),
    ],
)
async def test_invalid_input_sends_nothing(call: Callable[[SandboxSessions], Any], match: str) -> None:
    rec = Recorder({})
    with pytest.raises((SessionError, MetadataError), match=match):
        await call(SandboxSessions(rec.client()))
    assert rec.requests == []
    assert SESSION_STATUSES == ("active", "completed", "failed")


async def test_errors_name_the_box_and_carry_the_status() -> None:
    rec = Recorder(
        {
            ("GET", f"{P}/sessions"): httpx.Response(
                500, json={"code": "internal", "message": "db \x1b[5mdown"}
            ),
            ("GET", f"{P}/sessions/ses_1"): httpx.Response(
                404, json={"code": "not_found", "message": "no session"}
            ),
            ("GET", f"{P}/sessions/latest"): httpx.Response(503, text="upstream"),
        }
    )
    sessions = SandboxSessions(rec.client())
    with pytest.raises(SessionError) as info:
        await sessions.list("dev/box")
    assert str(info.value) == 'Could not list the sessions of sandbox "dev/box": HTTP 500: internal: db down'
    assert info.value.status == 500 and info.value.subject == "dev/box"
    with pytest.raises(SessionError, match="it no longer exists") as gone:
        await sessions.get("dev/box", "ses_1")
    assert gone.value.status == 404
    with pytest.raises(ServiceError, match="latest session .* HTTP 503: upstream"):
        await sessions.latest("dev/box")


# -------------------------------------------------------------------------------------------- SSH grants

SSH_TOKEN = "tok_9f8e7d6c5b4a39281706"


def _ssh(token: str = SSH_TOKEN, expires: str = "2026-01-01T13:00:00Z") -> dict[str, Any]:
    return {
        "ssh_destination": f"-p 2222 {token}@ssh.example.dev",
        "token": token,
        "expires_at": expires,
        "repo_name": "repo",
    }


async def test_current_remembers_the_grant_with_its_expiry() -> None:
    rec = Recorder({("POST", f"{P}/ssh"): httpx.Response(200, json=_ssh())})
    grants = SshGrants(rec.client(), clock=lambda: NOW)
    info = await grants.current("dev/box")
    assert info.token == SSH_TOKEN
    grant = grants.remembered("dev/box")
    assert grant is not None and grant.minted_at == NOW
    assert grant.seconds_left(NOW) == 3600 and not grant.expired(NOW)
    assert grant.countdown(NOW) == "expires in 1h"
    assert grant.expired(NOW + timedelta(hours=2)) and grant.countdown(NOW + timedelta(hours=2)) == "expired"
    assert grant.command is not None and SSH_TOKEN not in grant.command.masked()
    assert SSH_TOKEN not in repr(grant)
    assert grants.all() == (grant,)


async def test_a_hostile_destination_gives_no_command_but_the_grant_can_still_be_revoked() -> None:
    destination = f"-oProxyCommand=sh\\ -c\\ id -p 2222 {SSH_TOKEN}@ssh.example.dev"
    hostile = {**_ssh(), "ssh_destination": destination}
    rec = Recorder(
        {("POST", f"{P}/ssh"): httpx.Response(200, json=hostile), ("DELETE", f"{P}/ssh"): httpx.Response(204)}
    )
    grants = SshGrants(rec.client())
    await grants.current("dev/box")
    grant = grants.remembered("dev/box")
    assert grant is not None and grant.command is None
    assert grant.refusal.startswith('Refused the SSH destination Amika sent for sandbox "dev/box": it holds')
    assert "nothing was copied or run" in grant.refusal and SSH_TOKEN not in grant.refusal
    await grants.revoke("dev/box")
    assert rec.bodies()[-1] == {"token": SSH_TOKEN}


async def test_revoke_sends_the_remembered_token_and_forgets_it() -> None:
    rec = Recorder(
        {("POST", f"{P}/ssh"): httpx.Response(200, json=_ssh()), ("DELETE", f"{P}/ssh"): httpx.Response(204)}
    )
    grants = SshGrants(rec.client())
    await grants.current("dev/box")
    await grants.revoke("dev/box")
    assert [(r.method, b) for r, b in zip(rec.requests, rec.bodies(), strict=True)] == [
        ("POST", None),
        ("DELETE", {"token": SSH_TOKEN}),
    ]
    assert grants.remembered("dev/box") is None


async def test_revoke_without_a_remembered_grant_mints_then_revokes_like_the_cli() -> None:
    rec = Recorder(
        {("POST", f"{P}/ssh"): httpx.Response(200, json=_ssh()), ("DELETE", f"{P}/ssh"): httpx.Response(204)}
    )
    await SshGrants(rec.client()).revoke("dev/box")
    assert [r.method for r in rec.requests] == ["POST", "DELETE"]
    assert rec.bodies()[1] == {"token": SSH_TOKEN}


async def test_revoke_errors_mask_the_token() -> None:
    echo = {"code": "not_found", "message": f"token {SSH_TOKEN} not found"}
    rec = Recorder(
        {
            ("POST", f"{P}/ssh"): httpx.Response(200, json=_ssh()),
            ("DELETE", f"{P}/ssh"): httpx.Response(404, json=echo),
        }
    )
    grants = SshGrants(rec.client())
    await grants.current("dev/box")
    with pytest.raises(SshGrantError) as info:
        await grants.revoke("dev/box")
    assert SSH_TOKEN not in str(info.value)
    assert "token tok_9f…" in str(info.value) and info.value.status == 404
    assert grants.remembered("dev/box") is None  # 404: nothing left to revoke


async def test_revoke_fails_clearly_when_the_server_gives_no_token() -> None:
    rec = Recorder({("POST", f"{P}/ssh"): httpx.Response(200, json=_ssh(token=""))})
    with pytest.raises(SshGrantError, match='No SSH token to revoke for sandbox "dev/box"'):
        await SshGrants(rec.client()).revoke("dev/box")


async def test_current_on_a_stopped_sandbox_says_why() -> None:
    rec = Recorder(
        {
            ("POST", f"{P}/ssh"): httpx.Response(
                409, json={"code": "invalid_state", "message": "sandbox is stopped"}
            )
        }
    )
    with pytest.raises(SshGrantError, match='Could not get SSH access to sandbox "dev/box": HTTP 409'):
        await SshGrants(rec.client()).current("dev/box")


# ----------------------------------------------------------------------------------------- simulator


async def _sandbox(sim: Any, amika: AmikaClient, name: str, *, active: bool = False) -> str:
    await amika.create_sandbox(name=name)
    if active:
        async with httpx.AsyncClient(base_url=sim.base_url) as control:
            (
                await control.post(f"/_sim/boxes/amika/{name}/state", json={"state": "active"})
            ).raise_for_status()
    return name


async def test_sim_session_lifecycle(sim: Any, amika_client: AmikaClient) -> None:
    name = await _sandbox(sim, amika_client, "sessions-test")
    sessions = SandboxSessions(amika_client)
    assert await sessions.latest(name) is None
    assert await sessions.list(name) == []

    first = await sessions.create(name, "claude", parse_metadata_text('{"ticket": "BOX-1"}'))
    sim.advance(5)
    second = await sessions.create(name, "codex")
    assert first.agent_name == "claude" and first.metadata == {"ticket": "BOX-1"}
    listed = await sessions.list(name)
    assert {s.id for s in listed} == {first.id, second.id}
    assert listed[0].id == second.id  # newest first
    latest = await sessions.latest(name)
    assert latest is not None and latest.id == second.id

    marked = await sessions.mark(name, first.id, "completed")
    assert marked.status == "completed"
    updated = await sessions.update_metadata(name, first.id, {"ticket": "BOX-2", "done": True})
    detail = await sessions.get(name, first.id)
    assert updated.metadata == detail.metadata == {"ticket": "BOX-2", "done": True}
    assert detail.status == "completed"

    with pytest.raises(SessionError) as info:
        await sessions.get(name, "ses_missing")
    assert info.value.status == 404 and "no longer exists" in str(info.value)


async def test_sim_ssh_grant_revoke(sim: Any, amika_client: AmikaClient) -> None:
    name = await _sandbox(sim, amika_client, "ssh-grant-test", active=True)
    grants = SshGrants(amika_client)
    info = await grants.current(name)
    grant = grants.remembered(name)
    assert grant is not None and grant.expires_at is not None and info.token
    assert grant.seconds_left() is not None and grant.seconds_left() > 0  # type: ignore[operator]
    await grants.revoke(name)
    assert grants.remembered(name) is None
    # the revoked token is gone on the server: revoking it again is a 404 with the token masked
    with pytest.raises(Exception) as again:
        await amika_client.revoke_ssh(name, info.token)
    assert getattr(again.value, "status_code", None) == 404


def test_deeply_nested_metadata_is_a_metadata_error_not_a_recursion_error() -> None:
    with pytest.raises(MetadataError, match="nested too deeply"):
        parse_metadata_text('{"a":' * 100_000)
    with pytest.raises(MetadataError, match="nested too deeply"):
        parse_metadata_text("[" * 100_000)
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = {"k": deep}
    with pytest.raises(MetadataError, match="nested too deeply"):
        validate_metadata({"root": deep})


def test_metadata_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(MetadataError, match="lone surrogate"):
        validate_metadata({"note": "x\udcff"})
    with pytest.raises(MetadataError, match="lone surrogate"):
        parse_metadata_text('{"note": "\\ud800"}')
