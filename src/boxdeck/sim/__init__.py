"""boxdeck's simulator: both cloud-sandbox APIs (Amika `/api/v0beta1`, Devbox `/api/v1`) over real HTTP, and
real SSH logins into the boxes they hand out.

Imports only fastapi/starlette, uvicorn, pydantic, asyncssh and the standard library: the simulator and the
clients must meet only on the wire. Embedding: `with SimServer(SimConfig(manual_clock=True)) as sim: ...`.

The names below load on first use (PEP 562), so `boxdeck --demo` can read the simulator's configuration and
start it in a child process without importing FastAPI and uvicorn itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boxdeck.sim.app import create_app
    from boxdeck.sim.config import SimConfig
    from boxdeck.sim.server import SimServer
    from boxdeck.sim.world import World

__all__ = ["SimConfig", "SimServer", "World", "create_app"]

_HOMES = {
    "SimConfig": "boxdeck.sim.config",
    "SimServer": "boxdeck.sim.server",
    "World": "boxdeck.sim.world",
    "create_app": "boxdeck.sim.app",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
