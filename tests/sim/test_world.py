"""The world without HTTP: determinism, churn, scale, persistence and the import boundary."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from boxdeck.sim import SimConfig, SimServer
from boxdeck.sim.demo_world import build_world
from boxdeck.sim.persist import load_world, save_world, world_to_dict

START = 1_800_000_000.0


def snapshot(config: SimConfig) -> str:
    w = build_world(config)
    w.advance(3600)
    data = world_to_dict(w)
    return json.dumps(data, sort_keys=True)


def test_same_seed_same_world() -> None:
    cfg = SimConfig(seed=11, manual_clock=True, start_time=START, churn=True)
    assert snapshot(cfg) == snapshot(cfg)
    other = SimConfig(seed=12, manual_clock=True, start_time=START, churn=True)
    assert snapshot(cfg) != snapshot(other)


def test_demo_world_shape() -> None:
    w = build_world(SimConfig(seed=7, manual_clock=True))
    sandboxes = list(w.amika.sandboxes.values())
    assert len(sandboxes) == 12 and len(w.devbox.devboxes) == 8
    assert sum(s.state == "stopped" for s in sandboxes) == 2
    assert any(w.amika.sessions[sid].turns for s in sandboxes for sid in s.session_ids)
    assert any(len(s.session_ids) > 1 for s in sandboxes)
    secrets = [(p.provider, p.type) for p in w.amika.provider_secrets.values()]
    assert ("claude", "api_key") in secrets
    assert w.devbox.github is not None and w.devbox.ssh_key is None
    assert all(s.demo for s in sandboxes) and all(d.demo for d in w.devbox.devboxes.values())
    sb = w.amika.sandboxes["acme/platform"]
    assert sb.created_at < w.now() - 1800


def test_a_sized_world_without_the_demo_extras_builds(sim_server: SimServer) -> None:
    """``reset(demo_world=False, sandboxes=N)`` builds its sandboxes with no conversation history: without the
    demo extras no agent credential exists, so no agent could have answered (replaying the demo conversations
    would raise the simulator's RawError)."""
    try:
        for n in (1, 3, 12, 25):
            world = sim_server.reset(demo_world=False, sandboxes=n, devboxes=2)
            sandboxes = list(world.amika.sandboxes.values())
            assert len(sandboxes) == n and len(world.devbox.devboxes) == 2
            assert not world.amika.provider_secrets
            assert not any(world.amika.sessions[sid].turns for s in sandboxes for sid in s.session_ids)
        with httpx.Client(base_url=sim_server.base_url + "/api/v0beta1",
                          headers={"Authorization": f"Bearer {sim_server.amika_token}"}) as amika:
            assert len(amika.get("/sandboxes").json()) == 25
    finally:
        sim_server.reset()
    for seed in range(1, 6):
        config = SimConfig(seed=seed, manual_clock=True, demo_world=False, sandboxes=30, devboxes=10,
                           failure_rate=0.3)
        world = build_world(config)
        assert len(world.amika.sandboxes) == 30 and len(world.devbox.devboxes) == 10


def test_speed_scales_every_duration() -> None:
    fast = build_world(SimConfig(seed=1, manual_clock=True, demo_world=False, speed=10, failure_rate=0))
    fast.amika.create({"name": "x"})
    fast.advance(2.1)  # 21 service seconds / 10
    assert fast.amika.sandboxes["x"].state == "started"
    d = fast.devbox.create({"name": "d"})
    fast.advance(4.0)
    assert fast.devbox.devboxes[d["id"]].state == "ready"


def test_churn_changes_the_world_over_time() -> None:
    w = build_world(SimConfig(seed=5, manual_clock=True, churn=True, failure_rate=0))
    before = (
        {s.name: s.state for s in w.amika.sandboxes.values()},
        {d.id: d.state for d in w.devbox.devboxes.values()},
    )
    w.advance(600)
    after = (
        {s.name: s.state for s in w.amika.sandboxes.values()},
        {d.id: d.state for d in w.devbox.devboxes.values()},
    )
    assert before != after
    w.advance(24 * 3600)  # stays bounded over a long demo
    assert len(w.amika.sandboxes) <= 12 + 5
    assert sum(d.listed for d in w.devbox.devboxes.values()) <= 8 + 4


def test_no_churn_means_a_quiet_world() -> None:
    w = build_world(SimConfig(seed=5, manual_clock=True, churn=False))
    w.advance(120)  # let the in-flight transitions settle
    states = {s.name: s.state for s in w.amika.sandboxes.values()}
    w.advance(3600)
    assert {s.name: s.state for s in w.amika.sandboxes.values()} == states


def test_ten_thousand_each_list_quickly() -> None:
    t = time.perf_counter()
    with SimServer(SimConfig(seed=1, manual_clock=True, sandboxes=10_000, devboxes=10_000)) as sim:
        built = time.perf_counter() - t
        with httpx.Client(base_url=sim.base_url, timeout=30) as c:
            timings = {}
            for path, headers in (
                ("/api/v0beta1/sandboxes", {"Authorization": f"Bearer {sim.amika_token}"}),
                ("/api/v1/devboxes", {"X-Sprites-Token": sim.sprites_token}),
            ):
                c.get(path, headers=headers)  # warm the per-box JSON cache
                t = time.perf_counter()
                r = c.get(path, headers=headers)
                timings[path] = time.perf_counter() - t
                assert r.status_code == 200 and len(r.json()) == 10_000
            sim.advance(60)  # transitions fall due: only the changed boxes are re-serialised
            r = c.get("/api/v0beta1/sandboxes", headers={"Authorization": f"Bearer {sim.amika_token}"})
            assert len(r.json()) == 10_000
    print(f"\n10k world built+started in {built:.2f}s; list timings: {timings}")


def test_persistence_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "world.json")
    cfg = SimConfig(seed=9, manual_clock=True, start_time=START, state_file=path, failure_rate=0)
    w = build_world(cfg)
    w.amika.create({"name": "mid-flight"})  # provisioning when saved
    w.amika.create_secret("S", "v", "user")
    save_world(w, path)
    again = load_world(path, cfg)
    assert world_to_dict(again) == world_to_dict(w)
    assert again.amika.sandboxes["mid-flight"].state == "initializing"
    again.advance(30)  # its pending transition survived the restart
    assert again.amika.sandboxes["mid-flight"].state == "started"
    assert [s.name for s in again.amika.secrets.values()][-1] == "S"


def test_sim_server_keeps_state_across_restarts(tmp_path: Path) -> None:
    path = str(tmp_path / "state.json")
    cfg = SimConfig(seed=2, manual_clock=True, demo_world=False, state_file=path)
    with SimServer(cfg) as sim, httpx.Client(base_url=sim.base_url + "/api/v0beta1") as c:
        r = c.post(
            "/sandboxes", json={"name": "keep-me"}, headers={"Authorization": f"Bearer {sim.amika_token}"}
        )
        assert r.status_code == 202
    assert Path(path).exists()
    with SimServer(cfg) as sim, httpx.Client(base_url=sim.base_url + "/api/v0beta1") as c:
        names = [
            s["name"]
            for s in c.get("/sandboxes", headers={"Authorization": f"Bearer {sim.amika_token}"}).json()
        ]
        assert names == ["keep-me"]


def test_server_starts_and_stops_fast() -> None:
    t = time.perf_counter()
    sim = SimServer(SimConfig(seed=7)).start()
    started = time.perf_counter() - t
    assert httpx.get(sim.base_url + "/_sim/health").status_code == 200
    t = time.perf_counter()
    sim.stop()
    stopped = time.perf_counter() - t
    assert started < 2 and stopped < 2  # generous for slow CI; typically ~0.05 s and ~0.1 s
    print(f"\nstart {started:.3f}s stop {stopped:.3f}s")


def test_sim_imports_no_client_or_ui_code() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import boxdeck.sim as pkg\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "other = ('boxdeck.api', 'boxdeck.service', 'boxdeck.tui')\n"
        "bad = sorted(n for n in sys.modules if n.startswith(other)\n"
        "             or n.split('.')[0] in ('textual', 'rich', 'httpx'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_real_clock_at_high_speed() -> None:
    """Without the manual clock, transitions follow the wall clock scaled by speed, and agent-send really
    waits (duration / speed) instead of moving time."""
    with SimServer(SimConfig(seed=1, speed=400, demo_world=False, failure_rate=0)) as sim:
        headers = {"Authorization": f"Bearer {sim.amika_token}"}
        with httpx.Client(base_url=sim.base_url + "/api/v0beta1", headers=headers) as c:
            c.post("/secrets/claude", json={"name": "k", "value": "v", "type": "api_key"})
            c.post("/sandboxes", json={"name": "rt", "agent_credentials": [{"kind": "claude"}]})
            deadline = time.monotonic() + 5
            while c.get("/sandboxes/rt").json()["state"] != "started":
                assert time.monotonic() < deadline
                time.sleep(0.01)
            before = sim.world.now()
            r = c.post("/sandboxes/rt/agent-send", json={"message": "hello"})
            assert r.status_code == 200 and "hello" in r.json()["response"]
            assert sim.world.now() - before < 1  # the wall clock, not a jump


def test_churn_leaves_a_clients_boxes_alone() -> None:
    """A client's sandbox and devbox survive hours of churn (it once deleted an SDK test's own sandbox)."""
    w = build_world(SimConfig(seed=5, manual_clock=True, churn=True, speed=20))
    mine = w.amika.create({"name": "client-box"})["id"]
    devbox = w.devbox.create({"name": "client-devbox"})["id"]
    w.advance(2)
    assert w.amika.by_id[mine].state == "started" and w.devbox.devboxes[devbox].state == "ready"
    demo_before = {s.id: (s.state, s.gen) for s in w.amika.sandboxes.values() if s.demo}
    w.advance(6 * 3600 / 20)
    assert w.amika.by_id[mine].state == "started" and w.amika.by_id[mine].gen == 0
    assert w.devbox.devboxes[devbox].state == "ready"
    demo_after = {s.id: (s.state, s.gen) for s in w.amika.sandboxes.values() if s.demo}
    assert demo_after != demo_before  # churn did run, on the demo's own boxes


def test_the_failure_rate_is_the_demo_worlds_and_a_client_asks_for_its_own() -> None:
    w = build_world(SimConfig(seed=3, manual_clock=True, demo_world=False, failure_rate=1.0))
    w.amika.create({"name": "fine"})
    d = w.devbox.create({"name": "fine"})["id"]
    w.advance(120)
    assert w.amika.sandboxes["fine"].state == "started" and w.devbox.devboxes[d].state == "ready"
    w = build_world(SimConfig(seed=3, manual_clock=True, demo_world=False, client_failure_rate=1.0))
    w.amika.create({"name": "doomed"})
    d = w.devbox.create({"name": "doomed"})["id"]
    w.advance(120)
    assert w.amika.sandboxes["doomed"].state == "failed" and w.devbox.devboxes[d].state == "failed"
