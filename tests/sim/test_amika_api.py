"""Amika over real HTTP: every endpoint, every state machine step, and errors in Amika's own shape."""

from __future__ import annotations

import json

import httpx
import pytest

from boxdeck.sim import SimServer
from boxdeck.sim import amika_models as m

SANDBOX_FIELDS = set(m.Sandbox.model_fields)


def assert_amika_error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error"
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def create(client: httpx.Client, **fields) -> dict:
    r = client.post("/sandboxes", json=fields)
    assert r.status_code == 202, r.text
    return r.json()


def test_list_is_a_bare_array_of_full_sandboxes(amika: httpx.Client) -> None:
    r = amika.get("/sandboxes")
    assert r.status_code == 200
    items = r.json()
    assert isinstance(items, list) and len(items) == 12
    for sb in items:
        assert set(sb) == SANDBOX_FIELDS  # every field, explicit nulls included
        m.Sandbox.model_validate(sb)
    states = {sb["state"] for sb in items}
    # ready boxes report their provider's word: Daytona's "started", the others' "active"
    assert {"started", "active", "stopped", "initializing", "failed", "stopping"} <= states
    assert {sb["provider"] for sb in items if sb["state"] == "started"} == {"daytona"}
    assert {sb["provider"] for sb in items if sb["state"] == "active"} <= {"e2b", "freestyle", "vercel"}
    failed = next(sb for sb in items if sb["state"] == "failed")
    assert failed["error_message"]


def test_create_wait_stop_start_delete(sim: SimServer, empty_amika: httpx.Client) -> None:
    sb = create(empty_amika, name="org/proj", repo_url="https://github.com/acme-labs/web.git")
    assert sb["state"] == "initializing"
    assert sb["name"] == "org/proj"
    assert sb["repo_name"] == "web"
    assert sb["created_by"] == {"name": "Sim User", "email": "sim.user@boxdeck.local"}
    assert sb["resolved_agent_credentials"] == []
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "initializing"
    sim.advance(11)
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "initializing"
    sim.advance(10)
    ready = empty_amika.get("/sandboxes/org%2Fproj").json()
    assert ready["state"] == "started" and ready["error_message"] is None  # Daytona, the default provider
    assert ready["services"][0]["hostPort"] == 4096 and "containerPort" in ready["services"][0]
    assert ready["updated_at"] > ready["created_at"]
    # by id as well as by name
    assert empty_amika.get(f"/sandboxes/{ready['id']}").json()["name"] == "org/proj"

    r = empty_amika.post("/sandboxes/org%2Fproj/stop")
    assert r.status_code == 202 and r.json() == {"ok": True}
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "stopping"
    sim.advance(9)
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "stopped"

    assert empty_amika.post("/sandboxes/org%2Fproj/start").status_code == 202
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "initializing"
    sim.advance(13)
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "started"

    r = empty_amika.delete("/sandboxes/org%2Fproj")
    assert r.status_code == 204 and r.content == b""
    # the record lingers as "deleting" for a few seconds, then goes
    assert empty_amika.get("/sandboxes/org%2Fproj").json()["state"] == "deleting"
    assert [sb["state"] for sb in empty_amika.get("/sandboxes").json()] == ["deleting"]
    assert_amika_error(empty_amika.post("/sandboxes/org%2Fproj/start"), 409, "invalid_state")
    assert empty_amika.delete("/sandboxes/org%2Fproj").status_code == 204
    sim.advance(7)
    assert_amika_error(empty_amika.get("/sandboxes/org%2Fproj"), 404, "not_found")
    assert empty_amika.get("/sandboxes").json() == []


@pytest.mark.parametrize(
    ("provider", "ready"),
    [("daytona", "started"), ("local-docker", "running"), ("e2b", "active"), ("vercel", "active")],
)
def test_each_provider_reports_its_own_ready_state(
    sim: SimServer, empty_amika: httpx.Client, provider: str, ready: str
) -> None:
    create(empty_amika, name="p", provider=provider)
    sim.advance(21)
    assert empty_amika.get("/sandboxes/p").json()["state"] == ready
    assert empty_amika.post("/sandboxes/p/ssh").status_code == 200
    assert empty_amika.post("/sandboxes/p/stop").status_code == 202


def test_names_with_slashes_dots_and_spaces_route_to_every_suffix(
    sim: SimServer, empty_amika: httpx.Client
) -> None:
    for name in ("a b/c", "dylan/release-test", "v1.2/start", "x/ssh"):
        create(empty_amika, name=name, agent_credentials=[{"kind": "claude", "none": True}])
    sim.advance(30)
    from urllib.parse import quote

    for name in ("a b/c", "dylan/release-test", "v1.2/start", "x/ssh"):
        enc = quote(name, safe="")
        assert empty_amika.get(f"/sandboxes/{enc}").json()["name"] == name
        assert empty_amika.post(f"/sandboxes/{enc}/ssh").status_code == 200
        assert empty_amika.get(f"/sandboxes/{enc}/sessions").json() == {"sessions": [], "total": 0}
        assert empty_amika.post(f"/sandboxes/{enc}/stop").status_code == 202


def test_generated_names_and_duplicates(empty_amika: httpx.Client) -> None:
    a = create(empty_amika)
    color, city = a["name"].split("-", 1)
    assert color and city
    create(empty_amika, name="dup")
    assert_amika_error(empty_amika.post("/sandboxes", json={"name": "dup"}), 409, "conflict")
    # no body at all is fine too: everything is optional for the client
    r = empty_amika.post("/sandboxes")
    assert r.status_code == 202 and r.json()["name"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 41},
        {"name": "bad\nname"},
        {"size": "huge"},
        {"agent_credentials": [{"kind": "gemini"}]},
        {"auto_stop_interval": 99999},
    ],
)
def test_validation_is_400_invalid_input(empty_amika: httpx.Client, body: dict) -> None:
    err = assert_amika_error(empty_amika.post("/sandboxes", json=body), 400, "invalid_input")
    assert err["details"]


def test_malformed_json_is_an_amika_400(empty_amika: httpx.Client) -> None:
    r = empty_amika.post("/sandboxes", content=b"{nope", headers={"Content-Type": "application/json"})
    assert_amika_error(r, 400, "invalid_input")


def test_forty_character_name_is_accepted(empty_amika: httpx.Client) -> None:
    assert create(empty_amika, name="n" * 40)["name"] == "n" * 40


def test_failure_rate_fails_provisioning_with_a_message(sim: SimServer) -> None:
    sim.reset(demo_world=False, client_failure_rate=1.0)
    with httpx.Client(
        base_url=sim.base_url + "/api/v0beta1", headers={"Authorization": f"Bearer {sim.amika_token}"}
    ) as c:
        create(c, name="doomed")
        sim.advance(30)
        sb = c.get("/sandboxes/doomed").json()
        assert sb["state"] == "failed" and sb["error_message"]
        # a failed sandbox can be started again
        assert c.post("/sandboxes/doomed/start").status_code == 202


def test_invalid_transitions_are_409_invalid_state(sim: SimServer, empty_amika: httpx.Client) -> None:
    create(empty_amika, name="box")
    assert_amika_error(empty_amika.post("/sandboxes/box/stop"), 409, "invalid_state")  # still initializing
    assert_amika_error(empty_amika.post("/sandboxes/box/ssh"), 409, "invalid_state")
    sim.advance(30)
    assert_amika_error(empty_amika.post("/sandboxes/box/start"), 409, "invalid_state")  # already running
    empty_amika.post("/sandboxes/box/stop")
    sim.advance(10)
    assert_amika_error(empty_amika.post("/sandboxes/box/ssh"), 409, "invalid_state")
    r = empty_amika.post("/sandboxes/box/agent-send", json={"message": "hi"})
    assert_amika_error(r, 409, "invalid_state")


def test_unknown_sandbox_is_404_everywhere(empty_amika: httpx.Client) -> None:
    for method, path in [
        ("GET", "/sandboxes/nope"),
        ("POST", "/sandboxes/nope/start"),
        ("POST", "/sandboxes/nope/stop"),
        ("DELETE", "/sandboxes/nope"),
        ("POST", "/sandboxes/nope/ssh"),
        ("GET", "/sandboxes/nope/sessions"),
        ("GET", "/sandboxes/nope/sessions/latest"),
    ]:
        assert_amika_error(empty_amika.request(method, path), 404, "not_found")
    assert_amika_error(empty_amika.get("/no-such-route"), 404, "not_found")


def test_auth_failures_are_401_in_amika_shape(sim: SimServer) -> None:
    base = sim.base_url + "/api/v0beta1"
    assert_amika_error(httpx.get(base + "/sandboxes"), 401, "unauthorized")
    r = httpx.get(base + "/sandboxes", headers={"Authorization": "Bearer wrong"})
    assert_amika_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    # the Devbox token is not an Amika token
    assert_amika_error(
        httpx.get(base + "/secrets", headers={"Authorization": f"Bearer {sim.sprites_token}"}),
        401,
        "unauthorized",
    )


def test_ssh_tokens_expire_and_revoke(sim: SimServer, empty_amika: httpx.Client) -> None:
    create(empty_amika, name="sshy")
    sim.advance(30)
    r = empty_amika.post("/sandboxes/sshy/ssh")
    assert r.status_code == 200
    info = r.json()
    m.SSHInfo.model_validate(info)
    assert sim.ssh is not None
    assert info["ssh_destination"] == f"-p {sim.ssh.port} {info['token']}@127.0.0.1"
    assert info["expires_at"].endswith("Z")
    r = empty_amika.request("DELETE", "/sandboxes/sshy/ssh", json={"token": info["token"]})
    assert r.status_code == 204 and r.content == b""
    r = empty_amika.request("DELETE", "/sandboxes/sshy/ssh", json={"token": info["token"]})
    assert_amika_error(r, 404, "not_found")
    assert_amika_error(
        empty_amika.request("DELETE", "/sandboxes/sshy/ssh", json={"token": ""}), 400, "invalid_input"
    )
    second = empty_amika.post("/sandboxes/sshy/ssh").json()
    sim.advance(3601)
    r = empty_amika.request("DELETE", "/sandboxes/sshy/ssh", json={"token": second["token"]})
    assert_amika_error(r, 404, "not_found")


def test_agent_send_sessions_and_continuation(sim: SimServer, empty_amika: httpx.Client) -> None:
    empty_amika.post("/secrets/claude", json={"name": "k", "value": "sk-ant-x", "type": "api_key"})
    sb = create(empty_amika, name="agent", agent_credentials=[{"kind": "claude"}])
    assert sb["resolved_agent_credentials"] == [
        {"kind": "claude", "outcome": "resolved", "name": "k", "type": "api_key", "source": "default:api_key"}
    ]
    sim.advance(30)
    assert_amika_error(empty_amika.get("/sandboxes/agent/sessions/latest"), 404, "not_found")
    before = sim.world.now()
    r = empty_amika.post("/sandboxes/agent/agent-send", json={"message": "Fix the login bug"})
    assert r.status_code == 200, r.text
    first = r.json()
    m.AgentSendResponse.model_validate(first)
    assert (
        '"Fix the login bug"' in first["response"] and first["is_error"] is False and first["is_new_session"]
    )
    assert sim.world.now() > before  # the manual clock moved by the agent's run time
    again = empty_amika.post("/sandboxes/agent/agent-send", json={"message": "Fix the login bug"}).json()
    assert again["session_id"] == first["session_id"] and not again["is_new_session"]
    assert "turn 2" in again["response"]
    fresh = empty_amika.post(
        "/sandboxes/agent/agent-send", json={"message": "new", "new_session": True}
    ).json()
    assert fresh["session_id"] != first["session_id"] and fresh["is_new_session"]
    back = empty_amika.post(
        "/sandboxes/agent/agent-send", json={"message": "back", "session_id": first["session_id"]}
    ).json()
    assert back["session_id"] == first["session_id"]
    assert empty_amika.get("/sandboxes/agent").json()["current_session_id"] == first["session_id"]
    r = empty_amika.post("/sandboxes/agent/agent-send", json={"message": "x", "session_id": "nope"})
    assert_amika_error(r, 404, "not_found")
    assert_amika_error(
        empty_amika.post("/sandboxes/agent/agent-send", json={"message": ""}), 400, "invalid_input"
    )
    listing = empty_amika.get("/sandboxes/agent/sessions").json()
    assert listing["total"] == 2 and len(listing["sessions"]) == 2


def test_agent_send_is_deterministic(sim: SimServer, empty_amika: httpx.Client) -> None:
    empty_amika.post("/secrets/claude", json={"name": "k", "value": "v", "type": "oauth"})
    for name in ("one", "two"):
        create(empty_amika, name=name, agent_credentials=[{"kind": "claude"}])
    sim.advance(30)
    a = empty_amika.post("/sandboxes/one/agent-send", json={"message": "same prompt"}).json()
    b = empty_amika.post("/sandboxes/two/agent-send", json={"message": "same prompt"}).json()
    assert a["response"] == b["response"] and a["cost_usd"] == b["cost_usd"]


def test_agent_send_without_credentials_is_the_auth_failure_envelope(
    sim: SimServer, empty_amika: httpx.Client
) -> None:
    create(empty_amika, name="nocreds")
    sim.advance(30)
    r = empty_amika.post("/sandboxes/nocreds/agent-send", json={"message": "hello"})
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error", "details"}
    details = json.loads(body["details"])
    assert details["is_error"] is True and "authentication_error" in details["result"]
    # codex was not injected either, even when claude was
    empty_amika.post("/secrets/claude", json={"name": "k", "value": "v", "type": "api_key"})
    create(empty_amika, name="claude-only", agent_credentials=[{"kind": "claude"}])
    sim.advance(30)
    assert (
        empty_amika.post(
            "/sandboxes/claude-only/agent-send", json={"message": "x", "agent": "codex"}
        ).status_code
        == 500
    )


def test_credential_resolution_rules(empty_amika: httpx.Client) -> None:
    empty_amika.post("/secrets/claude", json={"name": "key", "value": "v", "type": "api_key"})
    empty_amika.post("/secrets/claude", json={"name": "login", "value": "{}", "type": "oauth"})
    sb = create(empty_amika, agent_credentials=[{"kind": "claude"}, {"kind": "codex"}])
    report = {e["kind"]: e for e in sb["resolved_agent_credentials"]}
    assert report["claude"]["name"] == "login"  # oauth first
    assert report["codex"] == {"kind": "codex", "outcome": "skipped", "reason": "no_user_credential"}
    sb = create(empty_amika, agent_credentials=[{"kind": "claude", "name": "key"}])
    assert sb["resolved_agent_credentials"][0]["source"] == "request:name"
    sb = create(empty_amika, agent_credentials=[{"kind": "claude", "none": True}])
    assert sb["resolved_agent_credentials"] == [
        {"kind": "claude", "outcome": "skipped", "reason": "request:none"}
    ]
    bad = [
        [{"kind": "claude", "name": "missing"}],
        [{"kind": "claude", "none": True, "name": "key"}],
        [{"kind": "claude"}, {"kind": "claude"}],
        [{"kind": "claude", "name": "key", "type": "oauth"}],
    ]
    for refs in bad:
        assert_amika_error(
            empty_amika.post("/sandboxes", json={"agent_credentials": refs}), 400, "invalid_input"
        )


def test_sessions_crud(sim: SimServer, empty_amika: httpx.Client) -> None:
    create(empty_amika, name="s")
    r = empty_amika.post("/sandboxes/s/sessions", json={"agent_name": "claude", "metadata": {"topic": "x"}})
    assert r.status_code == 201
    s1 = r.json()
    m.Session.model_validate(s1)
    assert s1["status"] == "active" and s1["ended_at"] is None and s1["metadata"] == {"topic": "x"}
    sim.advance(5)
    s2 = empty_amika.post("/sandboxes/s/sessions", json={"agent_name": "codex"}).json()
    assert s2["metadata"] == {}
    assert empty_amika.get("/sandboxes/s/sessions/latest").json()["id"] == s2["id"]
    assert empty_amika.get(f"/sandboxes/s/sessions/{s1['id']}").json() == s1
    listing = empty_amika.get("/sandboxes/s/sessions").json()
    assert [x["id"] for x in listing["sessions"]] == [s2["id"], s1["id"]] and listing["total"] == 2
    r = empty_amika.patch(
        f"/sandboxes/s/sessions/{s1['id']}", json={"status": "completed", "metadata": {"a": 1}}
    )
    done = r.json()
    assert done["status"] == "completed" and done["ended_at"] and done["metadata"] == {"a": 1}
    page = empty_amika.get("/sandboxes/s/sessions", params={"status": "completed"}).json()
    assert page["total"] == 1 and page["sessions"][0]["id"] == s1["id"]
    page = empty_amika.get("/sandboxes/s/sessions", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and [x["id"] for x in page["sessions"]] == [s1["id"]]
    assert_amika_error(
        empty_amika.patch(f"/sandboxes/s/sessions/{s1['id']}", json={"status": "bogus"}), 400, "invalid_input"
    )
    assert_amika_error(empty_amika.get("/sandboxes/s/sessions/nope"), 404, "not_found")
    assert_amika_error(empty_amika.post("/sandboxes/s/sessions", json={}), 400, "invalid_input")


def test_secrets(empty_amika: httpx.Client) -> None:
    r = empty_amika.post("/secrets", json={"name": "API_KEY", "value": "s3cret", "scope": "user"})
    assert r.status_code == 201
    created = r.json()
    m.SecretSummary.model_validate(created)
    assert_amika_error(
        empty_amika.post("/secrets", json={"name": "API_KEY", "value": "x", "scope": "user"}), 409, "conflict"
    )
    listing = empty_amika.get("/secrets").json()
    assert [s["name"] for s in listing] == ["API_KEY"]
    assert "s3cret" not in json.dumps(listing)
    r = empty_amika.put(f"/secrets/{created['id']}", json={"value": "new"})
    assert r.status_code == 204 and r.content == b""
    assert_amika_error(empty_amika.put("/secrets/sec_nope", json={"value": "x"}), 404, "not_found")
    assert_amika_error(
        empty_amika.post("/secrets", json={"name": "X", "value": "v", "scope": "team"}), 400, "invalid_input"
    )


def test_provider_secrets(empty_amika: httpx.Client) -> None:
    for provider in ("claude", "codex", "github"):
        r = empty_amika.post(f"/secrets/{provider}", json={"name": "main", "value": "v", "type": "api_key"})
        assert r.status_code == 201
        created = r.json()
        assert created == {"id": created["id"], "name": "main", "type": "api_key", "scope": "user"}
        assert empty_amika.get(f"/secrets/{provider}").json() == [created]
        r = empty_amika.post(f"/secrets/{provider}", json={"name": "main", "value": "v", "type": "api_key"})
        assert_amika_error(r, 409, "conflict")
        assert empty_amika.delete(f"/secrets/{provider}/{created['id']}").status_code == 204
        assert empty_amika.get(f"/secrets/{provider}").json() == []
        assert_amika_error(empty_amika.delete(f"/secrets/{provider}/{created['id']}"), 404, "not_found")
    r = empty_amika.post("/secrets/claude", json={"name": "x", "value": "v"})
    assert_amika_error(r, 400, "invalid_input")  # type is required
    r = empty_amika.post("/secrets/claude", json={"name": "x", "value": "v", "type": "password"})
    assert_amika_error(r, 400, "invalid_input")
    assert_amika_error(empty_amika.get("/secrets/gemini"), 404, "not_found")
    empty_amika.post("/secrets/claude", json={"name": "a", "value": "v", "type": "oauth", "scope": "org"})
    r = empty_amika.post("/secrets/claude", json={"name": "b", "value": "v", "type": "oauth", "scope": "org"})
    assert_amika_error(r, 409, "conflict")  # one org-scoped credential per provider


def test_secret_env_vars_must_name_existing_secrets(empty_amika: httpx.Client) -> None:
    assert_amika_error(
        empty_amika.post("/sandboxes", json={"secret_env_vars": {"TOKEN": "NOPE"}}), 400, "invalid_input"
    )
    empty_amika.post("/secrets", json={"name": "NOPE", "value": "v", "scope": "user"})
    assert create(empty_amika, secret_env_vars={"TOKEN": "NOPE"})["secret_names"] == ["NOPE"]
