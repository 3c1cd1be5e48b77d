"""Snapshots in the dashboard, against the simulator: `t` snapshots the selected sandbox (full as it is;
scrub-and-delete only after its scrub preview and a delete-like confirmation), a refused snapshot keeps the
form, `T` lists the snapshots live while they capture, `d` deletes one, read-only refuses all of it."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList
from textual.widgets import DataTable, Input, Select, Static

from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.modals.snapshot_form import SnapshotModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.snapshots import SnapshotsScreen
from support.tui import SIZE, deleted, notifications, plain, select, table, until

SANDBOX = "acme/platform"  # ready, with an active agent session (work that a delete would lose)
SNAPSHOTS = "/api/v0beta1/sandbox-snapshots"


def loaded(app: Any):
    return lambda: isinstance(app.screen, SandboxesScreen) and table(app).row_count > 0


async def open_form(pilot: Any, app: Any, name: str = SANDBOX) -> SnapshotModal:
    await until(pilot, loaded(app))
    await select(pilot, app, name)
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, SnapshotModal))
    return app.screen


async def fill(pilot: Any, form: SnapshotModal, name: str, mode: str | None = None) -> None:
    form.query_one("#name", Input).value = name
    if mode is not None:
        form.query_one("#mode", Select).value = mode
    await pilot.pause()


def form_error(form: SnapshotModal) -> str:
    return plain(form.query_one("#form-error", Static).content).strip()


def server_snapshots(world: Any) -> dict[str, Any]:
    return {s.slug: s for s in world.world.amika.snapshots.values()}


async def test_full_snapshot_is_sent_as_it_is_and_the_sandbox_stays(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#mode", Select).value == "scrub_and_delete"  # the server's default
        await fill(pilot, form, "Before Upgrade", "full")
        assert "sandbox stays" in plain(form.query_one("#mode-hint", Static).content)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        snap = server_snapshots(world)["before-upgrade"]
        assert (snap.mode, snap.state, snap.source_sandbox_name) == ("full", "capturing", SANDBOX)
        assert world.requests("POST", SNAPSHOTS) == 1
        assert world.requests("GET", f"{SNAPSHOTS}/scrub-preview") == 0  # nothing is scrubbed: no preview
        assert any("Capturing snapshot “before-upgrade”" in n for n in notifications(app))
        world.advance(16)
        assert world.world.amika.sandboxes[SANDBOX].state in ("active", "running", "started")


async def test_scrub_and_delete_shows_the_preview_asks_like_a_delete_and_the_source_goes(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, "clean")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DeleteConfirmModal))
        confirm = app.screen
        await until(pilot, lambda: confirm.losses is not None)
        said = plain(confirm.query_one("#preview", Static).content)
        assert "Left out of the snapshot:" in said
        assert "file: /home/amika/.claude/.credentials.json" in said
        assert "Snapshot sandbox acme/platform, then delete it?" in plain(
            confirm.query_one("#title", Static).content)
        assert world.requests("POST", SNAPSHOTS) == 0  # asked first
        # Its active agent session would be lost: as for a delete, the sandbox's name has to be typed.
        assert confirm.typing_required
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is confirm and world.requests("POST", SNAPSHOTS) == 0
        confirm.query_one("#typed", Input).value = SANDBOX
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        assert world.requests("POST", SNAPSHOTS) == 1
        assert server_snapshots(world)["clean"].mode == "scrub_and_delete"
        assert world.world.amika.sandboxes[SANDBOX].state == "snapshotting"
        world.advance(16)
        await until(pilot, lambda: deleted(world, SANDBOX))
        assert server_snapshots(world)["clean"].state == "active"


async def test_cancelling_the_scrub_confirmation_sends_nothing_and_keeps_the_form(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, "not-yet")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DeleteConfirmModal))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is form)
        assert not form.busy and form.query_one("#name", Input).value == "not-yet"
        assert world.requests("POST", SNAPSHOTS) == 0


async def test_a_refused_snapshot_keeps_the_form_and_its_error_and_sends_once(make_app, world):
    world.world.amika.create_snapshot({"sandbox_ref": SANDBOX, "name": "taken", "mode": "full"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, "taken", "full")
        world.set_faults(1.0, ["slow"], slow_seconds=0.3, methods=["POST"])  # the answer takes a while
        await pilot.press("ctrl+s")
        assert form.busy
        await pilot.press("ctrl+s")  # pressed again while the first is out: not sent again
        await until(pilot, lambda: bool(form_error(form)))
        assert app.screen is form
        assert 'snapshot "taken" already exists' in form_error(form)
        assert form.query_one("#name", Input).value == "taken" and not form.busy
        assert world.requests("POST", SNAPSHOTS) == 1
        form.query_one("#name", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form_error(form) == "Give the snapshot a name."
        assert world.requests("POST", SNAPSHOTS) == 1


async def test_the_list_follows_a_capture_live_and_deletes_after_asking(make_app, world):
    world.world.amika.create_snapshot({"sandbox_ref": SANDBOX, "name": "live", "mode": "full",
                                       "description": "\x1b[31mred[/] and [bold]x[/bold]"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and app.screen.loaded)
        screen = app.screen
        listed = screen.query_one("#snapshots", DataTable)
        (key,) = [str(k.value) for k in listed.rows]
        for _ in range(3):  # nothing covers the list while it reloads (say, a loading indicator)
            await pilot.pause(0.3)
            assert screen.get_widget_at(*listed.region.offset)[0] is listed
        assert listed.get_cell(key, "state").plain == "capturing"
        assert listed.get_cell(key, "source").plain == SANDBOX
        detail = plain(screen.query_one("#snapshot-detail", Static).content)
        assert "description red[/] and [bold]x[/bold]" in detail  # markup literal, the escape sequence gone
        assert screen.check_action("new_from_snapshot", ()) is None  # not bootable while capturing
        world.advance(16)
        await until(pilot, lambda: listed.get_cell(key, "state").plain == "active")  # no key pressed
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: screen.loaded and not screen.snapshots)
        assert world.requests("DELETE", f"{SNAPSHOTS}/live") == 1 and not server_snapshots(world)


async def test_read_only_offers_no_snapshot_and_no_snapshot_write(make_app, world):
    world.world.amika.create_snapshot({"sandbox_ref": SANDBOX, "name": "kept", "mode": "full"})
    world.advance(16)
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await select(pilot, app, SANDBOX)
        assert app.screen.check_action("snapshot_sandbox", ()) is None
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, SandboxesScreen)
        await pilot.press("T")  # the list only reads: it opens
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and app.screen.loaded)
        screen = app.screen
        assert screen.check_action("delete_snapshot", ()) is None
        assert screen.check_action("new_from_snapshot", ()) is None
        await pilot.press("d", "n")
        await pilot.pause()
        assert app.screen is screen
        assert world.requests("POST", SNAPSHOTS) == 0 and world.requests("DELETE", f"{SNAPSHOTS}/kept") == 0
        assert world.requests("POST", "/api/v0beta1/sandboxes") == 0


async def test_the_palette_opens_the_snapshots_list(make_app, world):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, loaded(app))
        await pilot.press("ctrl+p")
        await pilot.press(*"snapshots:")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))


SMALL = (80, 24)


def no_blink(screen: Any) -> None:
    """A blinking cursor would make the pictures differ from run to run."""
    for field in screen.query(Input):
        field.cursor_blink = False


def seed_snapshots(world: Any) -> None:
    """One snapshot of each state: active (with a description), failed (the server's reason), capturing."""
    amika = world.world.amika
    amika.create_snapshot({"sandbox_ref": SANDBOX, "name": "platform-base", "mode": "full",
                           "description": "Go 1.23, deps warmed"})
    world.advance(16)
    world.world.client_failure_rate = 1.0
    amika.create_snapshot({"sandbox_ref": "release-test.v2", "name": "release-candidate", "mode": "full"})
    world.advance(16)
    world.world.client_failure_rate = 0.0
    amika.create_snapshot({"sandbox_ref": SANDBOX, "name": "nightly", "mode": "full"})


async def list_at(pilot: Any, app: Any, state: str) -> None:
    """Open the seeded snapshots list (three snapshots) with the cursor on the one in `state`."""
    await until(pilot, loaded(app))
    await pilot.press("T")
    await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and len(app.screen.snapshots) == 3)
    listed = app.screen.query_one("#snapshots", DataTable)
    chosen = next(s.id for s in app.screen.snapshots.values() if s.state == state)
    listed.move_cursor(row=listed.get_row_index(chosen))
    await pilot.pause()


def test_snapshots_list_snapshot(make_app, world, snap_compare):
    seed_snapshots(world)
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await list_at(pilot, app, "failed")

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_snapshot_form_snapshot(make_app, world, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        form = await open_form(pilot, app)
        no_blink(form)
        form.query_one("#name", Input).value = "before-upgrade"
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_scrub_confirmation_snapshot(make_app, world, snap_compare):
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        form = await open_form(pilot, app)
        await fill(pilot, form, "clean")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DeleteConfirmModal)
                    and app.screen.losses is not None)
        no_blink(app.screen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_new_sandbox_from_snapshot_form_snapshot(make_app, world, snap_compare):
    seed_snapshots(world)
    app = make_app(owns_services=True)

    async def run_before(pilot: Any) -> None:
        await list_at(pilot, app, "active")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewSandboxModal))
        no_blink(app.screen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
