"""The polling helpers, driven by a fake clock so nothing sleeps for real."""

from __future__ import annotations

import httpx
import pytest

from boxdeck.api import (
    AmikaClient,
    AmikaError,
    AmikaHTTPError,
    AmikaSandboxFailedError,
    AmikaTimeoutError,
    AmikaTransportError,
    DevboxApiError,
    DevboxClient,
    DevboxTimeoutError,
)
from support.api_wire import FakeTime, Wire


def sandbox(state: str, **extra: object) -> dict[str, object]:
    return {"id": "sb_1", "name": "dev", "state": state, **extra}


def box_json(state: str) -> dict[str, str]:
    return {"id": "db-1", "name": "box", "state": state}


# ---------------------------------------------------------------------------------------------------- Amika


async def test_wait_for_sandbox_polls_every_3s_first_immediately(
    amika: AmikaClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.reply(200, sandbox("initializing")).reply(200, sandbox("initializing")).reply(200, sandbox("active"))
    result = await amika.wait_for_sandbox("dev")
    assert result.state == "active"
    assert fake_time.sleeps == [3.0, 3.0]
    assert [str(r.url) for r in wire.requests] == ["https://amika.test/api/v0beta1/sandboxes/dev"] * 3


@pytest.mark.parametrize("ready", ["active", "running", "started"])
async def test_every_ready_state_ends_the_wait(amika: AmikaClient, wire: Wire, ready: str) -> None:
    wire.reply(200, sandbox(ready))
    assert (await amika.wait_for_sandbox_start("dev")).state == ready


async def test_wait_for_sandbox_failed_uses_error_message(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, sandbox("initializing")).reply(200, sandbox("failed", error_message="out of capacity"))
    with pytest.raises(AmikaSandboxFailedError) as info:
        await amika.wait_for_sandbox("dev")
    assert str(info.value) == "out of capacity"
    assert info.value.sandbox.state == "failed"
    assert isinstance(info.value, AmikaError)


@pytest.mark.parametrize(
    ("helper", "message"),
    [
        ("wait_for_sandbox", "sandbox provisioning failed"),
        ("wait_for_sandbox_start", "sandbox start failed"),
        ("wait_for_sandbox_stop", "sandbox stop failed"),
    ],
)
async def test_failed_without_message_uses_default(
    amika: AmikaClient, wire: Wire, helper: str, message: str
) -> None:
    wire.reply(200, sandbox("failed", error_message=None))
    with pytest.raises(AmikaError, match=f"^{message}$"):
        await getattr(amika, helper)("dev")


async def test_wait_for_sandbox_stop(amika: AmikaClient, wire: Wire, fake_time: FakeTime) -> None:
    wire.reply(200, sandbox("stopping")).reply(200, sandbox("stopped"))
    assert (await amika.wait_for_sandbox_stop("dev")).state == "stopped"
    assert fake_time.sleeps == [3.0]


async def test_wait_for_stop_does_not_accept_ready(
    amika: AmikaClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.reply(200, sandbox("active")).reply(200, sandbox("stopped"))
    await amika.wait_for_sandbox_stop("dev")
    assert len(wire.requests) == 2


async def test_wait_unknown_states_keep_polling(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, sandbox("warming-up")).reply(200, sandbox("")).reply(200, sandbox("started"))
    assert (await amika.wait_for_sandbox("dev")).state == "started"


async def test_wait_timeout(amika: AmikaClient, wire: Wire, fake_time: FakeTime) -> None:
    for _ in range(4):
        wire.reply(200, sandbox("initializing"))
    with pytest.raises(AmikaTimeoutError, match="timed out waiting for sandbox 'dev'.*initializing"):
        await amika.wait_for_sandbox("dev", interval=4.0, timeout=10.0)
    assert fake_time.sleeps == [4.0, 4.0, 2.0]  # the last sleep is cut to the deadline, then one final poll
    assert len(wire.requests) == 4


async def test_wait_custom_interval(amika: AmikaClient, wire: Wire, fake_time: FakeTime) -> None:
    wire.reply(200, sandbox("initializing")).reply(200, sandbox("active"))
    await amika.wait_for_sandbox("dev", interval=0.5)
    assert fake_time.sleeps == [0.5]


async def test_wait_http_errors_propagate_at_once(amika: AmikaClient, wire: Wire) -> None:
    wire.reply(200, sandbox("initializing")).reply(404, {"message": "gone"})
    with pytest.raises(AmikaHTTPError):
        await amika.wait_for_sandbox("dev")
    assert len(wire.requests) == 2


async def test_wait_transport_errors_propagate(amika: AmikaClient, wire: Wire) -> None:
    wire.fail(httpx.ConnectError("refused"))
    with pytest.raises(AmikaTransportError):
        await amika.wait_for_sandbox("dev")


# ---------------------------------------------------------------------------------------------------- Devbox


async def test_wait_for_ready_returns_on_ready(devbox: DevboxClient, wire: Wire, fake_time: FakeTime) -> None:
    wire.reply(200, box_json("requested")).reply(200, box_json("provisioning")).reply(200, box_json("ready"))
    result = await devbox.devboxes.wait_for_ready("db-1")
    assert result.state == "ready"
    assert fake_time.sleeps == [3.0, 3.0]
    assert all(str(r.url) == "https://devbox.test/api/v1/devboxes/db-1" for r in wire.requests)


@pytest.mark.parametrize("state", ["failed", "destroyed", "stopped"])
async def test_wait_for_ready_terminal_states(devbox: DevboxClient, wire: Wire, state: str) -> None:
    wire.reply(200, box_json("provisioning")).reply(200, box_json(state))
    with pytest.raises(DevboxApiError) as info:
        await devbox.devboxes.wait_for_ready("db-1")
    assert info.value.status == 409
    assert str(info.value) == f"409: Devbox reached terminal state: {state}"


async def test_wait_for_ready_api_errors_raise_at_once(devbox: DevboxClient, wire: Wire) -> None:
    wire.reply(404, {"detail": "Devbox not found"})
    with pytest.raises(DevboxApiError) as info:
        await devbox.devboxes.wait_for_ready("db-1")
    assert info.value.status == 404 and len(wire.requests) == 1


async def test_wait_for_ready_retries_transport_and_decode_errors(
    devbox: DevboxClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.fail(httpx.ConnectError("refused")).fail(httpx.ReadTimeout("slow")).reply(200, text="<html>")
    wire.reply(200, box_json("ready"))
    assert (await devbox.devboxes.wait_for_ready("db-1")).state == "ready"
    assert fake_time.sleeps == [3.0, 3.0, 3.0]


async def test_wait_for_ready_timeout_names_last_state(
    devbox: DevboxClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.reply(200, box_json("provisioning")).reply(200, box_json("provisioning")).fail(
        httpx.ConnectError("x")
    )
    with pytest.raises(DevboxTimeoutError) as info:
        await devbox.devboxes.wait_for_ready("db-1", interval=2.0, timeout=5.0)
    assert info.value.devbox_id == "db-1" and info.value.last_state == "provisioning"
    assert (
        str(info.value) == "Devbox db-1 did not reach ready state within timeout (last state: provisioning)"
    )
    assert fake_time.sleeps == [2.0, 2.0, 1.0]
    assert wire.pending == 0


async def test_wait_for_ready_timeout_without_any_answer_is_unknown(
    devbox: DevboxClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.fail(httpx.ConnectError("x")).fail(httpx.ConnectError("x"))
    with pytest.raises(DevboxTimeoutError) as info:
        await devbox.devboxes.wait_for_ready("db-1", interval=3.0, timeout=3.0)
    assert (info.value.devbox_id, info.value.last_state) == ("unknown", "unknown")


async def test_wait_for_ready_zero_timeout_polls_nothing(devbox: DevboxClient, wire: Wire) -> None:
    with pytest.raises(DevboxTimeoutError, match=r"Devbox unknown .*last state: unknown"):
        await devbox.devboxes.wait_for_ready("db-1", timeout=0)
    assert wire.requests == []


async def test_wait_for_ready_request_limited_to_time_left(
    devbox: DevboxClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.reply(200, box_json("provisioning")).reply(200, box_json("ready"))
    await devbox.devboxes.wait_for_ready("db-1", interval=3.0, timeout=4.0)
    assert wire.requests[0].extensions["timeout"]["read"] == 4.0
    assert wire.requests[1].extensions["timeout"]["read"] == 1.0
