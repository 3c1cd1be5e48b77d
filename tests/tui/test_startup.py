"""The dashboard as `boxdeck` runs it: it starts and stays up on every Python, and a crash is reported.

`App.run_test()` starts tasks lazily, but `App.run()` (what the launcher calls) makes Textual install
asyncio's eager task factory on Python 3.12 and later, under which widgets mount synchronously inside
Textual's own calls. These tests therefore go through `run_async`, the code path `run()` takes.
"""

from __future__ import annotations

from functools import partialmethod
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Settings
from boxdeck.sim import SimServer
from boxdeck.tui import launch
from boxdeck.tui.app import BoxdeckApp
from support.tui import SIZE, table, until


async def test_the_dashboard_stays_up_after_its_first_rows(make_app: Any) -> None:
    app = make_app()
    seen: list[str] = []

    async def drive(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: app.screen.id == "sandboxes-screen" and table(app).row_count > 0)
        await pilot.press("2")
        await until(pilot, lambda: app.screen.id == "devboxes-screen" and table(app).row_count > 0)
        await pilot.press("/", "r", "o")
        await pilot.pause()
        seen.append(app.screen.id or "")
        app.exit()

    await app.run_async(headless=True, size=SIZE, auto_pilot=drive)
    assert seen == ["devboxes-screen"]
    assert app.return_code == 0


def _settings(sim: SimServer) -> Settings:
    return Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
    )


@pytest.fixture
def headless_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`app.run()` as the launcher calls it, minus the terminal (there is none under pytest)."""
    monkeypatch.setattr(BoxdeckApp, "run", partialmethod(App.run, headless=True, size=SIZE))


def test_a_crash_exits_non_zero_with_one_line_on_stderr_and_the_traceback_in_the_log(
    world: SimServer,
    headless_run: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def boom(self: BoxdeckApp) -> None:
        raise RuntimeError(f"boom with {world.amika_token} inside")

    monkeypatch.setattr(BoxdeckApp, "action_help", boom)

    original_on_mount = BoxdeckApp.on_mount

    def on_mount(self: BoxdeckApp) -> None:
        original_on_mount(self)
        self.call_after_refresh(self.run_action, "help")

    monkeypatch.setattr(BoxdeckApp, "on_mount", on_mount)

    status = launch.run_app(_settings(world))

    assert status == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("boxdeck: the dashboard crashed (RuntimeError: boom with ")
    assert world.amika_token not in err
    log = (Path.home() / ".local/state/boxdeck/boxdeck.log").read_text(encoding="utf-8")
    crash = [line for line in log.splitlines() if " crash " in line]
    assert len(crash) == 1
    assert "RuntimeError" in crash[0] and "boom" in crash[0] and "Traceback" in crash[0]
    assert world.amika_token not in log


def test_a_crash_while_starting_exits_non_zero_without_a_traceback_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise ValueError("cannot build")

    monkeypatch.setattr(launch, "run_app", broken)
    env = {"AMIKA_API_URL": "http://127.0.0.1:9", "AMIKA_API_KEY": "amk_test_key_123456"}
    status = launch.main([], env)
    assert status == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "ValueError: cannot build" in err
    log = (Path.home() / ".local/state/boxdeck/boxdeck.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "cannot build" in log


def test_ctrl_c_while_starting_prints_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_args: Any, **_kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(launch, "run_app", interrupted)
    env = {"AMIKA_API_URL": "http://127.0.0.1:9", "AMIKA_API_KEY": "amk_test_key_123456"}
    assert launch.main([], env) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
