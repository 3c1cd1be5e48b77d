"""`[settings.keymap]`: binding ids remapped with App.set_keymap; bad entries dropped with one warning."""

from __future__ import annotations

import re
import subprocess
import sys

from textual.screen import ModalScreen

from boxdeck.service.configuration.config import Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.tui.commands import BY_NAME, COMMANDS, key_for
from boxdeck.tui.keymap import destructive_ids, known_ids, resolve_keymap
from boxdeck.tui.screens.help import help_text
from boxdeck.tui.widgets.key_bar import KeyBar
from support.tui import SIZE, notifications, plain, select, table, until


def loaded(app):
    return lambda: table(app).row_count > 0


def with_keymap(keymap: dict[str, str]) -> AppConfig:
    return AppConfig(settings=Settings(None, None), keymap=keymap)


def test_ids_with_or_without_the_prefix():
    keymap, warnings = resolve_keymap({"refresh": "f5,f", "boxdeck.sort": "T"})
    assert keymap == {"boxdeck.refresh": "f5,f", "boxdeck.sort": "T"}
    assert warnings == []


def test_bad_entries_are_dropped_with_a_warning_each():
    keymap, warnings = resolve_keymap(
        {
            "delete": "ctrl+d",  # destructive on a bare ctrl chord
            "boxdeck.stop": "ctrl+x",
            "no.such.thing": "z",  # unknown id
            "start": "d",  # delete's key on the same screen
            "refresh": "f",  # fine
            "help": "",  # empty
        }
    )
    assert keymap == {"boxdeck.refresh": "f"}
    text = "\n".join(warnings)
    assert "bare ctrl chord" in text and "boxdeck.delete" in text and "boxdeck.stop" in text
    assert "unknown binding id" in text
    assert "already the key of boxdeck.delete" in text
    assert "boxdeck.help" in text


def test_destructive_keys_may_use_shift_or_plain_keys():
    keymap, warnings = resolve_keymap({"delete": "ctrl+shift+d", "stop": "X"})
    assert warnings == [] and keymap == {"boxdeck.delete": "ctrl+shift+d", "boxdeck.stop": "X"}


def test_every_command_has_a_known_id_and_destructive_ones_are_mutating():
    ids = known_ids()
    assert all(c.id in ids for c in COMMANDS)
    assert "boxdeck.confirm.yes" in ids  # a modal's own binding
    for binding_id in destructive_ids():
        command = next((c for c in COMMANDS if c.id == binding_id), None)
        assert command is None or command.mutating
    assert {"boxdeck.delete", "boxdeck.stop", "boxdeck.secrets.delete"} <= destructive_ids()
    assert "boxdeck.new" not in destructive_ids() and "boxdeck.write" not in destructive_ids()


async def test_a_remapped_key_runs_the_action_and_shows_in_footer_help_and_palette(make_app, world):
    app = make_app(config=with_keymap({"refresh": "f", "delete": "ctrl+d", "boxdeck.stop": "X"}))
    refreshed: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        original = app.deck.poller.poll_now
        app.deck.poller.poll_now = lambda *a, **k: (refreshed.append(1), original(*a, **k))[1]
        await pilot.press("f")
        assert refreshed == [1]
        await pilot.press("r")  # the old key does nothing now
        assert refreshed == [1]
        screen = app.screen
        assert key_for(screen, BY_NAME["refresh"]) == "f"
        footer = screen.query_one(KeyBar).shown()
        assert "f" in footer and footer["f"].label == "Refresh" and "r" not in footer
        assert "X" in footer and footer["X"].label == "Stop"
        assert re.search(r"^ +f  Refresh now", plain(help_text(screen)), re.MULTILINE)
        # The destructive-on-ctrl entry was refused: delete keeps `d`, and one warning said why.
        assert key_for(screen, BY_NAME["delete"]) == "d"
        warnings = [n for n in notifications(app) if n.startswith("Configuration")]
        assert len(warnings) == 1 and "bare ctrl chord" in warnings[0]
        # X now stops a running sandbox.
        await select(pilot, app, "black-moscow")
        await pilot.press("X")
        sandboxes = world.world.amika.sandboxes
        await until(pilot, lambda: sandboxes["black-moscow"].state in ("stopping", "stopped"))


async def test_remapped_delete_opens_the_confirmation(make_app, world):
    app = make_app(config=with_keymap({"delete": "D"}))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "navy-riga")
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))


async def test_theme_from_the_config_and_an_unknown_one_warns(make_app, world):
    app = make_app(config=AppConfig(settings=Settings(None, None), theme="textual-light"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.theme == "textual-light"
    app = make_app(config=AppConfig(settings=Settings(None, None), theme="no-such-theme"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert app.theme == "textual-dark"
        assert any("unknown theme 'no-such-theme'" in n for n in notifications(app))


def test_the_bindings_of_dialogs_not_shown_yet_can_be_remapped() -> None:
    """Most screens and dialogs are imported when first shown; a keymap read at start-up must still know
    their binding ids (a fresh interpreter: here the tests have imported everything already)."""
    code = (
        "import boxdeck.tui.app\n"
        "from boxdeck.tui.keymap import known_ids, resolve_keymap\n"
        "remap = {'boxdeck.help.close': 'x', 'boxdeck.session_form.submit': 'ctrl+s'}\n"
        "keymap, warnings = resolve_keymap(remap)\n"
        "assert not warnings, warnings\n"
        "assert {'boxdeck.errors.close', 'boxdeck.activity.close'} <= known_ids()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
