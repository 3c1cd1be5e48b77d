"""The short soak: the headless app against the simulator under faults (lost answers included) and churn.

The same `Soak` driver as `bench/soak.py` (several minutes, real clock) runs here on the session simulator's
manual clock, advanced ten times faster than the wall clock as the app runs. The service runs with its real
backoff and jitter (only the poll intervals are shortened), so "fresh within two steady intervals of the
server answering again" is measured, not assumed. Only behaviour is asserted: nothing here is timed against
a budget except that promise.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench.soak import Soak

from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimServer
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck

STEADY = 2.0


@pytest.fixture
def churning_world(sim_server: SimServer) -> Any:
    sim_server.reset(churn=True, sandboxes=60, devboxes=12, failure_rate=0.1, client_failure_rate=0.1)
    yield sim_server
    sim_server.set_faults(0.0)
    sim_server.reset()


@pytest.mark.slow
async def test_short_soak_under_faults_and_churn(churning_world: SimServer) -> None:
    sim = churning_world
    soak = Soak(sim, seed=3, advance=sim.advance, log=print)  # shown when it fails
    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
        steady_interval=STEADY,
        busy_interval=0.25,
    )
    service = Service.from_settings(settings, on_request=soak.on_request)  # the real backoff and jitter
    app = BoxdeckApp(Deck(service, owns_services=True, spinner_interval=None))
    async with app.run_test(size=(140, 40), message_hook=soak.message_hook) as pilot:
        soak.attach(app)
        await soak.run(
            pilot,
            fault_rate=0.3,
            warmup=1.0,
            faults_for=12.0,
            act_every=1.0,
            key_every=0.2,
            recover_within=10.0,
            settle=1.5,
        )
        v = soak.verdict()

    details = f"verdict: { {k: val for k, val in v.items() if k != 'key_latencies'} }"
    print(details)
    assert v["faults_injected"].get("drop-after", 0) > 0, details
    assert v["failed_requests"] > 0, details
    # never crashes
    assert not v["crashed"], details
    assert v["worker_errors"] == [], details
    # stays responsive: every cursor key was answered
    assert v["keys_answered"] >= 10, details
    assert v["keys_unanswered"] == 0, details
    # shows the degraded backend in the header
    assert "header" in v["degraded_seen"], details
    # fresh again within two steady intervals of the faults stopping, by the first or second poll
    assert v["failing_at_stop"], details
    assert v["recovered_s"] is not None and v["recovered_s"] <= 2 * STEADY, details
    assert all(1 <= v["polls_to_recover"][b] <= 2 for b in v["failing_at_stop"]), details
    # pressed twice, submitted twice, sent twice, answers lost after the server acted: nothing arrived twice
    assert v["actions_during_faults"] >= 3, details
    assert v["creates"] >= 2 and v["creates_with_lost_answers"] >= 1, details
    assert v["prompts"] >= 1 and v["prompts_with_lost_answers"] >= 1, details
    assert v["lost_answers_handled"] >= 2, details
    assert v["sent_after_applied"] == 0, details
    # ...and nothing was lost silently
    assert not v["violations"], details
