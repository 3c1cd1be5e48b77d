"""What a new user meets in the first hour: errors shown where they look, safe keys, a dashboard that fits."""

from __future__ import annotations

from typing import Any

from support.tui import static_text, until

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
