"""boxdeck's simulator: both cloud-sandbox APIs (Amika `/api/v0beta1`, Devbox `/api/v1`) over real HTTP.

Imports only fastapi/starlette, uvicorn, pydantic and the standard library: the simulator and the clients must
meet only on the wire. Embedding: `with SimServer(SimConfig(manual_clock=True)) as sim: sim.base_url ...`.
"""

from boxdeck.sim.app import create_app
from boxdeck.sim.config import SimConfig
from boxdeck.sim.server import SimServer
from boxdeck.sim.world import World

__all__ = ["SimConfig", "SimServer", "World", "create_app"]
