"""The last screen, each box screen's filter and sort: remembered per profile, restored on the next run."""

from __future__ import annotations

import json

from textual.widgets import Input

from boxdeck.service.configuration.config import Settings
from boxdeck.service.configuration.prefs import Prefs
from boxdeck.service.configuration.profiles import AppConfig
from support.tui import SIZE, row_names, table, until


def profile(name: str | None) -> AppConfig:
    return AppConfig(settings=Settings(None, None), profile=name)


def loaded(app):
    return lambda: app.screen.is_mounted and table(app).row_count > 0


async def test_filter_sort_and_screen_come_back_on_the_next_run(make_app, world, tmp_path):
    path = tmp_path / "prefs.json"
    app = make_app(config=profile("work"), prefs=Prefs(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("slash", *"navy", "enter")
        await until(pilot, lambda: row_names(app) == ["navy-riga"])
        await pilot.press("o", "O")  # sort by the next column (state), reversed
        column, reverse = table(app).sort_column, table(app).sort_reverse
        assert column != "name" and reverse
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "devboxes")
    saved = json.loads(path.read_text())["profiles"]["work"]
    assert saved["last_screen"] == "devboxes"
    assert saved["screens"]["sandboxes"] == {"filter": "navy", "sort_column": column, "sort_reverse": True}

    app = make_app(config=profile("work"), prefs=Prefs(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.current_mode == "devboxes")
        await pilot.press("1")
        await until(pilot, loaded(app))
        screen = app.screen
        assert screen.filter_text == "navy"
        assert screen.query_one("#filter", Input).value == "navy"
        assert row_names(app) == ["navy-riga"]
        assert (table(app).sort_column, table(app).sort_reverse) == (column, True)


async def test_preferences_are_per_profile(make_app, world, tmp_path):
    path = tmp_path / "prefs.json"
    prefs = Prefs(path)
    prefs.set_filter("work", "sandboxes", "navy")
    prefs.set_last_screen("work", "devboxes")
    prefs.save()
    app = make_app(config=profile("personal"), prefs=Prefs(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.current_mode == "sandboxes"
        assert app.screen.filter_text == ""
        assert len(row_names(app)) > 1


async def test_a_stale_screen_or_column_is_ignored(make_app, world, tmp_path):
    path = tmp_path / "prefs.json"
    prefs = Prefs(path)
    prefs.set_last_screen(None, "no-such-screen")
    prefs.set_sort(None, "sandboxes", "no-such-column", True)
    prefs.save()
    app = make_app(prefs=Prefs(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.current_mode == "sandboxes"
        assert table(app).sort_column == "name"


async def test_the_theme_picked_is_remembered_for_the_next_run(make_app, world, tmp_path):
    path = tmp_path / "prefs.json"
    app = make_app(config=profile("work"), prefs=Prefs(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.theme != "nord"
        app.theme = "nord"  # what picking "Change theme" in the command palette does
        await pilot.pause()
    assert json.loads(path.read_text())["ui"]["theme"] == "nord"

    app = make_app(config=profile("personal"), prefs=Prefs(path))  # for every profile
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.theme == "nord"
