"""Tokens and secret values never reach the screen, screenshots, notifications or logs — as the app runs.

The simulator echoes what it is sent (``/_sim/hostile`` echo): every name, repo, branch, error message and
agent reply it answers carries the tokens of the request, the SSH tokens it minted and the secret values it
was given, so a leak anywhere in the display path shows. The box models keep the real names (the boxes can
still be acted on); only what is shown is masked.

Real flows run in the headless app against a simulator configured with distinctive canary tokens: polling,
copy SSH (`c`), an SSH grant from the sessions view, a devbox created with Claude/Codex tokens (and one
refused by the server), secrets and a provider credential created and updated, server errors (500s, and
401s from an app whose tokens are wrong), the errors modal (`e`), the activity log (`l`) and help (`?`). An
SVG screenshot of every screen and dialog is taken along the way. Everything captured — the SVG text, every
notification the app raised, the request log file in the isolated state dir, all log records (DEBUG) and
stdout/stderr — is grepped for each configured token, each secret value typed and each SSH token the server
minted: none may appear in full.

The committed screenshots and snapshot baselines are checked for the simulator's default tokens too.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App as TextualApp
from textual.widgets import Input, Markdown, Select, Switch, TextArea

from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.history.activity_log import RequestLogger
from boxdeck.sim import SimServer
from boxdeck.sim.config import DEFAULT_AMIKA_TOKEN, DEFAULT_SPRITES_TOKEN, DEFAULT_USER_TOKEN
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal, UpdateSecretModal
from boxdeck.tui.screens.account import AccountScreen
from boxdeck.tui.screens.activity import ActivityScreen
from boxdeck.tui.screens.agent_prompt import AgentPromptScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.help import HelpScreen
from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.secrets import SecretsScreen
from boxdeck.tui.widgets.box_table import BoxTable
from support.security import AMIKA_TOKEN, CLAUDE_TOKEN, SECURITY_SIM, SPRITES_TOKEN, TOKENS, USER_TOKEN, leaks
from support.tui import SIZE, until
from support.tui_fixtures import START, sim_now
from support.ui import (
    paste,
    set_text,
)

CODEX_TOKEN = "cx_SECURITY_CANARY_5e5e4d4d3c3c2b2b"
SECRET_VALUE = "sv_SECURITY_CANARY_0a9b8c7d6e5f4a3b"
NEW_SECRET_VALUE = "sv_SECURITY_CANARY_NEW_1b2c3d4e5f6a"
PROVIDER_VALUE = "sk-ant-SECURITY-CANARY-9f8e7d6c5b4a"
WRONG = ("amk_WRONG_UI_CANARY_44aa55bb66cc77dd", "spr_WRONG_UI_CANARY_11ee22ff33aa44bb",
         "usr_WRONG_UI_CANARY_99cc88dd77ee66ff")
TYPED = (CODEX_TOKEN, SECRET_VALUE, NEW_SECRET_VALUE, PROVIDER_VALUE)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def canary_sim() -> Iterator[SimServer]:
    with SimServer(SECURITY_SIM) as server:
        yield server


class Captured:
    """Everything a flow leaves behind that a person (or a bug report) could see."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.notifications: list[str] = []

    def screenshot(self, app: Any, what: str) -> None:
        svg = app.export_screenshot()
        self.texts.append(f"[svg {what}] {svg}")
        self.texts.append(f"[svg text {what}] {html.unescape(re.sub(r'<[^>]+>', '', svg))}")

    def record_notifications(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """Record each notification as it reaches Textual (whatever the app did to it on the way)."""
        real = TextualApp.notify

        def notify(this: Any, message: str, *args: Any, **kwargs: Any) -> Any:
            if this is app:
                self.notifications.append(f"{kwargs.get('title', '')} {message}")
            return real(this, message, *args, **kwargs)

        monkeypatch.setattr(TextualApp, "notify", notify)


def make_app(sim: SimServer, amika: str, sprites: str, user: str) -> tuple[BoxdeckApp, RequestLogger]:
    settings = Settings(
        amika=AmikaSettings(sim.base_url, amika),
        devbox=DevboxSettings(sim.base_url, sprites, user),
        steady_interval=1.0,
        busy_interval=1.0,
    )
    log = RequestLogger()  # the default path: the isolated state dir
    service = Service.from_settings(settings, on_request=log.on_request, now=sim_now(sim), rng=lambda: 0.0,
                                    max_backoff=0.2)
    log.use_redactor(service.redactor)
    return BoxdeckApp(Deck(service, now=sim_now(sim), owns_services=True, spinner_interval=None)), log


def loaded(app: Any):
    """The current screen has finished loading (secrets, account)."""
    return lambda: app.screen.loaded_at is not None and not app.screen.loading


def table_of(app: Any) -> BoxTable:
    return app.screen.query_one(BoxTable)


async def wait_for(pilot: Any, kind: type, ready=lambda: True) -> Any:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, kind) and ready(), timeout=10)
    await pilot.pause()
    return app.screen


async def select(pilot: Any, app: Any, predicate) -> Any:
    key, box = next((k, b) for k, b in app.screen.boxes.items() if predicate(b))
    table_of(app).select_key(key)
    await pilot.pause()
    await pilot.pause()
    return box


def minted_ssh_tokens(sim: SimServer) -> list[str]:
    return [t for sb in sim.world.amika.sandboxes.values() for t in getattr(sb, "ssh_tokens", {})]


def real_name(box: Any) -> str:
    """The name the simulator's world holds, without the echo its answers append."""
    return box.name.split(" [echo ", 1)[0]


def echoed(app: Any, backend: Backend, secret: str) -> bool:
    """The server's echo of `secret` reached the box models (so the screen was given it to show): in a name,
    or in a repo (where the values remembered from other requests go)."""
    snapshot = app.deck.main.monitor.snapshot(backend)
    if snapshot is None:
        return False
    boxes = snapshot.boxes.values()
    return any(secret in b.name or secret in str(b.sandbox and b.sandbox.repo_name) for b in boxes)


def check_no_leaks(captured: Captured, extra: list[str], secrets: tuple[str, ...]) -> None:
    found = leaks([*captured.texts, *captured.notifications, *extra], secrets)
    assert not found, found[:5]


async def test_tokens_and_typed_secrets_never_shown_or_logged(
    canary_sim, clipboard, caplog, capsys, monkeypatch
):
    sim = canary_sim
    sim.reset(start_time=START)
    sim.set_hostile(echo=True)
    caplog.set_level(logging.DEBUG)
    captured = Captured()
    app, log = make_app(sim, AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN)
    captured.record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, SandboxesScreen, lambda: table_of(app).row_count > 0)
        assert echoed(app, Backend.AMIKA, AMIKA_TOKEN), "the server did not echo the token"
        captured.screenshot(app, "sandboxes")
        # A box whose name holds a token is shown masked but can still be acted on: start a stopped one.
        stopped = await select(pilot, app, lambda b: b.state == "stopped")
        assert AMIKA_TOKEN in stopped.name
        await pilot.press("s")
        world_box = next(sb for sb in sim.world.amika.sandboxes.values() if sb.name == real_name(stopped))
        await until(pilot, lambda: world_box.state != "stopped")
        captured.screenshot(app, "starting a box named with a token")
        # Copy SSH (c) on an active sandbox: the full command goes to the clipboard only.
        await select(pilot, app, lambda b: b.state == "active")
        await pilot.press("c")
        await until(pilot, lambda: bool(clipboard.copied))
        await pilot.pause()
        captured.screenshot(app, "ssh copied")
        # The sessions view and an SSH grant (c).
        await pilot.press("v")
        await wait_for(pilot, SandboxSessionsScreen, lambda: app.screen.loaded)
        copies = len(clipboard.copied)
        await pilot.press("c")
        await until(pilot, lambda: len(clipboard.copied) > copies)
        await pilot.pause()
        captured.screenshot(app, "sessions with grant")
        await pilot.press("escape")
        # The agent prompt: the reply echoes the token and the SSH tokens minted so far.
        await wait_for(pilot, SandboxesScreen)
        await select(pilot, app, lambda b: real_name(b) == "acme/platform")
        await pilot.press("a")
        prompt = await wait_for(pilot, AgentPromptScreen)
        prompt.query_one("#prompt", TextArea).text = "Say hello"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(prompt.query(Markdown)), timeout=10)
        await pilot.pause()
        history = app.deck.main.conversations.history(prompt.sandbox)
        assert history and AMIKA_TOKEN in (history[-1].reply or ""), "the reply did not echo the token"
        captured.screenshot(app, "agent reply")
        await pilot.press("escape")

        # Screen 2: a devbox with Claude and Codex tokens; then one the server refuses (500).
        await pilot.press("2")
        await wait_for(pilot, DevboxesScreen, lambda: table_of(app).row_count > 0)
        assert echoed(app, Backend.DEVBOX, SPRITES_TOKEN) and echoed(app, Backend.DEVBOX, USER_TOKEN)
        captured.screenshot(app, "devboxes")
        for attempt in ("created", "refused"):
            await pilot.press("n")
            form = await wait_for(pilot, NewDevboxFullModal)
            set_text(form.query_one("#name", Input), f"canary-{attempt}")
            form.query_one("#inject-claude", Switch).value = True
            form.query_one("#inject-codex", Switch).value = True
            await paste(pilot, form.query_one("#claude-token", Input), CLAUDE_TOKEN)
            await paste(pilot, form.query_one("#codex-token", Input), CODEX_TOKEN)
            captured.screenshot(app, f"devbox form {attempt}")
            if attempt == "refused":
                sim.set_faults(1.0, ["500"])
            await pilot.press("ctrl+s")
            if attempt == "created":
                await wait_for(pilot, DevboxesScreen)
            else:
                await until(pilot, lambda f=form: f.query_one("#form-error").display, timeout=10)
                captured.screenshot(app, "devbox form refused")
                sim.set_faults(0.0)
                await pilot.press("escape")
                await wait_for(pilot, DevboxesScreen)

        # Screen 3: a generic secret created and its value replaced, and a provider credential.
        await pilot.press("3")
        await wait_for(pilot, SecretsScreen, loaded(app))
        await pilot.press("n")
        form = await wait_for(pilot, NewSecretModal)
        set_text(form.query_one("#name", Input), "CANARY_SECRET")
        await paste(pilot, form.query_one("#value", Input), SECRET_VALUE)
        captured.screenshot(app, "secret form")
        await pilot.press("ctrl+s")
        await wait_for(pilot, SecretsScreen,
                       lambda: any(s.name.startswith("CANARY_SECRET") for s in app.screen.generic.values()))
        secrets = app.screen
        descriptions = [str(s.description) for s in secrets.generic.values()]
        assert any(SECRET_VALUE in d for d in descriptions), "the value was not echoed"
        key = next(k for k, s in secrets.generic.items() if s.name.startswith("CANARY_SECRET"))
        table = secrets.query_one("#generic")
        table.focus()
        table.move_cursor(row=table.get_row_index(key))
        await pilot.pause()
        await pilot.press("u")
        form = await wait_for(pilot, UpdateSecretModal)
        await paste(pilot, form.query_one("#value", Input), NEW_SECRET_VALUE)
        await pilot.press("ctrl+s")
        await wait_for(pilot, SecretsScreen)
        await pilot.press("N")
        form = await wait_for(pilot, NewProviderSecretModal)
        set_text(form.query_one("#name", Input), "canary-key")
        form.query_one("#type", Select).value = "api_key"
        await paste(pilot, form.query_one("#value", Input), PROVIDER_VALUE)
        captured.screenshot(app, "provider form")
        await pilot.press("ctrl+s")
        await wait_for(pilot, SecretsScreen)
        await pilot.pause()
        captured.screenshot(app, "secrets")

        # Screen 4, then server errors everywhere: the health bar, the errors modal, the log, help.
        await pilot.press("4")
        await wait_for(pilot, AccountScreen, lambda: app.screen.loaded_at is not None)
        captured.screenshot(app, "account")
        await pilot.press("1")
        await until(pilot, lambda: echoed(app, Backend.AMIKA, NEW_SECRET_VALUE), timeout=10)
        captured.screenshot(app, "sandboxes named with every secret")
        sim.set_faults(1.0, ["500", "502", "503", "429"])
        app.deck.poller.poll_now()
        monitor = app.deck.main.monitor
        await until(pilot, lambda: monitor.health(next(iter(monitor.backends))).status == "failing",
                    timeout=10)
        sim.set_faults(0.0)
        captured.screenshot(app, "failing")
        for key, kind in (("e", ErrorsModal), ("l", ActivityScreen), ("question_mark", HelpScreen)):
            await pilot.press(key)
            await wait_for(pilot, kind)
            captured.screenshot(app, kind.__name__)
            await pilot.press("escape")
        captured.notifications.extend(f"{n.title} {n.message}" for n in app._notifications)
    # The flows really ran: the server holds what was created (values included, which it keeps).
    assert any(d.name == "canary-created" for d in sim.world.devbox.devboxes.values())
    assert not any(d.name == "canary-refused" for d in sim.world.devbox.devboxes.values())
    amika = sim.world.amika
    assert any(s.name == "CANARY_SECRET" for s in amika.secrets.values())
    assert any(p.name == "canary-key" for p in amika.provider_secrets.values())
    assert clipboard.copied, "the flows copied SSH commands"
    ssh_tokens = minted_ssh_tokens(sim)
    assert ssh_tokens, "the server minted SSH tokens"
    logged = log.path.read_text(encoding="utf-8") if log.path.exists() else ""
    assert "request amika" in logged  # the log did record the flows
    out = capsys.readouterr()
    extra = [logged, caplog.text, out.out, out.err, *(r.getMessage() for r in caplog.records)]
    check_no_leaks(captured, extra, (*TOKENS, *TYPED, *ssh_tokens))
    # The copied commands do hold the SSH tokens (that is their point) — and only the clipboard has them.
    assert any(t in c for t in ssh_tokens for c in clipboard.copied)


async def test_wrong_tokens_401_everywhere_shown_without_the_tokens(canary_sim, caplog, capsys, monkeypatch):
    sim = canary_sim
    sim.reset(start_time=START)
    sim.set_hostile(echo=True)  # the 401 messages quote the wrong tokens
    caplog.set_level(logging.DEBUG)
    captured = Captured()
    app, log = make_app(sim, *WRONG)
    captured.record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monitor = app.deck.main.monitor
        await until(pilot, lambda: all(monitor.health(b).status == "failing" for b in monitor.backends),
                    timeout=10)
        await pilot.pause()
        captured.screenshot(app, "401 sandboxes")
        for key, kind in (("e", ErrorsModal), ("l", ActivityScreen), ("question_mark", HelpScreen)):
            await pilot.press(key)
            await wait_for(pilot, kind)
            captured.screenshot(app, f"401 {kind.__name__}")
            await pilot.press("escape")
        for key, kind in (("3", SecretsScreen), ("4", AccountScreen)):
            await pilot.press(key)
            await wait_for(pilot, kind)
            await pilot.pause(0.3)
            captured.screenshot(app, f"401 {kind.__name__}")
        captured.notifications.extend(f"{n.title} {n.message}" for n in app._notifications)
    errors = [app.deck.main.monitor.health(b).last_error or "" for b in app.deck.main.monitor.backends]
    assert any("[echo amk_WR… spr_WR…" in e for e in errors), errors  # quoted by the server, shown masked
    logged = log.path.read_text(encoding="utf-8") if log.path.exists() else ""
    assert " 401 " in logged
    out = capsys.readouterr()
    extra = [logged, caplog.text, out.out, out.err]
    check_no_leaks(captured, extra, (*WRONG, *TOKENS))


def test_committed_screenshots_and_snapshots_hold_no_default_token() -> None:
    files = sorted({*ROOT.glob("screenshots/*.svg"), *ROOT.glob("tests/**/__snapshots__/**/*.svg"),
                    *ROOT.glob("docs/**/*.svg")})
    assert files, "no screenshots found"
    defaults = (DEFAULT_AMIKA_TOKEN, DEFAULT_SPRITES_TOKEN, DEFAULT_USER_TOKEN)
    texts = []
    for path in files:
        svg = path.read_text(encoding="utf-8", errors="replace")
        texts += [f"{path.relative_to(ROOT)}: {svg}", f"{path.relative_to(ROOT)}: {html.unescape(svg)}"]
    found = leaks(texts, defaults)
    assert not found, found[:5]
