"""Build a real `Service` on the simulator, with a manual monitor clock and a request log."""

from __future__ import annotations

from typing import Any

from boxdeck.api import RequestRecord
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from support.service_fakes import FakeClock


def sim_settings(sim: SimServer, *, read_only: bool = False) -> Settings:
    return Settings(
        amika=AmikaSettings(url=sim.base_url, token=sim.amika_token),
        devbox=DevboxSettings(url=sim.base_url, sprites_token=sim.sprites_token, user_token=sim.user_token),
        read_only=read_only,
    )


def sim_service(
    sim: SimServer, *, read_only: bool = False, **monitor: Any
) -> tuple[Service, list[RequestRecord], FakeClock]:
    records: list[RequestRecord] = []
    clock = FakeClock()
    monitor.setdefault("clock", clock)
    monitor.setdefault("rng", lambda: 1.0)
    settings = sim_settings(sim, read_only=read_only)
    service = Service.from_settings(settings, on_request=records.append, **monitor)
    return service, records, clock
