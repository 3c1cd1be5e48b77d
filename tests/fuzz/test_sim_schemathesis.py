"""Schemathesis against the simulator's own OpenAPI: no 5xx for any request the schema allows.

The schema is the one the simulator serves at ``/openapi.json`` (taken from ``create_app().openapi()`` at
import, so collection needs no server). Requests go over real HTTP to a dedicated simulator: manual clock,
fault injection and random provisioning failures off, its own tokens, sent for both APIs. The ``/_sim/``
control endpoints are left out. Half of the generated cases are pointed at boxes that really exist (an active
sandbox, a ready devbox) so the handlers run past their 404 branch; the world is reset every so often so the
demo boxes come back after generated deletes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from boxdeck.sim import SimConfig, SimServer, create_app

AMIKA_TOKEN = "amk_schemathesis_4f1c2b7e9d"
SPRITES_TOKEN = "spr_schemathesis_8a3e5d1f0c"
USER_TOKEN = "usr_schemathesis_2b9c7a4e6f"
SIM_CONFIG = SimConfig(
    seed=11,
    manual_clock=True,
    failure_rate=0.0,
    fault_rate=0.0,
    amika_token=AMIKA_TOKEN,
    sprites_token=SPRITES_TOKEN,
    user_token=USER_TOKEN,
)

_CONFIG = schemathesis.Config.from_dict(
    {
        # "a request the schema allows": positive data only; security parameters are ours, not generated
        "generation": {"mode": "positive", "with-security-parameters": False, "allow-x00": False},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(create_app(config=SIM_CONFIG).openapi(), config=_CONFIG).exclude(
    path_regex=r"^/_sim/"
)

_counter = {"calls": 0}


@pytest.fixture(scope="module")
def st_sim() -> Iterator[SimServer]:
    with SimServer(SIM_CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _auth(path: str) -> dict[str, str]:
    if path.startswith("/api/v0beta1"):
        return {"Authorization": f"Bearer {AMIKA_TOKEN}"}
    return {"X-Sprites-Token": SPRITES_TOKEN, "Authorization": f"Bearer {USER_TOKEN}"}


def _aim_at_real_boxes(case: schemathesis.Case, sim: SimServer) -> None:
    """Deterministically (by the case's own content) point half the cases at objects that exist."""
    params = case.path_parameters or {}
    if not params or zlib.crc32(repr(sorted(params.items())).encode()) % 2:
        return
    world = sim.world
    active = [n for n, s in world.amika.sandboxes.items() if s.state == "active"]
    ready = [i for i, d in world.devbox.devboxes.items() if d.state == "ready"]
    if "name" in params and active:
        params["name"] = active[0]
    if "devbox_id" in params and ready:
        params["devbox_id"] = ready[0]
    if "provider" in params:
        params["provider"] = "claude"


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_simulator_never_answers_5xx_to_a_valid_request(
    case: schemathesis.Case, st_sim: SimServer, http: requests.Session
) -> None:
    _counter["calls"] += 1
    if _counter["calls"] % 40 == 0:
        st_sim.reset()  # bring back the demo boxes that generated deletes removed
    _aim_at_real_boxes(case, st_sim)
    response = case.call(base_url=st_sim.base_url, session=http, headers=_auth(case.path), timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
