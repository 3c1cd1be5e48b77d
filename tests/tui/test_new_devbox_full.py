"""The full new-devbox form (`n` on screen 2): repositories from the GitHub list with ref and target path,
credential injection with masked tokens, env vars, setup commands and timeout; validation that focuses the
field and sends nothing; a server refusal that keeps the form filled."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, SelectionList, Static, Switch, TextArea

from boxdeck.api.errors import DevboxApiError
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.screens.devboxes import DevboxesScreen
from support.tui import SIZE, plain, table, until

PLATFORM, WEB = 700201, 700202  # acme-labs/platform (default branch main), acme-labs/web (develop)


def loaded(app: Any):
    return lambda: isinstance(app.screen, DevboxesScreen) and table(app).row_count > 0


async def open_form(pilot: Any, app: Any, *, wait_for_repos: bool = True) -> NewDevboxFullModal:
    await until(pilot, lambda: table(app).row_count > 0)
    await pilot.press("2")
    await until(pilot, loaded(app))
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewDevboxFullModal))
    form = app.screen
    if wait_for_repos:
        await until(pilot, lambda: form.query_one("#repos", SelectionList).option_count > 0)
    await pilot.pause()
    return form


def form_error(form: NewDevboxFullModal) -> str:
    widget = form.query_one("#form-error", Static)
    return plain(widget.content) if widget.display else ""


async def highlight(pilot: Any, form: NewDevboxFullModal, repo_id: int) -> None:
    picker = form.query_one("#repos", SelectionList)
    picker.highlighted = next(
        i for i in range(picker.option_count) if picker.get_option_at_index(i).value == repo_id)
    await pilot.pause()


def devboxes_named(world: Any, name: str) -> list[Any]:
    return [d for d in world.world.devbox.devboxes.values() if d.name == name]


async def test_full_form_creates_with_repos_env_setup_and_credentials(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name", Input).value = "full-box"
        picker = form.query_one("#repos", SelectionList)
        assert picker.option_count == 7
        picker.select(PLATFORM)
        picker.select(WEB)
        await highlight(pilot, form, PLATFORM)
        assert form.query_one("#repo-ref", Input).placeholder == "default: main"
        form.query_one("#repo-ref", Input).value = "release-1.2"
        form.query_one("#repo-target", Input).value = "/srv/platform"
        await pilot.pause()
        await highlight(pilot, form, WEB)
        assert form.query_one("#repo-ref", Input).value == ""  # its own row: defaults
        assert form.query_one("#repo-ref", Input).placeholder == "default: develop"
        form.query_one("#inject-claude", Switch).value = True
        token = form.query_one("#claude-token", Input)
        assert token.password  # masked
        token.value = "sk-claude-secret-123"
        form.query_one("#env", TextArea).text = "FOO=bar\n# comment\nURL=http://x/?a=b"
        form.query_one("#setup", TextArea).text = "npm ci\nmake build"
        form.query_one("#setup-timeout", Input).value = "600"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewDevboxFullModal))
        await until(pilot, lambda: bool(devboxes_named(world, "full-box")))
        box = devboxes_named(world, "full-box")[0]
        repos = {r.full_name: r for r in box.repositories}
        assert set(repos) == {"acme-labs/platform", "acme-labs/web"}
        assert (repos["acme-labs/platform"].ref, repos["acme-labs/platform"].target_path) == (
            "release-1.2", "/srv/platform")
        web = repos["acme-labs/web"]
        assert (web.ref, web.target_path) == ("develop", "/workspace/web")
        assert sorted(box.env_keys) == ["FOO", "URL"]
        assert box.setup_commands == ["npm ci", "make build"] and box.setup_timeout == 600
        assert box.inject == {"claude": True, "codex": False} and box.tokens_given.get("claude") is True
        assert box.tokens_given.get("codex") is not True


async def test_token_toggle_without_token_focuses_it_and_sends_nothing(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        before = len(world.world.devbox.devboxes)
        form.query_one("#name", Input).value = "no-token"
        form.query_one("#inject-codex", Switch).value = True
        form.query_one("#env", TextArea).text = "GOOD=1"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Codex token" in form_error(form)
        assert app.focused is form.query_one("#codex-token", Input)
        assert app.screen is form and len(world.world.devbox.devboxes) == before
        # A bad env line is the next thing it points at, and every field is kept.
        form.query_one("#codex-token", Input).value = "cx-token"
        form.query_one("#env", TextArea).text = "GOOD=1\n1BAD=x"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Env line 2" in form_error(form)
        assert app.focused is form.query_one("#env", TextArea)
        assert form.query_one("#name", Input).value == "no-token"
        assert len(world.world.devbox.devboxes) == before


async def test_server_refusal_keeps_the_form_filled(make_app, world, monkeypatch: pytest.MonkeyPatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        sent: list[dict[str, Any]] = []

        async def refuse(name: str, **fields: Any) -> Any:
            sent.append({"name": name, **fields})
            raise DevboxApiError(422, "setup_timeout_seconds: must be at most 600 for plan small")

        monkeypatch.setattr(app.deck.main.service.monitor.devbox.devboxes, "create", refuse)
        form.query_one("#name", Input).value = "refused"
        form.query_one("#inject-claude", Switch).value = True
        form.query_one("#claude-token", Input).value = "sk-claude-secret-123"
        form.query_one("#setup", TextArea).text = "make"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "422" in form_error(form) or "must be at most" in form_error(form))
        assert app.screen is form
        assert "sk-claude-secret-123" not in form_error(form)
        assert form.query_one("#name", Input).value == "refused"
        assert form.query_one("#claude-token", Input).value == "sk-claude-secret-123"
        assert form.query_one("#setup", TextArea).text == "make"
        assert sent and sent[0]["claude_token"] == "sk-claude-secret-123"
        assert not form.busy  # ready to try again


async def test_without_a_user_token_the_picker_says_so_and_the_rest_works(sim_server, make_app, world):
    app = make_app(user_token=False)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app, wait_for_repos=False)
        await pilot.pause()
        note = plain(form.query_one("#repos-note", Static).content)
        assert "user token" in note
        assert not form.query_one("#repos", SelectionList).display
        form.query_one("#name", Input).value = "tokenless"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(devboxes_named(world, "tokenless")))


def test_full_create_form_snapshot(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot: Any) -> None:
        form = await open_form(pilot, app)
        form.query_one("#name", Input).value = "payments-api"
        form.query_one("#repos", SelectionList).select(PLATFORM)
        form.query_one("#inject-claude", Switch).value = True
        form.query_one("#claude-token", Input).value = "sk-claude-secret-123"
        form.query_one("#env", TextArea).text = "LOG_LEVEL=debug"
        form.query_one("#setup", TextArea).text = "npm ci"
        form.query_one("#repos", SelectionList).focus()  # no blinking cursor in the picture
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
