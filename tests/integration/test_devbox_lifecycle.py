"""The Devbox client's whole lifecycle against the simulator over real HTTP, in simulated time."""

from __future__ import annotations

import shlex

import httpx
import pytest

from boxdeck.api import OPERATION_STEPS, DevboxApiError, DevboxClient, DevboxTimeoutError
from boxdeck.sim import SimServer

REPO = {
    "repo_id": 700201,
    "full_name": "acme-labs/platform",
    "ref": "main",
    "target_path": "/workspace/platform",
}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9yYm94ZGVja3NpbXVsYXRvcnRlc3Rz me@laptop"


async def test_create_operations_ready_access_revoke_delete(devbox_client: DevboxClient) -> None:
    dx = devbox_client.devboxes
    created = await dx.create(
        "lifecycle",
        repositories=[REPO],
        credential_profile={"inject_claude_token": True},
        setup_commands=["npm ci"],
        claude_token="sk-ant-test",
    )
    assert created.state == "requested"
    ready = await dx.wait_for_ready(created.id, interval=1.0)
    assert ready.state == "ready" and ready.access_url
    ops = await dx.list_operations(created.id)
    assert tuple(o.step for o in ops) == OPERATION_STEPS and {o.status for o in ops} == {"success"}
    repos = await dx.list_repositories(created.id)
    assert [(r.full_name, r.clone_status, r.clone_error) for r in repos] == [
        ("acme-labs/platform", "cloned", None)
    ]

    session = await dx.create_session(created.id)
    words = shlex.split(session.command)
    assert words[0] == "ssh" and f"{session.ssh.username}@{session.ssh.host}" in words
    execs = await dx.list_sessions(created.id)
    assert any(e.command == "bash -l" for e in execs)
    await dx.revoke_session(created.id, session.session_id)
    with pytest.raises(DevboxApiError) as err:
        await dx.revoke_session(created.id, session.session_id)
    assert err.value.status == 404

    await dx.delete(created.id)
    assert (await dx.get(created.id)).state == "destroyed"
    with pytest.raises(DevboxApiError) as err:
        await dx.wait_for_ready(created.id)
    assert err.value.status == 409 and "destroyed" in err.value.detail


async def test_demo_world_and_failed_box(devbox_client: DevboxClient) -> None:
    boxes = {b.name: b for b in await devbox_client.devboxes.list()}
    assert len(boxes) == 8
    failed = boxes["data-pipeline"]
    ops = await devbox_client.devboxes.list_operations(failed.id)
    assert ops[-1].step == "clone_repositories" and ops[-1].status == "failed" and ops[-1].message
    with pytest.raises(DevboxApiError) as err:
        await devbox_client.devboxes.wait_for_ready(failed.id)
    assert err.value.status == 409
    # the one mid-way finishes
    assert (await devbox_client.devboxes.wait_for_ready(boxes["feature-payments"].id)).state == "ready"


async def test_wait_for_ready_times_out_in_simulated_time(devbox_client: DevboxClient) -> None:
    d = await devbox_client.devboxes.create("slow", setup_commands=["sleep 5000"], setup_timeout_seconds=6000)
    with pytest.raises(DevboxTimeoutError) as err:
        await devbox_client.devboxes.wait_for_ready(d.id, timeout=120)
    assert err.value.last_state == "provisioning" and err.value.devbox_id == d.id


async def test_wait_for_ready_rides_out_dropped_connections(
    sim: SimServer, devbox_client: DevboxClient
) -> None:
    d = await devbox_client.devboxes.create("flaky")
    sim.set_faults(0.4, ["drop"])
    assert (await devbox_client.devboxes.wait_for_ready(d.id, interval=1.0)).state == "ready"


async def test_errors_in_devbox_shape(sim: SimServer, devbox_client: DevboxClient) -> None:
    with pytest.raises(DevboxApiError) as err:
        await devbox_client.devboxes.get("nope")
    assert (err.value.status, err.value.detail) == (404, "Devbox not found")
    fresh = await devbox_client.devboxes.create("not-yet")
    with pytest.raises(DevboxApiError) as err:
        await devbox_client.devboxes.create_session(fresh.id)
    assert err.value.status == 409 and "not ready" in err.value.detail
    with pytest.raises(DevboxApiError) as err:
        await devbox_client.devboxes.create("x", setup_timeout_seconds="soon")  # type: ignore[arg-type]
    assert err.value.status == 422
    async with DevboxClient(sim.base_url, sprites_token="spr_wrong") as bad:
        with pytest.raises(DevboxApiError) as err:
            await bad.devboxes.list()
    assert (err.value.status, err.value.detail) == (401, "Invalid service token")
    wrong_user = DevboxClient(sim.base_url, sprites_token=sim.sprites_token, user_token="usr_wrong")
    async with wrong_user as bad_user:
        with pytest.raises(DevboxApiError) as err:
            await bad_user.users.get_profile()
    assert (err.value.status, err.value.detail) == (401, "Invalid user token")


async def test_provider_token_header_alone_is_accepted(sim: SimServer) -> None:
    async with DevboxClient(
        sim.base_url,
        sprites_token=sim.sprites_token,
        token_header="X-Provider-Token",
        compat_token_header=None,
    ) as client:
        assert len(await client.devboxes.list()) == 8


async def test_profile_and_ssh_key(empty_sim: SimServer) -> None:
    async with DevboxClient(
        empty_sim.base_url, sprites_token=empty_sim.sprites_token, user_token=empty_sim.user_token
    ) as client:
        assert (await client.users.get_profile()).has_ssh_key is False
        await client.users.set_ssh_key(KEY)
        assert (await client.users.get_profile()).has_ssh_key is True
        with pytest.raises(DevboxApiError) as err:
            await client.users.set_ssh_key("not a key")
        assert err.value.status == 422 and "OpenSSH" in err.value.detail
        await client.users.delete_ssh_key()
        assert (await client.users.get_profile()).has_ssh_key is False


async def test_github_flow(empty_sim: SimServer) -> None:
    async with DevboxClient(
        empty_sim.base_url, sprites_token=empty_sim.sprites_token, user_token=empty_sim.user_token
    ) as client:
        gh = client.github
        assert await gh.get_connection() is None
        start = await gh.start_oauth("https://boxdeck.local/done")
        assert start.authorize_url.startswith(empty_sim.base_url + "/_sim/github/authorize")
        async with httpx.AsyncClient() as browser:
            assert (await browser.get(start.authorize_url)).status_code == 200
        conn = await gh.get_connection()
        assert conn is not None and conn.github_login == "sim-octocat"
        orgs = await gh.list_orgs()
        result = await gh.update_org_grants([orgs[0].org_login])
        assert result.selected_count == 1
        assert {o.org_login for o in await gh.list_orgs() if o.granted} == {orgs[0].org_login}
        assert any(
            r.granted and r.full_name.startswith(orgs[0].org_login + "/") for r in await gh.list_repos()
        )
        await gh.disconnect()
        assert await gh.get_connection() is None
