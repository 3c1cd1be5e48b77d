"""The simulator in a child process, for `boxdeck --demo`.

Started before the dashboard imports Textual, the simulator's own start-up (FastAPI, uvicorn, the demo world:
about half of `--demo`'s time to first rows) runs on another core, in parallel with the dashboard's. The
listening socket is made here and handed to the child, so the URL is known at once: the dashboard is built
and sends its first requests without waiting for the child, and those wait in the socket's backlog until the
child serves. The child reads its stdin until end of file, so it stops when the dashboard quits, and also when
it crashes or is killed (the pipe closes either way): a demo never leaves a server behind.

Only the standard library, `boxdeck.sim.config` and `boxdeck.sim.sockets` are imported here, so the parent
pays nothing for FastAPI.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from types import TracebackType
from typing import IO

from boxdeck.sim.config import DEMO_SEED, SimConfig
from boxdeck.sim.sockets import bind_listener

__all__ = ["DEMO_SEED", "SimChild", "SimChildError", "start_demo_child"]

READY_PREFIX = "boxdeck simulator serving on "
SSH_PREFIX = "  SSH         "
HOST_KEY_PREFIX = "  SSH host key "


class SimChildError(RuntimeError):
    """The child did not come up (it exited, or said nothing in time); `output` is what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class SimChild:
    """`with SimChild(seed=42) as sim: sim.base_url ...` — like `SimServer`, but in its own process.

    `start()` returns at once; `wait_ready()` blocks until the child prints the URL it serves on.
    """

    def __init__(self, *, seed: int, churn: bool = True, python: str = sys.executable) -> None:
        self.config = SimConfig(seed=seed, churn=churn)
        self._argv = [python, "-m", "boxdeck", "sim", "--seed", str(seed), "--parent-pipe"]
        self._argv.append("--churn" if churn else "--no-churn")
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._seen: list[str] = []
        self._listener: socket.socket | None = None
        self._ready = False
        self.base_url = ""
        """Where it serves: known as soon as `start()` returns (requests wait until the child serves)."""
        self.ssh_host = ""
        self.ssh_port = 0
        self.ssh_host_key = ""
        """`ssh-ed25519 AAAA…` once `wait_ssh()` has seen the child say it; "" before."""

    # -- what the dashboard and the tests read (the same names as SimServer's) --------------------------
    @property
    def amika_token(self) -> str:
        return self.config.amika_token

    @property
    def sprites_token(self) -> str:
        return self.config.sprites_token

    @property
    def user_token(self) -> str:
        return self.config.user_token

    # -- lifetime -----------------------------------------------------------------------------------------
    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        listener = bind_listener(self.config.host, 0)
        try:
            self._proc = subprocess.Popen(
                [*self._argv, "--fd", str(listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
                pass_fds=(listener.fileno(),),
            )
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self.base_url = f"http://{self.config.host}:{listener.getsockname()[1]}"
        assert self._proc.stdout is not None
        out = self._proc.stdout
        threading.Thread(target=self._drain, args=(out,), name="sim-child-out", daemon=True).start()

    def _drain(self, out: IO[str]) -> None:
        """Every line the child prints goes through here: its pipe never fills up and blocks it."""
        try:
            for line in out:
                self._lines.put(line.rstrip("\n"))
        except (OSError, ValueError):  # the pipe was closed under us by stop()
            pass
        self._lines.put(None)

    def wait_ready(self, timeout: float = 30.0) -> str:
        """Block until the child serves; returns its base URL. Raises SimChildError if it exits or is slow."""
        while not self._ready:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise SimChildError(f"the simulator said nothing for {timeout:g} s", self.output) from None
            if line is None:
                raise SimChildError("the simulator exited before it served", self.output)
            self._note(line)
        return self.base_url

    def wait_ssh(self, timeout: float = 30.0) -> bool:
        """Block until the child's SSH server has its host key (`ssh_host_key`); False if it never says."""
        self.wait_ready(timeout)
        while not self.ssh_host_key:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                return False
            if line is None:
                return False
            self._note(line)
        return True

    def _note(self, line: str) -> None:
        self._seen.append(line)
        if line.startswith(READY_PREFIX):
            self._ready = True
        elif line.startswith(SSH_PREFIX):
            address = line.removeprefix(SSH_PREFIX).split()[0]
            host, _, port = address.rpartition(":")
            self.ssh_host, self.ssh_port = host.strip("[]"), int(port)
        elif line.startswith(HOST_KEY_PREFIX):
            self.ssh_host_key = " ".join(line.removeprefix(HOST_KEY_PREFIX).split()[:2])

    @property
    def output(self) -> str:
        return "\n".join(self._seen[-20:])

    def take_listener(self) -> socket.socket | None:
        """The listening socket, for a server in this process to take over (the child failed): the URL stays
        the same, and requests already waiting in its backlog are answered. `stop()` then leaves it open."""
        listener, self._listener = self._listener, None
        return listener

    def stop(self, timeout: float = 5.0) -> None:
        """Close the child's stdin (it stops by itself), then make sure it is gone."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> SimChild:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_demo_child(seed: int = DEMO_SEED) -> SimChild | None:
    """The demo's simulator, starting (not yet ready), or None when no child process can be started."""
    child = SimChild(seed=seed, churn=True)
    try:
        child.start()
    except OSError:
        return None
    return child
