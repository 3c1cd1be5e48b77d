"""Regenerate the SVG screenshots in `screenshots/` from the demo world.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Starts the simulator (fixed seed, manual clock, fixed start time), moves its clock to a moment where devboxes
are part-way through provisioning, drives the dashboard headless with Textual's Pilot and saves one SVG per
screen. Same inputs, same pictures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimConfig, SimServer
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from boxdeck.tui.widgets.box_table import BoxTable
from boxdeck.tui.widgets.detail_pane import DetailPane
from boxdeck.tui.widgets.health_bar import HealthBar

ROOT = Path(__file__).resolve().parents[1]
SEED = 42
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp()
SIZE = (140, 40)


async def until(pilot: Any, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {predicate.__name__}")
        await pilot.pause(0.05)


def plain(renderable: Any) -> str:
    console = Console(width=200, color_system=None)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def settled(app: BoxdeckApp) -> Callable[[], bool]:
    def screen_settled() -> bool:
        screen: Any = app.screen
        if not screen.query(BoxTable) or screen.query_one(BoxTable).row_count == 0:
            return False
        if "connecting" in str(screen.query_one(HealthBar).content):
            return False
        if "loading" in plain(screen.query_one(DetailPane).renderable):
            return False
        table = screen.query_one(BoxTable)
        if screen.MODE == "devboxes":
            return all(table.get_cell(k, "progress").plain != "-" for k in table.ordered_keys())
        return True

    return screen_settled


async def select(pilot: Any, app: BoxdeckApp, name: str) -> None:
    screen: Any = app.screen
    key = next(b.key for b in screen.boxes.values() if b.name == name)
    screen.query_one(BoxTable).select_key(key)
    await pilot.pause()
    await until(pilot, settled(app))


async def shoot(out: Path) -> list[Path]:
    config = SimConfig(seed=SEED, manual_clock=True, start_time=START, failure_rate=0.0)
    saved: list[Path] = []
    with SimServer(config) as sim:
        sim.advance(6)  # devboxes part-way through provisioning, a sandbox still initializing

        def now() -> datetime:
            return datetime.fromtimestamp(sim.world.now(), UTC)

        settings = Settings(
            amika=AmikaSettings(sim.base_url, sim.amika_token),
            devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
            steady_interval=0.5,
            busy_interval=0.25,
        )
        service = Service.from_settings(settings, now=now)
        app = BoxdeckApp(Deck(service, demo=True, now=now, spinner_interval=None, owns_services=True))

        def save(name: str) -> None:
            path = out / name
            app.save_screenshot(filename=name, path=str(out))
            saved.append(path)

        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, settled(app))
            await select(pilot, app, "acme/platform")
            save("sandboxes.svg")

            await pilot.press("2")
            await until(pilot, settled(app))
            provisioning = [b.name for b in app.screen.boxes.values() if b.state == "provisioning"]  # type: ignore[attr-defined]
            await select(pilot, app, provisioning[0] if provisioning else "api-dev")
            save("devboxes.svg")

            await pilot.press("question_mark")
            await pilot.pause()
            save("help.svg")
            await pilot.press("escape")

            await pilot.press("1")
            await pilot.press("n")
            await pilot.pause()
            for field in app.screen.query("Input"):
                field.cursor_blink = False  # type: ignore[attr-defined]
            await pilot.press(*"my-sandbox")
            await pilot.pause()
            save("new-box.svg")
            await pilot.press("escape")

            stopped = [b.name for b in app.screen.boxes.values() if b.state == "stopped"]  # type: ignore[attr-defined]
            await select(pilot, app, stopped[0])
            await pilot.press("d")
            await pilot.pause()
            save("delete.svg")
            await pilot.press("escape")  # the dialog may hold a focused name input: "n" would be typed

            # Screens 3 and 4: secrets and account/GitHub.
            await pilot.press("3")
            await until(pilot, lambda: getattr(app.screen, "loaded_at", None) is not None)
            await pilot.pause()
            save("secrets.svg")
            await pilot.press("4")
            await until(pilot, lambda: getattr(app.screen, "loaded_at", None) is not None)
            await pilot.pause()
            save("account.svg")
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"
    time.tzset()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(args.out)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
