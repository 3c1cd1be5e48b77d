"""The running app on a simulator, for any test that drives the TUI (a pytest plugin: tests/conftest.py loads
it, so the fixtures serve tests/tui and the UI-level fuzz and security tests alike).

`world` and `empty_world` reset the session simulator to START; `make_app(...)` builds a `BoxdeckApp` on it
with a `Service` on the simulator's clock, and closes every service it built when the test ends. Which
simulator: each folder's own `sim_server` (the TUI's has no SSH server, so screenshots never show an
ephemeral port or a per-run host key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer

if TYPE_CHECKING:
    from boxdeck.tui.app import BoxdeckApp

AppFactory = Callable[..., "BoxdeckApp"]

# Every TUI test world starts at the same instant, so ages and timestamps in snapshots never change.
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp()


def sim_now(sim: SimServer) -> Callable[[], datetime]:
    """The app's and the service's clock: the simulator's."""
    return lambda: datetime.fromtimestamp(sim.world.now(), UTC)


@pytest.fixture
def world(sim_server: SimServer) -> SimServer:
    """The seeded demo world, starting at START."""
    sim_server.reset(start_time=START)
    return sim_server


@pytest.fixture
def empty_world(sim_server: SimServer) -> SimServer:
    sim_server.reset(start_time=START, demo_world=False)
    return sim_server


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
        from boxdeck.tui.app import BoxdeckApp  # here, so tests that drive no UI never import it

        settings = Settings(
            amika=AmikaSettings(amika_url or sim.base_url, sim.amika_token) if amika else None,
            devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token) if devbox else None,
            read_only=read_only,
            steady_interval=steady,
            busy_interval=busy,
            profile=profile,
            trusted_proxy_commands=trusted_proxy_commands,
        )
        if profile is not None:
            app_options["profile"] = profile  # as the launcher does: the app and its service share it
        # The real backoff and jitter: a failing backend is probed within 1.5 steady intervals anyway.
        service = Service.from_settings(settings, now=sim_now(sim))
        services.append(service)
        app_options.setdefault("spinner_interval", None)
        return BoxdeckApp(service, now=sim_now(sim), **app_options)

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
