"""The request/action log, end to end: every request and every user action, with no token in it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.service.history.activity_log import RequestLogger
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from support.tui import SIZE, select, table, until
from support.tui_fixtures import sim_now


def loaded(app):
    return lambda: table(app).row_count > 0


def log_text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def test_requests_and_actions_are_logged_without_secrets(world, clipboard, tmp_path):
    path = tmp_path / "state" / "boxdeck.log"
    logger = RequestLogger(path)
    settings = Settings(
        amika=AmikaSettings(world.base_url, world.amika_token),
        devbox=DevboxSettings(world.base_url, world.sprites_token, world.user_token),
        steady_interval=60,
        busy_interval=60,
    )
    service = Service.from_settings(
        settings, on_request=logger.on_request, now=sim_now(world), rng=lambda: 0.0, max_backoff=0.2
    )
    logger.use_redactor(service.redactor)
    app = BoxdeckApp(Deck(
        service,
        now=sim_now(world),
        spinner_interval=None,
        config=AppConfig(settings=settings, profile="work"),
        request_log=logger,
    ))
    secret_value = "hunter2-very-secret-value"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, loaded(app))
            world.world.amika.delete("magenta-porto")  # gone on the server, still on screen (slow polls)
            await select(pilot, app, "magenta-porto")
            await pilot.press("s")  # start: fails
            await until(pilot, lambda: "outcome=failed" in log_text(path))
            await select(pilot, app, "navy-riga")
            await pilot.press("s")  # start: ok
            await until(pilot, lambda: "box=navy-riga" in log_text(path))
            await select(pilot, app, "acme/platform")
            await pilot.press("c")  # copy the SSH command (its token is a secret)
            await until(pilot, lambda: clipboard.copied)
            store = app.deck.main.secrets  # what the secrets screen acts through: logged
            assert store is not None
            await store.create("deploy-key", secret_value)
    finally:
        await service.aclose()
        logger.close()

    text = log_text(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "request amika GET /sandboxes 200" in text and "request devbox GET /" in text
    request_line = next(line for line in text.splitlines() if "request amika GET" in line)
    status, latency = request_line.split()[-2:]
    assert status == "200" and latency.endswith("ms")
    assert "action start box=navy-riga backend=amika outcome=ok" in text
    assert "action ssh-command box=acme/platform backend=amika outcome=ok" in text
    assert "action start box=magenta-porto backend=amika outcome=failed" in text
    assert "action secret-create box=deploy-key backend=amika outcome=ok" in text
    assert "event started profile=work" in text and "event quit" in text
    ssh_token = next(w for w in clipboard.copied[0].split() if "@" in w).split("@")[0]
    for secret in (world.amika_token, world.sprites_token, world.user_token, ssh_token, secret_value):
        assert secret not in text, secret


async def test_actions_of_the_issue5_views_are_logged(make_app, world, tmp_path):
    """The per-app service objects (sessions, grants, access, account, prompts) are wrapped when created."""
    
    logger = RequestLogger(tmp_path / "boxdeck.log")
    app = make_app(request_log=logger)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, loaded(app))
            state = app.deck.main
            await state.grants.current("acme/platform")
            logger.flush()
    finally:
        logger.close()
    text = log_text(tmp_path / "boxdeck.log")
    assert "action ssh-grant box=acme/platform backend=amika outcome=ok" in text
