"""The yardstick: the official Devbox TypeScript SDK (npm `@latitudesh/devbox@0.2.0`) runs unchanged against
`boxdeck sim`. Needs Node.js, npm and the npm registry (once), so it skips cleanly where those are missing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def sdk_installed() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm not installed")
    package = HERE / "node_modules" / "@latitudesh" / "devbox" / "package.json"
    if not package.exists():
        try:
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                check=True,
                capture_output=True,
                text=True,
                timeout=180,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"could not install @latitudesh/devbox: {exc}")
    return HERE


@pytest.fixture
def running_sim() -> Iterator[str]:
    """A real `boxdeck sim` process with its defaults (churn on, the demo's failure rate), a real clock at
    high speed so the SDK's own waitForReady is quick: churn and failures touch only the demo's own boxes,
    never the SDK's."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "boxdeck",
            "sim",
            "--port",
            "0",
            "--speed",
            "50",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line + (proc.stderr.read() if proc.stderr else "")
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_official_sdk_runs_against_the_simulator(sdk_installed: Path, running_sim: str) -> None:
    from boxdeck.sim.config import DEFAULT_SPRITES_TOKEN, DEFAULT_USER_TOKEN

    env = {
        **os.environ,
        "BOXDECK_SIM_URL": running_sim,
        "SPRITES_TOKEN": DEFAULT_SPRITES_TOKEN,
        "USER_TOKEN": DEFAULT_USER_TOKEN,
    }
    result = subprocess.run(
        ["node", "devbox_sdk_check.mjs"],
        cwd=sdk_installed,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the official SDK ran every call" in result.stdout
