"""Plain-httpx clients on the session simulator, so the simulator's tests never depend on boxdeck.api."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from boxdeck.sim import SimServer


def _client(base: str, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=base, headers=headers, timeout=10)


@pytest.fixture
def amika(sim: SimServer) -> Iterator[httpx.Client]:
    with _client(sim.base_url + "/api/v0beta1", {"Authorization": f"Bearer {sim.amika_token}"}) as c:
        yield c


@pytest.fixture
def devbox(sim: SimServer) -> Iterator[httpx.Client]:
    headers = {"X-Sprites-Token": sim.sprites_token, "Authorization": f"Bearer {sim.user_token}"}
    with _client(sim.base_url + "/api/v1", headers) as c:
        yield c


@pytest.fixture
def control(sim: SimServer) -> Iterator[httpx.Client]:
    with _client(sim.base_url + "/_sim", {}) as c:
        yield c


@pytest.fixture
def empty_amika(empty_sim: SimServer) -> Iterator[httpx.Client]:
    with _client(
        empty_sim.base_url + "/api/v0beta1", {"Authorization": f"Bearer {empty_sim.amika_token}"}
    ) as c:
        yield c


@pytest.fixture
def empty_devbox(empty_sim: SimServer) -> Iterator[httpx.Client]:
    headers = {"X-Sprites-Token": empty_sim.sprites_token, "Authorization": f"Bearer {empty_sim.user_token}"}
    with _client(empty_sim.base_url + "/api/v1", headers) as c:
        yield c
