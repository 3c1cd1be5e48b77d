"""The TUI tests' simulator: as the root one (seed 7, manual clock), without its SSH server.

The app fixtures (`world`, `make_app`, ...) come from `support.tui_fixtures`. The app polls on its own short
timers (busy 0.25 s), but the simulated world only moves when a test calls `sim.advance(...)`; `until()`
waits (bounded) for the app to show what the simulator now says.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from boxdeck.sim import SimConfig, SimServer

#: The screens are pictured against a simulator without its SSH server: a real one listens on an ephemeral
#: port with a host key made per run, and both show up in SSH commands and fingerprints on screen.
TUI_SIM_CONFIG = SimConfig(seed=7, manual_clock=True, failure_rate=0.0, ssh=False)


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """The session simulator for the screens: as the root one (seed 7, manual clock), without SSH."""
    with SimServer(TUI_SIM_CONFIG) as server:
        yield server
