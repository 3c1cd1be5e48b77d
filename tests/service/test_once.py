"""Nothing is done twice: actions already in flight are not sent again, and a create whose answer was lost
is looked up by name before anything invites a retry. Over the simulator, counting what reached it."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import pytest

from boxdeck.service.access.devbox_access import DevboxAccess
from boxdeck.service.actions.actions import ActionError, AlreadyInFlight, AnswerLost
from boxdeck.service.actions.sandbox_sessions import SandboxSessions
from boxdeck.service.actions.secret_store import SecretStore
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.configuration.config import Service
from boxdeck.sim import SimServer
from support.sim_service import sim_service, sim_settings

A, D = Backend.AMIKA, Backend.DEVBOX
AMIKA = "/api/v0beta1"


@pytest.fixture
async def svc(sim: SimServer) -> Any:
    service, _records, _clock = sim_service(sim)
    await service.monitor.poll(A)
    await service.monitor.poll(D)
    yield service
    await service.aclose()


def first(service: Any, backend: Backend, state: str) -> Box:
    return next(b for b in service.monitor.snapshot(backend).boxes.values() if b.state == state)


def sandboxes_named(sim: SimServer, name: str) -> int:
    return sum(1 for sb in sim.world.amika.sandboxes.values() if sb.name == name)


def devboxes_named(sim: SimServer, name: str) -> int:
    return sum(1 for d in sim.world.devbox.devboxes.values() if d.name == name)


async def test_three_starts_at_once_send_one(sim: SimServer, svc: Any) -> None:
    box = first(svc, A, "stopped")
    results = await asyncio.gather(*(svc.actions.start(box) for _ in range(3)), return_exceptions=True)
    assert sim.requests("POST", f"{AMIKA}/sandboxes/{box.ref}/start") == 1
    assert results[0] is None
    assert [str(r) for r in results[1:]] == [f'already starting "{box.name}"'] * 2
    assert all(isinstance(r, AlreadyInFlight) for r in results[1:])


async def test_an_action_sent_but_not_yet_seen_done_is_not_sent_again(sim: SimServer, svc: Any) -> None:
    box = first(svc, A, "active")
    await svc.actions.stop(box)  # answered; the list has not been read since
    with pytest.raises(AlreadyInFlight, match=f'^already stopping "{box.name}"$'):
        await svc.actions.stop(box)  # the row the user saw before the mark (a stale box)
    assert sim.requests("POST", f"{AMIKA}/sandboxes/{box.ref}/stop") == 1


async def test_delete_confirmed_twice_sends_one(sim: SimServer, svc: Any) -> None:
    box = first(svc, D, "ready")
    results = await asyncio.gather(svc.actions.delete(box), svc.actions.delete(box), return_exceptions=True)
    assert sim.requests("DELETE", f"/api/v1/devboxes/{box.ref}") == 1
    assert isinstance(results[1], AlreadyInFlight)


async def test_a_different_action_on_the_same_box_is_not_held_back(sim: SimServer, svc: Any) -> None:
    box = first(svc, A, "stopped")
    results = await asyncio.gather(svc.actions.start(box), svc.actions.delete(box), return_exceptions=True)
    assert not any(isinstance(r, AlreadyInFlight) for r in results)
    assert sim.requests("POST", f"{AMIKA}/sandboxes/{box.ref}/start") == 1
    assert sim.requests("DELETE", f"{AMIKA}/sandboxes/{box.ref}") == 1


async def test_create_submitted_twice_creates_once(sim: SimServer, svc: Any) -> None:
    results = await asyncio.gather(
        svc.actions.create_sandbox(name="twice"), svc.actions.create_sandbox(name="twice"),
        svc.actions.create_devbox("twice-dev"), svc.actions.create_devbox("twice-dev"),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Box", "AlreadyInFlight"] * 2
    assert str(results[1]) == 'already creating sandbox "twice"'
    assert sandboxes_named(sim, "twice") == 1 and devboxes_named(sim, "twice-dev") == 1


@pytest.mark.parametrize("backend", [A, D])
async def test_a_create_whose_answer_was_lost_is_found_by_name(
    sim: SimServer, svc: Any, backend: Backend
) -> None:
    sim.set_faults(1.0, ["drop-after"], methods=["POST"])  # created, then the connection closes
    with pytest.raises(AnswerLost) as info:
        if backend is A:
            await svc.actions.create_sandbox(name="lost-one")
        else:
            await svc.actions.create_devbox("lost-one")
    sim.set_faults(0.0)
    lost = info.value
    noun = "sandbox" if backend is A else "devbox"
    assert str(lost).startswith(f'Created {noun} "lost-one": its answer was lost on the way back (')
    assert str(lost).endswith("but the server has it.")
    assert lost.box is not None and lost.box.name == "lost-one" and lost.box_key == lost.box.key
    shown = svc.monitor.box(lost.box.key)
    assert shown is not None and shown.pending == "creating"  # in the table at once
    assert (sandboxes_named if backend is A else devboxes_named)(sim, "lost-one") == 1


async def test_a_devbox_of_the_same_name_seen_before_is_not_taken_for_the_lost_one(
    sim: SimServer, svc: Any
) -> None:
    existing = first(svc, D, "ready")
    sim.set_faults(1.0, ["drop-after"], methods=["POST"])
    with pytest.raises(AnswerLost) as info:
        await svc.actions.create_devbox(existing.name)
    sim.set_faults(0.0)
    assert info.value.box is not None and info.value.box.key != existing.key


async def test_a_lost_create_not_found_says_it_may_appear_and_the_retry_looks_first(
    sim: SimServer, svc: Any
) -> None:
    sim.set_faults(1.0, ["drop"], methods=["POST"])  # closed before the server acted: the client can't tell
    with pytest.raises(AnswerLost) as info:
        await svc.actions.create_sandbox(name="maybe")
    lost = info.value
    assert lost.box is None
    assert str(lost).startswith('The request to create sandbox "maybe" was sent but its answer was lost (')
    assert "It may have been created and may still appear in the list" in str(lost)
    assert sim.requests("GET", f"{AMIKA}/sandboxes/maybe") == 1  # looked up before saying so

    sim.set_faults(0.0)
    box = await svc.actions.create_sandbox(name="maybe")  # the retry: looks again, then sends
    assert box.name == "maybe"
    assert sim.requests("GET", f"{AMIKA}/sandboxes/maybe") == 2
    assert sandboxes_named(sim, "maybe") == 1


async def test_a_retry_after_a_lost_answer_finds_the_box_and_sends_nothing(sim: SimServer, svc: Any) -> None:
    sim.set_faults(1.0, ["drop-after"])  # the create is applied, and the lookup's answer is lost too
    with pytest.raises(AnswerLost) as info:
        await svc.actions.create_devbox("late")
    assert info.value.box is None
    assert "(couldn't look it up: " in str(info.value)

    with pytest.raises(AnswerLost) as blocked:  # still no answer to the lookup: nothing is sent blind
        await svc.actions.create_devbox("late")
    assert str(blocked.value).startswith('Not sent: couldn\'t check whether devbox "late" from the earlier')
    assert str(blocked.value).endswith("Try again in a moment.")
    assert blocked.value.box is None

    sim.set_faults(0.0)
    with pytest.raises(AnswerLost) as again:
        await svc.actions.create_devbox("late")
    assert again.value.box is not None and again.value.box.name == "late"
    assert str(again.value) == (
        'Created devbox "late" already: the earlier attempt\'s answer was lost, but the server has it. '
        "Nothing new was sent."
    )
    assert sim.requests("POST", "/api/v1/devboxes") == 1
    assert devboxes_named(sim, "late") == 1  # devbox names are not unique: a blind retry would make two


async def test_a_refused_connection_is_a_plain_failure(sim: SimServer) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the request is never sent
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = sim_settings(sim)
    nowhere = Service.from_settings(replace(settings, amika=replace(settings.amika, url=f"http://127.0.0.1:{port}")))
    with pytest.raises(ActionError) as info:
        await nowhere.actions.create_sandbox(name="nowhere")
    assert not isinstance(info.value, AnswerLost)
    message = str(info.value)
    assert message.startswith('Couldn\'t create sandbox "nowhere": POST /sandboxes failed: ConnectError')
    await nowhere.aclose()


async def test_a_start_whose_answer_was_lost_stays_pending_and_is_not_sent_again(
    sim: SimServer, svc: Any
) -> None:
    box = first(svc, A, "stopped")
    sim.set_faults(1.0, ["drop-after"], methods=["POST"])
    with pytest.raises(ActionError) as info:
        await svc.actions.start(box)
    sim.set_faults(0.0)
    assert str(info.value).startswith(f'The answer to start "{box.name}" was lost: ')
    assert str(info.value).endswith("It may have been done: the row shows what the server did.")
    assert svc.monitor.box(box.key).pending == "starting"
    with pytest.raises(AlreadyInFlight):
        await svc.actions.start(box)
    assert sim.requests("POST", f"{AMIKA}/sandboxes/{box.ref}/start") == 1
    await svc.monitor.poll(A)
    assert svc.monitor.box(box.key).state != "stopped"  # it was done: the server says so


async def test_secret_and_session_changes_twice_at_once_are_sent_once(
    sim: SimServer, amika_client: Any, devbox_client: Any
) -> None:
    store, sessions = SecretStore(amika_client), SandboxSessions(amika_client)
    access = DevboxAccess(devbox_client)
    sandbox = next(sb.name for sb in sim.world.amika.sandboxes.values() if sb.state == "active")
    devbox = next(d.id for d in sim.world.devbox.devboxes.values() if d.state == "ready" and d.listed)
    pairs = [
        (store.create("TWICE", "value-one-1234"), store.create("TWICE", "value-one-1234")),
        (store.create_provider("claude", "twice", "api_key", "sk-ant-0123456789"),
         store.create_provider("claude", "twice", "api_key", "sk-ant-0123456789")),
        (sessions.create(sandbox, "claude", {"ticket": "A-1"}),
         sessions.create(sandbox, "claude", {"ticket": "A-1"})),
        (access.create(devbox), access.create(devbox)),
    ]
    for one, two in pairs:
        results = await asyncio.gather(one, two, return_exceptions=True)
        assert not isinstance(results[0], BaseException), results[0]
        assert isinstance(results[1], AlreadyInFlight), results[1]
        assert str(results[1]).startswith("already ")
    assert sim.requests("POST", f"{AMIKA}/secrets") == 1
    assert sim.requests("POST", f"{AMIKA}/secrets/claude") == 1
    assert sim.requests("POST", f"{AMIKA}/sandboxes/{sandbox}/sessions") == 1
    assert sim.requests("POST", f"/api/v1/devboxes/{devbox}/access/session") == 1


@pytest.mark.parametrize("mode", ["full", "scrub_and_delete"])
async def test_a_snapshot_asked_twice_at_once_is_sent_once(sim: SimServer, svc: Any, mode: str) -> None:
    box = next(b for b in svc.monitor.snapshot(A).boxes.values() if b.name == "acme/platform")
    results = await asyncio.gather(svc.actions.snapshot(box, "twice", mode=mode),
                                   svc.actions.snapshot(box, "twice", mode=mode), return_exceptions=True)
    assert sim.requests("POST", f"{AMIKA}/sandbox-snapshots") == 1
    assert str(results[1]) == f'already snapshotting "{box.name}"'


async def test_a_snapshot_deleted_twice_at_once_is_sent_once(sim: SimServer, svc: Any) -> None:
    box = next(b for b in svc.monitor.snapshot(A).boxes.values() if b.name == "acme/platform")
    await svc.actions.snapshot(box, "gone-once", mode="full")
    results = await asyncio.gather(svc.actions.delete_snapshot("gone-once"),
                                   svc.actions.delete_snapshot("gone-once"), return_exceptions=True)
    assert sim.requests("DELETE", f"{AMIKA}/sandbox-snapshots/gone-once") == 1
    assert isinstance(results[1], AlreadyInFlight)
