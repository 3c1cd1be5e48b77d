"""Fixtures for the plain subcommands: the simulator over real HTTP, driven by its manual clock.

`cli_timing` swaps the subcommands' `Timing` for one where every sleep advances the simulated world (and a
counter standing in for the monotonic clock), so `watch` and `ssh --wait` run through minutes of provisioning
in milliseconds and never sleep on wall time. `run_cli` calls `boxdeck.cli.main` in-process and returns the
exit code with what went to stdout and stderr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from boxdeck.cli import _common, main
from boxdeck.sim import SimServer


@dataclass
class Outcome:
    code: int
    out: str
    err: str


class SimTiming(_common.Timing):
    """Sleeping advances the simulator; `hooks` run after each sleep (to change the world mid-wait)."""

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self.hooks: list[Callable[[float], None]] = []
        super().__init__(sleep=self._sleep, monotonic=lambda: self.elapsed, now=self._now)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        self.sim.advance(seconds)
        for hook in list(self.hooks):
            hook(self.elapsed)
        await asyncio.sleep(0)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.sim.world.now(), UTC)


@pytest.fixture
def cli_timing(sim_server: SimServer, monkeypatch: pytest.MonkeyPatch) -> SimTiming:
    timing = SimTiming(sim_server)
    monkeypatch.setattr(_common, "TIMING", timing)
    return timing


@pytest.fixture
def sim_env(sim: SimServer, cli_timing: SimTiming, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    """Both backends configured through the environment, as a user would, on the seeded demo world."""
    set_env(monkeypatch, sim)
    return sim


@pytest.fixture
def empty_env(empty_sim: SimServer, cli_timing: SimTiming, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    set_env(monkeypatch, empty_sim)
    return empty_sim


def set_env(monkeypatch: pytest.MonkeyPatch, sim: SimServer) -> None:
    monkeypatch.setenv("AMIKA_API_URL", sim.base_url)
    monkeypatch.setenv("AMIKA_API_KEY", sim.amika_token)
    monkeypatch.setenv("DEVBOX_API_URL", sim.base_url)
    monkeypatch.setenv("DEVBOX_SPRITES_TOKEN", sim.sprites_token)
    monkeypatch.setenv("DEVBOX_USER_TOKEN", sim.user_token)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run
