"""The monitor against the simulator over real HTTP (manual clock; no mocks)."""

from dataclasses import replace

import pytest

from boxdeck.service.boxes import Backend, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.cadence import AUTH_RETRY
from boxdeck.service.monitoring.snapshot import Diff
from support.service_fakes import FakeClock
from support.sim_service import sim_service, sim_settings

A, D = Backend.AMIKA, Backend.DEVBOX


async def cycles(service, n):
    for _ in range(n):
        await service.monitor.poll(A)
        await service.monitor.poll(D)


@pytest.mark.parametrize("n", [10, 200])
async def test_requests_per_cycle_do_not_grow_with_n(sim, n):
    sim.reset(sandboxes=n, devboxes=n)
    service, records, _ = sim_service(sim, max_detail_fetches=3)
    await cycles(service, 3)
    lists = [r for r in records if r.path in ("/sandboxes", "/devboxes")]
    assert len(lists) == 6
    assert len(records) <= 3 * (2 + 2 * 3)  # lists + at most 3 devboxes' ops and repos per cycle
    assert len(service.monitor.snapshot(A)) == n and len(service.monitor.snapshot(D)) == n
    await service.aclose()


@pytest.mark.parametrize("n", [10, 200])
async def test_without_detail_budget_a_cycle_is_exactly_two_requests(sim, n):
    sim.reset(sandboxes=n, devboxes=n)
    service, records, _ = sim_service(sim, max_detail_fetches=0)
    await cycles(service, 4)
    assert [r.method + " " + r.path for r in records] == ["GET /sandboxes", "GET /devboxes"] * 4
    await service.aclose()


async def test_demo_world_loads_with_ok_health_and_no_deleted_sandboxes(sim):
    service, _, _ = sim_service(sim)
    m = service.monitor
    await cycles(service, 1)
    assert m.health(A).status == "ok" and m.health(D).status == "ok"
    sandboxes = m.snapshot(A).boxes.values()
    assert sandboxes and all("delet" not in b.state for b in sandboxes)
    assert any(b.kind is StateKind.TRANSITIONAL for b in sandboxes)
    assert m.next_delay(A) == 1.0  # something is initializing/stopping in the demo
    provisioning = [b for b in m.snapshot(D).boxes.values() if b.state_kind is StateKind.TRANSITIONAL]
    for box in provisioning[:4]:
        assert box.key in m.snapshot(D).details
    await service.aclose()


async def test_a_state_change_in_the_simulator_shows_in_the_next_poll(sim):
    service, _, _ = sim_service(sim)
    m = service.monitor
    await m.poll(A)
    active = next(b for b in m.snapshot(A).boxes.values() if b.state == "active")
    sim.world.amika.force_state(active.ref, "failed", "disk on fire")
    d = await m.poll(A)
    (change,) = [c for c in d.changed if c.key == active.key]
    assert (change.old.state, change.new.state) == ("active", "failed")
    assert change.new.error_message == "disk on fire"
    entry = m.activity[-1]
    assert (entry.name, entry.old, entry.new) == (active.name, "active", "failed")
    await service.aclose()


async def test_devbox_provisioning_progress_is_followed_step_by_step(empty_sim):
    service, _, _ = sim_service(empty_sim)
    m, actions = service.monitor, service.actions
    await m.poll(D)
    box = await actions.create_devbox("watch-me")
    seen_steps: list[tuple[str, ...]] = []
    for _ in range(40):
        empty_sim.advance(2)
        await m.poll(D)
        detail = m.snapshot(D).details.get(box.key)
        if detail is not None:
            steps = tuple(f"{o.step}:{o.status}" for o in detail.operations)
            if not seen_steps or seen_steps[-1] != steps:
                seen_steps.append(steps)
        if m.box(box.key).state == "ready":
            break
    assert m.box(box.key).state == "ready"
    assert len(seen_steps) >= 3  # several intermediate step lists were seen, not just the end
    final = m.snapshot(D).details[box.key]
    assert [o.step for o in final.operations] == ["provision", "inject_credentials", "clone_repositories",
                                                   "publish_access"]
    assert all(o.status == "success" for o in final.operations)
    await service.aclose()


async def test_a_failing_backend_does_not_stall_the_other(sim):
    settings = sim_settings(sim)
    bad = replace(settings, amika=replace(settings.amika, token="amk_wrong_token_123456"))
    service = Service.from_settings(bad, clock=FakeClock(), rng=lambda: 1.0)
    m = service.monitor
    diffs: list[Diff] = []
    m.subscribe(diffs.append)
    await cycles(service, 1)
    sim.world.devbox.force_state(next(iter(m.snapshot(D).boxes.values())).ref, "failed")
    await cycles(service, 2)
    h = m.health(A)
    assert h.status == "failing" and h.consecutive_failures == 3
    assert h.last_error.startswith("HTTP 401") and "amk_wrong_token_123456" not in h.last_error
    assert m.health(D).status == "ok" and m.health(D).consecutive_failures == 0
    assert [d.backend for d in diffs] == [D, D]  # the load, then the forced failure
    # Refused credentials are asked again slowly; the healthy backend keeps its pace.
    assert m.next_delay(A) == AUTH_RETRY and m.next_delay(D) in (1.0, 5.0)
    await service.aclose()
