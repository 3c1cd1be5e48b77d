"""Fixtures for the API unit tests: clients wired to a scripted ``httpx.MockTransport``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from boxdeck.api import AmikaClient, DevboxClient, RequestRecord
from support.api_wire import AMIKA_BASE, DEVBOX_BASE, FakeTime, Wire


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def records() -> list[RequestRecord]:
    return []


@pytest.fixture
async def amika(wire: Wire, fake_time: FakeTime, records: list[RequestRecord]) -> AsyncIterator[AmikaClient]:
    async with AmikaClient(
        AMIKA_BASE,
        access_token="amk_test",
        transport=wire.transport,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        on_request=records.append,
    ) as client:
        yield client


@pytest.fixture
async def devbox(
    wire: Wire, fake_time: FakeTime, records: list[RequestRecord]
) -> AsyncIterator[DevboxClient]:
    async with DevboxClient(
        DEVBOX_BASE,
        sprites_token="spr_test",
        user_token="usr_test",
        transport=wire.transport,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        on_request=records.append,
    ) as client:
        yield client
