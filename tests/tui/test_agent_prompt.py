"""The agent prompt view (`a`): send and reply, literal text, failures that keep the prompt, cancel, several
sandboxes in flight, the conversation surviving screen switches, read-only.

With the manual clock the simulator's agent-send advances the clock itself and answers at once; tests that
need a prompt *in flight* hold the client's `agent_send` behind an asyncio.Event.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static, TextArea
from textual.widgets.markdown import MarkdownBlock

from boxdeck.sim.amika_state import READY_STATES
from boxdeck.tui.screens.agent_prompt import AgentPromptScreen, TurnView
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import SIZE, notifications, plain, select, table, until

ACTIVE = "acme/platform"
OTHER_ACTIVE = "release-test.v2"
HOSTILE = "Fix [bold]x[/] and [/foo] \x1b]52;c;AAAA\x07 now"


def loaded(app: Any):
    return lambda: isinstance(app.screen, SandboxesScreen) and table(app).row_count > 0


def no_credentials(world: Any) -> str:
    """The demo sandbox that is active but has no agent credentials (agent-send fails with the 401 text)."""
    sandboxes = world.world.amika.sandboxes.values()
    return next(sb.name for sb in sandboxes if sb.state in READY_STATES and not sb.creds)


async def open_agent(pilot: Any, app: Any, name: str) -> AgentPromptScreen:
    if not isinstance(app.screen, SandboxesScreen):
        await until(pilot, loaded(app))
    await until(pilot, loaded(app))
    await select(pilot, app, name)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, AgentPromptScreen) and app.screen.sandbox == name)
    await pilot.pause()
    return app.screen


async def send(pilot: Any, screen: AgentPromptScreen, text: str) -> None:
    screen.query_one("#prompt", TextArea).text = text
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()


def turns(app: Any, name: str):
    return app.deck.main.conversations.history(name)


def reply_text(screen: AgentPromptScreen) -> str:
    blocks = screen.query(Markdown).last().query(MarkdownBlock)
    return "\n".join(block.render().plain for block in blocks)  # type: ignore[union-attr]


def status(screen: AgentPromptScreen) -> str:
    return plain(screen.query_one("#agent-status", Static).content)


def gate_agent_send(app: Any, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold every agent-send until the returned event is set."""
    gate = asyncio.Event()
    amika = app.deck.main.service.monitor.amika
    real = amika.agent_send

    async def held(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(amika, "agent_send", held)
    return gate


async def test_send_shows_the_reply_as_literal_markdown(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agent(pilot, app, ACTIVE)
        await send(pilot, screen, HOSTILE)
        await until(pilot, lambda: turns(app, ACTIVE) and turns(app, ACTIVE)[-1].status == "replied")
        await until(pilot, lambda: bool(screen.query(Markdown)))
        await pilot.pause()
        turn = turns(app, ACTIVE)[-1]
        assert turn.session_id and turn.reply and "[bold]x[/]" in turn.reply
        text = reply_text(screen)
        assert "[bold]x[/]" in text and "[/foo]" in text  # Rich markup shown as typed, never interpreted
        assert "\x1b]52;c;AAAA\x07" in turn.reply  # the hostile sequence did come back from the server…
        assert "\x1b" not in text and "\x07" not in text and "52;c;AAAA" not in text  # …and was dropped whole
        assert text.count("now") >= 1
        prompt = plain(screen.query_one(TurnView).query_one(".turn-prompt", Static).content)
        assert "[bold]x[/]" in prompt and "\x1b" not in prompt
        view_status = plain(screen.query_one(TurnView).query_one(".turn-status", Static).content)
        assert "replied" in view_status and turn.session_id in view_status and "error flag: no" in view_status
        assert "\x1b" not in app.export_screenshot()
        assert screen.query_one("#prompt", TextArea).text == ""  # sent: the editor is free for the next one


async def test_credentials_failure_says_why_and_keeps_the_prompt(make_app, world):
    app = make_app()
    name = no_credentials(world)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agent(pilot, app, name)
        await send(pilot, screen, "Please refactor the parser")
        await until(pilot, lambda: turns(app, name) and turns(app, name)[-1].status == "failed")
        await until(pilot, lambda: "Send failed" in status(screen))
        assert "authenticat" in status(screen).lower()
        assert screen.query_one("#prompt", TextArea).text == "Please refactor the parser"
        error = plain(screen.query_one(".turn-error", Static).content)
        assert "authenticat" in error.lower()
        # Fixing nothing and sending again fails the same way, and the text still comes back.
        assert app.deck.main.drafts[name] == "Please refactor the parser"


async def test_cancel_stops_the_send_and_gives_the_prompt_back(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        gate = gate_agent_send(app, monkeypatch)
        screen = await open_agent(pilot, app, ACTIVE)
        assert screen.check_action("cancel_prompt", ()) is None  # nothing to cancel yet
        await send(pilot, screen, "Take your time")
        await until(pilot, lambda: bool(app.deck.main.conversations.in_flight(ACTIVE)))
        await until(pilot, lambda: "waiting for the agent" in plain(
            screen.query_one(".turn-status", Static).content))
        assert screen.check_action("send_prompt", ()) is None  # one prompt at a time per sandbox
        await pilot.press("ctrl+g")
        await until(pilot, lambda: turns(app, ACTIVE)[-1].status == "cancelled")
        await until(pilot, lambda: screen.query_one("#prompt", TextArea).text == "Take your time")
        assert "Cancelled" in status(screen)
        gate.set()


async def test_two_sandboxes_in_flight_and_the_dashboard_stays_live(make_app, monkeypatch, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        gate = gate_agent_send(app, monkeypatch)
        first = await open_agent(pilot, app, ACTIVE)
        await send(pilot, first, "First question")
        await pilot.press("escape")  # leaving does not cancel
        second = await open_agent(pilot, app, OTHER_ACTIVE)
        await send(pilot, second, "Second question")
        conversations = app.deck.main.conversations
        await until(pilot, lambda: len(conversations.in_flight()) == 2)
        await pilot.press("escape")
        await until(pilot, loaded(app))
        # The dashboard keeps polling meanwhile: a state change in the simulator reaches the table.
        rows = {b.name: b for b in app.screen.boxes.values()}
        initializing = next(n for n, b in rows.items() if b.state == "initializing")
        world.advance(60)
        await until(pilot, lambda: next(
            b for b in app.screen.boxes.values() if b.name == initializing).state == "started")
        gate.set()
        await until(pilot, lambda: not conversations.in_flight())
        assert turns(app, ACTIVE)[-1].status == "replied"
        assert turns(app, OTHER_ACTIVE)[-1].status == "replied"
        await until(pilot, lambda: any("replied" in n for n in notifications(app)))
        # Returning shows the reply.
        screen = await open_agent(pilot, app, ACTIVE)
        await until(pilot, lambda: bool(screen.query(Markdown)))
        assert "First question" in reply_text(screen)


async def test_conversation_survives_switching_screens(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agent(pilot, app, ACTIVE)
        await send(pilot, screen, "Remember me")
        await until(pilot, lambda: turns(app, ACTIVE) and turns(app, ACTIVE)[-1].status == "replied")
        screen.query_one("#conversation", VerticalScroll).focus()
        await pilot.pause()
        await pilot.press("2")
        await until(pilot, lambda: not isinstance(app.screen, AgentPromptScreen))
        await pilot.press("1")
        await until(pilot, lambda: app.screen is screen)
        assert len(screen.query(TurnView)) == 1
        # A fresh view of the same sandbox shows the same conversation (it lives in the app, not the screen).
        await pilot.press("escape")
        again = await open_agent(pilot, app, ACTIVE)
        await until(pilot, lambda: bool(again.query(Markdown)))
        assert "Remember me" in reply_text(again)
        assert "1 turn" in plain(again.query_one("#agent-header", Static).content)


async def test_a_is_dimmed_unless_the_sandbox_is_active_and_send_is_off_in_read_only(make_app, world):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        stopped = next(b.name for b in app.screen.boxes.values() if b.state == "stopped")
        await select(pilot, app, stopped)
        assert app.screen.check_action("agent_prompt", ()) is None
        await pilot.press("a")
        assert isinstance(app.screen, SandboxesScreen)
        screen = await open_agent(pilot, app, ACTIVE)  # reading the conversation is fine in read-only
        assert screen.check_action("send_prompt", ()) is None
        await send(pilot, screen, "Should not go out")
        assert turns(app, ACTIVE) == ()
        assert "Read-only" in status(screen)


def test_agent_prompt_view_snapshot(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot: Any) -> None:
        screen = await open_agent(pilot, app, ACTIVE)
        await send(pilot, screen, "Summarise the **open** issues and [bold]do not[/] interpret this")
        await until(pilot, lambda: bool(screen.query(Markdown)))
        screen.query_one("#prompt", TextArea).text = "Next: add a changelog entry"
        screen.query_one("#conversation", VerticalScroll).focus()  # no blinking cursor in the picture
        await pilot.pause(0.6)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
