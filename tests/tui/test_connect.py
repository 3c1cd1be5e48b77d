"""Connect, don't copy: enter runs ssh in the user's terminal (a stand-in here), connect when ready, renew,
expiry warnings and the clipboard clear, against the simulator."""

from __future__ import annotations

from typing import Any

from boxdeck.service.boxes import StateKind
from boxdeck.service.configuration.config import Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import (
    SIZE,
    Runner,
    cell,
    hand_over,
    key_of,
    notifications,
    select,
    table,
    until,
    workers_done,
)


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


async def settled(pilot: Any, app: Any) -> None:
    """Let what the app started on what it saw run to its end: connect workers and the messages they post."""
    await pilot.pause()
    await workers_done(app, "connect", "connect-start")
    await pilot.pause()


def by_state(app: Any, state: str) -> str:
    return next(box.name for box in app.screen.boxes.values() if box.state == state)


async def test_enter_on_a_ready_sandbox_runs_ssh_then_refreshes(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    refreshed: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        original = app.deck.poller.poll_now
        monkeypatch.setattr(app.deck.poller, "poll_now",
                            lambda *a, **k: (refreshed.append(True), original(*a, **k))[1])
        await select(pilot, app, "acme/platform")
        assert app.screen.check_action("connect", ()) is True
        await pilot.press("enter")
        await until(pilot, lambda: runner.calls)
        argv = runner.calls[0]
        assert argv[:4] == ("ssh", "-p", "2222", "--")
        token, host = argv[4].split("@")
        assert host == "ssh.sim.boxdeck.local"
        assert token in world.world.amika.sandboxes["acme/platform"].ssh_tokens
        await until(pilot, lambda: refreshed)
        assert not any("exited" in n for n in notifications(app))
        await pilot.press("S")  # S does the same
        await until(pilot, lambda: len(runner.calls) == 2)


async def test_enter_on_a_ready_devbox_and_a_failing_exit_status(make_app, monkeypatch):
    app = make_app()
    runner = Runner(status=255)
    hand_over(app, monkeypatch, runner)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        await select(pilot, app, "scratch")
        await pilot.press("enter")
        await until(pilot, lambda: runner.calls)
        argv = runner.calls[0]
        assert argv[:2] == ("ssh", "-p") and argv[2].isdigit() and argv[3] == "--" and "@" in argv[4]
        assert len(argv) == 5
        await until(pilot, lambda: any("exited with status 255" in n for n in notifications(app)))


async def test_i_shows_the_detail_pane_now(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("i")
        assert app.screen.has_class("-detail")
        await pilot.press("escape")
        assert not app.screen.has_class("-detail")


async def test_without_suspend_the_command_is_copied_instead(make_app, clipboard):
    app = make_app()
    runner = Runner()
    app.ssh_runner = runner  # the headless driver cannot suspend: SuspendNotSupported
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("enter")
        await until(pilot, lambda: clipboard.copied)
        assert clipboard.copied[0].startswith("ssh -p 2222 -- ")
        assert runner.calls == []
        token = clipboard.copied[0].split()[-1].split("@")[0]
        note = next(n for n in notifications(app) if "handed over" in n)
        assert "will be cleared in 60 s" in note
        assert token not in note


async def test_connect_when_ready_pins_then_connects_with_a_bell(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    bells: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        name = by_state(app, "initializing")
        key = await select(pilot, app, name)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        assert isinstance(app.screen, SandboxesScreen)
        assert (key in app.deck.main.waits)
        await until(pilot, lambda: cell(app, key, "name").startswith("⏵ "))
        assert table(app).ordered_keys()[0] == key  # pinned: sorted first
        strip = app.screen.query_one("#watch-strip")
        await until(pilot, lambda: strip.display and name in strip.render_strip().plain)
        assert runner.calls == []
        world.advance(60)
        await until(pilot, lambda: runner.calls)
        assert runner.calls[0][0] == "ssh"
        assert bells == [True]
        assert any(name in n and "ready" in n and "connecting" in n for n in notifications(app))
        assert key not in app.deck.main.waits
        await until(pilot, lambda: not cell(app, key, "name").startswith("⏵"))
        other = by_state(app, "stopped")  # the world moves on: the app sees (and handles) another change
        world.world.amika.force_state(other, "active")
        await until(pilot, lambda: cell(app, key_of(app, other), "state").endswith("active"))
        await settled(pilot, app)
        assert len(runner.calls) == 1  # once


async def test_connect_when_ready_on_a_provisioning_devbox(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        key = await select(pilot, app, "feature-payments")
        await pilot.press("enter", "y")
        assert (key in app.deck.main.waits)
        world.advance(1200)  # well past its provisioning
        await until(pilot, lambda: runner.calls)
        assert key not in app.deck.main.waits
        assert runner.calls[0][0] == "ssh"


async def test_connect_when_ready_shows_the_failure(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        name = by_state(app, "initializing")
        key = await select(pilot, app, name)
        await pilot.press("enter", "y")
        assert (key in app.deck.main.waits)
        world.world.amika.force_state(name, "failed", "out of capacity in eu-west")
        await until(pilot, lambda: any("failed: out of capacity in eu-west" in n for n in notifications(app)))
        assert key not in app.deck.main.waits
        assert runner.calls == []


async def test_enter_on_a_pinned_box_offers_to_stop_waiting(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        name = by_state(app, "initializing")
        key = await select(pilot, app, name)
        await pilot.press("enter", "y")
        assert (key in app.deck.main.waits)
        await pilot.press("enter")
        assert "Stop waiting" in str(app.screen.query_one("#title").content)
        await pilot.press("y")
        assert key not in app.deck.main.waits
        await pilot.press("escape")  # nothing pinned, no filter: nothing happens
        assert isinstance(app.screen, SandboxesScreen)
        await pilot.press("enter", "y")
        assert (key in app.deck.main.waits)
        await pilot.press("escape", "y")  # escape on a pinned box offers it too
        assert key not in app.deck.main.waits
        world.advance(60)
        await until(pilot, lambda: app.screen.boxes[key].kind is StateKind.READY)  # ready, and handled
        await settled(pilot, app)
        assert runner.calls == []


async def test_start_and_connect_a_stopped_sandbox(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        await pilot.press("enter")
        assert "Start sandbox navy-riga" in str(app.screen.query_one("#title").content)
        await pilot.press("y")
        await until(pilot, lambda: world.world.amika.sandboxes["navy-riga"].state != "stopped")
        assert (key in app.deck.main.waits)
        world.advance(60)
        await until(pilot, lambda: runner.calls)
        assert key not in app.deck.main.waits


async def test_connect_on_a_failed_box_is_off(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, by_state(app, "failed"))
        assert app.screen.check_action("connect", ()) is None


async def test_renew_copies_a_new_grant_and_the_warning_comes_once(make_app, world, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("R")
        await until(pilot, lambda: clipboard.copied)
        assert clipboard.copied[-1].startswith("ssh -p 2222 -- ")
        await until(pilot, lambda: any("New SSH grant" in n and "expires in" in n
                                       for n in notifications(app)))

        grant = app.deck.main.grants.remembered("acme/platform")
        assert grant is not None and grant.expires_at is not None
        world.advance(3600 - 290)  # under 5 minutes left
        warned = lambda: [n for n in notifications(app) if "expires in" in n and "renew" in n]  # noqa: E731
        app.tick()  # the once-a-second check, on the simulated clock
        await until(pilot, lambda: warned())
        strip = app.screen.query_one("#watch-strip")
        await until(pilot, lambda: "SSH grant" in strip.render_strip().plain)
        world.advance(10)
        app.tick()
        app.tick()
        await pilot.pause()
        assert len(warned()) == 1
        first = clipboard.copied[-1]
        await pilot.press("R")  # renew: a new grant, counting down from the start again
        await until(pilot, lambda: clipboard.copied[-1] != first and clipboard.copied[-1].startswith("ssh"))
        renewed = app.deck.main.grants.remembered("acme/platform")
        assert renewed is not None and renewed.expires_at > grant.expires_at


async def test_renew_a_devbox_access_session(make_app, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        await select(pilot, app, "scratch")
        await pilot.press("R")
        await until(pilot, lambda: any("New SSH access session" in n for n in notifications(app)))
        assert clipboard.copied[-1].startswith("ssh ")


async def test_a_copied_token_is_cleared_after_the_time(make_app, clipboard):
    now = [1000.0]
    app = make_app(clipboard_clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: clipboard.copied)
        await until(pilot, lambda: any("will be cleared in 60 s" in n for n in notifications(app)))
        command = clipboard.copied[-1]
        now[0] += 59
        assert app.deck.clipboard.tick() is False  # the timer's tick, on the injected clock
        assert clipboard.copied[-1] == command
        now[0] += 2
        await until(pilot, lambda: clipboard.copied[-1] == "")  # the app's own timer clears it
        await until(pilot, lambda: any("Cleared" in n for n in notifications(app)))


async def test_the_clipboard_is_left_alone_when_the_user_copied_something_else(make_app, clipboard):
    now = [1000.0]
    app = make_app(clipboard_clock=lambda: now[0],
                   config=AppConfig(settings=Settings(None, None), clipboard_clear_seconds=30))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: any("will be cleared in 30 s" in n for n in notifications(app)))
        clipboard.copied.append("something the user copied elsewhere")
        now[0] += 31
        assert app.deck.clipboard.tick() is False  # due, but the clipboard is no longer ours
        assert clipboard.copied[-1] == "something the user copied elsewhere"
        assert "" not in clipboard.copied
    assert "" not in clipboard.copied  # quitting does not blank it either


async def test_quitting_clears_a_copied_token(make_app, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: clipboard.copied)
    assert clipboard.copied[-1] == ""
