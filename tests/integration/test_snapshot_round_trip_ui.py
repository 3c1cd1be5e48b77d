"""A file survives a snapshot taken and booted from in the dashboard: `t` (full) on a sandbox, `T`, `n` on the
snapshot (the new-sandbox form opens with it chosen), and the new sandbox's directory has the file.

Here, not in tests/tui: the box directories live beside the simulator's SSH server, which the screens' own
simulator leaves off.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.modals.snapshot_form import SnapshotModal
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.snapshots import SnapshotsScreen
from support.tui import SIZE, select, table, until

SANDBOX = "acme/platform"


async def test_new_sandbox_from_a_snapshot_brings_the_file_back(make_app, world):
    files = world.world.files
    assert files is not None and world.state_dir is not None
    source = files.ensure(world.world.amika.target(world.world.amika.sandboxes[SANDBOX]))
    (source / "workspace" / "notes.txt").write_text("kept\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table(app).row_count > 0)
        await select(pilot, app, SANDBOX)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, SnapshotModal))
        form: Any = app.screen
        form.query_one("#name", Input).value = "with-notes"
        form.query_one("#mode", Select).value = "full"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        world.advance(16)  # captured
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and app.screen.loaded
                    and [s.state for s in app.screen.snapshots.values()] == ["active"])
        await pilot.pause()
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewSandboxModal))
        new_form: Any = app.screen
        assert new_form.query_one("#snapshot", Select).value == "with-notes"  # chosen already
        new_form.query_one("#name", Input).value = "from-notes"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        booted = world.world.amika.sandboxes["from-notes"]
        assert booted.snapshot == "with-notes"
        await until(pilot, lambda: app.screen.selected_box is not None
                    and app.screen.selected_box.name == "from-notes")  # selected once listed
        world.advance(21)
        copy = world.state_dir / "boxes" / "amika" / booted.id / "workspace" / "notes.txt"
        assert copy.read_text() == "kept\n"
