"""Amika sandbox snapshots over real HTTP: capture (full and scrub-and-delete), list filters, scrub preview,
delete, booting a sandbox from a snapshot with the source's files, and the errors in Amika's shape."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from boxdeck.sim import SimConfig, SimServer
from boxdeck.sim import amika_models as m
from boxdeck.sim.persist import load_world, save_world


def create(client: httpx.Client, **fields: object) -> dict:
    r = client.post("/sandboxes", json=fields)
    assert r.status_code == 202, r.text
    return r.json()


def snap(client: httpx.Client, **fields: object) -> httpx.Response:
    return client.post("/sandbox-snapshots", json=fields)


def error_code(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error"
    return str(body["code"])


@pytest.fixture
def src(sim: SimServer, empty_amika: httpx.Client) -> dict:
    """A ready sandbox with a repository, agent credentials and a secret env var."""
    empty_amika.post("/secrets/claude", json={"name": "k", "value": "sk-ant-x", "type": "api_key"})
    empty_amika.post("/secrets", json={"name": "GH", "value": "ghp_x", "scope": "user"})
    sb = create(
        empty_amika,
        name="src",
        repo_url="https://github.com/acme-labs/web.git",
        agent_credentials=[{"kind": "claude"}],
        secret_env_vars={"GITHUB_TOKEN": "GH"},
        env_vars={"NPM_TOKEN": "x", "COLOR": "1"},
    )
    sim.advance(21)
    return sb


def test_full_capture_keeps_the_source_and_lists_with_filters(
    sim: SimServer, empty_amika: httpx.Client, src: dict
) -> None:
    r = snap(empty_amika, sandbox_ref="src", name="Before Upgrade", description="v1", mode="full")
    assert r.status_code == 202, r.text
    made = m.SandboxSnapshot.model_validate(r.json()).model_dump()
    assert made["state"] == "capturing" and made["snapshot"] == "before-upgrade"
    assert (made["source_sandbox_id"], made["source_sandbox_name"]) == (src["id"], "src")
    assert made["repository_id"] == src["repo_id"] and made["capture_mode"] == "full"
    assert made["daytona"] is not None  # the source is a Daytona sandbox
    assert empty_amika.get("/sandboxes/src").json()["state"] == "started"
    sim.advance(16)
    listed = empty_amika.get("/sandbox-snapshots").json()
    m.SnapshotList.model_validate(listed)
    assert [s["state"] for s in listed["items"]] == ["active"]
    assert empty_amika.get("/sandboxes/src").json()["state"] == "started"  # full mode keeps the source
    for query, count in (
        ({"source_sandbox_id": src["id"]}, 1),
        ({"source_sandbox_id": "sb_other"}, 0),
        ({"repository_id": src["repo_id"]}, 1),
        ({"repository_id": "repo_nope", "source_sandbox_id": src["id"]}, 0),
    ):
        assert len(empty_amika.get("/sandbox-snapshots", params=query).json()["items"]) == count, query
    by_slug = empty_amika.get("/sandbox-snapshots/before-upgrade", params={"by": "ref"}).json()
    by_id = empty_amika.get(f"/sandbox-snapshots/{made['id']}", params={"by": "ref"}).json()
    assert by_slug == by_id and by_slug["state"] == "active"
    r = empty_amika.delete("/sandbox-snapshots/before-upgrade", params={"by": "ref"})
    assert r.status_code == 204 and r.content == b""
    error_code(empty_amika.delete("/sandbox-snapshots/before-upgrade", params={"by": "ref"}), 404)
    assert empty_amika.get("/sandbox-snapshots").json() == {"items": []}


def test_scrub_and_delete_is_the_default_and_takes_the_source_away(
    sim: SimServer, empty_amika: httpx.Client, src: dict
) -> None:
    r = snap(empty_amika, sandbox_ref=src["id"], name="clean")
    assert r.json()["capture_mode"] == "scrub_and_delete"
    assert empty_amika.get("/sandboxes/src").json()["state"] == "snapshotting"
    error_code(empty_amika.post("/sandboxes/src/ssh"), 409)  # being taken apart: no new logins
    for _ in range(16):  # second by second: the source lingers as "deleting" (3-6 s) once captured
        sim.advance(1)
        if empty_amika.get("/sandbox-snapshots/clean", params={"by": "ref"}).json()["state"] == "active":
            break
    assert empty_amika.get("/sandbox-snapshots/clean", params={"by": "ref"}).json()["state"] == "active"
    assert empty_amika.get("/sandboxes/src").json()["state"] == "deleting"
    sim.advance(7)
    error_code(empty_amika.get("/sandboxes/src"), 404)


def test_a_failed_capture_gives_the_source_back(sim: SimServer, empty_amika: httpx.Client, src: dict) -> None:
    sim.world.client_failure_rate = 1.0
    snap(empty_amika, sandbox_ref="src", name="doomed")
    sim.advance(16)
    got = empty_amika.get("/sandbox-snapshots/doomed", params={"by": "ref"}).json()
    assert got["state"] == "failed" and got["error_message"] == "capture failed: disk full"
    assert empty_amika.get("/sandboxes/src").json()["state"] == "started"


def test_scrub_preview_lists_credential_files_and_secret_env_names(
    empty_amika: httpx.Client, src: dict
) -> None:
    r = empty_amika.get("/sandbox-snapshots/scrub-preview", params={"sandbox": "src", "by": "ref"})
    assert r.status_code == 200
    preview = m.ScrubPreview.model_validate(r.json())
    assert preview.files == ["/home/amika/.claude/.credentials.json"]
    assert preview.env_vars == ["GITHUB_TOKEN", "NPM_TOKEN"]  # the secret one and the token-looking one
    error_code(empty_amika.get("/sandbox-snapshots/scrub-preview", params={"sandbox": "nope"}), 404)


def test_a_sandbox_boots_from_a_snapshot_with_its_files(
    sim: SimServer, empty_amika: httpx.Client, src: dict
) -> None:
    files = sim.world.files
    assert files is not None and sim.state_dir is not None
    source_dir = files.ensure(sim.world.amika.target(sim.world.amika.sandboxes["src"]))
    (source_dir / "workspace" / "web" / "notes.txt").write_text("kept\n")
    snap(empty_amika, sandbox_ref="src", name="base")
    error_code(empty_amika.post("/sandboxes", json={"name": "early", "snapshot": "base"}), 409)  # capturing
    sim.advance(16)
    booted = create(empty_amika, name="booted", snapshot="base")
    assert booted["snapshot"] == "base"
    sim.advance(21)
    assert empty_amika.get("/sandboxes/booted").json()["state"] == "started"
    booted_dir = sim.state_dir / "boxes" / "amika" / booted["id"]
    assert (booted_dir / "workspace" / "web" / "notes.txt").read_text() == "kept\n"
    assert not (booted_dir / ".claude" / ".credentials.json").exists()  # scrubbed
    # a slug that names no sandbox snapshot is a provider image: recorded, nothing restored
    image = create(empty_amika, name="from-image", snapshot="amika-mono-base")
    assert image["snapshot"] == "amika-mono-base"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sandbox_ref": "src", "name": "x" * 81}, 400, "invalid_input"),
        ({"sandbox_ref": "src", "name": "ok", "mode": "partial"}, 400, "invalid_input"),
        ({"sandbox_ref": "src", "name": "ok", "description": "d" * 501}, 400, "invalid_input"),
        ({"sandbox_ref": "src"}, 400, "invalid_input"),
        ({"name": "ok"}, 400, "invalid_input"),
        ({"sandbox_ref": "nope", "name": "ok"}, 404, "not_found"),
    ],
)
def test_bad_requests(empty_amika: httpx.Client, src: dict, body: dict, status: int, code: str) -> None:
    assert error_code(snap(empty_amika, **body), status) == code


def test_only_a_ready_sandbox_is_captured_and_slugs_are_unique(
    sim: SimServer, empty_amika: httpx.Client, src: dict
) -> None:
    create(empty_amika, name="young")
    assert error_code(snap(empty_amika, sandbox_ref="young", name="a"), 409) == "invalid_state"
    assert snap(empty_amika, sandbox_ref="src", name="same", mode="full").status_code == 202
    assert error_code(snap(empty_amika, sandbox_ref="src", name="Same", mode="full"), 409) == "conflict"


def test_snapshots_survive_a_restart(
    sim: SimServer, empty_amika: httpx.Client, src: dict, tmp_path: Path
) -> None:
    snap(empty_amika, sandbox_ref="src", name="kept", mode="full")  # still capturing when saved
    path = str(tmp_path / "world.json")
    save_world(sim.world, path)
    again = load_world(path, SimConfig(manual_clock=True))
    assert [s.slug for s in again.amika.snapshots.values()] == ["kept"]
    again.advance(16)
    assert [s.state for s in again.amika.snapshots.values()] == ["active"]
