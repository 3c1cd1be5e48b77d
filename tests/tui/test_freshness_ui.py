"""How fresh the data is, per screen (the `#freshness` line above the table) and per backend (the header); red
when failing. And switching profile from the command palette."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.configuration.paths import config_file
from boxdeck.tui.format import Palette
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.health_bar import HealthBar
from support.tui import NO_SERVER, SIZE, notifications, plain, static_text, table, until
from support.tui_fixtures import sim_now


def bar(app: Any) -> str:
    return plain(app.screen.query_one(HealthBar).content)


def fresh_line(app: Any) -> str:
    """The screen's freshness words, shown beside the table rather than in its border."""
    return static_text(app, "#freshness")


def subtitle(app: Any) -> str:
    return plain(table(app).border_subtitle)


def loaded(app: Any) -> Any:
    return lambda: bool(app.screen.query("BoxTable")) and table(app).row_count > 0


def shifted(app: Any, world: Any) -> list[float]:
    """Make the app's clock run `offset[0]` seconds ahead of the simulator's (whose polls stamp health)."""
    offset = [0.0]
    base = sim_now(world)
    app.deck.now = lambda: base() + timedelta(seconds=offset[0])
    return offset


async def test_updated_seconds_ago_is_kept_current(make_app, world):
    app = make_app()
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await until(pilot, lambda: "updated just now" in fresh_line(app))
        assert "● ok · just now" in bar(app)
        offset[0] = 3
        await until(pilot, lambda: "updated 3 s ago" in fresh_line(app))  # the 1 s tick, no poll needed
        assert "● ok · 3 s ago" in bar(app)  # the header changes in the same frame
        offset[0] = 75
        await until(pilot, lambda: "updated 1 m ago" in fresh_line(app))
        assert "updated" not in subtitle(app)  # the freshness words are not in the table's border


async def test_a_screen_whose_backend_is_not_configured_keeps_the_header_current(make_app, world):
    app = make_app(amika=False)
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        await until(pilot, lambda: "● ok · just now" in bar(app))  # the Devboxes tab
        offset[0] = 3
        await until(pilot, lambda: "● ok · 3 s ago" in bar(app))


async def test_a_failing_backend_is_red_with_its_last_success(make_app, world):
    app = make_app()
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await until(pilot, lambda: "updated" in fresh_line(app))
        world.set_faults(1.0, ["500", "502", "drop"])  # no Retry-After: that one is counted down instead
        try:
            offset[0] = 4
            await until(pilot, lambda: "failed 4 s ago — last ok 4 s ago" in fresh_line(app))
            assert "failed 4 s ago" in bar(app)
            label = app.screen.freshness_label()
            error = Palette.from_variables(app.theme_variables).error
            assert any(error in str(span.style) for span in label.spans)
            shown = app.screen.query_one("#freshness", Static).content  # what the line shows, in red
            assert any(error in str(span.style) for span in shown.spans)
            await pilot.press("0")  # All boxes names each failing backend
            await until(
                pilot, lambda: "Amika failed" in fresh_line(app) and "Devbox failed" in fresh_line(app)
            )
        finally:
            world.set_faults(0.0)
        await until(pilot, lambda: "updated 4 s ago" in fresh_line(app) and "failed" not in fresh_line(app))


async def test_one_dead_backend_the_other_stays_fresh(make_app):
    app = make_app(amika_url=NO_SERVER)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "failed" in bar(app))
        await until(pilot, lambda: "failed just now — no data yet" in fresh_line(app))
        await pilot.press("2")
        await until(pilot, loaded(app))
        await until(pilot, lambda: "updated just now" in fresh_line(app))
        await pilot.press("0")
        await until(pilot, loaded(app))
        await until(
            pilot, lambda: "Amika failed just now — no data yet · others updated just now" in fresh_line(app)
        )


# ----------------------------------------------------------------- profile switching


def write_config(world: Any) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = "\n".join(
        f"""
[profiles.{name}]
amika_url = "{world.base_url}"
amika_token = {{ value = "{world.amika_token}" }}
devbox_url = "{world.base_url}"
sprites_token = {{ value = "{world.sprites_token}" }}
"""
        for name in ("main", "work")
    )
    path.write_text(tables)
    os.chmod(path, 0o600)


async def test_switch_profile_from_the_palette(make_app, world):
    write_config(world)
    built: list[Service] = []

    async def switcher(name: str) -> Service:
        settings = Settings(
            amika=AmikaSettings(world.base_url, world.amika_token),
            devbox=DevboxSettings(world.base_url, world.sprites_token, world.user_token),
            steady_interval=0.5,
            busy_interval=0.25,
        )
        service = Service.from_settings(settings, now=sim_now(world), rng=lambda: 0.0)
        built.append(service)
        return service

    app = make_app(profile="main")
    app.deck.switcher = switcher
    old = app.deck.main.service
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, loaded(app))
            assert app.deck.profile_names() == ["main", "work"]
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"switch to profile")

            def hits() -> list[str]:
                options = app.screen.query_one(CommandList)
                return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

            await until(pilot, lambda: any("Switch to profile work" in h for h in hits()))
            assert not any("Switch to profile main" in h for h in hits())  # the current one is not offered
            await pilot.press("enter")
            await until(
                pilot, lambda: app.deck.main.label == "work" and built and app.deck.main.service is built[0]
            )
            await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and loaded(app)())
            assert app.screen.deck.main.service is built[0] and app.deck.main.monitor is built[0].monitor
            assert old.monitor is not app.deck.main.monitor
            assert any("Profile work" in n for n in notifications(app))
            # The new service is polled: its boxes arrive and keep updating.
            monitor = app.deck.main.monitor
            await until(pilot, lambda: monitor.snapshot(monitor.backends[0]) is not None)
    finally:
        for service in built:
            await service.aclose()


async def test_switching_without_a_switcher_or_config(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.deck.profile_names() == []  # no config file: no palette entries, no error
        app.switch_profile("work")
        await pilot.pause()
        assert any("config file" in n for n in notifications(app))


async def test_at_the_default_cadence_the_words_stay_put_until_a_poll_is_late(make_app, world):
    app = make_app(steady=5.0, busy=5.0)
    offset = shifted(app, world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await until(pilot, lambda: "updated just now" in fresh_line(app))
        offset[0] = 6  # the next poll is due: still on schedule
        app.screen._tick_freshness()  # what the screen's 1 s timer runs
        await pilot.pause()
        assert "updated just now" in fresh_line(app) and "● ok · just now" in bar(app)
        offset[0] = 9  # late
        await until(pilot, lambda: "updated 9 s ago" in fresh_line(app))
        assert "● ok · 9 s ago" in bar(app)
