"""The running app on a simulator, for any test that drives the TUI (a pytest plugin: tests/conftest.py loads
it, so the fixtures serve tests/tui and the UI-level fuzz and security tests alike).

`world` and `empty_world` reset the session simulator to START; `make_app(...)` builds a `BoxdeckApp` on it
with a `Service` on the simulator's clock, and closes every service it built when the test ends. Which
simulator: each folder's own `sim_server` (the TUI's has no SSH server, so screenshots never show an
ephemeral port or a per-run host key).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.service.configuration.profiles import AppConfig
from boxdeck.sim import SimServer

if TYPE_CHECKING:
    from boxdeck.tui.app import BoxdeckApp

AppFactory = Callable[..., "BoxdeckApp"]

def app_for(service: Service, *, initial_mode: str | None = None, **deck_options: Any) -> BoxdeckApp:
    """The dashboard on `service`, as the launcher builds it (a deck, then the app); no spinner by default
    (its frames would make screenshots differ), and the services stay the caller's to close."""
    from boxdeck.tui.app import BoxdeckApp  # here, so tests that drive no UI never import it
    from boxdeck.tui.context import Deck

    deck_options.setdefault("spinner_interval", None)
    deck_options.setdefault("owns_services", False)
    return BoxdeckApp(Deck(service, **deck_options), initial_mode=initial_mode)


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
        user_token: bool = True,
        amika_token: str | None = None,
        **app_options: Any,
    ) -> BoxdeckApp:
        settings = Settings(
            amika=AmikaSettings(amika_url or sim.base_url, amika_token or sim.amika_token) if amika else None,
            devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token if user_token else None)
            if devbox else None,
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
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """The snapshot plugin's compare, taking the picture only once every table has sized its columns."""
    from support.tui import tables_measured, until

    def compare(
        app: BoxdeckApp, *args: Any, run_before: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> bool:
        async def settled(pilot: Any) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await until(pilot, tables_measured(pilot.app))

        return snap_compare(app, *args, run_before=settled, **kwargs)

    return compare


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
