"""The dashboard fits any terminal, down to 80x24: every dialog's buttons are on screen and reached by Tab,
the field in focus is scrolled into view, help scrolls to its last entry, the header keeps every tab number
and the footer keeps ? Help and q Quit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button

from boxdeck.service.boxes import Backend
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.modals.new_devbox import NewDevboxModal
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal, UpdateSecretModal
from boxdeck.tui.modals.session_form import SessionFormModal
from boxdeck.tui.modals.ssh_key_picker import SshKeyPickerModal
from boxdeck.tui.screens.help import PALETTE_HELP, HelpScreen
from boxdeck.tui.widgets.health_bar import HealthBar
from boxdeck.tui.widgets.key_bar import KeyBar
from support.tui import plain, table, until
from support.ui import screen_capture

SMALL = (80, 24)
LARGE = (160, 48)


LONG_JSON = "{\n" + ",\n".join(f'  "k{i}": {i}' for i in range(30)) + "\n}"


async def _never_saved(_agent: str, _metadata: dict[str, Any]) -> None:
    raise AssertionError("nothing is saved here")


def _all_boxes(app: Any) -> list[Any]:
    return sorted((entry.box for entry in app.screen.entries.values()), key=lambda box: box.name)


#: Each dialog, built as its screen builds it, with as much in it as it ever holds (long bodies, every box).
DIALOGS: dict[str, Callable[[Any], Screen[Any]]] = {
    "confirm with a long body": lambda app: ConfirmModal(
        "Stop 20 sandboxes?", "\n".join(f"  • {box.name}" for box in _all_boxes(app)) + "\nSkipped: " +
        ", ".join(f"{box.name} (already stopped)" for box in _all_boxes(app)), confirm_label="Stop"),
    "delete one": lambda app: DeleteConfirmModal(
        [next(b for b in _all_boxes(app) if b.name == "acme/platform")], app.deck, app.deck.main,
        noun="sandbox"),
    "delete every box": lambda app: DeleteConfirmModal(_all_boxes(app), app.deck, app.deck.main, noun="box"),
    "errors": lambda app: ErrorsModal([app.deck.main.monitor.health(b) for b in Backend], app.deck.now()),
    "new sandbox": lambda app: NewSandboxModal(app.deck.main.actions),
    "new devbox": lambda app: NewDevboxModal(app.deck.main.actions),
    "new devbox, full": lambda app: NewDevboxFullModal(app.deck.main.actions, app.deck.main.account),
    "new secret": lambda app: NewSecretModal(app.deck.main.secrets),
    "update secret": lambda app: UpdateSecretModal(app.deck.main.secrets, "s1", "NPM_TOKEN", "user"),
    "new provider credential": lambda app: NewProviderSecretModal(app.deck.main.secrets),
    "ssh key": lambda app: SshKeyPickerModal(app.deck.main.account),
    "session": lambda app: SessionFormModal("New session in sandbox acme/platform", _never_saved,
                                            metadata_text=LONG_JSON, hint="A JSON object."),
}


def inside(widget: Widget, screen: Screen[Any]) -> bool:
    region = widget.region
    return bool(region.area) and screen.region.contains_region(region)


def visible_in_dialog(widget: Widget, screen: Screen[Any]) -> bool:
    """Drawn whole inside the dialog (a scrolled-away field has a region outside its scroll view)."""
    dialog = screen.query_one("#dialog")
    return dialog.region.contains_region(widget.region) and widget.region.area > 0


def on_screen(app: Any) -> str:
    """The words on screen, each dialog line without its border, lines joined with one space."""
    return " ".join(" ".join(line.strip("█▀▄ ") for line in screen_capture(app).lines).split())


async def open_dialog(pilot: Any, app: Any, make: Callable[[Any], Screen[Any]]) -> Screen[Any]:
    await until(pilot, lambda: table(app).row_count > 0)
    await until(pilot, lambda: "connecting" not in plain(app.screen.query_one(HealthBar).content))
    dialog = make(app)
    app.push_screen(dialog)
    await until(pilot, lambda: app.screen is dialog)
    await pilot.pause()
    if isinstance(dialog, DeleteConfirmModal):
        await until(pilot, lambda: dialog.losses is not None)
        if dialog.typing_required:  # every button can be reached once what is asked for is typed
            await pilot.press(*dialog.phrase)
    await pilot.pause()
    return dialog


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
@pytest.mark.parametrize("name", list(DIALOGS))
async def test_every_button_is_on_screen_and_reached_by_tab(make_app, name, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        dialog = await open_dialog(pilot, app, DIALOGS[name])
        assert dialog.query_one("#dialog").region.width <= size[0]
        assert inside(dialog.query_one("#foot"), dialog)  # the buttons, or how to close (errors)
        buttons = list(dialog.query(Button))
        assert buttons or isinstance(dialog, ErrorsModal)
        for button in buttons:
            assert inside(button, dialog), f"{button.id} at {button.region} is off the {size} screen"
        reached: set[str] = set()
        for _ in range(40):  # every focus stop, in Tab order
            await pilot.press("tab")
            focused = app.focused
            assert focused is not None
            assert visible_in_dialog(focused, dialog), f"{focused!r} has focus but is scrolled out of view"
            if isinstance(focused, Button) and focused.id:
                reached.add(focused.id)
                assert inside(focused, dialog)
        assert reached == {b.id for b in buttons}


async def test_the_new_sandbox_form_shows_preset_and_its_buttons_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, app, DIALOGS["new sandbox"])
        preset = dialog.query_one("#preset")
        while app.focused is not preset:
            await pilot.press("tab")
        assert visible_in_dialog(preset, dialog)
        assert inside(dialog.query_one("#create"), dialog)


async def test_the_delete_warning_is_whole_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, app, DIALOGS["delete one"])
        body = dialog.query_one("#body")
        assert visible_in_dialog(body, dialog)
        text = on_screen(app)
        assert "everything on it will be deleted. This cannot be undone." in text


# ---------------------------------------------------------------------------------------------- help


async def open_help(pilot: Any, app: Any) -> None:
    await until(pilot, lambda: table(app).row_count > 0)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen))
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, (120, 35)], ids=["80x24", "120x35"])
@pytest.mark.parametrize("keys", [["end"], ["G"], ["pagedown"] * 6, ["j"] * 60, ["down"] * 60])
async def test_help_scrolls_to_its_last_entry(make_app, size, keys):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_help(pilot, app)
        assert PALETTE_HELP not in on_screen(app)  # at 80x24 and 120x35 it does not all fit: it scrolls
        await pilot.press(*keys)
        await until(pilot, lambda: PALETTE_HELP in on_screen(app))
        await pilot.press("home")
        await until(pilot, lambda: "On this screen" in on_screen(app))
        assert PALETTE_HELP not in on_screen(app)


async def test_help_wraps_under_the_description_not_under_the_key(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await open_help(pilot, app)
        lines = screen_capture(app).lines
        first = next(i for i, line in enumerate(lines) if "Delete the selected box" in line)
        start = lines[first].index("Delete the selected box")
        follow = lines[first + 1]
        assert follow[:start].strip("█ ") == ""  # the wrapped rest starts in the description column
        assert follow[start:].strip(" █")


# ---------------------------------------------------------------------------------------- header, footer

TAB_KEYS = ("0", "1", "2", "3", "4")


@pytest.mark.parametrize("read_only", [False, True], ids=["", "read-only"])
@pytest.mark.parametrize("screen_key", TAB_KEYS)
async def test_the_header_keeps_every_tab_number_at_80_columns(make_app, screen_key, read_only):
    app = make_app(read_only=read_only)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: table(app).row_count > 0)
        await pilot.press(screen_key)
        await pilot.pause()
        bar = app.screen.query_one(HealthBar)

        def header() -> str:
            return plain(bar.content, width=400).rstrip("\n")

        def fits() -> bool:  # once laid out at the terminal's width, and every backend answered
            line = header()
            every_tab = all(f" {k} " in f"{line} " for k in TAB_KEYS)
            return "connecting" not in line and len(line) <= 80 and every_tab

        await until(pilot, fits)
        if read_only:
            assert "[RO]" in header()


async def test_the_header_says_everything_when_there_is_room(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: table(app).row_count > 0)
        bar = app.screen.query_one(HealthBar)
        await until(pilot, lambda: "connecting" not in plain(bar.content))
        header = plain(bar.content, width=400)
        assert "boxdeck" in header and "Sandboxes  ● ok" in header and "4 Account" in header


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("screen_key", TAB_KEYS)
async def test_the_footer_keeps_help_and_quit(make_app, screen_key, width):
    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await until(pilot, lambda: table(app).row_count > 0)
        await pilot.press(screen_key)
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        await pilot.pause()
        drawn = plain(bar.render(), width=400)
        assert "? Help" in drawn and "q Quit" in drawn, drawn
        assert len(drawn.rstrip()) <= width
