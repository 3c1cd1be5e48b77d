"""Helpers of the tests that drive the app: wait for what the screen shows, read cells, press keys."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from boxdeck.service.access.ssh_run import SshExit
from boxdeck.sim import SimServer
from boxdeck.tui.widgets.box_table import BoxTable

SIZE = (140, 40)
NO_SERVER = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once


async def until(pilot: Pilot[Any], predicate: Callable[[], object], *, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Let the app run until `predicate()` is true (it polls the simulator on its own timers)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', predicate)}")
        await pilot.pause(0.02)


def tables_measured(app: Any) -> Callable[[], bool]:
    """True once every auto-width column of every table on the screen stack is as wide as its widest cell.

    A table sizes its columns when it next goes idle after rows arrive, so a picture taken on a loaded
    machine right after the data lands could show cells cut to the width of their header.
    """

    def width(cell: object) -> int:
        renderable = Text(cell) if isinstance(cell, str) else cell
        return Measurement.get(app.console, app.console.options, renderable).maximum  # type: ignore[arg-type]

    def check() -> bool:
        for screen in app.screen_stack:
            for data_table in screen.query(DataTable):
                for key, column in data_table.columns.items():
                    if not column.auto_width:
                        continue
                    cells = [width(value) for value in data_table.get_column(key)]
                    if column.content_width != max([width(column.label), *cells]):
                        return False
        return True

    return check


def deleted(sim: SimServer, name: str) -> bool:
    """Amika keeps a deleted sandbox a few seconds as "deleting" before it goes: either means deleted."""
    sandbox = sim.world.amika.sandboxes.get(name)
    return sandbox is None or sandbox.state == "deleting"


def table(app: Any) -> BoxTable:
    return app.screen.query_one(BoxTable)


def cell(app: Any, key: str, column: str) -> str:
    return table(app).get_cell(key, column).plain


def row_names(app: Any) -> list[str]:
    t = table(app)
    return [t.get_cell(key, "name").plain for key in t.ordered_keys()]


def key_of(app: Any, name: str) -> str:
    for box in app.screen.boxes.values():
        if box.name == name:
            return box.key
    raise AssertionError(f"no box named {name!r}")


def plain(renderable: Any, width: int = 200) -> str:
    """What a Rich renderable reads as, without styles."""
    console = Console(width=width, color_system=None, legacy_windows=False)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def static_text(app: Any, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return plain(widget.content)


def detail_text(app: Any) -> str:
    """What the detail pane of the box screen shows, as plain text."""
    from boxdeck.tui.widgets.detail_pane import DetailPane

    return plain(app.screen.query_one(DetailPane).renderable)


def notifications(app: Any) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def select(pilot: Pilot[Any], app: Any, name: str) -> str:
    """Put the cursor on the box called `name` and let the screen react; returns its key."""
    key = key_of(app, name)
    table(app).select_key(key)
    await pilot.pause()
    await pilot.pause()
    return key


class Runner:
    """Stands in for ssh run on the terminal: records every argv, returns `status` and `stderr` lines."""

    def __init__(self, status: int = 0, stderr: Sequence[str] = ()) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.status = status
        self.stderr = tuple(stderr)

    def __call__(self, argv: Sequence[str]) -> SshExit:
        self.calls.append(tuple(argv))
        return SshExit(self.status, self.stderr)


def hand_over(app: Any, monkeypatch: Any, runner: Runner | None = None) -> None:
    """The headless driver cannot suspend; pretend it can (the terminal is "handed" to the runner, or to the
    app's own runner when none is given)."""
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    if runner is not None:
        app.deck.ssh_runner = runner


async def workers_done(app: Any, *groups: str) -> None:
    """Wait for the app's workers of these groups to end. Only those: the poller's worker never ends, and
    Textual's `wait_for_complete` given no workers at all waits for every worker."""
    running = [w for w in app.workers if w.group in groups]
    if running:
        await app.workers.wait_for_complete(running)
