"""One press or a dozen: the dashboard sends an action once, says so in one line, and a create or a prompt
whose answer was lost is shown for what it is. Requests are counted where they land: at the simulator."""

from __future__ import annotations

from typing import Any

import pytest
from test_agent_prompt import ACTIVE, open_agent, send, status, turns
from textual import events
from textual.widgets import Input, Static, TextArea

from boxdeck.service.boxes import Backend
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.screens.agent_prompt import TurnView
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.health_bar import HealthBar
from support.tui import SIZE, cell, notifications, plain, select, static_text, table, until

AMIKA = "/api/v0beta1"


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


def type_fast(app: Any, *keys: str) -> None:
    """Keys as a fast typist's terminal delivers them: queued at once, none waiting for the app to react."""
    for key in keys:
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_s_s_s_sends_one_start_and_says_it_is_already_starting(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        type_fast(app, "s", "s", "s")
        await until(pilot, lambda: cell(app, key, "state").endswith(("starting…", "initializing")))
        starts = f"{AMIKA}/sandboxes/navy-riga/start"
        await until(pilot, lambda: "already starting" in " ".join(notifications(app))
                    or world.requests("POST", starts) > 1)
        await pilot.pause()
        assert world.requests("POST", starts) == 1
        said = [n for n in notifications(app) if "already starting" in n]
        assert said and all(n.strip() == 'already starting "navy-riga"' for n in said)


async def new_sandbox(pilot: Any, app: Any, name: str) -> NewSandboxModal:
    await pilot.press("n")
    assert isinstance(app.screen, NewSandboxModal)
    modal = app.screen
    modal.query_one("#name", Input).value = name
    await pilot.press("ctrl+s")
    return modal


async def test_a_create_whose_answer_was_lost_is_found_and_selected(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, loaded(app))
        world.set_faults(1.0, ["drop-after"], methods=["POST"])  # created, then the answer is lost
        await new_sandbox(pilot, app, "lost-box")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        world.set_faults(0.0)
        said = " ".join(notifications(app))
        assert 'Created sandbox "lost-box": its answer was lost on the way back' in said
        await until(pilot, lambda: table(app).cursor_key is not None
                    and cell(app, table(app).cursor_key, "name").endswith("lost-box"))
        assert sum(sb.name == "lost-box" for sb in world.world.amika.sandboxes.values()) == 1


async def test_a_create_lost_and_not_found_keeps_the_form_and_the_retry_looks_first(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        world.set_faults(1.0, ["drop"], methods=["POST"])  # closed before the server acted
        modal = await new_sandbox(pilot, app, "maybe-box")
        error = modal.query_one("#form-error", Static)
        await until(pilot, lambda: "may still appear" in plain(error.content))
        assert app.screen is modal and modal.query_one("#name", Input).value == "maybe-box"
        assert 'create sandbox "maybe-box" was sent but its answer was lost' in plain(error.content)
        world.set_faults(0.0)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        # looked up after the loss, and again before the retry
        assert world.requests("GET", f"{AMIKA}/sandboxes/maybe-box") == 2
        assert sum(sb.name == "maybe-box" for sb in world.world.amika.sandboxes.values()) == 1


async def test_a_prompt_whose_answer_was_lost_shows_the_latest_session_and_keeps_the_text(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agent(pilot, app, ACTIVE)
        world.set_faults(1.0, ["drop-after"], methods=["POST"])  # the agent runs; its answer is lost
        await send(pilot, screen, "run the migrations")
        await until(pilot, lambda: turns(app, ACTIVE) and turns(app, ACTIVE)[-1].status == "answer-lost")
        world.set_faults(0.0)
        await until(pilot, lambda: "Latest session" in status(screen))
        line = status(screen)
        assert "the answer was lost after it was sent" in line and "the agent probably received it" in line
        assert "Your prompt is kept" in line
        assert screen.query_one("#prompt", TextArea).text == "run the migrations"
        view = screen.query(TurnView).last()
        assert "answer lost" in plain(view.query_one(".turn-status", Static).content)
        sandbox = world.world.amika.sandboxes[ACTIVE]
        session = world.world.amika.sessions[sandbox.current_session_id]
        sent = [t for t in session.turns if t["role"] == "user" and t["content"] == "run the migrations"]
        assert len(sent) == 1  # it did arrive, once: nothing was resent


async def test_retry_after_is_capped_and_counted_down_above_the_table_and_in_the_header(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        world.set_faults(1.0, ["429"], retry_after=7200, methods=["GET"])
        await until(pilot, lambda: "rate limited" in static_text(app, "#freshness"))
        # two hours asked, five minutes honoured
        assert app.deck.main.monitor.next_delay(Backend.AMIKA) == 300.0
        await until(pilot, lambda: "retrying in 5 m 0 s" in static_text(app, "#freshness"))
        world.advance(258)
        await until(pilot, lambda: "rate limited · retrying in 42 s" in static_text(app, "#freshness"))
        bar = app.screen.query_one(HealthBar)
        await until(pilot, lambda: "rate limited · retrying in 42 s" in plain(bar.content))
        world.advance(1)
        await until(pilot, lambda: "retrying in 41 s" in static_text(app, "#freshness"))


@pytest.mark.parametrize("kind", ["429", "drop"])
async def test_r_polls_at_once_whatever_the_backoff_or_retry_after_says(make_app, world, kind):
    world.set_faults(1.0, [kind], retry_after=300, methods=["GET"])
    app = make_app(busy=60, steady=60)  # backing off from a failure: the next poll a minute or more away
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.deck.main.monitor.health(Backend.AMIKA).consecutive_failures >= 1)
        assert app.deck.main.monitor.next_delay(Backend.AMIKA) >= (300.0 if kind == "429" else 60.0)
        world.set_faults(0.0)
        polls = world.requests("GET", f"{AMIKA}/sandboxes")
        await pilot.press("r")
        await until(pilot, lambda: world.requests("GET", f"{AMIKA}/sandboxes") > polls, timeout=2.0)
        await until(pilot, lambda: static_text(app, "#freshness").startswith("updated"))
