"""`boxdeck sim`: flags, the loopback guard, and a real run printing how to point boxdeck at it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from boxdeck.sim.cli import banner, build_parser, config_from, main
from boxdeck.sim.config import SimConfig


def test_flags_map_onto_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--port",
            "9000",
            "--speed",
            "20",
            "--seed",
            "3",
            "--sandboxes",
            "100",
            "--devboxes",
            "50",
            "--fault-rate",
            "0.2",
            "--no-churn",
            "--state",
            "/tmp/x.json",
            "--amika-token",
            "a",
            "--sprites-token",
            "s",
            "--user-token",
            "u",
        ]
    )
    cfg = config_from(args)
    assert (cfg.port, cfg.speed, cfg.seed, cfg.sandboxes, cfg.devboxes) == (9000, 20, 3, 100, 50)
    assert (cfg.fault_rate, cfg.churn, cfg.state_file) == (0.2, False, "/tmp/x.json")
    assert (cfg.amika_token, cfg.sprites_token, cfg.user_token) == ("a", "s", "u")
    assert config_from(build_parser().parse_args([])).churn is True


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_refuses_non_loopback_without_allow_remote(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", host]) == 2
    assert "--allow-remote" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--speed", "0"], ["--fault-rate", "2"], ["--fault-kinds", "teapot"]])
def test_rejects_bad_values(argv: list[str]) -> None:
    assert main(argv) == 2


def test_banner_has_the_exact_command() -> None:
    text = banner("http://127.0.0.1:8765", SimConfig())
    assert (
        "boxdeck --amika-url http://127.0.0.1:8765 --amika-token amk_sim_boxdeck_demo --devbox-url "
        "http://127.0.0.1:8765 --sprites-token spr_sim_boxdeck_demo --user-token usr_sim_boxdeck_demo"
    ) in text


def test_real_run_serves_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "boxdeck", "sim", "--port", "0", "--speed", "50", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        base = match.group(0)
        lines = [proc.stdout.readline() for _ in range(13)]
        assert any(f"boxdeck --amika-url {base}" in line for line in lines)
        h = httpx.get(base + "/_sim/health").json()
        assert h["manual_clock"] is False and h["speed"] == 50 and h["churn"] is True
        r = httpx.get(
            base + "/api/v0beta1/sandboxes", headers={"Authorization": "Bearer amk_sim_boxdeck_demo"}
        )
        assert r.status_code == 200 and len(r.json()) == 12
    finally:
        proc.send_signal(signal.SIGTERM)
        t = time.monotonic()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert time.monotonic() - t < 5
    assert "stopped" in out
