"""Read-only by default for a profile that says so; `w` grants writes for N minutes; `--read-only` locks.

The grant runs on a fake clock handed to the app (``grant_clock``); the app re-checks it every second of real
time, so a test moves the fake clock and waits (bounded) for the header and the keys to follow.
"""

from __future__ import annotations

from boxdeck.service.configuration.config import Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.tui.widgets.health_bar import HealthBar
from boxdeck.tui.widgets.key_bar import KeyBar, ShownKey
from support.tui import SIZE, notifications, plain, select, table, until


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def loaded(app):
    return lambda: table(app).row_count > 0


def header(app) -> str:
    return plain(app.screen.query_one(HealthBar).content)


def footer_keys(app) -> dict[str, ShownKey]:
    return app.screen.query_one(KeyBar).shown()


def config(*, minutes: float = 10, locked: bool = False) -> AppConfig:
    return AppConfig(
        settings=Settings(None, None, read_only=True), write_grant_minutes=minutes, read_only_locked=locked
    )


async def test_read_only_profile_dims_then_w_grants_for_n_minutes_then_it_lapses(make_app, world):
    clock = FakeClock()
    app = make_app(read_only=True, config=config(minutes=10), grant_clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "navy-riga")  # stopped: start applies
        assert "[RO]" in header(app)
        assert app.deck.main.service.actions.read_only
        assert app.screen.check_action("start", ()) is None
        assert app.screen.check_action("new_box", ()) is None
        assert "w" in footer_keys(app)  # the key is offered on a read-only profile
        assert footer_keys(app)["w"].enabled

        await pilot.press("w")
        await until(pilot, lambda: "[RW 10m]" in header(app))
        assert not app.deck.main.service.actions.read_only
        assert app.screen.check_action("start", ()) is True
        assert app.screen.check_action("new_box", ()) is True
        await until(pilot, lambda: footer_keys(app)["s"].enabled)
        assert any("Write access for 10 minutes" in n for n in notifications(app))

        clock.now += 9.5 * 60
        await until(pilot, lambda: "[RW 1m]" in header(app))
        clock.now += 31
        await until(pilot, lambda: "[RO]" in header(app))
        assert app.deck.main.service.actions.read_only
        assert app.screen.check_action("start", ()) is None
        await until(pilot, lambda: not footer_keys(app)["s"].enabled)


async def test_the_grant_reaches_screens_that_are_not_showing(make_app, world):
    clock = FakeClock()
    app = make_app(read_only=True, config=config(minutes=5), grant_clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "devboxes")
        await pilot.press("w")
        await until(pilot, lambda: "[RW 5m]" in header(app))
        await pilot.press("1")
        await until(pilot, lambda: app.current_mode == "sandboxes")
        assert "[RW 5m]" in header(app)  # the sandboxes screen's own header was updated too
        assert app.screen.check_action("new_box", ()) is True


async def test_read_only_flag_locks_and_w_says_why(make_app, world):
    clock = FakeClock()
    app = make_app(read_only=True, config=config(locked=True), grant_clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("w")
        await until(pilot, lambda: any("--read-only" in n for n in notifications(app)))
        await pilot.pause(0.1)
        assert "[RO]" in header(app)
        assert app.deck.main.service.actions.read_only
        assert app.screen.check_action("new_box", ()) is None


async def test_without_a_config_read_only_stays_locked(make_app, world):
    """The plain constructor (and the old `--read-only` behaviour): read-only cannot be lifted."""
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("w")
        await until(pilot, lambda: any("--read-only" in n for n in notifications(app)))
        assert app.deck.main.service.actions.read_only and "[RO]" in header(app)


async def test_a_read_write_profile_shows_no_badge_and_no_w(make_app, world):
    app = make_app(config=AppConfig(settings=Settings(None, None)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert "[RO]" not in header(app) and "[RW" not in header(app)
        assert "w" not in footer_keys(app)
        assert app.check_action("grant_write", ()) is False
        assert not app.deck.main.service.actions.read_only


async def test_w_is_not_destructive_and_is_in_the_command_list():
    from boxdeck.tui.commands import BY_NAME
    from boxdeck.tui.keymap import destructive_ids

    command = BY_NAME["write"]
    assert command.key == "w" and not command.mutating
    assert command.id not in destructive_ids()
