"""What a new user meets in the first hour: errors shown where they look, safe keys, a dashboard that fits."""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import ModalScreen

from boxdeck.tui.widgets.key_bar import KeyBar
from support.tui import SIZE, cell, notifications, select, static_text, table, until

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
