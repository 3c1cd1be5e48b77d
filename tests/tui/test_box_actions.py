"""Keys that act on boxes, against the simulator: start, stop, delete, copy SSH, new box, read-only."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from boxdeck.tui.clipboard import SYSTEM, TERMINAL
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.form import NewBoxModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.health_bar import HealthBar
from boxdeck.tui.widgets.key_bar import KeyBar
from support.tui import (
    SIZE,
    cell,
    deleted,
    notifications,
    plain,
    row_names,
    select,
    table,
    until,
    workers_done,
)


def loaded(app):
    return lambda: table(app).row_count > 0


async def test_start_shows_pending_then_ready_and_notifies(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        assert cell(app, key, "state").endswith("stopped")
        assert app.screen.check_action("stop", ()) is None  # dimmed: it is stopped already
        await pilot.press("s")
        await until(pilot, lambda: cell(app, key, "state").endswith(("starting…", "initializing")))
        assert app.screen.check_action("start", ()) is None  # in flight
        world.advance(30)
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        await until(pilot, lambda: any("navy-riga" in n and "ready" in n for n in notifications(app)))


async def test_start_shows_starting_at_once(make_app, world):
    """The row reacts to the key, not to the server: the first BoxesChanged after `s` is the local one."""
    states: list[str] = []
    app = make_app(busy=60, steady=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "magenta-porto")
        await pilot.press("s")
        await until(pilot, lambda: cell(app, key, "state").endswith(("starting…", "initializing")))
        states.append(cell(app, key, "state"))
        world.advance(30)
        await pilot.press("r")
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        assert states[0].endswith(("starting…", "initializing"))


async def test_stop(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "black-moscow")
        assert app.screen.check_action("start", ()) is None  # dimmed: it is running
        await pilot.press("x")
        await until(pilot, lambda: cell(app, key, "state").endswith(("stopping…", "stopping")))
        world.advance(30)
        await until(pilot, lambda: cell(app, key, "state").endswith("stopped"))
        await until(pilot, lambda: any("black-moscow" in n and "stopped" in n for n in notifications(app)))


async def test_delete_asks_first_and_names_the_box(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        assert "navy-riga" in plain(app.screen.query_one("#title", Static).content)
        await pilot.press("escape")  # (n too, unless the typed-name box has the focus: then it is typed)
        assert isinstance(app.screen, SandboxesScreen)
        assert "navy-riga" in world.world.amika.sandboxes
        await pilot.press("d")
        # navy-riga has an active session: y is not enough, the typed name is required.
        await until(pilot, lambda: app.screen.query("#typed") and app.screen.query_one("#typed").has_focus)
        app.screen.action_confirm()
        await pilot.pause()
        assert "navy-riga" in world.world.amika.sandboxes
        await pilot.press(*"navy-riga", "enter")
        await until(pilot, lambda: key not in table(app).ordered_keys())
        assert deleted(world, "navy-riga")
        assert "navy-riga" not in row_names(app)


async def test_delete_a_devbox(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        key = await select(pilot, app, "old-experiment")
        assert app.screen.check_action("start", ()) is None and app.screen.check_action("stop", ()) is None
        await pilot.press("d")
        assert "old-experiment" in plain(app.screen.query_one("#title", Static).content)
        # It has an active exec session: the name is typed to delete it.
        await until(pilot, lambda: app.screen.query("#typed") and app.screen.query_one("#typed").has_focus)
        await pilot.press(*"old-experiment", "enter")
        await until(
            pilot,
            lambda: key not in table(app).ordered_keys() or cell(app, key, "state").endswith("destroyed"),
        )


async def test_copy_ssh_uses_the_clipboard_and_never_shows_the_token(make_app, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: clipboard.copied)
        command = clipboard.copied[0]
        assert command.startswith("ssh ")
        token = next(w for w in command.split() if "@" in w).split("@")[0]
        assert len(token) > 8
        await until(pilot, lambda: any(SYSTEM in n for n in notifications(app)))
        for note in notifications(app):
            assert token not in note
        assert any("ssh " in n and "…" in n for n in notifications(app))


async def test_copy_falls_back_to_osc52(make_app, clipboard):
    clipboard.fail = True
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: any(TERMINAL in n for n in notifications(app)))
        assert app.clipboard.startswith("ssh ")
        token = next(w for w in app.clipboard.split() if "@" in w).split("@")[0]
        assert all(token not in n for n in notifications(app))


async def test_copy_a_devbox_command(make_app, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        await select(pilot, app, "scratch")
        await pilot.press("c")
        await until(pilot, lambda: clipboard.copied)
        assert clipboard.copied[0].startswith("ssh ")


async def test_copy_is_off_for_a_box_that_is_not_ready(make_app, clipboard, monkeypatch):
    app = make_app()
    asked: list[object] = []

    async def ssh_command(box):
        asked.append(box)
        raise AssertionError("no SSH command may be fetched for a stopped box")

    monkeypatch.setattr(app.deck.main.service.actions, "ssh_command", ssh_command)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "navy-riga")
        assert app.screen.check_action("copy_ssh", ()) is None
        await pilot.press("c")
        await pilot.pause()
        await workers_done(app, "ssh-command")
        assert asked == [] and clipboard.copied == []


async def test_new_sandbox(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("n")
        assert isinstance(app.screen, NewSandboxModal)
        modal = app.screen
        assert modal.query_one("#size", Select).value == "m"
        assert modal.query_one("#preset", Select).value == "coder"
        modal.query_one("#name", Input).value = "fresh-box"
        modal.query_one("#repo_url", Input).value = "https://github.com/acme-labs/web"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        assert "fresh-box" in world.world.amika.sandboxes
        sandbox = world.world.amika.sandboxes["fresh-box"]
        assert (sandbox.size, sandbox.preset) == ("m", "coder")
        await until(pilot, lambda: "fresh-box" in row_names(app))
        key = table(app).cursor_key
        assert app.screen.boxes[key].name == "fresh-box"  # the new row is selected
        world.advance(30)
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        await until(pilot, lambda: any("fresh-box" in n and "ready" in n for n in notifications(app)))


async def test_new_sandbox_failure_keeps_the_form_filled(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("n")
        modal = app.screen
        await pilot.press("ctrl+s")  # empty name: refused before any request
        assert "Name" in plain(modal.query_one("#form-error", Static).content)
        assert isinstance(app.screen, NewSandboxModal)
        await pilot.press(*"acme/platform")  # already exists: the server says 409
        await pilot.press("ctrl+s")
        error = modal.query_one("#form-error", Static)
        await until(pilot, lambda: "already exists" in plain(error.content))
        assert app.screen is modal
        assert modal.query_one("#name", Input).value == "acme/platform"
        await pilot.press("escape")
        assert isinstance(app.screen, SandboxesScreen)


async def test_new_devbox(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        await pilot.press("n")
        assert isinstance(app.screen, NewBoxModal)
        modal = app.screen
        assert modal.query_one("#plan", Input).value == "small"
        modal.query_one("#name", Input).value = "my-devbox"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DevboxesScreen))
        await until(pilot, lambda: "my-devbox" in row_names(app))
        assert any(d.name == "my-devbox" for d in world.world.devbox.devboxes.values())


async def test_read_only_turns_every_mutating_action_off(make_app, world):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert "[RO]" in plain(app.screen.query_one(HealthBar).content)
        await select(pilot, app, "navy-riga")
        for action in ("start", "delete", "new_box"):
            assert app.screen.check_action(action, ()) is None, action
        await select(pilot, app, "acme/platform")
        assert app.screen.check_action("stop", ()) is None
        assert app.screen.check_action("copy_ssh", ()) is True  # reading is still allowed
        await pilot.press("d", "n", "x", "s")
        await pilot.pause(0.2)
        assert isinstance(app.screen, SandboxesScreen)
        assert "navy-riga" in world.world.amika.sandboxes
        assert world.world.amika.sandboxes["acme/platform"].state == "started"
        footer = app.screen.query_one(KeyBar).shown()
        assert not footer["d"].enabled and not footer["s"].enabled


async def test_action_error_is_notified_literally(make_app, world):
    app = make_app(busy=60, steady=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        world.world.amika.delete("navy-riga")  # gone on the server, still on screen
        await pilot.press("s")
        await until(pilot, lambda: any("navy-riga" in n and "start" in n.lower() for n in notifications(app)))
        # The pending mark is cleared, and the poll right after the action drops the row.
        await until(pilot, lambda: key not in table(app).ordered_keys())
