"""Open in editor from the dashboard (a stand-in `code`/`zed` on PATH records its arguments), open when ready,
the entries of ~/.ssh/boxdeck.conf renewed while the dashboard runs, and desktop notifications only while
the terminal has no focus."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual import events

from boxdeck.service.access.ssh_config import INCLUDE_LINE, SshConfig, SshConfigFile
from boxdeck.service.boxes import Backend
from boxdeck.tui.modals.confirm import ConfirmModal
from support.tui import SIZE, Runner, hand_over, notifications, select, table, until, workers_done


def loaded(app: Any) -> Any:
    return lambda: table(app).row_count > 0


def by_state(app: Any, state: str) -> str:
    return next(box.name for box in app.screen.boxes.values() if box.state == state)


@pytest.fixture
def editors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-in `code` and `zed` commands that record their arguments in <tmp>/<name>.args."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("code", "zed"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/{name}.args"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return tmp_path


def included() -> SshConfigFile:
    file = SshConfigFile(Path.home())
    file.add_include()
    return file


async def test_the_key_opens_a_ready_sandbox_in_the_editor_after_offering_the_include(make_app, editors):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("E")
        assert isinstance(app.screen, ConfirmModal)  # ssh and the editor must be able to read the aliases
        await pilot.press("y")
        await until(pilot, lambda: (editors / "code.args").exists())
        assert (editors / "code.args").read_text().splitlines() == [
            "--remote", "ssh-remote+boxdeck-acme-platform", "/home/amika/workspace/platform"
        ]
        assert INCLUDE_LINE in (Path.home() / ".ssh" / "config").read_text()
        assert "Host boxdeck-acme-platform" in (Path.home() / ".ssh" / "boxdeck.conf").read_text()
        await until(pilot, lambda: any("Opened" in n for n in notifications(app)))


async def test_the_palette_has_an_entry_per_editor(make_app, editors):
    included()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, "acme/platform")
        await pilot.press("ctrl+p")
        await pilot.press(*"Open in Zed")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: (editors / "zed.args").exists())
        assert (editors / "zed.args").read_text().split() == [
            "ssh://boxdeck-acme-platform/home/amika/workspace/platform"
        ]


async def test_open_when_ready_pins_the_box_and_opens_it_when_it_is_ready(
    make_app, world, editors, monkeypatch
):
    included()
    app = make_app()
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        name = by_state(app, "initializing")
        key = await select(pilot, app, name)
        await pilot.press("E")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        assert key in app.deck.main.waits
        assert not (editors / "code.args").exists()
        world.advance(60)
        await until(pilot, lambda: (editors / "code.args").exists())
        assert (editors / "code.args").read_text().splitlines()[:2] == ["--remote", "ssh-remote+boxdeck-"
                                                                      + name.replace("/", "-").lower()]
        assert key not in app.deck.main.waits


async def test_the_dashboard_renews_written_entries_before_they_expire(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        profile = app.deck.main
        file = SshConfigFile(Path.home())
        box = profile.box_by_ref(Backend.AMIKA, "acme/platform") or next(
            b for b in profile.monitor.snapshot(Backend.AMIKA).boxes.values() if b.name == "acme/platform")
        await SshConfig(profile.actions, file, now=app.deck.now).write([box])
        (first,) = file.read()
        app.tick()  # the dashboard's once-a-second tick; not due: nothing minted
        await workers_done(app, "ssh-config")
        assert file.read() == [first]
        left = first.seconds_left(app.deck.now())
        assert left is not None
        world.advance(left - 300)
        app.tick()
        await until(pilot, lambda: file.read()[0].expires_at != first.expires_at)
        (renewed,) = file.read()
        assert renewed.alias == first.alias and renewed.expires_at > first.expires_at
        await until(pilot, lambda: any("Renewed SSH access" in n for n in notifications(app)))


# ----------------------------------------------------------------------------- desktop notifications


async def _wait_for_a_failure(app: Any, pilot: Any, world: Any, *, blurred: bool) -> list[str]:
    sent: list[str] = []
    app.desktop.notifier.write = sent.append
    app.desktop.notifier.environ = {"TERM": "xterm-256color"}
    await until(pilot, loaded(app))
    name = by_state(app, "initializing")
    await select(pilot, app, name)
    await pilot.press("enter", "y")  # connect when ready: the user waits on it
    if blurred:
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus)
    world.world.amika.force_state(name, "failed", f"quota exceeded for key {world.amika_token}")
    await until(pilot, lambda: any("quota exceeded" in n for n in notifications(app)))
    return sent


async def test_a_box_waited_on_sends_a_masked_desktop_notification_when_the_terminal_is_blurred(
    make_app, world, monkeypatch
):
    app = make_app()
    hand_over(app, monkeypatch, Runner())
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        sent = await _wait_for_a_failure(app, pilot, world, blurred=True)
        assert len(sent) == 1
        assert sent[0].startswith("\x1b]9;") and sent[0].endswith("\x07")
        assert "failed" in sent[0] and "quota exceeded" in sent[0]
        assert world.amika_token not in sent[0]


async def test_no_desktop_notification_while_the_terminal_has_focus(make_app, world, monkeypatch):
    app = make_app()
    hand_over(app, monkeypatch, Runner())
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        sent = await _wait_for_a_failure(app, pilot, world, blurred=False)
        assert sent == []
