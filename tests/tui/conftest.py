"""TUI fixtures: the app on the session simulator (manual clock, fixed start time), a captured clipboard, UTC.

The app polls on its own short timers (busy 0.25 s), but the simulated world only moves when a test calls
`sim.advance(...)`; `until()` waits (bounded) for the app to show what the simulator now says.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pyperclip
import pytest
from tui_helpers import START, app_for, sim_now

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.sim import SimConfig, SimServer
from boxdeck.tui.app import BoxdeckApp

#: The screens are pictured against a simulator without its SSH server: a real one listens on an ephemeral
#: port with a host key made per run, and both show up in SSH commands and fingerprints on screen.
TUI_SIM_CONFIG = SimConfig(seed=7, manual_clock=True, failure_rate=0.0, ssh=False)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Local times ("failing since 09:31:02") render in UTC whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class Clipboard:
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


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """The session simulator for the screens: as the root one (seed 7, manual clock), without SSH."""
    with SimServer(TUI_SIM_CONFIG) as server:
        yield server


@pytest.fixture
def world(sim_server: SimServer) -> SimServer:
    """The seeded demo world, starting at START."""
    sim_server.reset(start_time=START)
    return sim_server


@pytest.fixture
def empty_world(sim_server: SimServer) -> SimServer:
    sim_server.reset(start_time=START, demo_world=False)
    return sim_server


AppFactory = Callable[..., BoxdeckApp]


def _factory(sim: SimServer, services: list[Service]) -> AppFactory:
    def make(
        *,
        amika: bool = True,
        devbox: bool = True,
        read_only: bool = False,
        amika_url: str | None = None,
        steady: float = 0.5,
        busy: float = 0.25,
        profile: str | None = None,
        trusted_proxy_commands: tuple[str, ...] = (),
        **app_options: Any,
    ) -> BoxdeckApp:
        settings = Settings(
            amika=AmikaSettings(amika_url or sim.base_url, sim.amika_token) if amika else None,
            devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token) if devbox else None,
            read_only=read_only,
            steady_interval=steady,
            busy_interval=busy,
            profile=profile,
            trusted_proxy_commands=trusted_proxy_commands,
        )
        # The real backoff and jitter: a failing backend is probed within 1.5 steady intervals anyway.
        service = Service.from_settings(settings, now=sim_now(sim))
        services.append(service)
        if profile is not None:  # as the launcher does: the deck and the service share the profile's name
            app_options.setdefault("config", AppConfig(settings=settings, profile=profile))
        return app_for(service, now=sim_now(sim), **app_options)

    return make


@pytest.fixture
async def make_app(world: SimServer) -> AsyncIterator[AppFactory]:
    services: list[Service] = []
    yield _factory(world, services)
    for service in services:
        await service.aclose()


@pytest.fixture
async def make_empty_app(empty_world: SimServer) -> AsyncIterator[AppFactory]:
    services: list[Service] = []
    yield _factory(empty_world, services)
    for service in services:
        await service.aclose()
