"""Screen 3, secrets, against the simulator: list, create, update, provider credentials, delete, refusals.

A value typed into a form must reach the server and nothing else: not the screen, not a notification, not a
message posted after the submit, not an attribute of the screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from boxdeck.service.actions.secret_store import GENERIC_DELETE_REASON
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.commands import available
from boxdeck.tui.context import Deck
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal, SecretInput, UpdateSecretModal
from boxdeck.tui.screens.help import HelpScreen
from boxdeck.tui.screens.secrets import SecretsScreen
from boxdeck.tui.widgets.not_configured import NotConfigured
from support.tui import SIZE, notifications, plain, static_text, tables_measured, until
from support.tui_fixtures import START, sim_now

VALUE = "s3cretVa1ueQx9z"  # typed key by key; must never show up anywhere but on the server
MUTATING = ("new_secret", "update_secret", "new_provider_secret", "delete_provider_secret")


def loaded(app: Any):
    def check() -> bool:
        screen = app.screen
        return isinstance(screen, SecretsScreen) and screen.loaded_at is not None and not screen.loading

    return check


def rows(app: Any, table_id: str, column: str = "name") -> list[str]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [table.get_cell(key, column).plain for key in table.rows]


def form_error(app: Any) -> str:
    return static_text(app, "#form-error")


async def open_secrets(pilot: Any, app: Any) -> SecretsScreen:
    await pilot.press("3")
    await until(pilot, loaded(app))
    return app.screen


async def type_value(pilot: Any, app: Any, value: str = VALUE, *, keys: bool = False) -> None:
    """Enter `value` into the masked input: key by key, or (faster) as a terminal paste."""
    field = app.screen.query_one("#value", SecretInput)
    field.focus()
    if keys:
        await pilot.press(*value)
    else:
        field.post_message(events.Paste(value))
        await pilot.pause()


async def submit_and_wait(pilot: Any, app: Any, modal_type: type) -> None:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not isinstance(app.screen, modal_type) or not app.screen.busy)
    await pilot.pause()


def assert_value_nowhere(app: Any, messages: list[Message], value: str = VALUE) -> None:
    for message in messages:
        assert value not in repr(message), message
    for note in notifications(app):
        assert value not in note
    assert value not in app.export_screenshot()
    for screen in app.screen_stack:
        assert value not in repr(vars(screen))
    for widget in app.screen.query(Input):
        assert widget.value != value


async def test_lists_generic_and_provider_secrets_as_literal_text(make_app, world):
    world.world.amika.create_secret("[/bold]odd[red", "v", "user", "[b]not markup[/b]")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        assert sorted(rows(app, "generic")) == sorted(["GITHUB_TOKEN", "NPM_TOKEN", "[/bold]odd[red"])
        assert rows(app, "generic", "scope").count("org") == 1
        assert rows(app, "provider", "provider") == ["claude", "codex"]
        assert rows(app, "provider") == ["anthropic-api-key", "codex-login"]
        assert rows(app, "provider", "type") == ["api_key", "oauth"]
        for table_id in ("generic", "provider"):
            table = screen.query_one(f"#{table_id}", DataTable)
            for key in table.rows:
                assert all(isinstance(cell, Text) for cell in table.get_row(key))
        assert "[b]not markup[/b]" in rows(app, "generic", "description")
        assert static_text(app, "#generic-note").strip().startswith("Generic secrets cannot be deleted")


async def test_create_secret_reaches_the_server_and_the_value_goes_nowhere_else(make_app, world):
    messages: list[Message] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await open_secrets(pilot, app)
        await pilot.press("n")
        assert isinstance(app.screen, NewSecretModal)
        assert app.screen.query_one("#value", SecretInput).password  # masked
        app.screen.query_one("#name", Input).value = "DEPLOY_KEY"
        app.screen.query_one("#scope", Select).value = "org"
        await type_value(pilot, app, keys=True)
        assert VALUE not in app.export_screenshot()  # masked while typed, too
        messages.clear()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await until(pilot, lambda: "DEPLOY_KEY" in rows(app, "generic"))
        stored = [s for s in world.world.amika.secrets.values() if s.name == "DEPLOY_KEY"]
        assert len(stored) == 1 and stored[0].value == VALUE and stored[0].scope == "org"
        assert any("Secret DEPLOY_KEY created (org)" in n for n in notifications(app))
        assert_value_nowhere(app, messages)


async def test_duplicate_name_shows_the_409_and_keeps_the_form_but_not_the_value(make_app, world):
    messages: list[Message] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await open_secrets(pilot, app)
        before = {s.id: s.value for s in world.world.amika.secrets.values()}
        await pilot.press("n")
        app.screen.query_one("#name", Input).value = "GITHUB_TOKEN"
        await type_value(pilot, app)
        messages.clear()
        await submit_and_wait(pilot, app, NewSecretModal)
        assert isinstance(app.screen, NewSecretModal)  # still open
        error = form_error(app)
        assert "already exists" in error and "409" in error
        assert app.screen.query_one("#name", Input).value == "GITHUB_TOKEN"  # kept
        assert app.screen.query_one("#value", SecretInput).value == ""  # the request finished: value gone
        assert {s.id: s.value for s in world.world.amika.secrets.values()} == before
        assert_value_nowhere(app, messages)
        await pilot.press("escape")
        assert isinstance(app.screen, SecretsScreen)


async def test_create_refuses_an_empty_value_inline_without_sending(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_secrets(pilot, app)
        count = len(world.world.amika.secrets)
        await pilot.press("n")
        app.screen.query_one("#name", Input).value = "EMPTY"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "value is empty" in form_error(app)
        assert app.screen.focused is app.screen.query_one("#value")
        assert len(world.world.amika.secrets) == count


async def test_update_replaces_the_selected_secrets_value(make_app, world):
    messages: list[Message] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await open_secrets(pilot, app)
        table = screen.query_one("#generic", DataTable)
        secret = next(s for s in world.world.amika.secrets.values() if s.name == "GITHUB_TOKEN")
        table.move_cursor(row=table.get_row_index(secret.id))
        await pilot.pause()
        await pilot.press("u")
        assert isinstance(app.screen, UpdateSecretModal)
        assert "GITHUB_TOKEN" in static_text(app, "#secret-name")
        await type_value(pilot, app)
        messages.clear()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert world.world.amika.secrets[secret.id].value == VALUE
        assert any("GITHUB_TOKEN: value replaced" in n for n in notifications(app))
        assert_value_nowhere(app, messages)


async def test_update_of_a_secret_deleted_meanwhile_says_it_is_gone(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        table = screen.query_one("#generic", DataTable)
        secret = next(s for s in world.world.amika.secrets.values() if s.name == "NPM_TOKEN")
        table.move_cursor(row=table.get_row_index(secret.id))
        await pilot.pause()
        await pilot.press("u")
        del world.world.amika.secrets[secret.id]  # gone on the server while the form is open
        await type_value(pilot, app)
        await submit_and_wait(pilot, app, UpdateSecretModal)
        assert isinstance(app.screen, UpdateSecretModal)
        assert "no longer exists" in form_error(app) and "404" in form_error(app)
        assert app.screen.query_one("#value", SecretInput).value == ""


async def test_oauth_credential_must_be_json_checked_before_sending(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_secrets(pilot, app)
        count = len(world.world.amika.provider_secrets)
        await pilot.press("N")
        assert isinstance(app.screen, NewProviderSecretModal)
        app.screen.query_one("#name", Input).value = "claude-login"
        app.screen.query_one("#type", Select).value = "oauth"
        await pilot.pause()
        assert ".credentials.json" in static_text(app, "#value-hint")
        await type_value(pilot, app, "notjson")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewProviderSecretModal)
        assert "not valid JSON" in form_error(app)
        assert len(world.world.amika.provider_secrets) == count  # nothing sent
        # The form stays filled, value included (it was never sent): fix it and send.
        assert app.screen.query_one("#name", Input).value == "claude-login"
        value = app.screen.query_one("#value", SecretInput)
        assert value.value == "notjson"
        value.value = ""
        value.insert_text_at_cursor('{"claudeAiOauth": {"accessToken": "tok"}}')
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await until(pilot, lambda: "claude-login" in rows(app, "provider"))
        created = [p for p in world.world.amika.provider_secrets.values() if p.name == "claude-login"]
        assert created[0].type == "oauth" and created[0].provider == "claude"


async def test_api_key_credential_with_p_and_a_multi_line_paste(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_secrets(pilot, app)
        await pilot.press("p")
        assert isinstance(app.screen, NewProviderSecretModal)
        app.screen.query_one("#provider", Select).value = "codex"
        app.screen.query_one("#name", Input).value = "openai-key"
        await type_value(pilot, app, f"\n  {VALUE}\n")  # pasted with line breaks around it
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await until(pilot, lambda: "openai-key" in rows(app, "provider"))
        created = next(p for p in world.world.amika.provider_secrets.values() if p.name == "openai-key")
        assert (created.provider, created.type, created.value) == ("codex", "api_key", VALUE)
        assert VALUE not in app.export_screenshot()


async def test_delete_provider_credential_asks_first_naming_it(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        table = screen.query_one("#provider", DataTable)
        table.focus()
        await pilot.pause()
        secret = next(p for p in world.world.amika.provider_secrets.values() if p.name == "codex-login")
        table.move_cursor(row=table.get_row_index(f"codex:{secret.id}"))
        await pilot.pause()
        assert screen.check_action("delete_provider_secret", ()) is True
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        assert "codex credential codex-login" in static_text(app, "#title")
        await pilot.press("n")  # cancel: nothing happens
        assert secret.id in world.world.amika.provider_secrets
        await pilot.press("d")
        await pilot.press("y")
        await until(pilot, lambda: "codex-login" not in rows(app, "provider"))
        assert secret.id not in world.world.amika.provider_secrets
        assert any("Deleted codex credential codex-login" in n for n in notifications(app))


async def test_generic_secrets_cannot_be_deleted_and_the_screen_says_why(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        assert screen.focused is screen.query_one("#generic")
        assert screen.selected_secret is not None
        assert screen.check_action("delete_provider_secret", ()) is None  # dimmed
        count = len(world.world.amika.secrets)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)  # no confirmation, nothing sent
        assert len(world.world.amika.secrets) == count
        note = plain(screen.query_one("#generic-note", Static).content)
        assert " ".join(note.split()) == GENERIC_DELETE_REASON
        offered = {c.name for c, _ in available(screen)}
        assert "secrets.delete" not in offered and "secrets.update" in offered
        assert "start" not in offered  # box keys are not offered here


async def test_help_lists_this_screens_keys(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_secrets(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = static_text(app, "#keys")
        assert "New generic secret" in keys and "N/p" in keys and "Delete the selected credential" in keys


async def test_read_only_dims_every_mutating_key(make_app, world):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        for action in MUTATING:
            assert screen.check_action(action, ()) is None, action
        assert screen.check_action("reload_secrets", ()) is True
        await pilot.press("n")
        await pilot.press("N")
        assert isinstance(app.screen, SecretsScreen)


async def test_refresh_shows_changes_made_elsewhere(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_secrets(pilot, app)
        world.world.amika.create_secret("FROM_ELSEWHERE", "v", "user")
        await pilot.press("r")
        await until(pilot, lambda: "FROM_ELSEWHERE" in rows(app, "generic"))


async def test_list_failure_is_shown_not_raised(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_secrets(pilot, app)
        world.set_faults(1.0, ["500"])
        try:
            await pilot.press("r")
            await until(pilot, lambda: bool(screen.errors) and not screen.loading)
        finally:
            world.set_faults(0.0)
        status = static_text(app, "#secrets-status")
        assert "Could not list secrets" in status
        assert rows(app, "generic")  # the last good rows stay


async def test_amika_not_configured_says_how(make_app):
    app = make_app(amika=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        text = plain(screen.query_one(NotConfigured).content)
        assert "AMIKA_API_KEY" in text and "--amika-token" in text
        assert all(screen.check_action(a, ()) is None for a in MUTATING)


# ----------------------------------------------------------------- snapshots
def snapshot_app(sim: SimServer) -> BoxdeckApp:
    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
        steady_interval=60.0,
    )
    service = Service.from_settings(settings, now=sim_now(sim), rng=lambda: 0.0)
    deck = Deck(service, now=sim_now(sim), spinner_interval=None, owns_services=True)
    return BoxdeckApp(deck, initial_mode="secrets")


@pytest.fixture
def snapshot_world(sim_server: SimServer) -> SimServer:
    sim_server.reset(start_time=START)
    return sim_server


def test_snapshot_secrets_screen(snap_compare, snapshot_world):
    async def ready(pilot: Any) -> None:
        await until(pilot, loaded(pilot.app))
        await until(pilot, lambda: all(pilot.app.deck.main.monitor.health(b).status == "ok"
                                       for b in pilot.app.deck.main.monitor.backends))

    assert snap_compare(snapshot_app(snapshot_world), terminal_size=SIZE, run_before=ready)


def test_snapshot_new_provider_credential_form(snap_compare, snapshot_world):
    async def ready(pilot: Any) -> None:
        await until(pilot, loaded(pilot.app))
        await until(pilot, lambda: all(pilot.app.deck.main.monitor.health(b).status == "ok"
                                       for b in pilot.app.deck.main.monitor.backends))
        await until(pilot, tables_measured(pilot.app))  # a person cannot press N before the table is drawn
        await pilot.press("N")
        pilot.app.screen.query_one("#name", Input).value = "claude-login"
        pilot.app.screen.query_one("#type", Select).value = "oauth"
        pilot.app.screen.query_one("#value", SecretInput).value = "{not json"
        await pilot.press("ctrl+s")

    assert snap_compare(snapshot_app(snapshot_world), terminal_size=SIZE, run_before=ready)
