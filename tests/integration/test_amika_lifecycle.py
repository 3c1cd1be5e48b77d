"""The Amika client's whole lifecycle against the simulator over real HTTP (manual clock, no wall-time waits:
the `amika_client` fixture's sleeps advance the simulator's clock)."""

from __future__ import annotations

import shlex

import pytest

from boxdeck.api import (
    AmikaAgentAuthError,
    AmikaClient,
    AmikaHTTPError,
    AmikaSandboxFailedError,
)
from boxdeck.sim import SimServer

CLAUDE = [{"kind": "claude"}]


async def test_create_wait_ssh_agent_sessions_stop_start_delete(
    sim: SimServer, amika_client: AmikaClient
) -> None:
    created = await amika_client.create_sandbox(
        name="org/proj", repo_url="https://github.com/acme-labs/web.git", agent_credentials=CLAUDE
    )
    assert created.state == "initializing"
    ready = await amika_client.wait_for_sandbox("org/proj")
    assert ready.state == "started" and ready.id == created.id
    assert ready.created_by is not None and ready.created_by.email

    ssh = await amika_client.get_ssh("org/proj")
    argv = ["ssh", *shlex.split(ssh.ssh_destination)]
    assert argv[-1] == f"{ssh.token}@127.0.0.1" and ssh.repo_name == "web"
    assert ssh.expires_at is not None
    await amika_client.revoke_ssh("org/proj", ssh.token)
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.revoke_ssh("org/proj", ssh.token)
    assert err.value.status_code == 404

    assert await amika_client.get_latest_session("org/proj") is None
    reply = await amika_client.agent_send("org/proj", "Please fix the flaky test")
    assert "Please fix the flaky test" in reply.response and not reply.is_error
    follow = await amika_client.agent_send("org/proj", "And add a test")
    assert follow.session_id == reply.session_id
    latest = await amika_client.get_latest_session("org/proj")
    assert latest is not None and latest.id == reply.session_id

    other = await amika_client.create_session("org/proj", "codex", metadata={"ticket": "BOX-1"})
    assert other.sandbox_id == ready.id and other.agent_name == "codex"
    sessions = await amika_client.list_sessions("org/proj")
    assert {s.id for s in sessions} == {reply.session_id, other.id}
    got = await amika_client.get_session("org/proj", other.id)
    assert got.metadata == {"ticket": "BOX-1"}
    done = await amika_client.update_session("org/proj", other.id, status="completed", metadata={"ok": True})
    assert done.status == "completed" and done.ended_at is not None and done.metadata == {"ok": True}

    await amika_client.stop_sandbox("org/proj")
    assert (await amika_client.wait_for_sandbox_stop("org/proj")).state == "stopped"
    await amika_client.start_sandbox("org/proj")
    assert (await amika_client.wait_for_sandbox_start("org/proj")).state == "started"
    await amika_client.delete_sandbox("org/proj")
    assert (await amika_client.get_sandbox("org/proj")).state == "deleting"  # lingers a few seconds
    sim.advance(10)
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.get_sandbox("org/proj")
    assert err.value.status_code == 404 and str(err.value).find("not_found") >= 0
    assert "org/proj" not in {s.name for s in await amika_client.list_sandboxes()}


async def test_demo_world_parses(amika_client: AmikaClient) -> None:
    boxes = await amika_client.list_sandboxes()
    assert len(boxes) == 12
    assert {b.state for b in boxes} >= {"started", "active", "stopped", "initializing", "failed"}
    assert any(b.services for b in boxes)
    secrets = await amika_client.list_provider_secrets("claude")
    assert [(s.name, s.type) for s in secrets] == [("anthropic-api-key", "api_key")]


async def test_wait_raises_with_the_error_message(sim: SimServer, amika_client: AmikaClient) -> None:
    sim.reset(demo_world=False, client_failure_rate=1.0)
    await amika_client.create_sandbox(name="doomed")
    with pytest.raises(AmikaSandboxFailedError) as err:
        await amika_client.wait_for_sandbox("doomed")
    assert str(err.value) and err.value.sandbox.error_message == str(err.value)


async def test_agent_without_credentials_is_the_friendly_auth_error(amika_client: AmikaClient) -> None:
    await amika_client.create_sandbox(name="nocreds")
    await amika_client.wait_for_sandbox("nocreds")
    with pytest.raises(AmikaAgentAuthError) as err:
        await amika_client.agent_send("nocreds", "hello")
    assert "authentication_error" in str(err.value)


async def test_errors_in_amika_shape(sim: SimServer, amika_client: AmikaClient) -> None:
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.start_sandbox("acme/platform")  # running: invalid transition
    assert err.value.status_code == 409 and "invalid_state:" in str(err.value)
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.create_sandbox(name="acme/platform")
    assert err.value.status_code == 409 and "conflict:" in str(err.value)
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.create_sandbox(size="huge")
    assert err.value.status_code == 400 and "invalid_input:" in str(err.value)
    async with AmikaClient(sim.base_url, access_token="amk_wrong") as bad:
        with pytest.raises(AmikaHTTPError) as err:
            await bad.list_sandboxes()
    assert err.value.status_code == 401 and "unauthorized:" in str(err.value)


async def test_secrets_and_provider_secrets(amika_client: AmikaClient) -> None:
    await amika_client.create_secret("DEPLOY_KEY", "v1", "user")
    secret = next(s for s in await amika_client.list_secrets() if s.name == "DEPLOY_KEY")
    await amika_client.update_secret(secret.id, "v2")
    with pytest.raises(AmikaHTTPError) as err:
        await amika_client.create_secret("DEPLOY_KEY", "v3", "user")
    assert err.value.status_code == 409
    created = await amika_client.create_provider_secret("codex", "work", "sk-x", "api_key")
    assert created.name == "work"
    assert "work" in {p.name for p in await amika_client.list_provider_secrets("codex")}
    await amika_client.delete_provider_secret("codex", created.id)
    assert "work" not in {p.name for p in await amika_client.list_provider_secrets("codex")}
