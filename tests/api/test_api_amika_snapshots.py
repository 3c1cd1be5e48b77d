"""AmikaClient sandbox snapshots on the wire: the TS SDK's unit tests 29-37 (wire reference section 9) plus
the Go client's single read and capture wait."""

from __future__ import annotations

import pytest

from boxdeck.api import (
    AmikaClient,
    AmikaHTTPError,
    AmikaSnapshotFailedError,
    AmikaTimeoutError,
    SandboxSnapshot,
    ScrubPreview,
)
from support.api_wire import AMIKA_BASE, FakeTime, Wire, assert_no_body, body_of

PREFIX = f"{AMIKA_BASE}/api/v0beta1"
SNAPSHOT = {
    "id": "snap_1",
    "snapshot": "amika-mono-base",
    "provider": "daytona",
    "description": None,
    "source_sandbox_id": "sb_2",
    "source_sandbox_name": "org/dev",
    "repository_id": "repo-1",
    "repository_url": "https://github.com/org/repo.git",
    "base_snapshot": None,
    "sandbox_preset": "coder",
    "sandbox_size": "m",
    "capture_mode": "full",
    "state": "active",
    "error_message": None,
    "created_at": "2026-06-04T18:30:00.000Z",
    "updated_at": "2026-06-04T18:31:00.000Z",
    "daytona": {"name": "base", "state": "active", "imageName": "img:1", "cpu": 2, "createdAt": None},
}


def snapshot(**fields: object) -> dict[str, object]:
    return {**SNAPSHOT, **fields}


async def test_list_unwraps_items_and_keeps_nulls(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"items": [SNAPSHOT]})
    items = await amika.list_sandbox_snapshots()
    assert str(wire.last.url) == f"{PREFIX}/sandbox-snapshots"
    assert wire.last.method == "GET"
    assert_no_body(wire.last)
    [item] = items
    assert isinstance(item, SandboxSnapshot)
    assert item.base_snapshot is None and item.source_sandbox_name == "org/dev"
    assert item.daytona is not None and item.daytona.image_name == "img:1" and item.daytona.cpu == 2


async def test_list_sends_only_the_filters_given_in_the_sdks_order(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"items": []}).reply(200, {"items": []}).reply(200, {"items": []})
    await amika.list_sandbox_snapshots(repository_id="repo-1", source_sandbox_id="sbx-2")
    await amika.list_sandbox_snapshots(repository_id="repo-1")
    await amika.list_sandbox_snapshots(source_sandbox_id="sb/x y")
    assert [str(r.url) for r in wire.requests] == [
        f"{PREFIX}/sandbox-snapshots?repository_id=repo-1&source_sandbox_id=sbx-2",
        f"{PREFIX}/sandbox-snapshots?repository_id=repo-1",
        f"{PREFIX}/sandbox-snapshots?source_sandbox_id=sb%2Fx+y",
    ]


async def test_an_empty_envelope_is_an_empty_list(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {})
    assert await amika.list_sandbox_snapshots() == []


async def test_create_sends_exactly_the_given_fields(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(202, snapshot(state="capturing")).reply(202, snapshot(state="capturing"))
    made = await amika.create_sandbox_snapshot("dev", "snap", description="before upgrade", mode="full")
    assert made.state == "capturing"
    assert wire.requests[0].method == "POST" and str(wire.requests[0].url) == f"{PREFIX}/sandbox-snapshots"
    assert body_of(wire.requests[0]) == {
        "sandbox_ref": "dev",
        "name": "snap",
        "description": "before upgrade",
        "mode": "full",
    }
    await amika.create_sandbox_snapshot("dev", "snap")
    assert list(body_of(wire.requests[1])) == ["sandbox_ref", "name"]


async def test_scrub_preview_encodes_the_sandbox_and_maps_the_lists(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, {"files": ["/root/.claude/.credentials.json"], "env_vars": ["FOO"]})
    wire.reply(200, {"files": [], "env_vars": []})
    preview = await amika.get_sandbox_scrub_preview("dev")
    assert isinstance(preview, ScrubPreview)
    assert preview.files == ("/root/.claude/.credentials.json",) and preview.env_vars == ("FOO",)
    await amika.get_sandbox_scrub_preview("org/dev")
    assert [str(r.url) for r in wire.requests] == [
        f"{PREFIX}/sandbox-snapshots/scrub-preview?sandbox=dev&by=ref",
        f"{PREFIX}/sandbox-snapshots/scrub-preview?sandbox=org%2Fdev&by=ref",
    ]


async def test_delete_and_get_address_the_snapshot_by_ref(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(204).reply(200, SNAPSHOT)
    await amika.delete_sandbox_snapshot("org/my-snap")
    got = await amika.get_sandbox_snapshot("org/my-snap")
    assert [(r.method, r.url.raw_path) for r in wire.requests] == [
        ("DELETE", b"/api/v0beta1/sandbox-snapshots/org%2Fmy-snap?by=ref"),
        ("GET", b"/api/v0beta1/sandbox-snapshots/org%2Fmy-snap?by=ref"),
    ]
    assert_no_body(wire.requests[0])
    assert got.snapshot == "amika-mono-base"


async def test_delete_of_a_missing_snapshot_is_an_http_error(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(404, {"type": "error", "code": "not_found", "message": "sandbox snapshot not found"})
    with pytest.raises(AmikaHTTPError) as err:
        await amika.delete_sandbox_snapshot("gone")
    assert err.value.status_code == 404


async def test_wait_polls_until_active(amika: AmikaClient, wire: Wire, fake_time: FakeTime) -> None:
    wire.reply(200, snapshot(state="capturing")).reply(200, snapshot(state="capturing")).reply(200, SNAPSHOT)
    assert (await amika.wait_for_sandbox_snapshot("amika-mono-base")).state == "active"
    assert fake_time.sleeps == [3.0, 3.0]


async def test_wait_raises_the_capture_failure(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, snapshot(state="failed", error_message="capture failed: disk full"))
    with pytest.raises(AmikaSnapshotFailedError, match="^capture failed: disk full$") as err:
        await amika.wait_for_sandbox_snapshot("s")
    assert err.value.snapshot.state == "failed"


async def test_wait_times_out_with_the_last_state(amika: AmikaClient, wire: Wire) -> None:
    for _ in range(3):
        wire.reply(200, snapshot(state="capturing"))
    with pytest.raises(AmikaTimeoutError, match="last state: capturing"):
        await amika.wait_for_sandbox_snapshot("s", timeout=5)
