"""The delete confirmation says what is lost and wants the typed name when work would be lost."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Button, Input

from boxdeck.service.actions.agent_prompts import Turn
from boxdeck.tui.commands import COMMANDS
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from support.tui import SIZE, deleted, key_of, plain, select, table, until


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


def prompt_in_flight(app: Any, sandbox: str, text: str = "Refactor the billing module") -> None:
    """An agent prompt still waiting for its reply (the send itself would finish at once in the sim)."""
    conversations = app.deck.main.conversations
    turn = Turn(id=9001, sandbox=sandbox, prompt=text, agent="claude", started_at=app.deck.now())
    conversations._store(turn, new=True)


def checked(app: Any) -> Any:
    return lambda: isinstance(app.screen, DeleteConfirmModal) and app.screen.losses is not None


def losses_text(app: Any) -> str:
    return plain(app.screen.query_one("#losses").content)


async def test_lists_sessions_prompts_and_repo_and_wants_the_typed_name(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        prompt_in_flight(app, "acme/platform")
        await pilot.press("d")
        assert isinstance(app.screen, DeleteConfirmModal)
        await until(pilot, checked(app))
        text = losses_text(app)
        assert "active claude session" in text
        assert "agent prompt “Refactor the billing module”" in text
        assert "repo https://github.com/acme-labs/platform.git @ main (commit " in text
        modal = app.screen
        assert modal.typing_required
        delete = modal.query_one("#confirm", Button)
        typed = modal.query_one("#typed", Input)
        assert delete.disabled and typed.display and typed.has_focus
        await pilot.press(*"acme/plat", "enter")  # not the whole name: nothing happens
        assert app.screen is modal and delete.disabled
        modal.action_confirm()  # `y` from elsewhere in the dialog is refused too
        await pilot.pause()
        assert app.screen is modal
        await pilot.press(*"form")
        assert not delete.disabled
        await pilot.press("enter")
        assert isinstance(app.screen, SandboxesScreen)
        await until(pilot, lambda: deleted(world, "acme/platform"))


async def test_nothing_in_progress_deletes_on_y_even_while_checking(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "magenta-porto")  # stopped, no session
        await pilot.press("d", "y")  # y before the check is back: decided once it is
        await until(pilot, lambda: deleted(world, "magenta-porto"))


async def test_escape_cancels_and_a_failed_check_does_not_block(make_app, world, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")

        async def broken(_sandbox: str) -> list[Any]:
            raise RuntimeError("sessions unavailable (503)")

        monkeypatch.setattr(app.deck.main.sessions, "list", broken)
        await pilot.press("d")
        await until(pilot, checked(app))
        assert "couldn't check sessions: sessions unavailable (503)" in losses_text(app)
        assert not app.screen.typing_required
        assert not app.screen.query_one("#confirm", Button).disabled
        await pilot.press("escape")
        assert isinstance(app.screen, SandboxesScreen)
        assert "acme/platform" in world.world.amika.sandboxes


async def test_a_devbox_lists_its_repositories(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, loaded(app))
        await select(pilot, app, "api-dev")
        key = key_of(app, "api-dev")
        await until(pilot, lambda: app.screen.detail_of(app.screen.entries[key]) is not None)
        await pilot.press("d")
        await until(pilot, checked(app))
        assert "repo acme-labs/platform @ main in /workspace/platform" in losses_text(app)


def test_no_destructive_action_sits_on_a_bare_ctrl_chord():
    destructive = ("delete", "revoke", "stop", "disconnect")
    for command in COMMANDS:
        if any(word in command.action for word in destructive):
            keys = command.key.split(",")
            assert not any(k.startswith("ctrl+") for k in keys), command


def test_snapshot_delete_confirmation_with_losses(make_app, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await until(pilot, loaded(app))
        await until(pilot, lambda: "connecting" not in plain(app.screen.query_one("HealthBar").content))
        table(app).select_key(key_of(app, "acme/platform"))
        await pilot.pause()
        prompt_in_flight(app, "acme/platform")
        await pilot.press("d")
        await until(pilot, checked(app))
        app.screen.query_one("#typed", Input).cursor_blink = False
        await pilot.press(*"acme")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_the_button_asks_for_the_name_and_enter_too_early_says_why(make_app, world):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")  # an active session: the name is typed
        await pilot.press("d")
        await until(pilot, checked(app))
        modal = app.screen
        delete = modal.query_one("#confirm", Button)
        typed = modal.query_one("#typed", Input)
        why = modal.query_one("#typed-why")
        assert typed.placeholder == ""  # the name in grey would look typed already
        assert str(delete.label) == "Type the name to delete" and delete.disabled
        await pilot.pause()
        assert delete.content_size.width >= len("Type the name to delete")  # drawn whole, not cut
        assert not why.display
        await pilot.press(*"acme/plat", "enter")
        assert app.screen is modal
        assert why.display
        assert plain(why.content).strip() == "Not deleted: type “acme/platform” exactly first (Esc cancels)."
        assert why.region.height == 1 and app.screen.region.contains_region(why.region)  # one line, on screen
        await pilot.press(*"form")
        assert not why.display
        assert str(delete.label) == "Delete (enter)" and not delete.disabled
        await pilot.press("enter")
        await until(pilot, lambda: deleted(world, "acme/platform"))


@pytest.mark.parametrize("name", ["acme\u200b/platform", "\u202eacme/platform", "a" * 41, "аcme/platform"])
async def test_a_name_that_cannot_be_read_or_typed_is_confirmed_by_a_phrase(make_app, world, name):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, loaded(app))
        box = app.screen.boxes[key_of(app, "acme/platform")]
        modal = DeleteConfirmModal([replace(box, name=name)], app.deck, app.deck.main, noun="sandbox")
        answers: list[bool | None] = []
        app.push_screen(modal, answers.append)
        await until(pilot, checked(app))
        assert modal.typing_required and modal.phrase == "delete sandbox"
        hint = plain(modal.query_one("#typed-hint").content)
        assert "Type “delete sandbox” to enable Delete" in hint
        assert str(modal.query_one("#confirm", Button).label) == "Type the phrase to delete"
        await pilot.press(*"delete sandbox", "enter")
        assert answers == [True]

