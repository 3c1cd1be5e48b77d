"""Devbox over real HTTP: envelopes, the provisioning pipeline, access and exec sessions, users, GitHub, and
errors as a stock FastAPI service gives them."""

from __future__ import annotations

import base64
import shlex

import httpx
import pytest

from boxdeck.sim import SimServer
from boxdeck.sim import devbox_models as m

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9yYm94ZGVja3NpbXVsYXRvcnRlc3Rz test@boxdeck"
REPO = {
    "repo_id": 700201,
    "full_name": "acme-labs/platform",
    "ref": "main",
    "target_path": "/workspace/platform",
}


def detail(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)
    return body["detail"]


def steps(client: httpx.Client, devbox_id: str) -> list[tuple[str, str]]:
    r = client.get(f"/devboxes/{devbox_id}/operations")
    assert r.status_code == 200 and set(r.json()) == {"data"}
    return [(o["step"], o["status"]) for o in r.json()["data"]]


def test_demo_world_lists_a_bare_array(sim: SimServer, devbox: httpx.Client) -> None:
    items = devbox.get("/devboxes").json()
    assert isinstance(items, list) and len(items) == 8
    for d in items:
        m.DevboxResponse.model_validate(d)
    by_name = {d["name"]: d for d in items}
    assert by_name["feature-payments"]["state"] == "provisioning"
    ops = steps(devbox, by_name["feature-payments"]["id"])
    assert ops[0] == ("provision", "success") and ops[-1][1] == "pending"
    failed = by_name["data-pipeline"]
    assert failed["state"] == "failed"
    data = devbox.get(f"/devboxes/{failed['id']}/operations").json()["data"]
    assert data[-1]["step"] == "clone_repositories" and data[-1]["status"] == "failed" and data[-1]["message"]
    repos = devbox.get(f"/devboxes/{failed['id']}/repositories").json()["data"]
    assert repos[0]["clone_status"] == "failed" and repos[0]["clone_error"]
    assert all(d["access_url"] for d in items if d["state"] == "ready")


def test_pipeline_in_order_with_repositories(sim: SimServer, empty_devbox: httpx.Client) -> None:
    body = {
        "name": "box",
        "repositories": [
            REPO,
            {**REPO, "repo_id": 2, "full_name": "acme-labs/web", "target_path": "/workspace/web"},
        ],
        "credential_profile": {"inject_claude_token": True},
    }
    r = empty_devbox.post("/devboxes", json=body, headers={"X-Claude-Token": "sk-ant"})
    assert r.status_code == 202
    d = r.json()
    assert d["state"] == "requested" and d["access_url"] is None
    assert steps(empty_devbox, d["id"]) == []
    assert [
        x["clone_status"] for x in empty_devbox.get(f"/devboxes/{d['id']}/repositories").json()["data"]
    ] == ["pending", "pending"]
    sim.advance(2)
    assert empty_devbox.get(f"/devboxes/{d['id']}").json()["state"] == "provisioning"
    assert steps(empty_devbox, d["id"]) == [("provision", "pending")]
    seen_cloning = False
    for _ in range(200):
        sim.advance(0.5)
        state = empty_devbox.get(f"/devboxes/{d['id']}").json()["state"]
        clone = [
            x["clone_status"] for x in empty_devbox.get(f"/devboxes/{d['id']}/repositories").json()["data"]
        ]
        seen_cloning |= "cloning" in clone
        if state == "ready":
            break
    assert state == "ready" and seen_cloning
    assert clone == ["cloned", "cloned"]
    assert steps(empty_devbox, d["id"]) == [
        ("provision", "success"),
        ("inject_credentials", "success"),
        ("clone_repositories", "success"),
        ("publish_access", "success"),
    ]
    final = empty_devbox.get(f"/devboxes/{d['id']}").json()
    assert final["access_url"].startswith("https://box-")


def test_legacy_repository_field_becomes_a_repository(empty_devbox: httpx.Client) -> None:
    d = empty_devbox.post(
        "/devboxes", json={"name": "l", "repository": "https://github.com/org/legacy.git", "branch": "dev"}
    ).json()
    repos = empty_devbox.get(f"/devboxes/{d['id']}/repositories").json()["data"]
    assert repos[0]["full_name"] == "org/legacy" and repos[0]["ref"] == "dev"
    m.DevboxRepositoriesListResponse.model_validate({"data": repos})


def test_missing_injection_header_fails_inject_credentials(
    sim: SimServer, empty_devbox: httpx.Client
) -> None:
    d = empty_devbox.post(
        "/devboxes", json={"name": "x", "credential_profile": {"inject_codex_token": True}}
    ).json()
    sim.advance(60)
    assert empty_devbox.get(f"/devboxes/{d['id']}").json()["state"] == "failed"
    ops = empty_devbox.get(f"/devboxes/{d['id']}/operations").json()["data"]
    assert ops[-1]["step"] == "inject_credentials" and "X-Codex-Token" in ops[-1]["message"]


def test_setup_commands_take_time_and_respect_the_timeout(sim: SimServer, empty_devbox: httpx.Client) -> None:
    ok = empty_devbox.post(
        "/devboxes", json={"name": "ok", "setup_commands": ["sleep 100"], "setup_timeout_seconds": 300}
    ).json()
    slow = empty_devbox.post(
        "/devboxes",
        json={"name": "slow", "setup_commands": ["sleep 30", "sleep 100"], "setup_timeout_seconds": 60},
    ).json()
    bad = empty_devbox.post("/devboxes", json={"name": "bad", "setup_commands": ["exit 3"]}).json()
    sim.advance(60)
    assert empty_devbox.get(f"/devboxes/{ok['id']}").json()["state"] == "provisioning"
    ops = empty_devbox.get(f"/devboxes/{ok['id']}/operations").json()["data"]
    assert ops[-1]["message"] == "Running setup command 1/1: sleep 100"
    sim.advance(200)
    assert empty_devbox.get(f"/devboxes/{ok['id']}").json()["state"] == "ready"
    assert empty_devbox.get(f"/devboxes/{slow['id']}").json()["state"] == "failed"
    msg = empty_devbox.get(f"/devboxes/{slow['id']}/operations").json()["data"][-1]["message"]
    assert "setup_timeout_seconds (60s)" in msg and "sleep 100" in msg
    msg = empty_devbox.get(f"/devboxes/{bad['id']}/operations").json()["data"][-1]["message"]
    assert "exit code 3" in msg


def test_failure_rate_fails_a_step_with_a_message(sim: SimServer) -> None:
    sim.reset(demo_world=False, client_failure_rate=1.0)
    with httpx.Client(base_url=sim.base_url + "/api/v1", headers={"X-Sprites-Token": sim.sprites_token}) as c:
        d = c.post("/devboxes", json={"name": "doomed", "repositories": [REPO]}).json()
        sim.advance(120)
        assert c.get(f"/devboxes/{d['id']}").json()["state"] == "failed"
        last = c.get(f"/devboxes/{d['id']}/operations").json()["data"][-1]
        assert last["status"] == "failed" and last["message"]


def ready_devbox(sim: SimServer, client: httpx.Client, name: str = "r") -> dict:
    d = client.post("/devboxes", json={"name": name}).json()
    sim.advance(60)
    d = client.get(f"/devboxes/{d['id']}").json()
    assert d["state"] == "ready"
    return d


def test_access_sessions(sim: SimServer, empty_devbox: httpx.Client) -> None:
    d = empty_devbox.post("/devboxes", json={"name": "acc"}).json()
    assert "not ready" in detail(empty_devbox.post(f"/devboxes/{d['id']}/access/session", json={}), 409)
    sim.advance(60)
    r = empty_devbox.post(f"/devboxes/{d['id']}/access/session", json={})
    assert r.status_code == 201
    s = r.json()
    m.CreateAccessSessionResponse.model_validate(s)
    ssh = s["ssh"]
    words = shlex.split(s["command"])
    assert words[0] == "ssh" and f"{ssh['username']}@{ssh['host']}" in words and "\n" not in s["command"]
    # a real login: `ssh -p PORT SESSION@127.0.0.1`, no relay, the host key's own fingerprint
    assert sim.ssh is not None
    assert words == ["ssh", "-p", str(sim.ssh.port), f"{s['session_id']}@127.0.0.1"]
    assert (ssh["host"], ssh["port"], ssh["username"]) == ("127.0.0.1", sim.ssh.port, s["session_id"])
    assert ssh["proxy_command"] is None and ssh["workspace_path"] == "/workspace"
    assert ssh["host_key_fingerprint"] == sim.ssh.fingerprint()
    listing = empty_devbox.get(f"/devboxes/{d['id']}/access/sessions").json()
    assert any(e["command"] == "bash -l" and e["tty"] for e in listing["data"])
    r = empty_devbox.delete(f"/devboxes/{d['id']}/access/session/{s['session_id']}")
    assert r.status_code == 204 and r.content == b""
    assert detail(empty_devbox.delete(f"/devboxes/{d['id']}/access/session/{s['session_id']}"), 404)
    # sessions expire
    s2 = empty_devbox.post(f"/devboxes/{d['id']}/access/session").json()
    sim.advance(1801)
    assert detail(empty_devbox.delete(f"/devboxes/{d['id']}/access/session/{s2['session_id']}"), 404)


def test_without_an_ssh_server_some_devboxes_sit_behind_a_relay() -> None:
    """An app serving no SSH (`ssh=False`) answers with made-up hosts, some behind a relay: the command then
    carries the ProxyCommand as a single shell word."""
    from boxdeck.sim.config import SimConfig

    config = SimConfig(seed=7, manual_clock=True, demo_world=False, failure_rate=0, ssh=False)
    headers = {"X-Sprites-Token": config.sprites_token}
    forms = set()
    with SimServer(config) as plain, httpx.Client(base_url=plain.base_url + "/api/v1", headers=headers) as c:
        assert plain.ssh is None
        for i in range(12):
            d = c.post("/devboxes", json={"name": f"f{i}"}).json()
            plain.advance(40)
            s = c.post(f"/devboxes/{d['id']}/access/session").json()
            words = shlex.split(s["command"])
            if s["ssh"]["proxy_command"]:
                assert words[1:3] == ["-o", "ProxyCommand=" + s["ssh"]["proxy_command"]]
            target = f"{s['ssh']['username']}@{s['ssh']['host']}"
            assert words[-3:] == [target, "-p", str(s["ssh"]["ssh_port"] or s["ssh"]["port"])]
            forms.add(bool(s["ssh"]["proxy_command"]))
    assert forms == {True, False}


def test_exec_sessions_activity_changes_over_time(sim: SimServer, devbox: httpx.Client) -> None:
    ready = [d for d in devbox.get("/devboxes").json() if d["state"] == "ready"]
    snapshots = []
    for _ in range(6):
        per_box = []
        for d in ready:
            data = devbox.get(f"/devboxes/{d['id']}/access/sessions").json()["data"]
            m.ExecSessionsListResponse.model_validate({"data": data})
            per_box.append([(e["is_active"], e["bytes_per_second"]) for e in data])
        snapshots.append(per_box)
        sim.advance(10)
    assert any(snapshots[0]), "the demo world has exec sessions"
    assert len({repr(s) for s in snapshots}) > 1


def test_delete_destroys_then_unlists(sim: SimServer, empty_devbox: httpx.Client) -> None:
    d = ready_devbox(sim, empty_devbox)
    r = empty_devbox.delete(f"/devboxes/{d['id']}")
    assert r.status_code == 204 and r.content == b""
    assert empty_devbox.get(f"/devboxes/{d['id']}").json()["state"] == "destroyed"
    assert [x["state"] for x in empty_devbox.get("/devboxes").json()] == ["destroyed"]
    assert empty_devbox.delete(f"/devboxes/{d['id']}").status_code == 204  # idempotent
    sim.advance(61)
    assert empty_devbox.get("/devboxes").json() == []
    assert empty_devbox.get(f"/devboxes/{d['id']}").json()["state"] == "destroyed"
    # deleting mid-provisioning cancels the pipeline; pending operations are marked deleted
    p = empty_devbox.post("/devboxes", json={"name": "p"}).json()
    sim.advance(3)
    empty_devbox.delete(f"/devboxes/{p['id']}")
    sim.advance(100)
    assert empty_devbox.get(f"/devboxes/{p['id']}").json()["state"] == "destroyed"
    assert steps(empty_devbox, p["id"]) == [("provision", "deleted")]


def test_unknown_devbox_is_404_detail(empty_devbox: httpx.Client) -> None:
    for method, path in [
        ("GET", "/devboxes/nope"),
        ("DELETE", "/devboxes/nope"),
        ("GET", "/devboxes/nope/operations"),
        ("GET", "/devboxes/nope/repositories"),
        ("POST", "/devboxes/nope/access/session"),
        ("GET", "/devboxes/nope/access/sessions"),
        ("DELETE", "/devboxes/nope/access/session/s"),
    ]:
        assert detail(empty_devbox.request(method, path), 404) == "Devbox not found"


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({}, ["body", "name"], "missing"),
        ({"name": 5}, ["body", "name"], "string_type"),
        ({"name": "x", "setup_timeout_seconds": "soon"}, ["body", "setup_timeout_seconds"], "int_parsing"),
        (
            {"name": "x", "repositories": [{"full_name": "a/b"}]},
            ["body", "repositories", 0, "repo_id"],
            "missing",
        ),
    ],
)
def test_validation_is_fastapi_422(empty_devbox: httpx.Client, body: dict, loc: list, kind: str) -> None:
    r = empty_devbox.post("/devboxes", json=body)
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert any(e["loc"] == loc and e["type"] == kind and "msg" in e and "input" in e for e in errors)


def test_service_token_headers_and_401s(sim: SimServer) -> None:
    base = sim.base_url + "/api/v1"
    assert httpx.get(base + "/devboxes", headers={"X-Sprites-Token": sim.sprites_token}).status_code == 200
    assert httpx.get(base + "/devboxes", headers={"X-Provider-Token": sim.sprites_token}).status_code == 200
    assert "Missing" in detail(httpx.get(base + "/devboxes"), 401)
    assert (
        detail(httpx.get(base + "/devboxes", headers={"X-Sprites-Token": "nope"}), 401)
        == "Invalid service token"
    )
    assert detail(httpx.get(base + "/devboxes", headers={"X-Provider-Token": "undefined"}), 401)
    # a wrong user token is refused even where it is optional
    bad_user = {"X-Sprites-Token": sim.sprites_token, "Authorization": "Bearer wrong"}
    assert detail(httpx.get(base + "/devboxes", headers=bad_user), 401) == "Invalid user token"
    # the seed calls the user token optional: user-scoped endpoints answer without it...
    only_service = {"X-Sprites-Token": sim.sprites_token}
    for path in ("/users/me", "/integrations/github/connection", "/integrations/github/repos"):
        assert httpx.get(base + path, headers=only_service).status_code == 200, path
    # ...unless the simulator is told to be strict
    sim.reset(strict_user_token=True)
    for path in ("/users/me", "/integrations/github/connection", "/integrations/github/repos"):
        assert "User token required" in detail(httpx.get(base + path, headers=only_service), 401)
    assert httpx.get(base + "/devboxes", headers=only_service).status_code == 200
    # the Amika token does nothing here
    assert detail(httpx.get(base + "/devboxes", headers={"Authorization": f"Bearer {sim.amika_token}"}), 401)


def test_users_profile_and_ssh_key(empty_devbox: httpx.Client) -> None:
    assert empty_devbox.get("/users/me").json() == {"has_ssh_key": False}
    r = empty_devbox.put("/users/me/ssh-key", json={"public_key": ED25519})
    assert r.status_code == 204 and r.content == b""
    assert empty_devbox.get("/users/me").json() == {"has_ssh_key": True}
    r = empty_devbox.delete("/users/me/ssh-key")
    assert r.status_code == 204 and r.content == b""
    assert empty_devbox.get("/users/me").json() == {"has_ssh_key": False}


def _blob(key_type: str, payload: bytes = b"\x00\x00\x00\x20" + b"k" * 32) -> str:
    t = key_type.encode()
    return base64.b64encode(len(t).to_bytes(4, "big") + t + payload).decode()


@pytest.mark.parametrize(
    "key",
    [
        "garbage",
        "ssh-ed25519",
        "ssh-ed25519 not-base64!!",
        f"ssh-rsa {_blob('ssh-ed25519')}",  # embedded type does not match
        f"ssh-foo {_blob('ssh-foo')}",  # unknown type
        f"ssh-ed25519 {_blob('ssh-ed25519', b'')}",  # no key material
        "",
    ],
)
def test_garbage_ssh_keys_are_422(empty_devbox: httpx.Client, key: str) -> None:
    r = empty_devbox.put("/users/me/ssh-key", json={"public_key": key})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "public_key"]


@pytest.mark.parametrize("key_type", ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"])
def test_valid_ssh_keys(empty_devbox: httpx.Client, key_type: str) -> None:
    key = f"{key_type} {_blob(key_type)} me@laptop"
    assert empty_devbox.put("/users/me/ssh-key", json={"public_key": key}).status_code == 204


def test_github_oauth_flow(sim: SimServer, empty_devbox: httpx.Client) -> None:
    # not connected: the connection is null (the seed), the lists that need one are 404
    r = empty_devbox.get("/integrations/github/connection")
    assert r.status_code == 200 and r.json() is None
    assert detail(empty_devbox.get("/integrations/github/repos"), 404)
    r = empty_devbox.post(
        "/integrations/github/connect", json={"return_url": "https://app.example.com/cb?x=<1>"}
    )
    assert r.status_code == 200
    start = r.json()
    m.OAuthStartResponse.model_validate(start)
    assert start["authorize_url"] == f"{sim.base_url}/_sim/github/authorize?state={start['state']}"
    page = httpx.get(start["authorize_url"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "GitHub connected" in page.text and "&lt;1&gt;" in page.text  # the return URL is escaped
    assert httpx.get(start["authorize_url"]).status_code == 400  # a state is single-use
    conn = empty_devbox.get("/integrations/github/connection").json()
    assert conn["github_login"] == "sim-octocat" and isinstance(conn["github_user_id"], int)
    orgs = empty_devbox.get("/integrations/github/orgs").json()["data"]
    assert orgs and not any(o["granted"] for o in orgs)
    repos = empty_devbox.get("/integrations/github/repos").json()["data"]
    m.RepositoriesListResponse.model_validate({"data": repos})
    assert {r["full_name"] for r in repos if r["granted"]} == {
        "sim-octocat/dotfiles",
        "sim-octocat/side-project",
    }
    r = empty_devbox.put("/integrations/github/org-grants", json={"org_logins": ["acme-labs", "unknown-org"]})
    assert r.json() == {"selected_count": 1}
    repos = empty_devbox.get("/integrations/github/repos").json()["data"]
    assert {r["full_name"] for r in repos if r["granted"] and r["full_name"].startswith("acme-labs/")} == {
        "acme-labs/platform",
        "acme-labs/web",
    }
    assert empty_devbox.put("/integrations/github/org-grants", json={"org_logins": []}).json() == {
        "selected_count": 0
    }
    r = empty_devbox.delete("/integrations/github/connection")
    assert r.status_code == 204 and r.content == b""
    assert empty_devbox.get("/integrations/github/connection").json() is None


def test_oauth_state_expires(sim: SimServer, empty_devbox: httpx.Client) -> None:
    start = empty_devbox.post("/integrations/github/connect", json={"return_url": "x"}).json()
    sim.advance(601)
    assert httpx.get(start["authorize_url"]).status_code == 400
    assert empty_devbox.get("/integrations/github/connection").json() is None


def test_demo_world_has_github_and_no_key(devbox: httpx.Client) -> None:
    """No key is registered in the demo world: a registered key must sign devbox logins, and the demo's user
    has none that would match a made-up one."""
    assert devbox.get("/users/me").json() == {"has_ssh_key": False}
    assert devbox.get("/integrations/github/connection").json()["github_login"] == "sim-octocat"


def test_a_listing_with_the_user_token_shows_only_that_users_devboxes(sim: SimServer) -> None:
    sim.reset(demo_world=False)
    base = sim.base_url + "/api/v1"
    service = {"X-Sprites-Token": sim.sprites_token}
    user = {**service, "Authorization": f"Bearer {sim.user_token}"}
    mine = httpx.post(base + "/devboxes", json={"name": "mine"}, headers=user).json()
    other = httpx.post(base + "/devboxes", json={"name": "service-made"}, headers=service).json()
    assert [d["id"] for d in httpx.get(base + "/devboxes", headers=user).json()] == [mine["id"]]
    listed = httpx.get(base + "/devboxes", headers=service).json()
    assert {d["id"] for d in listed} == {mine["id"], other["id"]}
