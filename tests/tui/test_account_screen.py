"""Screen 4, account and GitHub, against the simulator: SSH key (picker, paste, refusals, delete), GitHub
(connect through the authorize link, disconnect, org grants), a wrong or missing user token, read-only."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.text import Text
from textual.widgets import DataTable, OptionList, SelectionList, TextArea

from boxdeck.service.actions.account import USER_TOKEN_REQUIRED
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.commands import available
from boxdeck.tui.context import Deck
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.ssh_key_picker import SshKeyPickerModal
from boxdeck.tui.screens.account import AccountScreen
from boxdeck.tui.widgets.not_configured import NotConfigured
from support.tui import SIZE, notifications, plain, static_text, tables_measured, until
from support.tui_fixtures import START, sim_now

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0mQqPi52Y7aTg9p1NLVLZhda8xkisAkTB7kAsv9Y4r dev@laptop"
#: The key this screen's tests start with (the demo world registers none: its devbox logins need no key).
REGISTERED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsimsimsimsimsimsimsimsimsimsimsimsimsimsimsim sim@boxdeck"
MUTATING = ("set_ssh_key", "delete_ssh_key", "connect_github", "disconnect_github", "save_org_grants")


def loaded(app: Any) -> Callable[[], bool]:
    def check() -> bool:
        screen = app.screen
        return isinstance(screen, AccountScreen) and screen.loaded_at is not None and not screen.loading

    return check


def access(app: Any) -> dict[str, str]:
    table = app.screen.query_one("#repos", DataTable)
    return {table.get_cell(k, "full_name").plain: table.get_cell(k, "granted").plain for k in table.rows}


def repo_names(app: Any) -> list[str]:
    table = app.screen.query_one("#repos", DataTable)
    return [table.get_cell(key, "full_name").plain for key in table.rows]


def write_key(text: str = KEY, name: str = "id_ed25519.pub") -> Path:
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    path = ssh / name
    path.write_text(text + "\n")
    return path


def build_app(
    sim: SimServer, *, user_token: str | None, read_only: bool = False, **options: Any
) -> BoxdeckApp:
    """The app with a chosen Devbox user token (None: not configured); it closes its service on exit."""
    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, user_token),
        read_only=read_only,
        steady_interval=60.0,
    )
    service = Service.from_settings(settings, now=sim_now(sim), rng=lambda: 0.0)
    initial_mode = options.pop("initial_mode", "account")
    deck = Deck(service, now=sim_now(sim), spinner_interval=None, owns_services=True, **options)
    return BoxdeckApp(deck, initial_mode=initial_mode)


@pytest.fixture
def world(world: SimServer) -> SimServer:
    """The demo world, with an SSH key registered."""
    world.world.devbox.set_ssh_key(REGISTERED)
    return world


@pytest.fixture
async def account_app(make_app) -> AsyncIterator[Callable[..., BoxdeckApp]]:
    def make(**options: Any) -> BoxdeckApp:
        return make_app(initial_mode="account", **options)

    yield make


async def test_shows_ssh_key_github_repositories_and_orgs(account_app, world):
    world.world.devbox.repos[0].full_name = "[/bold]odd[red"  # server text stays literal
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen
        assert "SSH key: ● set" in static_text(app, "#user-panel")
        github = static_text(app, "#github-panel")
        assert "connected as sim-octocat" in github and "since 2026-03-02" in github
        names = repo_names(app)
        assert "acme-labs/platform" in names and "[/bold]odd[red" in names and len(names) == 7
        table = screen.query_one("#repos", DataTable)
        for key in table.rows:
            assert all(isinstance(cell, Text) for cell in table.get_row(key))
        shown = access(app)
        assert shown["acme-labs/platform"] == "✓ granted" and shown["northwind/api"] == "✗ not granted"
        orgs = screen.query_one("#orgs", SelectionList)
        assert orgs.selected == ["acme-labs"]
        assert [orgs.get_option_at_index(i).value for i in range(orgs.option_count)] == [
            "acme-labs", "boxdeck-sim", "northwind"]
        assert screen.check_action("connect_github", ()) is None  # already connected
        assert screen.check_action("disconnect_github", ()) is True
        offered = {c.name for c, _ in available(screen)}
        assert {"account.set_key", "account.save_grants"} <= offered and "secrets.new" not in offered


async def test_set_ssh_key_from_the_picker(account_app, world):
    path = write_key()
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("K")
        modal = app.screen
        assert isinstance(modal, SshKeyPickerModal)
        options = modal.query_one("#keys", OptionList)
        assert options.option_count == 1
        prompt = plain(options.get_option_at_index(0).prompt)
        assert "ssh-ed25519" in prompt and "dev@laptop" in prompt and "SHA256:" in prompt
        assert "~/.ssh/id_ed25519.pub" in prompt
        assert modal.focused is options
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AccountScreen))
        assert world.world.devbox.ssh_key == KEY
        assert any(f"SSH key set ({path.name})" in n for n in notifications(app))


@pytest.fixture
def fresh_key() -> str:
    """A freshly generated real key when ssh-keygen is there, else the fixed one."""
    if not shutil.which("ssh-keygen"):
        return KEY
    target = Path.home() / "generated"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fresh@test", "-f", str(target)],
                   check=True, capture_output=True)
    return target.with_suffix(".pub").read_text().strip()


async def test_set_ssh_key_from_pasted_text(account_app, world, fresh_key):
    key = fresh_key
    world.world.devbox.delete_ssh_key()
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        assert "not set" in static_text(app, "#user-panel")
        assert app.screen.check_action("delete_ssh_key", ()) is None
        await pilot.press("K")
        assert isinstance(app.screen, SshKeyPickerModal)
        assert "No public keys found in ~/.ssh/*.pub" in static_text(app, "#no-keys")
        area = app.screen.query_one("#pasted", TextArea)
        assert app.screen.focused is area
        area.insert("  " + key + "\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, AccountScreen))
        assert world.world.devbox.ssh_key == key
        await until(pilot, lambda: "● set" in static_text(app, "#user-panel"))


async def test_invalid_or_private_key_is_refused_inline_and_nothing_is_sent(account_app, world):
    before = world.world.devbox.ssh_key
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("K")
        area = app.screen.query_one("#pasted", TextArea)
        area.insert("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0mQqPi52Y7 truncated")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SshKeyPickerModal)
        assert "truncated" in static_text(app, "#form-error") or "damaged" in static_text(app, "#form-error")
        assert area.text.startswith("ssh-ed25519")  # kept to be fixed
        area.clear()
        area.insert("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                    "-----END OPENSSH PRIVATE KEY-----")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "private key" in static_text(app, "#form-error")
        assert area.text == ""  # a private key does not stay on screen
        assert world.world.devbox.ssh_key == before


async def test_delete_ssh_key_asks_first(account_app, world):
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("X")
        assert isinstance(app.screen, ConfirmModal)
        assert "Delete your SSH key?" in static_text(app, "#title")
        await pilot.press("y")
        await until(pilot, lambda: "not set" in static_text(app, "#user-panel"))
        assert world.world.devbox.ssh_key is None
        assert app.screen.check_action("delete_ssh_key", ()) is None
        assert any("SSH key deleted" in n for n in notifications(app))


async def test_disconnect_github_asks_first(account_app, world):
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmModal)
        assert "sim-octocat" in static_text(app, "#title")
        await pilot.press("y")
        await until(pilot, lambda: "not connected" in static_text(app, "#github-panel"))
        assert world.world.devbox.github is None
        assert repo_names(app) == []
        assert app.screen.query_one("#orgs", SelectionList).option_count == 0
        screen = app.screen
        assert screen.check_action("disconnect_github", ()) is None
        assert screen.check_action("save_org_grants", ()) is None
        assert screen.check_action("connect_github", ()) is True


async def test_connect_github_shows_and_copies_the_link_then_picks_up_the_connection(
    account_app, world, clipboard
):
    world.world.devbox.disconnect()
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen
        gate = asyncio.Event()

        async def sleep(_seconds: float) -> None:  # the wait's next look happens when the test says so
            await gate.wait()
            gate.clear()

        screen.connect_sleep = sleep
        await pilot.press("C")
        await until(pilot, lambda: screen.pending_url is not None)
        url = screen.pending_url
        assert url.startswith(world.base_url + "/_sim/github/authorize?state=")
        assert clipboard.copied == [url]
        assert url in static_text(app, "#connect-pane").replace("\n", "")
        assert any("Copied to the clipboard" in n for n in notifications(app))
        assert screen.check_action("cancel_connect", ()) is True
        async with httpx.AsyncClient() as http:  # the user opens the link and authorizes
            page = await http.get(url)
        assert page.status_code == 200
        gate.set()
        await until(pilot, lambda: "connected as sim-octocat" in static_text(app, "#github-panel"))
        assert screen.pending_url is None
        assert not app.screen.query_one("#connect-pane").display
        await until(pilot, lambda: len(repo_names(app)) == 7)
        assert any("GitHub connected as sim-octocat" in n for n in notifications(app))


async def test_connect_that_never_completes_times_out_with_a_message(account_app, world):
    world.world.devbox.disconnect()
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen

        async def no_wait(_seconds: float) -> None:
            await asyncio.sleep(0)

        screen.connect_sleep = no_wait
        screen.CONNECT_TIMEOUT = 6.0
        await pilot.press("C")
        await until(pilot, lambda: any("still not connected" in n for n in notifications(app)))
        assert screen.pending_url is None
        assert "not connected" in static_text(app, "#github-panel")


async def test_escape_stops_waiting_for_the_connection(account_app, world):
    world.world.devbox.disconnect()
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen
        screen.connect_sleep = lambda _s: asyncio.Event().wait()  # never wakes up on its own
        await pilot.press("C")
        await until(pilot, lambda: screen.pending_url is not None)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.pending_url is None
        assert not [w for w in screen.workers if w.group == "github-wait" and not w.is_finished]
        assert screen.check_action("cancel_connect", ()) is False


async def test_org_grants_toggle_with_space_and_save_with_the_selected_count(account_app, world):
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        orgs = app.screen.query_one("#orgs", SelectionList)
        orgs.focus()
        orgs.highlighted = 2  # northwind
        await pilot.press("space")
        assert sorted(orgs.selected) == ["acme-labs", "northwind"]
        assert app.screen.orgs_dirty
        await pilot.press("S")
        await until(pilot, lambda: any("2 organisations selected" in n for n in notifications(app)))
        assert world.world.devbox.orgs == {"acme-labs": True, "northwind": True, "boxdeck-sim": False}
        await until(pilot, lambda: not app.screen.orgs_dirty and not app.screen.loading)
        assert access(app)["northwind/api"] == "✓ granted"


async def test_a_wrong_user_token_says_so(world):
    app = build_app(world, user_token="usr_wrong_token")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        status = static_text(app, "#account-status")
        assert "401" in status and USER_TOKEN_REQUIRED in status
        assert "usr_wrong_token" not in status and "usr_wrong_token" not in app.export_screenshot()


async def test_no_user_token_says_what_is_missing_and_sends_nothing(world):
    app = build_app(world, user_token=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        text = static_text(app, "#user-token-help")
        assert USER_TOKEN_REQUIRED in text and "export DEVBOX_USER_TOKEN" in text and "--user-token" in text
        for action in (*MUTATING, "reload_account"):
            assert screen.check_action(action, ()) is None, action
        assert not [w for w in screen.workers if w.group == "account-load"]


async def test_devbox_not_configured_says_how(make_app):
    app = make_app(devbox=False, initial_mode="account")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = plain(app.screen.query_one(NotConfigured).content)
        assert "DEVBOX_SPRITES_TOKEN" in text


async def test_read_only_dims_every_mutating_key(account_app, world):
    app = account_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        screen = app.screen
        for action in MUTATING:
            assert screen.check_action(action, ()) is None, action
        assert screen.check_action("reload_account", ()) is True
        await pilot.press("K", "X", "D", "S", "C")
        assert isinstance(app.screen, AccountScreen)
        assert world.world.devbox.ssh_key is not None and world.world.devbox.github is not None


# ----------------------------------------------------------------- snapshots
@pytest.fixture
def snapshot_world(sim_server: SimServer) -> SimServer:
    sim_server.reset(start_time=START)
    sim_server.world.devbox.set_ssh_key(REGISTERED)
    return sim_server


def healthy(app: Any) -> Callable[[], bool]:
    return lambda: all(app.deck.main.monitor.health(b).status == "ok" for b in app.deck.main.monitor.backends)


async def _ready(pilot: Any) -> None:
    await until(pilot, loaded(pilot.app))
    await until(pilot, healthy(pilot.app))
    await until(pilot, tables_measured(pilot.app))  # before any key opens a modal over the tables


def test_snapshot_account_screen(snap_compare, snapshot_world):
    app = build_app(snapshot_world, user_token=snapshot_world.user_token)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_snapshot_ssh_key_picker(snap_compare, snapshot_world):
    write_key()
    app = build_app(snapshot_world, user_token=snapshot_world.user_token)

    async def picker(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("K")

    assert snap_compare(app, terminal_size=SIZE, run_before=picker)


def test_snapshot_no_user_token(snap_compare, snapshot_world):
    app = build_app(snapshot_world, user_token=None)

    async def ready(pilot: Any) -> None:
        await until(pilot, healthy(pilot.app))

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
