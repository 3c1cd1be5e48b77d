"""Screen 0, All boxes: both backends (and several profiles) in one table, attention first, actions that
reach the right backend and profile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.widgets import Static

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.screens.all_boxes import STEADY, AllBoxesScreen
from support.tui import SIZE, plain, static_text, table, until
from support.tui_fixtures import sim_now


def all_loaded(app: Any, *, rows: int | None = None) -> Any:
    def check() -> bool:
        screen = app.screen
        if not isinstance(screen, AllBoxesScreen) or not screen.query("BoxTable"):
            return False
        t = table(app)
        providers = {t.get_cell(k, "provider").plain.split(" ")[0] for k in t.ordered_keys()}
        if rows is not None:
            return t.row_count == rows
        return {"Amika", "Devbox"} <= providers

    return check


def expected_rows(app: Any) -> int:
    monitor = app.deck.main.service.monitor
    return sum(len(monitor.snapshot(b).boxes) for b in monitor.backends)


def row_of(app: Any, name: str, provider: str | None = None) -> str:
    t = table(app)
    for key in t.ordered_keys():
        if t.get_cell(key, "name").plain == name and (
            provider is None or t.get_cell(key, "provider").plain == provider
        ):
            return key
    raise AssertionError(f"no row {name!r} ({provider})")


def names(app: Any) -> list[str]:
    t = table(app)
    return [t.get_cell(k, "name").plain for k in t.ordered_keys()]


async def select_row(pilot: Any, app: Any, key: str) -> None:
    table(app).select_key(key)
    await pilot.pause()
    await pilot.pause()


@pytest.fixture
async def second_service(world: SimServer) -> AsyncIterator[Service]:
    """Another profile's Service: the same simulator and tokens (so every box shows up twice)."""
    settings = Settings(
        amika=AmikaSettings(world.base_url, world.amika_token),
        devbox=DevboxSettings(world.base_url, world.sprites_token, world.user_token),
        steady_interval=0.5,
        busy_interval=0.25,
    )
    service = Service.from_settings(settings, now=sim_now(world), rng=lambda: 0.0, max_backoff=0.2)
    yield service
    await service.aclose()


async def test_zero_shows_both_backends_in_one_table(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await until(pilot, all_loaded(app))
        await until(pilot, lambda: table(app).row_count == expected_rows(app))
        t = table(app)
        assert t.get_cell(row_of(app, "navy-riga"), "provider").plain == "Amika"
        assert t.get_cell(row_of(app, "old-experiment"), "provider").plain == "Devbox"
        # The detail column: repo@branch for a sandbox, the access URL for a devbox.
        assert "@" in t.get_cell(row_of(app, "acme/platform"), "detail").plain
        assert t.get_cell(row_of(app, "scratch"), "detail").plain.startswith("https://")
        # A provisioning devbox shows its step.
        payments = row_of(app, "feature-payments")
        await until(pilot, lambda: "/4" in table(app).get_cell(payments, "progress").plain)
        # Main-profile rows keep the box keys of screens 1 and 2.
        box = app.screen.boxes[row_of(app, "navy-riga")]
        assert row_of(app, "navy-riga") == box.key


async def test_attention_first_then_by_name(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await until(pilot, all_loaded(app))
        await until(pilot, lambda: table(app).row_count == expected_rows(app))
        t = table(app)
        assert t.sort_column == "attention"
        ranks = [t.get_cell(k, "attention").sort_key[0] for k in t.ordered_keys()]
        assert ranks == sorted(ranks)
        order = names(app)
        steady = [n for n, r in zip(order, ranks, strict=True) if r == STEADY]
        assert steady == sorted(steady, key=str.casefold)
        # The failed sandbox and devbox, and the provisioning boxes, sort above every steady box.
        first_steady = order.index(steady[0])
        for name in ("rose-london", "data-pipeline", "feature-payments", "rose-valencia"):
            assert order.index(name) < first_steady, name
        assert t.get_cell(row_of(app, "rose-london"), "attention").plain == "!"
        assert "! ▲" in t.render_line(0).text  # the sort column's header shows its arrow


async def test_filter_and_sort_are_the_shared_ones(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await until(pilot, all_loaded(app))
        total = table(app).row_count
        await pilot.press("slash", *"ready")
        await until(pilot, lambda: 0 < table(app).row_count < total)
        assert set(names(app)) == {"scratch", "infra-sandbox", "api-dev", "web-preview"}
        await pilot.press("escape")  # leaves the filter input
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: table(app).row_count == total)
        await pilot.press("slash", *"platform")
        await until(pilot, lambda: "acme/platform" in names(app) and table(app).row_count < total)
        screen = app.screen
        assert all("platform" in screen.search_text(screen.entries[k]) for k in table(app).ordered_keys())
        await pilot.press("enter", "escape")
        await until(pilot, lambda: table(app).row_count == total)
        await pilot.press("o")  # the next column: provider
        assert table(app).sort_column == "provider"
        providers = [table(app).get_cell(k, "provider").plain for k in table(app).ordered_keys()]
        assert providers == sorted(providers)
        await pilot.press("O")
        providers = [table(app).get_cell(k, "provider").plain for k in table(app).ordered_keys()]
        assert providers == sorted(providers, reverse=True)


async def test_actions_reach_the_backend_of_the_selected_box(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await until(pilot, all_loaded(app))
        await until(pilot, lambda: table(app).row_count == expected_rows(app))
        # Start an Amika sandbox.
        key = row_of(app, "navy-riga")
        await select_row(pilot, app, key)
        assert app.screen.check_action("start", ()) is True
        assert app.screen.check_action("new_box", ()) is None  # create from screen 1 or 2
        await pilot.press("s")
        await until(pilot, lambda: world.world.amika.sandboxes["navy-riga"].state != "stopped")
        # Delete a Latitude devbox: start/stop do not apply to it.
        key = row_of(app, "old-experiment")
        await select_row(pilot, app, key)
        assert app.screen.check_action("start", ()) is None
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        assert "old-experiment" in plain(app.screen.query_one("#title", Static).content)
        # The confirmation first checks what would be lost; with work in progress the name must be typed.
        await until(pilot, lambda: getattr(app.screen, "losses", True) is not None, timeout=10)
        if getattr(app.screen, "typing_required", False):
            await pilot.press(*"old-experiment", "enter")
        else:
            await pilot.press("y")
        devboxes = world.world.devbox.devboxes

        def gone() -> bool:
            box = next((d for d in devboxes.values() if d.name == "old-experiment"), None)
            return box is None or box.state in ("destroyed", "deleting")

        await until(pilot, gone)


async def test_two_profiles_at_once(make_app, second_service, world):
    app = make_app(profile="main", extra={"work": second_service})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        single = None

        def doubled() -> bool:
            nonlocal single
            if not isinstance(app.screen, AllBoxesScreen) or not app.screen.query("BoxTable"):
                return False
            single = expected_rows(app)
            return table(app).row_count == 2 * single

        await until(pilot, doubled)
        t = table(app)
        providers = {t.get_cell(k, "provider").plain for k in t.ordered_keys()}
        assert providers == {"Amika · main", "Amika · work", "Devbox · main", "Devbox · work"}
        main_key = row_of(app, "navy-riga", "Amika · main")
        work_key = row_of(app, "navy-riga", "Amika · work")
        assert main_key != work_key and work_key.startswith("work/") and main_key in work_key
        assert len(set(t.ordered_keys())) == t.row_count
        # Screens 1 and 2 stay the main profile's.
        await pilot.press("1")
        await until(pilot, lambda: not isinstance(app.screen, AllBoxesScreen) and table(app).row_count > 0)
        monitor = app.deck.main.service.monitor
        assert table(app).row_count == len(monitor.snapshot(monitor.backends[0]).boxes)
        # An action on the work row goes through the work profile's service.
        await pilot.press("0")
        await select_row(pilot, app, work_key)
        box = app.screen.boxes[work_key]
        assert app.screen.profile(app.screen.entries[work_key]).actions is second_service.actions
        await pilot.press("s")
        await until(pilot, lambda: world.world.amika.sandboxes["navy-riga"].state != "stopped")
        assert second_service.monitor.last_action(box.key) is not None
        assert app.deck.main.service.monitor.last_action(box.key) is None
        # Freshness names each profile's backends when one fails; here all are fine.
        assert "updated" in static_text(app, "#freshness")


async def test_nothing_configured(make_app):
    app = make_app(amika=False, devbox=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await pilot.pause()
        assert isinstance(app.screen, AllBoxesScreen)
        text = plain(app.screen.query_one(".not-configured", Static).content)
        assert "No backend is configured" in text


def test_all_boxes_screen_snapshot(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await pilot.press("0")
        await until(pilot, all_loaded(app))
        await until(pilot, lambda: table(app).row_count == expected_rows(app))
        await until(
            pilot, lambda: "/4" in table(app).get_cell(row_of(app, "feature-payments"), "progress").plain
        )
        await until(pilot, lambda: "updated" in static_text(app, "#freshness"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
