"""Forms check what they can know before sending: a repository URL must be a URL; placeholders read as
examples, not as values already typed; a chosen box shows a check mark, not only a colour."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, SelectionList, Static

from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal
from boxdeck.tui.widgets.check_list import CHECKED, UNCHECKED
from support.tui import plain, table, until

SMALL = (80, 24)
PLATFORM = 700201  # acme-labs/platform in the demo world's GitHub list


async def opened(pilot: Any, app: Any, modal: Any) -> Any:
    await until(pilot, lambda: table(app).row_count > 0)
    app.push_screen(modal)
    await until(pilot, lambda: app.screen is modal)
    await pilot.pause()
    return modal


def form_error(form: Any) -> str:
    widget = form.query_one("#form-error", Static)
    return plain(widget.content).strip() if widget.display else ""


@pytest.mark.parametrize("url", ["acme-labs/platform", "platform", "https://github.com", "ftp://x.org/r"])
async def test_a_repository_url_that_is_not_a_url_is_refused_and_nothing_is_sent(make_app, world, url):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, app, NewSandboxModal(app.deck.main.actions))
        before = set(world.world.amika.sandboxes)
        form.query_one("#name", Input).value = "new-one"
        form.query_one("#repo_url", Input).value = url
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form_error(form).startswith("Repository URL: ")
        assert "https://github.com/owner/repo" in form_error(form) or "not ftp://" in form_error(form)
        assert app.screen is form and form.query_one("#repo_url", Input).has_focus
        assert form.query_one("#repo_url", Input).value == url  # kept, to be fixed
        assert set(world.world.amika.sandboxes) == before


async def test_a_repository_url_is_sent(make_app, world):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, app, NewSandboxModal(app.deck.main.actions))
        form.query_one("#name", Input).value = "with-repo"
        form.query_one("#repo_url", Input).value = "git@github.com:acme-labs/platform.git"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "with-repo" in world.world.amika.sandboxes)
        assert world.world.amika.sandboxes["with-repo"].repo_url == "git@github.com:acme-labs/platform.git"


FORMS = {
    "new sandbox": lambda app: NewSandboxModal(app.deck.main.actions),
    "new devbox": lambda app: NewDevboxFullModal(app.deck.main.actions, app.deck.main.account),
    "new secret": lambda app: NewSecretModal(app.deck.main.secrets),
    "new provider credential": lambda app: NewProviderSecretModal(app.deck.main.secrets),
}


@pytest.mark.parametrize("name", list(FORMS))
async def test_placeholders_read_as_examples_not_as_values(make_app, name):
    """A one-word placeholder ("GITHUB_TOKEN", "main", "my-sandbox") in grey reads as a value already typed
    (or, for a secret, as one that exists): each says "e.g.", "optional", "default:" or what to paste."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, app, FORMS[name](app))
        if isinstance(form, NewDevboxFullModal):
            await until(pilot, lambda: form.query_one("#repos", SelectionList).option_count > 0)
            await pilot.pause()
        placeholders = [str(i.placeholder) for i in form.query(Input) if i.placeholder]
        assert placeholders
        for placeholder in placeholders:
            assert " " in placeholder.strip(), f"{placeholder!r} looks like a value"


async def test_a_chosen_repository_shows_a_check_mark(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await opened(pilot, app, NewDevboxFullModal(app.deck.main.actions, app.deck.main.account))
        picker = form.query_one("#repos", SelectionList)
        await until(pilot, lambda: picker.option_count > 0)
        index = next(i for i in range(picker.option_count) if picker.get_option_at_index(i).value == PLATFORM)
        picker.select(PLATFORM)
        await pilot.pause()

        def box(line: int) -> str:
            return picker.render_line(line).text[:3]

        assert box(index) == f"▐{CHECKED}▌"
        others = [i for i in range(picker.option_count) if i != index]
        assert all(box(i) == f"▐{UNCHECKED}▌" for i in others)
        picker.deselect(PLATFORM)
        await pilot.pause()
        assert box(index) == f"▐{UNCHECKED}▌"
