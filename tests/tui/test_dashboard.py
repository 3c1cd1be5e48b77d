"""The dashboard on the simulator: listing, screens, filter, sort, refresh, detail, help, palette, health."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.css.stylesheet import Stylesheet
from textual.widgets import Input, Static

from boxdeck.service.boxes import Backend
from boxdeck.tui.messages import PollFinished
from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.screens.activity import ActivityScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.help import HelpScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.box_table import BoxTable, Cell
from boxdeck.tui.widgets.health_bar import HealthBar
from support.tui import (
    NO_SERVER,
    SIZE,
    cell,
    detail_text,
    key_of,
    notifications,
    plain,
    row_names,
    select,
    table,
    until,
)


def loaded(app):
    return lambda: isinstance(app.screen.query_one(BoxTable), BoxTable) and table(app).row_count > 0


def bar(app) -> str:
    return plain(app.screen.query_one(HealthBar).content)


async def test_sandboxes_listed_with_literal_cells(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert isinstance(app.screen, SandboxesScreen)
        names = sorted(world.world.amika.sandboxes)
        shown = row_names(app)
        assert shown == sorted(shown, key=str.casefold)  # sorted by name
        assert "acme/platform" in shown and len(shown) == 12
        assert sorted(shown) == names
        t = table(app)
        assert [c.key for c in t.columns] == [
            "name",
            "state",
            "provider",
            "repo",
            "branch",
            "age",
            "creator",
        ]
        for key in t.ordered_keys():  # literal cells: words and a style, never markup
            assert all(isinstance(value, Cell) for value in t.rows.get(key).cells)
        key = key_of(app, "rose-valencia")
        assert cell(app, key, "state").endswith("initializing")
        assert cell(app, key, "age") == "5s"  # created 5 s before the fixed start
        assert "Sandboxes" in bar(app) and "ok" in bar(app)


async def test_number_keys_switch_screens_and_each_keeps_its_state(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        sandboxes = app.screen
        await pilot.press("slash", *"platform", "enter")
        await pilot.press("2")
        assert isinstance(app.screen, DevboxesScreen)
        await until(pilot, loaded(app))
        assert "feature-payments" in row_names(app)
        await pilot.press("1")
        assert app.screen is sandboxes
        assert sandboxes.filter_text == "platform"
        assert app.screen.query_one("#filter", Input).value == "platform"


async def test_a_state_change_reaches_the_row_in_place(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "rose-valencia")
        table(app).scroll_to(y=0, animate=False)
        rows_before = table(app).row_count
        world.advance(60)
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        assert table(app).cursor_key == key  # the cursor stayed on the same box
        assert table(app).row_count == rows_before
        assert cell(app, key, "age") == "1m"


async def test_devbox_provisioning_progresses_step_by_step(make_app, world):
    polls: list[PollFinished] = []
    app = make_app(busy=0.05, steady=0.05)

    def devbox_polls() -> int:
        return sum(1 for p in polls if p.backend is Backend.DEVBOX)

    async with app.run_test(
        size=SIZE, message_hook=lambda m: polls.append(m) if isinstance(m, PollFinished) else None
    ) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        key = await select(pilot, app, "new-devbox")
        seen = [cell(app, key, "progress")]
        for _ in range(90):
            world.advance(1)
            target = devbox_polls() + 2  # a whole poll after the change
            await until(pilot, lambda target=target: devbox_polls() >= target)
            label = cell(app, key, "progress")
            if label != seen[-1]:
                seen.append(label)
            if cell(app, key, "state").endswith("ready"):
                break
        assert seen[-1] == "4/4", seen
        # Step by step, in order (a step shorter than one advance may be skipped: its repo list is empty).
        order = ["provision", "inject_credentials", "clone_repositories", "publish_access"]
        steps = [label.split(" ", 1)[1] for label in seen[:-1]]
        assert steps == sorted(steps, key=order.index) and len(steps) >= 3, seen
        assert [label.split(" ")[0] for label in seen[:-1]] == [f"{order.index(s) + 1}/4" for s in steps]
        detail = detail_text(app)
        for step in ("provision", "inject_credentials", "clone_repositories", "publish_access"):
            assert step in detail
        assert "✓" in detail and "repositories" in detail


async def test_failed_devbox_shows_failed_step(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        key = await select(pilot, app, "data-pipeline")
        await until(pilot, lambda: cell(app, key, "progress").startswith("✗"))
        detail = detail_text(app)
        assert "failed" in detail


async def test_filter_is_live_and_escape_clears_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        total = table(app).row_count
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#filter", Input)
        await pilot.press(*"platform")
        shown = row_names(app)
        assert 0 < len(shown) < total
        entries = app.screen.entries
        for key in table(app).ordered_keys():
            assert "platform" in app.screen.search_text(entries[key]).casefold()
        await pilot.press("escape")
        assert table(app).row_count == total
        assert app.focused is table(app)
        await pilot.press("slash", *"stopped")
        assert all(cell(app, k, "state").endswith("stopped") for k in table(app).ordered_keys())


async def test_filter_survives_polls(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("slash", *"initializing", "enter")
        assert row_names(app) == ["rose-valencia"]
        world.advance(60)  # it becomes active: it no longer matches
        await until(pilot, lambda: table(app).row_count == 0)
        assert app.screen.filter_text == "initializing"
        assert "matches the filter" in plain(app.screen.query_one("#empty", Static).content)


async def test_sort_cycles_columns_and_reverses(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "navy-riga")
        await pilot.press("o")  # name -> state
        t = table(app)
        assert t.sort_column == "state"
        states = [cell(app, k, "state") for k in t.ordered_keys()]
        assert states[0].endswith("failed")  # failed first, then transitional, ready, stopped
        assert states[-1].endswith("stopped")
        assert t.cursor_key == key
        await pilot.press("O")
        assert t.sort_reverse
        assert cell(app, t.ordered_keys()[0], "state").endswith("stopped")
        assert t.cursor_key == key
        await pilot.press("o", "o", "o", "o")  # provider, repo, branch, age
        assert t.sort_column == "age"
        ages = [app.screen.boxes[k].created_at for k in t.ordered_keys()]
        assert ages == sorted(ages, reverse=True)  # newest first
        assert "age ▲" in t.render_line(0).text  # the sort column's header shows its arrow


async def test_refresh_polls_now(make_app, world):
    polls: list[PollFinished] = []

    def hook(message):
        if isinstance(message, PollFinished):
            polls.append(message)

    app = make_app(steady=60, busy=60)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await until(pilot, loaded(app))
        await until(pilot, lambda: len(polls) >= 2)  # the first poll of each backend
        key = key_of(app, "rose-valencia")
        world.advance(60)
        await pilot.pause(0.3)
        assert cell(app, key, "state").endswith("initializing")  # no poll for 60 s
        count = len(polls)
        await pilot.press("r")
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        assert len(polls) > count


async def test_sandbox_detail_reads_as_words_and_shows_every_raw_field_on_I(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await until(pilot, lambda: "loading" not in detail_text(app))
        text = detail_text(app)
        for label in ("State", "Repository", "Branch", "Provider", "Created", "Created by", "ID"):
            assert f"\n{label} " in f"\n{text}", label
        assert "has_workflow" not in text and "False" not in text and "host_port=" not in text
        assert "Latest session" in text and "Agent" in text
        await pilot.press("I")  # the raw fields, by their wire names
        raw = detail_text(app)
        for field in ("id", "name", "state", "provider", "repo_url", "branch", "created_at", "created_by"):
            assert f"\n{field} " in f"\n{raw}", field
        await pilot.press("I")
        assert detail_text(app) == text
        await pilot.press("i")  # enter connects; i shows the detail pane
        assert app.screen.has_class("-detail")
        assert app.focused is app.screen.query_one("#detail")
        await pilot.press("escape")
        assert not app.screen.has_class("-detail")
        assert app.focused is table(app)


async def test_failed_sandbox_detail_highlights_its_error(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = await select(pilot, app, "rose-london")
        box = app.screen.boxes[key]
        text = detail_text(app)
        assert box.sandbox.error_message
        assert text.lstrip().startswith("error")
        assert box.sandbox.error_message.split()[0] in text


async def test_help_lists_every_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#keys", Static).content)
        for words in (
            "Start the selected box",
            "Stop the selected box",
            "Delete the selected box",
            "Copy a ready-to-use SSH command",
            "Create a new box",
            "Refresh now",
            "Filter by name",
            "Sort by the next column",
            "Show the keys",
            "Quit boxdeck",
            "Command palette",
        ):
            assert words in text
        assert "s  Start" in text and "?  Show the keys" in text
        await pilot.press("escape")
        assert isinstance(app.screen, SandboxesScreen)


async def test_palette_lists_the_commands_of_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "navy-riga")  # stopped: start applies, stop and copy do not
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.option_count > 5)
        prompts = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        joined = "\n".join(prompts)
        for words in (
            "Start the selected box",
            "Delete the selected box",
            "Create a new box",
            "Refresh now",
            "Show the Latitude devboxes",
            "Show the keys",
        ):
            assert words in joined
        assert "Stop the selected box" not in joined
        assert "Copy a ready-to-use SSH command" not in joined
        await pilot.press(*"refresh")
        await pilot.press("enter")
        assert isinstance(app.screen, SandboxesScreen)


async def test_unconfigured_backend_says_how_to_configure_it(make_app):
    app = make_app(devbox=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert "not configured" in bar(app)
        await pilot.press("2")
        text = plain(app.screen.query_one(".not-configured", Static).content)
        for words in (
            "--devbox-url",
            "--sprites-token",
            "DEVBOX_API_URL",
            "DEVBOX_SPRITES_TOKEN",
            "DEVBOX_USER_TOKEN",
            "boxdeck --demo",
        ):
            assert words in text
        for action in ("start", "delete", "copy_ssh", "new_box", "filter"):
            assert app.screen.check_action(action, ()) is None


async def test_a_failing_backend_shows_failing_while_the_other_keeps_updating(make_app, world):
    app = make_app(amika_url=NO_SERVER)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "failing since" in bar(app))
        assert "e: errors" in bar(app)
        await pilot.press("2")
        await until(pilot, loaded(app))
        key = key_of(app, "new-devbox")
        world.advance(120)
        await until(pilot, lambda: cell(app, key, "state").endswith(("ready", "failed")))
        assert "failing since" in bar(app)  # the devbox screen's header says so too
        await pilot.press("e")
        assert isinstance(app.screen, ErrorsModal)
        text = "\n".join(plain(s.content) for s in app.screen.query(".health").results(Static))
        assert "Amika sandboxes: ✗ failing since" in text
        assert "last error" in text and "Latitude devboxes: ● ok" in text
        await pilot.press("escape")
        assert isinstance(app.screen, DevboxesScreen)


async def test_untrusted_text_renders_literally(make_app, world):
    amika = world.world.amika
    amika.create({"name": "[bold red]x"})
    amika.create({"name": "[/foo]"})
    evil = "disk \x1b]52;c;aGVsbG8=\x07full [/b] \x1b[31mred\x1b[0m [link=http://x]y[/link]"
    amika.force_state("[/foo]", "failed", error_message=evil)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        names = row_names(app)
        assert "[bold red]x" in names and "[/foo]" in names
        await select(pilot, app, "[/foo]")
        text = detail_text(app)
        assert "disk full [/b] red [link=http://x]y[/link]" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("slash", *"[/")
        assert row_names(app) == ["[/foo]"]
        assert "[/foo]" in app.export_screenshot()  # the whole screen renders


async def test_activity_log_records_transitions(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = key_of(app, "rose-valencia")
        world.advance(60)
        await until(pilot, lambda: cell(app, key, "state").endswith("started"))
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)
        t = app.screen.query_one("#activity")
        rows = [[c.plain for c in t.get_row(k)] for k in [r.key for r in t.ordered_rows]]
        assert any(r[2] == "rose-valencia" and r[3] == "initializing → started" for r in rows), rows
        await pilot.press("escape")
        assert isinstance(app.screen, SandboxesScreen)
        assert notifications(app) == []  # nobody acted on it: no toast


async def test_theme_switch_keeps_rows(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        key = key_of(app, "rose-london")
        dark = str(table(app).get_cell(key, "state").style)
        app.theme = "textual-light"
        await pilot.pause()
        light = str(table(app).get_cell(key, "state").style)
        assert dark != light and table(app).row_count == 12


async def test_showing_a_screen_reparses_no_css_and_a_theme_change_does(make_app, monkeypatch):
    """Re-parsing the stylesheet costs ~15 ms; only new variables (a theme) need it."""
    reparsed: list[int] = []
    original = Stylesheet.reparse

    def reparse(self: Stylesheet) -> None:
        reparsed.append(1)
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, DevboxesScreen) and table(app).row_count > 0)
        assert reparsed == []
        background = table(app).styles.background
        app.theme = "textual-light"
        await pilot.pause()
        assert reparsed and table(app).styles.background != background
