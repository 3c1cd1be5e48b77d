"""Run the simulator in a background thread on a loopback port: for `boxdeck --demo`, tests and benchmarks."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from boxdeck.sim.app import create_app
from boxdeck.sim.config import SimConfig
from boxdeck.sim.persist import save_world
from boxdeck.sim.runtime import SimRuntime
from boxdeck.sim.world import World


class SimServer:
    """`with SimServer(SimConfig(manual_clock=True)) as sim: ...` — serving once the block is entered.

    The socket is bound here (port 0 = ephemeral) before uvicorn starts, so `base_url` is known at once and
    there is no race for the port. `quiet` keeps uvicorn's log lines off the terminal (the dashboard owns it).
    """

    def __init__(self, config: SimConfig | None = None, *, quiet: bool = True) -> None:
        self.config = config or SimConfig()
        self.app = create_app(config=self.config)
        self._runtime: SimRuntime = self.app.state.sim
        self._quiet = quiet
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()
        self.host = self.config.host
        self.port = self.config.port

    # -- properties the tests and the TUI read ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def world(self) -> World:
        return self._runtime.world

    @property
    def amika_token(self) -> str:
        return self._runtime.config.amika_token

    @property
    def sprites_token(self) -> str:
        return self._runtime.config.sprites_token

    @property
    def user_token(self) -> str:
        return self._runtime.config.user_token

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> SimServer:
        if self._thread is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets whose proto says TCP, and
        # without it every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        if self._quiet:
            logging.getLogger("uvicorn").addHandler(logging.NullHandler())
            logging.getLogger("uvicorn").propagate = False
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="boxdeck-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.002)
        if self.config.state_file:
            self._saver = threading.Thread(target=self._autosave, name="boxdeck-sim-save", daemon=True)
            self._saver.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=3)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=1)
        self._server = None
        self._thread = None
        if self.config.state_file:
            self.save()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- control ---------------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.world.advance(seconds)

    def reset(self, **overrides: Any) -> World:
        return self._runtime.reset(**overrides)

    def set_faults(
        self,
        rate: float,
        kinds: list[str] | tuple[str, ...] | None = None,
        *,
        slow_seconds: float | None = None,
        retry_after: float | None = None,
        methods: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        self._runtime.faults.configure(rate, kinds, slow_seconds, retry_after=retry_after, methods=methods)

    def requests(self, method: str, path: str) -> int:
        """How many ``method path`` requests (full path, e.g. ``/api/v0beta1/sandboxes``) reached the server
        since the last reset, faults included."""
        return self._runtime.faults.requests[f"{method.upper()} {path}"]

    def save(self, path: str | None = None) -> None:
        target = path or self.config.state_file
        if target:
            save_world(self.world, target)

    def _autosave(self) -> None:
        """Save at most every two seconds, and only after something changed, so --state survives a kill -9."""
        last: tuple[int, int] | None = None
        while not self._stopping.wait(2.0):
            w = self.world
            mark = (id(w), w.version)
            if mark != last:
                self.save()
                last = mark
