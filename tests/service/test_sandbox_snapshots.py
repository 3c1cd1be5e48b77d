"""Snapshots as the dashboard will drive them, against the simulator: the scrub plan shown before a
scrub-and-delete, the capture as a box action (pending, read-only), the list, booting from one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boxdeck.api.amika_models import SandboxSnapshot, ScrubPreview
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.sandbox_snapshots import (
    SnapshotError,
    SnapshotInputError,
    boot_fields,
    scrub_plan,
    snapshot_row,
    validate_description,
    validate_snapshot_name,
)
from boxdeck.service.boxes import Backend, Box, StateKind
from support.sim_service import sim_service

A, D = Backend.AMIKA, Backend.DEVBOX


@pytest.fixture
async def svc(sim):
    service, records, clock = sim_service(sim)
    await service.monitor.poll(A)
    await service.monitor.poll(D)
    yield sim, service, records
    await service.aclose()


def box(service, name: str) -> Box:
    return next(b for b in service.monitor.snapshot(A).boxes.values() if b.name == name)


async def test_scrub_plan_then_scrub_and_delete_marks_the_box_and_takes_it_away(svc):
    sim, service, _ = svc
    source = box(service, "acme/platform")
    plan = await service.actions.snapshots.scrub_plan(source.ref)
    assert plan.files == ("/home/amika/.claude/.credentials.json", "/home/amika/.codex/auth.json")
    assert plan.lines() == [f"file: {f}" for f in plan.files]
    assert plan.question().startswith('Snapshot sandbox "acme/platform" and then DELETE it?')
    made = await service.actions.snapshot(source, "  Platform base ", description="")
    assert made.state == "capturing" and made.snapshot == "platform-base" and made.description is None
    assert service.monitor.box(source.key).pending == "snapshotting"
    assert service.monitor.box(source.key).kind is StateKind.TRANSITIONAL
    sim.advance(16)
    done = await service.actions.snapshots.wait(made.snapshot, timeout=0)
    assert done.state == "active"
    sim.advance(10)
    await service.monitor.poll(A)
    assert service.monitor.box(source.key) is None  # captured, then deleted
    listed = await service.actions.snapshots.list(source_sandbox_id=source.sandbox.id)
    assert [s.snapshot for s in listed] == ["platform-base"]


async def test_a_full_snapshot_leaves_the_box_alone_and_boots_a_new_sandbox(svc):
    sim, service, _ = svc
    source = box(service, "acme/platform")
    made = await service.actions.snapshot(source, "full-copy", mode="full")
    assert service.monitor.box(source.key).pending is None
    with pytest.raises(ActionError, match="not active: a sandbox can boot only from an active snapshot"):
        await service.actions.create_sandbox_from_snapshot(made)
    sim.advance(16)
    ready = await service.actions.snapshots.get("full-copy")
    new = await service.actions.create_sandbox_from_snapshot(ready, name="from-copy")
    assert new.pending == "creating" and new.sandbox is not None and new.sandbox.snapshot == "full-copy"


async def test_snapshot_refusals_send_nothing(sim):
    service, records, _ = sim_service(sim, read_only=True)
    await service.monitor.poll(A)
    await service.monitor.poll(D)
    records.clear()
    source = box(service, "acme/platform")
    with pytest.raises(ActionError, match="^read-only mode"):
        await service.actions.snapshot(source, "x")
    with pytest.raises(ActionError, match="^read-only mode"):
        await service.actions.delete_snapshot("x")
    service.actions.read_only = False
    devbox = next(iter(service.monitor.snapshot(D).boxes.values()))
    with pytest.raises(ActionError, match="the Devbox API has no snapshots"):
        await service.actions.snapshot(devbox, "x")
    stopped = next(b for b in service.monitor.snapshot(A).boxes.values() if b.state == "stopped")
    with pytest.raises(ActionError, match="is not ready"):
        await service.actions.snapshot(stopped, "x")
    with pytest.raises(ActionError, match="too long"):
        await service.actions.snapshot(source, "n" * 81)
    with pytest.raises(ActionError, match="scrub_and_delete or full"):
        await service.actions.snapshot(source, "ok", mode="partial")
    assert records == [] and service.monitor.box(source.key).pending is None
    await service.aclose()


async def test_a_refused_capture_clears_the_pending_mark(svc):
    sim, service, _ = svc
    source = box(service, "acme/platform")
    await service.actions.snapshot(source, "taken", mode="full")
    with pytest.raises(ActionError, match='Couldn\'t snapshot "acme/platform": HTTP 409: conflict'):
        await service.actions.snapshot(source, "taken")
    assert service.monitor.box(source.key).pending is None


async def test_a_failed_capture_is_an_error_with_the_servers_reason(svc):
    sim, service, _ = svc
    sim.world.client_failure_rate = 1.0
    made = await service.actions.snapshot(box(service, "acme/platform"), "doomed", mode="full")
    with pytest.raises(SnapshotError, match='^Could not follow snapshot "snap_.*": timed out'):
        await service.actions.snapshots.wait(made.id, timeout=0)
    sim.advance(16)
    with pytest.raises(SnapshotError, match='^Snapshot "snap_.*" failed: capture failed: disk full$'):
        await service.actions.snapshots.wait(made.id, timeout=0)


async def test_deleting_a_snapshot_twice_is_fine(svc):
    sim, service, _ = svc
    await service.actions.snapshot(box(service, "acme/platform"), "short-lived", mode="full")
    await service.actions.delete_snapshot("short-lived")
    await service.actions.delete_snapshot("short-lived")  # already gone: what the user asked for
    assert await service.actions.snapshots.list() == []


def test_names_and_descriptions_are_checked_before_sending() -> None:
    assert validate_snapshot_name("  nightly ") == "nightly"
    assert validate_description("  ") is None
    for bad in ("", "   ", "x" * 81, "two\nlines", "esc\x1b[31m"):
        with pytest.raises(SnapshotInputError) as err:
            validate_snapshot_name(bad)
        assert err.value.field == "name"
    with pytest.raises(SnapshotInputError, match="too long"):
        validate_description("d" * 501)


def test_rows_and_plans_show_server_text_safely() -> None:
    snapshot = SandboxSnapshot.model_validate(
        {
            "id": "snap_1",
            "snapshot": "base\x1b]0;pwned\x07",
            "state": "failed",
            "source_sandbox_name": None,
            "source_sandbox_id": "sb_1",
            "error_message": "disk\nfull",
            "created_at": "2026-06-04T18:30:00Z",
        }
    )
    row = snapshot_row(snapshot, datetime(2026, 6, 4, 18, 34, tzinfo=UTC))
    assert "\x1b" not in row.name and "\x07" not in row.name
    assert (row.source, row.created, row.mode, row.error) == ("sb_1", "4m", "-", "disk full")
    with pytest.raises(SnapshotError, match="not active"):
        boot_fields(snapshot)
    plan = scrub_plan("dev", ScrubPreview(files=("/b", "/a", "/a", "\x1b[2J/c"), env_vars=("TOKEN",)))
    assert plan.files == ("/a", "/b", "/c") and plan.env_vars == ("TOKEN",)
    assert plan.lines(limit=2) == ["file: /a", "file: /b", "… and 2 more"]
