"""Benchmark 6 — cursor keys in a real terminal: CPU per key, boxdeck beside a bare DataTable app.

Each program runs in tmux (its own server socket, a detached session of a fixed 160×45), exactly as a user's
terminal would run it: keys arrive as bytes through tmux, frames are written to the terminal. While it runs, a
thread flips two boxes' states in the simulator every 0.3 s, so every poll brings changes.

For each program: a 10 s window with no keys, then 100 `Down` keys sent at 10 per second (`tmux send-keys`);
CPU per key = (CPU in the key window − CPU in the idle window of the same length) ÷ keys, from
/proc/<pid>/stat. Subtracting the idle window removes what polling, timers and the changes cost anyway.

- bare: a Textual app with an Input, a DataTable and a Footer and some CSS, its 1,000 rows from one GET of the
  sandbox list (`startup.py --child-bare`);
- boxdeck, All screen, 1,000 rows (1,000 sandboxes, no devboxes);
- boxdeck, All screen, 20,000 rows (10,000 sandboxes + 10,000 devboxes).

`--runs` runs of each, alternating; min / median / max with the load average.

    python bench/terminal.py [--runs 3] [--keys 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import math
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

from common import (
    PY,
    ROOT,
    Result,
    SimProcess,
    cpu_seconds,
    dashboard_argv,
    isolated_home,
    load_average,
    median,
    spread,
    table,
)
from ui_scale import Flipper

SOCKET = ["boxdeck-bench"]  # tmux -L: a server of its own (--tmux-socket)
SIZE = (160, 45)


class Tmux:
    """One program in a detached tmux session on a private server socket."""

    def __init__(self, argv: list[str], env: dict[str, str], name: str) -> None:
        self.name = name
        command = " ".join(
            ["exec", "env", *(f"{k}={shlex.quote(v)}" for k, v in env.items()), *map(shlex.quote, argv)]
        )
        self.tmux(
            "new-session", "-d", "-s", name, "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(ROOT), command
        )
        self.pid = int(self.tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    @staticmethod
    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", SOCKET[0], *args], capture_output=True, text=True, check=True
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, needle: str, timeout: float = 180.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.screen():
                return True
            time.sleep(0.2)
        return False

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", SOCKET[0], "kill-session", "-t", self.name], capture_output=True)


def cpu_per_key(tui: Tmux, keys: int, rate: float = 10.0) -> float:
    """ms of CPU per key, over what the same window costs without keys."""
    window = keys / rate
    c0 = cpu_seconds(tui.pid)
    time.sleep(window)
    idle = cpu_seconds(tui.pid) - c0
    c0 = cpu_seconds(tui.pid)
    started = time.monotonic()
    for i in range(keys):
        tui.keys("Down")
        time.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    busy = cpu_seconds(tui.pid) - c0
    return (busy - idle) / keys * 1000


def measure(kind: str, sim: SimProcess, needle: str, keys: int, run: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "bare":
            argv = [
                PY,
                str(Path(__file__).with_name("startup.py")),
                "--child-bare",
                sim.base_url,
                sim.amika_token,
            ]
        else:
            argv = dashboard_argv(sim)
        tui = Tmux(argv, isolated_home(tmp), f"{kind}-{run}")
        try:
            if not tui.wait_for(needle):
                raise RuntimeError(f"{kind}: no rows on the screen:\n{tui.screen()}")
            if kind != "bare":
                tui.keys("0")  # the All screen
                time.sleep(2.0)
            time.sleep(6.0)  # loaded, first polls done
            return cpu_per_key(tui, keys)
        finally:
            tui.close()


def run(runs: int, keys: int, big: int) -> Result:
    result = Result("terminal", "6. Cursor keys in a real terminal (tmux, 160×45): CPU per key")
    got: dict[str, list[float]] = {"bare": [], "small": [], "big": []}
    loads: list[str] = []
    with (
        SimProcess(sandboxes=1000, devboxes=0, speed=50, seed=5) as small,
        SimProcess(sandboxes=big, devboxes=big, speed=50, seed=5, start_timeout=300) as large,
    ):
        small.wait_settled()
        large.wait_settled(timeout=300)
        needles = {
            name: min((s["name"] for s in sim.sandboxes()), key=str.casefold)
            for name, sim in (("small", small), ("big", large))
        }
        with Flipper(small), Flipper(large):
            for i in range(runs):
                loads.append(load_average().split()[0])
                got["bare"].append(measure("bare", small, needles["small"], keys, i))
                got["small"].append(measure("boxdeck", small, needles["small"], keys, i))
                got["big"].append(measure("boxdeck", large, needles["big"], keys, i))
                print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} ms" for k, v in got.items()), flush=True)
    bare, small_ms, big_ms = (median(got[k]) for k in ("bare", "small", "big"))
    result.tables.append(
        table(
            [
                "program (polling, two boxes changing every 0.3 s)",
                "CPU ms per key (min / median / max)",
                "÷ bare (medians)",
            ],
            [
                ["bare Textual app: Input, DataTable, Footer, CSS; 1,000 rows", spread(got["bare"], 2), "1×"],
                ["boxdeck, All screen, 1,000 rows", spread(got["small"], 2), f"{small_ms / bare:.2f}×"],
                [f"boxdeck, All screen, {2 * big:,} rows", spread(got["big"], 2), f"{big_ms / bare:.2f}×"],
            ],
        )  # fmt: skip
    )
    result.figure(
        f"boxdeck CPU per key at {2 * big:,} rows ÷ the bare DataTable app at 1,000 rows",
        f"{big_ms / bare:.2f}× ({big_ms:.2f} ms vs {bare:.2f} ms)",
        "≤ 1.5×",
        big_ms / bare <= 1.5,
    )
    grow = big_ms / small_ms - 1 if small_ms > 0 else math.nan
    result.figure(
        f"boxdeck CPU per key, 1,000 vs {2 * big:,} rows",
        f"{small_ms:.2f} ms vs {big_ms:.2f} ms ({grow * 100:+.0f} %)",
        "within 20 %",
        abs(grow) <= 0.2,
    )
    result.notes.append(f"{keys} keys at 10 a second per run; load (1 min) at each run: " + "; ".join(loads))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--big", type=int, default=10000, help="sandboxes and devboxes of the big world")
    p.add_argument("--quick", action="store_true", help="1 run, 50 keys, 2,000 + 2,000")
    p.add_argument("--tmux-socket", default=SOCKET[0], help="the tmux server socket name (tmux -L)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    SOCKET[0] = args.tmux_socket
    if args.quick:
        args.runs, args.keys, args.big = 1, 50, 2000
    started = time.monotonic()
    result = run(args.runs, args.keys, args.big)
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
