"""`service.audit`: action methods wrapped per object, exact outcomes, no secret value ever read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from boxdeck.api.amika_models import SSHInfo
from boxdeck.service.history.audit import audit


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[Any, ...]] = []

    def __call__(self, action, box=None, backend=None, outcome="ok", *, detail=None, secrets=()):
        self.lines.append((action, box, backend, outcome, detail, tuple(secrets)))


class SecretStore:  # same name as the real one: the spec table is keyed by class name
    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls = 0

    async def create(self, name: str, value: str, scope: str = "user") -> str:
        self.calls += 1
        if not name:
            raise ValueError("a name is required")
        return "created"

    async def list(self) -> list[str]:
        return ["x"]


class SshGrants:
    async def current(self, sandbox: str) -> SSHInfo:
        return SSHInfo(token="tok_secret_ssh")


async def test_slotted_objects_get_a_proxy_and_values_are_never_logged():
    log = Lines()
    store = audit(SecretStore(), log)
    assert await store.create("deploy", "the-value", scope="org") == "created"
    with pytest.raises(ValueError):
        await store.create("", "another-value")
    assert await store.list() == ["x"]  # not an action: untouched
    assert store.calls == 2
    assert log.lines[0] == ("secret-create", "deploy", "amika", "ok", "scope=org", ())
    assert log.lines[1][3] == "failed" and "a name is required" in log.lines[1][4]
    assert all("value" not in repr(line) for line in log.lines)
    assert audit(store, log) is store  # idempotent


async def test_returned_secrets_reach_the_log_for_masking_and_cancel_is_recorded():
    log = Lines()
    grants = audit(SshGrants(), log)
    await grants.current("web-1")
    assert log.lines[-1][:4] == ("ssh-grant", "web-1", "amika", "ok")
    assert "tok_secret_ssh" in log.lines[-1][5]

    class Conversations:
        async def send(self, sandbox: str, message: str, **_: Any) -> None:
            await asyncio.sleep(10)

    conv = audit(Conversations(), log)
    task = asyncio.create_task(conv.send("web-1", "secret prompt text"))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log.lines[-1][:4] == ("agent-send", "web-1", "amika", "cancelled")
    assert "secret prompt text" not in repr(log.lines)


def test_other_objects_are_left_alone():
    log = Lines()
    obj = object()
    assert audit(obj, log) is obj and audit(None, log) is None
