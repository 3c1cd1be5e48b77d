"""What a new user meets in the first hour: errors shown where they look, safe keys, a dashboard that fits."""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast

from boxdeck.tui.commands import COMMANDS
from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.key_bar import KeyBar
from boxdeck.tui.widgets.lists import NAVIGATION_KEYS
from support.tui import (
    SIZE,
    Runner,
    cell,
    hand_over,
    key_of,
    notifications,
    row_names,
    select,
    static_text,
    table,
    until,
    workers_done,
)

SMALL = (80, 24)


async def test_a_wrong_token_is_shown_in_the_table_with_the_setting_to_fix(make_app, world):
    app = make_app(amika_token="amk_WRONG_token_123", devbox=False)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: "HTTP 401" in static_text(app, "#empty"))
        text = static_text(app, "#empty")
        assert "Loading" not in text
        assert "AMIKA_API_KEY" in text and "--amika-token-file" in text
        assert "press r to try now" in text
        assert "amk_WRONG_token_123" not in app.export_screenshot()
        asked = world.requests("GET", "/api/v0beta1/sandboxes")
        await pilot.press("r")  # the token was fixed elsewhere, or the user just wants to see it again
        await until(pilot, lambda: world.requests("GET", "/api/v0beta1/sandboxes") > asked)


def test_snapshot_wrong_token_at_80x24(make_app, world, snap_compare):
    app = make_app(amika_token="amk_WRONG_token_123", devbox=False, owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: "HTTP 401" in static_text(app, "#empty"))

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


@pytest.mark.parametrize("size", [SMALL, SIZE])
async def test_a_key_that_does_not_apply_says_why(make_app, world, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "rose-london")  # a failed sandbox
        await pilot.press("c")
        await until(pilot, lambda: any("not ready" in n and "rose-london" in n for n in notifications(app)))
        await pilot.press("w")  # this profile is read-write
        await until(pilot, lambda: any("not read-only" in n for n in notifications(app)))
        await pilot.press("2")
        await until(pilot, loaded(app))
        await pilot.press("s")
        await until(pilot, lambda: any("Devbox API has no start" in n for n in notifications(app)))
        assert not any(t.name.startswith("start") for t in app.workers)  # nothing was sent


async def test_read_only_refuses_every_change_and_says_how_to_get_write_access(make_app, world):
    app = make_app(read_only=True)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, loaded(app))
        shown = app.screen.query_one(KeyBar).shown()
        assert not any(shown[k].enabled for k in ("s", "x", "d", "n") if k in shown)
        path = f"/api/v0beta1/sandboxes/{cell(app, table(app).cursor_key, 'name')}"
        before = world.requests("DELETE", path)
        await pilot.press("d")
        await until(pilot, lambda: any("--read-only" in n for n in notifications(app)))
        assert not isinstance(app.screen, ModalScreen)
        assert world.requests("DELETE", path) == before


def test_no_command_sits_on_a_navigation_key() -> None:
    """j/k/g/G/ctrl+d/ctrl+u only ever move: pressing them to navigate can't change anything."""
    bound = {(c.name, key) for c in COMMANDS for key in c.key.split(",") if key in NAVIGATION_KEYS}
    assert bound == set()


async def test_j_k_g_G_move_in_the_box_table_and_in_the_sessions_table(make_app, world):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, loaded(app))
        rows = table(app).ordered_keys()
        await pilot.press("G")
        assert table(app).cursor_key == rows[-1]
        await pilot.press("k")
        assert table(app).cursor_key == rows[-2]
        await pilot.press("g")
        assert table(app).cursor_key == rows[0]
        await pilot.press("j")
        assert table(app).cursor_key == rows[1]
        await pilot.press("ctrl+d")
        assert rows.index(table(app).cursor_key) > 2  # half a page down
        await select(pilot, app, "acme/platform")  # the demo gives it two sessions
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, SandboxSessionsScreen))
        sessions = app.screen.query_one("#sessions", DataTable)
        await until(pilot, lambda: sessions.row_count > 1)
        sessions.focus()
        await pilot.press("j")
        assert sessions.cursor_row == 1
        await pilot.press("k")
        assert sessions.cursor_row == 0
        assert isinstance(app.screen, SandboxSessionsScreen)  # nothing asked, nothing changed


async def test_a_box_created_and_waited_on_is_announced_once_when_ready(make_app, world, monkeypatch):
    app = make_app()
    runner = Runner()
    hand_over(app, monkeypatch, runner)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("n")
        modal = app.screen
        modal.query_one("#name", Input).value = "fresh-box"
        modal.query_one("#repo_url", Input).value = "https://github.com/acme-labs/web"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "fresh-box" in row_names(app))
        key = table(app).cursor_key
        await pilot.press("enter")  # connect when ready
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press("y")
        await until(pilot, lambda: key in app.deck.main.waits)
        world.advance(60)
        await until(pilot, lambda: runner.calls)
        await workers_done(app)
        ready = [n for n in notifications(app) if "fresh-box" in n and "ready" in n]
        assert len(ready) == 1, ready


async def test_notifications_never_cover_the_agent_prompt(make_app, world):
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("a")
        await until(pilot, lambda: bool(app.screen.query("#prompt")))
        for n in range(3):  # a burst, as when several boxes change at once
            app.notify(f"notification {n}\nover two lines", timeout=30)
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        prompt = app.screen.query_one("#prompt").region
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(prompt), (toast.region, prompt)


async def test_a_grant_minted_by_copy_shows_in_the_sessions_view(make_app, world, clipboard):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("c")
        await until(pilot, lambda: bool(clipboard.copied))
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, SandboxSessionsScreen) and app.screen.loaded)
        panel = app.screen.query_one("#grant-body", Static)
        await until(pilot, lambda: "expires in" in str(panel.content))
        assert "No SSH grant" not in str(panel.content)


async def test_the_palette_jumps_to_a_box_by_part_of_its_name(make_app, world):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("slash", *"acme", "enter")  # a filter that hides the box
        await until(pilot, lambda: "navy-riga" not in row_names(app))
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "devboxes")
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"navy-ri")
        options = app.screen.query_one(CommandList)

        def hits() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await until(pilot, lambda: any("Go to sandbox navy-riga" in h for h in hits()))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        await until(pilot, lambda: table(app).cursor_key == key_of(app, "navy-riga"))
        assert app.screen.filter_text == ""
