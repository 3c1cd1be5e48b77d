"""Pictures of each dashboard screen and dialog: fixed seed, fixed start time, manual clock, no spinner."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from boxdeck.tui.widgets.health_bar import HealthBar
from support.tui import SIZE, detail_text, key_of, plain, table, until


def settled(app: Any) -> Any:
    """Rows loaded, every backend answered, and the detail pane has what it fetches lazily."""

    def check() -> bool:
        screen = app.screen
        if not screen.query("BoxTable") or table(app).row_count == 0:
            return False
        if "connecting" in plain(screen.query_one(HealthBar).content):
            return False
        detail = detail_text(app)
        if "loading" in detail:
            return False
        cells = (
            [table(app).get_cell(k, "progress").plain for k in table(app).ordered_keys()]
            if screen.MODE == "devboxes"
            else []
        )
        return "-" not in cells

    return check


async def _select(pilot: Any, app: Any, name: str) -> None:
    table(app).select_key(key_of(app, name))
    await pilot.pause()


def test_sandboxes_screen(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, settled(app))
        await _select(pilot, app, "rose-london")  # a failed sandbox: its error is highlighted
        await until(pilot, settled(app))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_devboxes_screen(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await pilot.press("2")
        await until(pilot, settled(app))
        await _select(pilot, app, "feature-payments")  # provisioning, part-way through
        await until(pilot, settled(app))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def help_opened(app: Any) -> Any:
    async def run_before(pilot: Any) -> None:
        await until(pilot, settled(app))
        await pilot.press("question_mark")
        await pilot.pause()

    return run_before


def new_sandbox_submitted(app: Any, keys: tuple[str, ...], shown: str) -> Any:
    """The new-sandbox form with `keys` typed and submitted, once its error line says `shown`."""

    async def run_before(pilot: Any) -> None:
        await until(pilot, settled(app))
        await pilot.press("n")
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.press(*keys, "ctrl+s")
        await until(pilot, lambda: shown in plain(app.screen.query_one("#form-error").content))

    return run_before


def test_help_screen(make_app, snap_compare):
    app = make_app(owns_services=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=help_opened(app))


def test_delete_confirmation(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, settled(app))
        await _select(pilot, app, "navy-riga")
        await until(pilot, settled(app))
        await pilot.press("d")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_new_sandbox_form(make_app, snap_compare):
    app = make_app(owns_services=True)
    # A name that exists: the server's 409 inline.
    typed = new_sandbox_submitted(app, tuple("acme/platform"), "already exists")
    assert snap_compare(app, terminal_size=SIZE, run_before=typed)


def test_unconfigured_backend(make_app, snap_compare):
    app = make_app(devbox=False, owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: table(app).row_count > 0)
        await pilot.press("2")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# ------------------------------------------------------------------------------------- at 80x24
SMALL = (80, 24)


def test_help_screen_at_80x24(make_app, snap_compare):
    app = make_app(owns_services=True)
    assert snap_compare(app, terminal_size=SMALL, run_before=help_opened(app))


def test_new_sandbox_form_at_80x24(make_app, snap_compare):
    app = make_app(owns_services=True)
    # Not a URL: said inline, the buttons still on screen.
    typed = new_sandbox_submitted(app, (*"new-one", "tab", *"acme/platform"), "Repository URL")
    assert snap_compare(app, terminal_size=SMALL, run_before=typed)


def test_delete_confirmation_at_80x24(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, settled(app))
        await _select(pilot, app, "navy-riga")  # an active session: the name is typed
        await until(pilot, settled(app))
        await pilot.press("d")
        await until(pilot, lambda: getattr(app.screen, "losses", None) is not None)
        app.screen.query_one("#typed", Input).cursor_blink = False
        await pilot.press(*"navy", "enter")  # too early: one line says why

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
