"""Shared fixtures: the simulator over real HTTP (manual clock, seed 7) and a user environment kept out.

`sim_server` starts once per session; `sim` and `empty_sim` reset its world before each test, so tests share
the port but never state. The clients from `amika_client` / `devbox_client` sleep in *simulated* time: their
wait helpers advance the simulator's manual clock instead of waiting on the wall clock.

Helpers shared between test folders live in the `support` package (``tests/`` is on the import path, see
pyproject's ``pythonpath``); the fixtures of tests that drive the app come from the `support.tui_fixtures`
plugin.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyperclip
import pytest

from boxdeck.service.text.redact import forget_known
from boxdeck.sim import SimConfig, SimServer

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient, DevboxClient

pytest_plugins = ["support.tui_fixtures"]

USER_ENV = ("AMIKA_API_URL", "AMIKA_API_KEY", "DEVBOX_API_URL", "DEVBOX_SPRITES_TOKEN", "DEVBOX_USER_TOKEN")
SIM_CONFIG = SimConfig(seed=7, manual_clock=True, failure_rate=0.0)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the developer's real config, state, cache or credentials."""
    home: Path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(path))
    for var in USER_ENV:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    """Local times ("failing since 09:31:02") read in UTC whatever the machine's zone."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


class Clipboard:
    """Stands in for the system clipboard: records what was copied; `fail` makes it unavailable."""

    def __init__(self) -> None:
        self.copied: list[str] = []
        self.fail = False

    def copy(self, text: str) -> None:
        if self.fail:
            raise pyperclip.PyperclipException("no clipboard mechanism (test)")
        self.copied.append(text)

    def paste(self) -> str:
        """What the clipboard holds now (the clipboard guard reads it before clearing a copied token)."""
        if self.fail:
            raise pyperclip.PyperclipException("no clipboard mechanism (test)")
        return self.copied[-1] if self.copied else ""


@pytest.fixture(autouse=True)
def clipboard(monkeypatch: pytest.MonkeyPatch) -> Clipboard:
    """Never touch the developer's real clipboard; record what was copied."""
    board = Clipboard()
    monkeypatch.setattr(pyperclip, "copy", board.copy)
    monkeypatch.setattr(pyperclip, "paste", board.paste)
    return board


@pytest.fixture(autouse=True)
def _no_secrets_from_other_tests() -> Iterator[None]:
    """Secrets are masked process-wide once learnt; each test starts with none, as a fresh process would."""
    forget_known()
    yield
    forget_known()


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """One simulator for the whole session: manual clock, seed 7, the demo world, random failures off
    (a test that wants failures asks: `sim.reset(failure_rate=1.0)` or `/_sim/boxes/.../state`)."""
    with SimServer(SIM_CONFIG) as server:
        yield server


@pytest.fixture
def sim(sim_server: SimServer) -> SimServer:
    """The session simulator with a freshly seeded demo world and no faults."""
    sim_server.reset()
    return sim_server


@pytest.fixture
def empty_sim(sim_server: SimServer) -> SimServer:
    """The session simulator with an empty world: no boxes, secrets, SSH key or GitHub connection."""
    sim_server.reset(demo_world=False)
    return sim_server


def _sim_time(server: SimServer) -> dict[str, Any]:
    async def sleep(seconds: float) -> None:
        server.advance(seconds)

    return {"sleep": sleep, "clock": lambda: server.world.now()}


@pytest.fixture
async def amika_client(sim: SimServer) -> AsyncIterator[AmikaClient]:
    from boxdeck.api import AmikaClient

    client = AmikaClient(sim.base_url, access_token=sim.amika_token, **_sim_time(sim))
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def devbox_client(sim: SimServer) -> AsyncIterator[DevboxClient]:
    from boxdeck.api import DevboxClient

    client = DevboxClient(
        sim.base_url, sprites_token=sim.sprites_token, user_token=sim.user_token, **_sim_time(sim)
    )
    try:
        yield client
    finally:
        await client.aclose()
