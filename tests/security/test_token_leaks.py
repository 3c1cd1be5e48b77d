"""Tokens never reach logs, error messages, reprs, request records or notifications.

Real flows run against a simulator configured with distinctive canary tokens: polling both APIs, every action
(including ones the server refuses), SSH access, a devbox create with an agent token, and a second service
whose tokens are wrong (401s everywhere). Everything those flows leave behind is captured — all log records at
DEBUG level (httpx and httpcore included), the request log file, stdout/stderr, every exception's text and
repr, every object's repr, the request records, health, notices and the activity log — and grepped for the
full tokens.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from boxdeck.api import AmikaClient, DevboxClient, RequestRecord
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.secret_store import SecretStore
from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.history.activity_log import RequestLogger
from boxdeck.sim import SimServer
from support.security import (
    AMIKA_TOKEN,
    CLAUDE_TOKEN,
    SECURITY_SIM,
    SPRITES_TOKEN,
    TOKENS,
    USER_TOKEN,
    leaks,
)

WRONG_AMIKA = "amk_WRONG_CANARY_0f9e8d7c6b5a4938"
WRONG_SPRITES = "spr_WRONG_CANARY_1a2b3c4d5e6f7081"
WRONG_USER = "usr_WRONG_CANARY_9f8e7d6c5b4a3920"


@pytest.fixture(scope="module")
def canary_sim() -> Iterator[SimServer]:
    with SimServer(SECURITY_SIM) as server:
        yield server


def _settings(sim: SimServer, amika: str, sprites: str, user: str) -> Settings:
    return Settings(
        amika=AmikaSettings(url=sim.base_url, token=amika),
        devbox=DevboxSettings(url=sim.base_url, sprites_token=sprites, user_token=user),
    )


def _render(exc: BaseException) -> list[str]:
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


async def _drive(service: Service, captured: list[str], records: list[RequestRecord]) -> None:
    monitor, actions = service.monitor, service.actions
    for backend in (Backend.AMIKA, Backend.DEVBOX):
        await monitor.poll(backend)
        captured.append(repr(monitor.health(backend)))
    boxes = [
        b
        for backend in (Backend.AMIKA, Backend.DEVBOX)
        for b in (monitor.snapshot(backend).boxes.values() if monitor.snapshot(backend) else ())
    ]
    for box in boxes[:12]:
        for attempt in (actions.start, actions.stop, actions.ssh_command, actions.delete):
            try:
                result = await attempt(box)
            except ActionError as exc:
                captured.extend(_render(exc))
            else:
                if result is not None:  # an SshCommand: its repr and masked form are what gets shown/logged
                    captured.extend([repr(result), result.masked()])
    for create in (
        lambda: actions.create_sandbox(name="canary-box"),
        lambda: actions.create_sandbox(name="canary-box"),  # duplicate: a 409 with a message
        lambda: actions.create_devbox(
            "canary-dev", claude_token=CLAUDE_TOKEN, credential_profile={"inject_claude_token": True}
        ),
    ):
        try:
            captured.append(repr(await create()))
        except ActionError as exc:
            captured.extend(_render(exc))
    store = SecretStore(monitor.amika)
    for call in (
        lambda: store.list(),
        lambda: store.create("CANARY_SECRET", "value-123456"),
        lambda: store.create("CANARY_SECRET", "value-123456"),
    ):
        try:
            captured.append(repr(await call()))
        except ActionError as exc:
            captured.extend(_render(exc))
    for backend in (Backend.AMIKA, Backend.DEVBOX):
        diff = await monitor.poll(backend)
        captured.extend(repr(n) for n in monitor.notices(diff))
        captured.append(repr(monitor.health(backend)))
    captured.extend(repr(e) for e in monitor.activity)
    captured.extend(
        [
            repr(service.settings),
            repr(service.settings.amika),
            repr(service.settings.devbox),
            repr(monitor.amika),
            repr(monitor.devbox),
            repr(service.redactor),
            repr(monitor),
        ]
    )
    captured.extend(repr(r) for r in records)


@pytest.mark.parametrize("wrong_tokens", [False, True], ids=["valid-tokens", "wrong-tokens"])
async def test_no_token_in_anything_a_real_session_leaves_behind(
    canary_sim: SimServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    wrong_tokens: bool,
) -> None:
    canary_sim.reset()
    tokens = (
        (WRONG_AMIKA, WRONG_SPRITES, WRONG_USER) if wrong_tokens else (AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN)
    )
    settings = _settings(canary_sim, *tokens)
    log_path = tmp_path / "state" / "requests.log"
    logger = RequestLogger(log_path, secrets=settings.secrets)
    records: list[RequestRecord] = []

    def observe(record: RequestRecord) -> None:
        records.append(record)
        logger.on_request(record)

    captured: list[str] = []
    caplog.set_level(logging.DEBUG)
    service = Service.from_settings(settings, on_request=observe)
    logger.use_redactor(service.redactor)
    try:
        await _drive(service, captured, records)
    finally:
        await service.aclose()
        logger.close()
    assert records, "the flows made no request"
    if wrong_tokens:
        assert any(r.status == 401 for r in records)
    else:
        assert any(r.status == 200 for r in records)
    out, err = capsys.readouterr()
    captured += [caplog.text, out, err, log_path.read_text(encoding="utf-8")]
    captured += [r.getMessage() for r in caplog.records]
    assert leaks(captured, (*tokens, *TOKENS, CLAUDE_TOKEN)) == []


async def test_no_token_in_client_errors_from_the_simulator(canary_sim: SimServer) -> None:
    """The clients' own errors for 401/404/409/422 answers and dropped connections."""
    canary_sim.reset()
    texts: list[str] = []
    clients: list[Any] = [
        AmikaClient(canary_sim.base_url, access_token=WRONG_AMIKA),
        AmikaClient(canary_sim.base_url, access_token=AMIKA_TOKEN),
        DevboxClient(canary_sim.base_url, sprites_token=WRONG_SPRITES, user_token=WRONG_USER),
        DevboxClient(canary_sim.base_url, sprites_token=SPRITES_TOKEN, user_token=USER_TOKEN),
        AmikaClient("http://127.0.0.1:9", access_token=AMIKA_TOKEN),  # nothing listens: a transport error
        DevboxClient("http://127.0.0.1:9", sprites_token=SPRITES_TOKEN, user_token=USER_TOKEN),
    ]
    for client in clients:
        texts.append(repr(client))
        if isinstance(client, AmikaClient):
            calls = [
                client.list_sandboxes,
                lambda c=client: c.get_sandbox("nope"),
                lambda c=client: c.start_sandbox("nope"),
                lambda c=client: c.get_ssh("nope"),
                lambda c=client: c.create_secret("X", "y"),
            ]
        else:
            calls = [
                client.devboxes.list,
                lambda c=client: c.devboxes.get("nope"),
                lambda c=client: c.devboxes.create("x", claude_token=CLAUDE_TOKEN),
                lambda c=client: c.users.set_ssh_key("not a key"),
                client.github.get_connection,
            ]
        for call in calls:
            try:
                texts.append(repr(await call()))
            except Exception as exc:
                texts.extend(_render(exc))
        await client.aclose()
    assert leaks(texts, (*TOKENS, WRONG_AMIKA, WRONG_SPRITES, WRONG_USER)) == []


async def test_ssh_tokens_are_masked_everywhere_but_the_command_itself(
    canary_sim: SimServer, tmp_path: Path
) -> None:
    """The SSH token Amika mints is a secret too: the command text holds it (that is what runs), but its
    repr, its masked form, the request log and later error messages do not."""
    canary_sim.reset()
    settings = _settings(canary_sim, AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN)
    log_path = tmp_path / "requests.log"
    logger = RequestLogger(log_path, secrets=settings.secrets)
    service = Service.from_settings(settings, on_request=logger.on_request)
    logger.use_redactor(service.redactor)
    try:
        await service.monitor.poll(Backend.AMIKA)
        ready = [b for b in service.monitor.snapshot(Backend.AMIKA).boxes.values() if b.state == "active"]
        command = await service.actions.ssh_command(ready[0])
        assert command.secrets, "the Amika SSH command should know its token"
        logger.log_action("ssh", ready[0].name, "amika", "ok", detail=command.text)
        logger.log_event(f"copied {command.text}")
    finally:
        await service.aclose()
        logger.close()
    texts = [
        repr(command),
        command.masked(),
        log_path.read_text(encoding="utf-8"),
        service.redactor.redact(command.text),
    ]
    assert leaks(texts, command.secrets) == []
    assert any(secret in command.text for secret in command.secrets)


async def test_an_echoing_server_puts_no_secret_on_screen_text_or_in_the_log(
    canary_sim: SimServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The simulator echoes the tokens, the SSH tokens it mints and a secret value it is given into names,
    repos, descriptions and error messages. The models keep that text as the server sent it (the boxes are
    still acted on by their real names); everything built for display from it — messages, notices, health,
    the text functions the screens use — and the log hold none of it."""
    from boxdeck.service.text.sanitize import shown, single_line

    canary_sim.reset()
    canary_sim.set_hostile(echo=True)
    settings = _settings(canary_sim, AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN)
    log_path = tmp_path / "requests.log"
    logger = RequestLogger(log_path, secrets=settings.secrets)
    caplog.set_level(logging.DEBUG)
    value = "sv_ECHO_CANARY_" + "7d3a" * 6
    texts: list[str] = []
    service = Service.from_settings(settings, on_request=logger.on_request)
    logger.use_redactor(service.redactor)
    monitor, actions = service.monitor, service.actions
    try:
        for backend in (Backend.AMIKA, Backend.DEVBOX):
            await monitor.poll(backend)
        amika_boxes = list(monitor.snapshot(Backend.AMIKA).boxes.values())
        devboxes = list(monitor.snapshot(Backend.DEVBOX).boxes.values())
        assert all(AMIKA_TOKEN in b.name for b in amika_boxes), "the server did not echo the token"
        assert all(SPRITES_TOKEN in b.name for b in devboxes)
        store = SecretStore(monitor.amika, redactor=service.redactor)
        await store.create("ECHO_CANARY", value)
        listed = await store.list()
        assert any(value in (s.description or "") for s in listed), "the server did not echo the value"
        texts += [shown(f"{s.name} {s.description}") for s in listed]
        ready = next(b for b in amika_boxes if b.state == "active")
        command = await actions.ssh_command(ready)  # mints an SSH token, echoed from now on
        texts.append(command.masked())
        logger.log_action("ssh", ready.name, "amika", "ok")
        for box in [*amika_boxes[:6], *devboxes[:6]]:
            for attempt in (actions.start, actions.stop):  # some the server refuses, quoting the name
                try:
                    await attempt(box)
                except ActionError as exc:
                    texts.append(str(exc))
                logger.log_action("start-or-stop", box.name, box.backend.value, "ok")
        for backend in (Backend.AMIKA, Backend.DEVBOX):
            diff = await monitor.poll(backend)
            texts += [f"{n.title} {n.message}" for n in monitor.notices(diff)]
            texts.append(monitor.health(backend).last_error or "")
        echoed = list(monitor.snapshot(Backend.AMIKA).boxes.values())
        assert any(value in str(b.sandbox and b.sandbox.repo_name) for b in echoed)
        assert any(command.secrets[0] in str(b.sandbox and b.sandbox.repo_name) for b in echoed)
        for box in echoed:  # what the table and detail pane make of each box
            sandbox = box.sandbox
            assert sandbox is not None
            texts += [shown(box.name), single_line(str(sandbox.repo_name)), shown(str(sandbox.branch))]
        # The stopped/started boxes were addressed by the names the server gave them, token and all.
        assert any(r.path.startswith("/sandboxes/") and r.status == 202 for r in records_of(log_path))
        canary_sim.set_faults(1.0, ["500"])
        await monitor.poll(Backend.DEVBOX)
        texts.append(monitor.health(Backend.DEVBOX).last_error or "")
    finally:
        await service.aclose()
        logger.close()
    secrets = (*TOKENS, value, *command.secrets)
    assert leaks([*texts, log_path.read_text(encoding="utf-8"), caplog.text], secrets) == []


def records_of(log_path: Path) -> list[RequestRecord]:
    """The request lines of a log file, read back as records (method, path, status)."""
    out = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if "request" in words:
            i = words.index("request")
            status = words[i + 4]
            out.append(RequestRecord(words[i + 1], words[i + 2], words[i + 3],
                                     int(status) if status.isdigit() else None, 0.0, None))
    return out
