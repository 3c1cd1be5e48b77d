"""Actions against the simulator over real HTTP: pending at once, reconciled by the next polls."""

import shlex

import pytest

from boxdeck.service.actions.actions import ActionError
from boxdeck.service.boxes import Backend, StateKind
from boxdeck.service.monitoring.snapshot import Diff
from support.sim_service import sim_service

A, D = Backend.AMIKA, Backend.DEVBOX


@pytest.fixture
async def svc(sim):
    service, records, clock = sim_service(sim)
    await service.monitor.poll(A)
    await service.monitor.poll(D)
    diffs: list[Diff] = []
    service.monitor.subscribe(diffs.append)
    yield sim, service, diffs
    await service.aclose()


def first(monitor, backend, state):
    return next(b for b in monitor.snapshot(backend).boxes.values() if b.state == state)


async def until(sim, monitor, backend, key, predicate, *, step=1.0, limit=60):
    """Advance the simulator's clock and poll until `predicate(box)`; returns the diffs seen."""
    seen = []
    for _ in range(limit):
        if predicate(monitor.box(key)):
            return seen
        sim.advance(step)
        seen.append(await monitor.poll(backend))
    raise AssertionError(f"{key} never got there: {monitor.box(key)}")


async def test_stop_then_start_a_sandbox_with_pending_reconcile_and_notices(svc):
    sim, service, diffs = svc
    m, actions = service.monitor, service.actions
    box = first(m, A, "active")

    await actions.stop(box)
    assert m.box(box.key).display_state == "stopping" and diffs[-1].local
    d = await m.poll(A)
    new = m.box(box.key)
    assert new.state == "stopping" and new.pending is None  # the server moved: the mark is gone
    assert m.notable(d.changed[0]) is None

    polls = await until(sim, m, A, box.key, lambda b: b.state == "stopped")
    notices = [n for p in polls for n in m.notices(p)]
    assert [(n.level, n.title) for n in notices] == [("information", f"{box.name} stopped")]

    await actions.start(m.box(box.key))
    assert m.box(box.key).display_state == "starting"
    polls = await until(sim, m, A, box.key, lambda b: b.state == "active")
    notices = [n for p in polls for n in m.notices(p)]
    assert [n.title for n in notices] == [f"{box.name} is ready"]


async def test_server_refusal_comes_back_with_its_message(svc):
    sim, service, _ = svc
    box = first(service.monitor, A, "active")
    with pytest.raises(ActionError) as info:
        await service.actions.start(box)
    text = str(info.value)
    assert text.startswith(f'Couldn\'t start "{box.name}": HTTP 409: ')
    assert "active" in text
    assert service.monitor.box(box.key).pending is None


async def test_delete_sandbox_removes_it(svc):
    sim, service, _ = svc
    m = service.monitor
    box = first(m, A, "stopped")
    await service.actions.delete(box)
    assert m.box(box.key).display_state == "deleting"
    d = await m.poll(A)
    assert box.key in {b.key for b in d.removed}
    assert m.box(box.key) is None
    assert [n.title for n in m.notices(d)] == [f"{box.name} deleted"]


async def test_delete_devbox_shows_destroyed_until_the_server_drops_it(svc):
    sim, service, _ = svc
    m = service.monitor
    box = first(m, D, "ready")
    await service.actions.delete(box)
    await m.poll(D)
    gone = m.box(box.key)
    assert gone is not None and gone.state == "destroyed" and gone.kind is StateKind.GONE
    assert gone.pending is None
    await until(sim, m, D, box.key, lambda b: b is None, step=30, limit=40)


async def test_create_sandbox_appears_at_once_then_becomes_ready_with_a_notice(svc):
    sim, service, diffs = svc
    m = service.monitor
    box = await service.actions.create_sandbox(name="fresh-one", repo_url="https://github.com/acme-labs/web")
    assert box.pending == "creating" and box.state == "initializing"
    assert diffs[-1].added == (box,) and m.box(box.key) is box
    await m.poll(A)
    assert m.box(box.key).pending is None and m.box(box.key).state == "initializing"
    polls = await until(sim, m, A, box.key, lambda b: b.state != "initializing", step=2)
    assert m.box(box.key).state == "started"  # Daytona's word for ready
    assert [n.title for p in polls for n in m.notices(p)] == ["fresh-one is ready"]


async def test_create_devbox_failure_reports_the_server_message(svc):
    sim, service, diffs = svc
    before = len(diffs)
    with pytest.raises(ActionError, match='^Couldn\'t create devbox "": HTTP 4'):
        await service.actions.create_devbox("", repositories=[{"full_name": "x"}])
    assert len(diffs) == before


async def test_created_devbox_failing_is_an_error_notice_with_the_reason(sim):
    sim.reset(demo_world=False, client_failure_rate=1.0)
    service, _, _ = sim_service(sim)
    m = service.monitor
    await m.poll(D)
    box = await service.actions.create_devbox("doomed")
    polls = await until(sim, m, D, box.key, lambda b: b.state == "failed", step=2)
    notices = [n for p in polls for n in m.notices(p)]
    assert len(notices) == 1 and notices[0].level == "error"
    assert notices[0].message.startswith('Devbox "doomed" failed: ')
    assert len(notices[0].message) > len('Devbox "doomed" failed: ')
    await service.aclose()


async def test_ssh_commands_for_both_backends(svc):
    sim, service, _ = svc
    m = service.monitor
    sandbox = first(m, A, "active")
    cmd = await service.actions.ssh_command(sandbox)
    assert cmd.argv[0] == "ssh" and "-p" in cmd.argv
    assert cmd.secrets and all(s not in cmd.masked() for s in cmd.secrets)
    assert all(s not in service.redactor.redact(cmd.text) for s in cmd.secrets)

    devbox = first(m, D, "ready")
    dcmd = await service.actions.ssh_command(devbox)
    assert dcmd.argv[0] == "ssh" and shlex.split(dcmd.text) == list(dcmd.argv)
    assert dcmd.expires_at is not None


async def test_ssh_refused_for_boxes_that_are_not_ready(svc):
    sim, service, _ = svc
    for backend, state in ((A, "stopped"), (D, "failed")):
        box = first(service.monitor, backend, state)
        with pytest.raises(ActionError, match="is not ready"):
            await service.actions.ssh_command(box)


async def test_devbox_start_is_refused_with_a_clear_message(svc):
    sim, service, _ = svc
    box = first(service.monitor, D, "stopped")
    with pytest.raises(ActionError, match="the Devbox API has no start"):
        await service.actions.start(box)


async def test_read_only_service_refuses_and_sends_nothing(sim):
    service, records, _ = sim_service(sim, read_only=True)
    m = service.monitor
    await m.poll(A)
    records.clear()
    box = first(m, A, "active")
    for call in (service.actions.stop(box), service.actions.delete(box),
                 service.actions.create_sandbox(name="nope")):
        with pytest.raises(ActionError, match="^read-only mode"):
            await call
    assert records == []
    assert m.box(box.key).pending is None
    await service.aclose()
