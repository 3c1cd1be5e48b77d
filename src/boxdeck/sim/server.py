"""Run the simulator in a background thread on a loopback port: for `boxdeck --demo`, tests and benchmarks.

Beside the HTTP port it serves real SSH into the boxes (`sshd.py`), on a second loopback port bound before
the first request is answered (so every answer can name it) and served from its own thread, started once
HTTP is up so its import never delays the first rows.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from boxdeck.sim.app import create_app
from boxdeck.sim.boxfs import BoxFiles
from boxdeck.sim.config import SimConfig
from boxdeck.sim.persist import save_world
from boxdeck.sim.runtime import SimRuntime
from boxdeck.sim.sockets import bind_listener
from boxdeck.sim.ssh_endpoint import SshEndpoint, is_loopback
from boxdeck.sim.world import World

HOST_KEY_FILE = "ssh_host_ed25519_key"
KNOWN_HOSTS_FILE = "known_hosts"


class SimServer:
    """`with SimServer(SimConfig(manual_clock=True)) as sim: ...` — serving once the block is entered.

    The socket is bound here (port 0 = ephemeral) before uvicorn starts, so `base_url` is known at once and
    there is no race for the port. `quiet` keeps uvicorn's log lines off the terminal (the dashboard owns it).
    """

    def __init__(
        self, config: SimConfig | None = None, *, quiet: bool = True, listener: socket.socket | None = None
    ) -> None:
        """`listener`: a socket already bound and listening (the demo's parent process made it, so it knew the
        URL before this server started); without one the server binds `config.host`:`config.port`."""
        self.config = config or SimConfig()
        self._listener = listener
        self.app = create_app(config=self.config)
        self._runtime: SimRuntime = self.app.state.sim
        self._quiet = quiet
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()
        self.host = self.config.host
        self.port = self.config.port
        self.state_dir: Path | None = None
        self._own_state_dir = False
        self.ssh: SshEndpoint | None = None
        self._ssh_sock: socket.socket | None = None
        self._ssh_server: Any = None
        self._files: BoxFiles | None = None
        self._ssh_thread: threading.Thread | None = None

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

    @property
    def known_hosts_file(self) -> Path | None:
        """An OpenSSH known_hosts file naming this simulator's SSH host key (None without SSH)."""
        return self.state_dir / KNOWN_HOSTS_FILE if self.ssh is not None and self.state_dir else None

    def ssh_ready(self, timeout: float = 10.0) -> bool:
        """Wait until SSH logins are served (the host key is known and the server listens)."""
        deadline = time.monotonic() + timeout
        while self._ssh_server is None:
            if self._ssh_thread is None or not self._ssh_thread.is_alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        server = self._ssh_server
        ready = server.ready.wait(max(0.0, deadline - time.monotonic()))
        return bool(ready and server.error is None)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def _bind(self) -> socket.socket:
        return bind_listener(self.host, self.port, listen=False)

    def start(self) -> SimServer:
        if self._thread is not None:
            return self
        sock = self._listener if self._listener is not None else self._bind()
        self.host, self.port = sock.getsockname()[:2]
        try:
            self._prepare_files()
            if self.config.ssh:
                self._bind_ssh()
        except BaseException:
            sock.close()
            self._release_files()
            raise
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
        if self._ssh_sock is not None:
            self._start_ssh()
        if self.config.state_file:
            self._saver = threading.Thread(target=self._autosave, name="boxdeck-sim-save", daemon=True)
            self._saver.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stop_ssh()
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
        self._release_files()

    # -- SSH and the boxes' directories ----------------------------------------------------------------------
    def _prepare_files(self) -> None:
        """The state dir: given, next to `--state FILE`, or a temporary one that goes with the server."""
        if self.config.state_dir:
            path = Path(self.config.state_dir)
        elif self.config.state_file:
            path = Path(self.config.state_file + ".d")
        else:
            path = Path(tempfile.mkdtemp(prefix="boxdeck-sim-"))
            self._own_state_dir = True
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.state_dir = path

    def _release_files(self) -> None:
        if self._own_state_dir and self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self._own_state_dir = False

    def _bind_ssh(self) -> None:
        host = self.config.host
        if not self.config.ssh_allow_remote and not is_loopback(host):
            host = "::1" if ":" in host and host != "::" else "127.0.0.1"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, self.config.ssh_port))
            sock.listen(100)  # logins that arrive before the server thread runs wait in the backlog
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        advertised = host if host not in ("0.0.0.0", "::") else ("::1" if host == "::" else "127.0.0.1")
        self._ssh_sock = sock
        self.ssh = SshEndpoint(advertised, port)
        assert self.state_dir is not None
        self._files = BoxFiles(self.state_dir)
        self._runtime.attach(self.ssh, self._files)

    def _start_ssh(self) -> None:
        assert self._ssh_sock is not None and self.ssh is not None and self.state_dir is not None
        assert self._files is not None
        sock, endpoint, state_dir, runtime = self._ssh_sock, self.ssh, self.state_dir, self._runtime
        config, files = self.config, self._files

        def serve() -> None:
            from boxdeck.sim.sshd import SshServer  # asyncssh is imported here, off the HTTP side's path

            server = SshServer(
                lambda: runtime.world,
                endpoint,
                files,
                sock=sock,
                key_path=state_dir / HOST_KEY_FILE,
                known_hosts_path=state_dir / KNOWN_HOSTS_FILE,
                bwrap=config.bwrap,
                allow_remote=config.ssh_allow_remote,
            )
            self._ssh_server = server
            server.run()

        self._ssh_thread = threading.Thread(target=serve, name="boxdeck-sim-ssh", daemon=True)
        self._ssh_thread.start()

    def _stop_ssh(self) -> None:
        thread, self._ssh_thread = self._ssh_thread, None
        server = self._ssh_server
        if thread is not None:
            if server is None:  # still importing: wait for it to exist so it can be told to stop
                deadline = time.monotonic() + 10
                while self._ssh_server is None and thread.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.01)
                server = self._ssh_server
            if server is not None:
                server.ready.wait(10)
                server.stop()
            thread.join(timeout=5)
        self._ssh_server = None
        if self._ssh_sock is not None:
            self._ssh_sock.close()
            self._ssh_sock = None

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

    def answer_ssh(self, backend: str, ref: str, **answer: str | None) -> None:
        """Play a hostile server (see `World.answer_ssh`; also `POST /_sim/boxes/{backend}/{ref}/ssh`)."""
        self.world.answer_ssh(backend, ref, **answer)

    def set_hostile(
        self, *, echo: bool = False, body: str | None = None, status: int = 200, bomb_bytes: int | None = None
    ) -> None:
        """Turn the hostile behaviours of `boxdeck.sim.hostile` on (no arguments: off)."""
        self._runtime.hostile.configure(echo=echo, body=body, status=status, bomb_bytes=bomb_bytes)

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
