"""`boxdeck --demo`'s simulator runs in a child process: it serves, it never outlives the dashboard
(stopped on quit, and on its own when the dashboard's end of the pipe closes — a crash or a kill), Ctrl-C
meant for the dashboard or its ssh session does not stop it, and the demo falls back to an in-process
simulator when no child can be started."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import httpx
import pytest

from boxdeck import cli
from boxdeck.cli import dispatch
from boxdeck.sim import SimServer
from boxdeck.sim.child import SimChild, SimChildError
from boxdeck.tui import launch


def health(child: SimChild) -> int:
    return httpx.get(f"{child.base_url}/_sim/health", timeout=5).status_code


def gone(child: SimChild) -> bool:
    try:
        httpx.get(f"{child.base_url}/_sim/health", timeout=1)
    except httpx.TransportError:
        return True
    return False


def test_serves_the_demo_world_with_the_demo_tokens_and_stops() -> None:
    with SimChild(seed=42) as child:
        assert child.base_url.startswith("http://127.0.0.1:")
        assert health(child) == 200
        listed = httpx.get(
            f"{child.base_url}/api/v0beta1/sandboxes",
            headers={"Authorization": f"Bearer {child.amika_token}"},
            timeout=5,
        )
        assert listed.status_code == 200 and any(s["name"] == "acme/platform" for s in listed.json())
    assert gone(child)


def test_tells_its_parent_where_ssh_listens_and_its_host_key() -> None:
    """What `--demo` needs to pin the child's host key (no prompt, no trust on first use)."""
    with SimChild(seed=42) as child:
        assert child.wait_ssh()
        ssh = httpx.get(f"{child.base_url}/_sim/ssh", timeout=5).json()
        assert (child.ssh_host, child.ssh_port) == ("127.0.0.1", ssh["port"])
        assert child.ssh_host_key == ssh["host_key"] and child.ssh_host_key.startswith("ssh-ed25519 ")
        assert ssh["known_hosts"] == f"[127.0.0.1]:{child.ssh_port} {child.ssh_host_key}"


def test_stops_by_itself_when_the_parents_end_of_the_pipe_closes() -> None:
    child = SimChild(seed=42)
    child.start()
    child.wait_ready()
    proc = child._proc
    assert proc is not None and proc.stdin is not None
    proc.stdin.close()  # what a crashed or killed dashboard leaves behind
    assert proc.wait(timeout=10) == 0
    assert gone(child)
    child.stop()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_the_terminal_does_not_stop_it() -> None:
    with SimChild(seed=42) as child:
        assert child._proc is not None
        os.kill(child._proc.pid, signal.SIGINT)
        time.sleep(0.5)
        assert child._proc.poll() is None and health(child) == 200


def test_a_child_that_exits_at_once_is_reported_with_its_output() -> None:
    child = SimChild(seed=42, python=sys.executable)
    child._argv = [sys.executable, "-c", "print('no simulator here'); raise SystemExit(3)"]
    child.start()
    with pytest.raises(SimChildError, match="exited before it served") as caught:
        child.wait_ready(timeout=10)
    assert "no simulator here" in caught.value.output
    child.stop()


def test_the_demo_falls_back_to_a_simulator_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def no_processes(self: SimChild) -> None:
        raise OSError("processes are not allowed here")

    monkeypatch.setattr(SimChild, "start", no_processes)
    def fake_run_app(settings: Any, demo: Any = None, **_context: Any) -> int:
        seen.append((settings, demo))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    assert launch.main(["--demo", "--no-log"], {}) == 0
    settings, demo = seen[0]
    assert isinstance(demo, SimServer) and settings.amika.url == demo.base_url


def test_a_bad_flag_after_demo_starts_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[SimChild] = []
    monkeypatch.setattr(SimChild, "start", lambda self: started.append(self))
    monkeypatch.setattr(dispatch, "has_terminal", lambda args: True)
    assert cli.main(["--demo", "--no-such-flag"]) == 2
    assert started == []  # the flags are checked before anything starts


def test_boxdeck_demo_hands_the_child_it_started_to_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def fake_run_app(settings: Any, demo: Any = None, **_context: Any) -> int:
        seen.append((demo, httpx.get(f"{demo.base_url}/_sim/health").status_code))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    monkeypatch.setattr(dispatch, "has_terminal", lambda args: True)
    assert cli.main(["--demo", "--no-log", "--seed", "7"]) == 0
    (demo, health), = seen
    assert isinstance(demo, SimChild) and health == 200
    assert demo._proc is None  # stopped when the dashboard quit


def test_its_url_is_known_before_it_serves_and_early_requests_are_answered() -> None:
    """The dashboard starts without waiting for the child: a request made before the child serves waits in
    the listening socket's backlog and is answered."""
    child = SimChild(seed=42)
    child.start()
    try:
        assert child.base_url.startswith("http://127.0.0.1:")  # at once, before the child says it serves
        assert httpx.get(f"{child.base_url}/_sim/health", timeout=30).status_code == 200
        child.wait_ready()
    finally:
        child.stop()
    assert gone(child)


def test_a_child_that_dies_before_it_serves_is_replaced_here_on_the_same_url() -> None:
    child = SimChild(seed=42)
    child._argv = [sys.executable, "-c", "raise SystemExit(3)"]
    child.start()
    url = child.base_url
    with launch.demo_simulator(42, child) as demo:
        assert demo.base_url == url
        token = {"Authorization": f"Bearer {demo.amika_token}"}
        listed = httpx.get(f"{url}/api/v0beta1/sandboxes", headers=token, timeout=30)
        assert listed.status_code == 200 and any(s["name"] == "acme/platform" for s in listed.json())
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sim/health", timeout=2)  # and stopped when the demo ends
