"""Benchmark 5 — idle CPU and memory of the real dashboard on a terminal.

Both run the real dashboard (`python -m boxdeck --amika-url … --devbox-url …`) on a pseudo-terminal of
160×45 (so frames are really written to a terminal), against the simulator in its own process, with an empty
configuration (default cadence: 5 s steady polls, the spinner and age timers on). The Devboxes screen is
visited once (`2`) and the Sandboxes screen shown again (`1`): a hidden screen must stop costing anything.

- **idle CPU**: a settled world with churn off, 1,000 boxes (500 + 500) and 20,000 (10,000 + 10,000); CPU =
  user + system time of the dashboard process (/proc/<pid>/stat) over a 60 s window, as a share of one
  core; `--runs` consecutive windows of one dashboard each, min / median / max, with the load average. The
  windows start once the start-up backlog is done (devboxes already failed when first seen have their steps
  fetched once, a few a poll: no such request for 12 s); how long it took and what it cost is reported;
- **memory in a churning world**: 10,000 + 10,000 with churn on (boxes created, changing and deleted all the
  time), RSS (VmRSS of the dashboard process) sampled every 30 s for `--soak-minutes` (10 for the figure of
  record, run once).

    python bench/memory_idle.py [--seconds 60] [--runs 3] [--soak-minutes 10] [--only idle|soak] [--json out]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time

from common import (
    PtyProcess,
    Result,
    SimProcess,
    cpu_seconds,
    dashboard_argv,
    fmt,
    isolated_home,
    load_average,
    median,
    rss_mb,
    spread,
    table,
)

SIZE = (160, 45)
IDLE_TARGETS = {500: 1.0, 10_000: 3.0}  # boxes per API -> % of one core
RSS_TARGET_MB = 200.0


def start_dashboard(sim: SimProcess, tmp: str, needle: str) -> PtyProcess:
    tui = PtyProcess(dashboard_argv(sim), env=isolated_home(tmp), size=SIZE)
    if math.isnan(tui.wait_for(needle, timeout=180)):
        tui.close()
        raise RuntimeError("the dashboard did not show its rows")
    return tui


def visit_devboxes(tui: PtyProcess) -> None:
    """Show the Devboxes screen once (its rows painted), then the Sandboxes screen again."""
    time.sleep(3.0)
    tui.write(b"2")
    time.sleep(6.0)
    tui.write(b"1")
    time.sleep(3.0)


def detail_requests(sim: SimProcess) -> int:
    """How many devbox operations and repositories lists the simulator has answered."""
    seen = sim.control("GET", "requests")
    return sum(n for path, n in seen.items() if path.endswith(("/operations", "/repositories")))


def wait_for_backlog(sim: SimProcess, quiet: float = 12.0, timeout: float = 1200.0) -> float:
    """Seconds until the dashboard's start-up detail fetches are done: no operations or repositories request
    for `quiet` s (more than two steady polls). A devbox already failed when first seen has its steps fetched
    once, a few a poll, so a fleet with many failed devboxes keeps fetching for minutes after start."""
    started = time.monotonic()
    last, since = detail_requests(sim), time.monotonic()
    while time.monotonic() - started < timeout:
        time.sleep(2.0)
        now = detail_requests(sim)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - started


def idle_cpu(per_api: int, seconds: float, runs: int) -> list[dict[str, float | str]]:
    """One dashboard per size: after the Devboxes visit and the start-up backlog, `runs` consecutive windows
    of steady idle (a fresh dashboard per window would sit through the backlog each time: ten minutes at
    10,000 + 10,000)."""
    out: list[dict[str, float | str]] = []
    with (
        SimProcess(sandboxes=per_api, devboxes=per_api, speed=50, seed=6, start_timeout=300) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sim.wait_settled(timeout=300)
        needle = min((s["name"] for s in sim.sandboxes()), key=str.casefold)
        tui = start_dashboard(sim, tmp, needle)
        try:
            visit_devboxes(tui)
            c_start, w_start = cpu_seconds(tui.proc.pid), time.monotonic()
            backlog = wait_for_backlog(sim)
            backlog_pct = (cpu_seconds(tui.proc.pid) - c_start) / (time.monotonic() - w_start) * 100
            print(f"idle {per_api} + {per_api}: start-up backlog {backlog:.0f} s at {backlog_pct:.1f} %",
                  flush=True)
            for _ in range(runs):
                load = load_average()
                c0, w0 = cpu_seconds(tui.proc.pid), time.monotonic()
                time.sleep(seconds)
                c1, w1 = cpu_seconds(tui.proc.pid), time.monotonic()
                assert tui.proc.poll() is None, "the dashboard exited during the idle window"
                rss = rss_mb(tui.proc.pid)
                out.append({"pct": (c1 - c0) / (w1 - w0) * 100, "window": w1 - w0, "rss": rss, "load": load,
                            "backlog_s": backlog, "backlog_pct": backlog_pct})
                print(f"idle {per_api} + {per_api}: {out[-1]}", flush=True)
        finally:
            tui.close()
    return out


def soak(per_api: int, minutes: float, every: float = 30.0) -> list[tuple[float, float, str]]:
    """RSS (MB) of the dashboard every `every` s in a churning world: [(seconds, MB, load)]."""
    samples: list[tuple[float, float, str]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimProcess(sandboxes=per_api, devboxes=per_api, seed=6, churn=True, start_timeout=300) as sim,
    ):
        needle = min((s["name"] for s in sim.sandboxes()), key=str.casefold)
        tui = start_dashboard(sim, tmp, needle)
        try:
            visit_devboxes(tui)
            started = time.monotonic()
            while True:
                elapsed = time.monotonic() - started
                samples.append((elapsed, rss_mb(tui.proc.pid), load_average()))
                print(f"soak {elapsed:5.0f} s: RSS {samples[-1][1]:.0f} MB", flush=True)
                if elapsed >= minutes * 60 or tui.proc.poll() is not None:
                    break
                time.sleep(min(every, max(0.0, minutes * 60 - elapsed)))
            assert tui.proc.poll() is None, "the dashboard exited during the soak"
        finally:
            tui.close()
    return samples


def run(seconds: float, runs: int, soak_minutes: float, only: str | None) -> Result:
    titles = {
        "idle": "5. Idle CPU of the dashboard on a terminal (160×45)",
        "soak": "7. Memory of the dashboard in a churning world (160×45)",
        None: "5. Idle CPU and memory of the dashboard on a terminal (160×45)",
    }
    result = Result("memory_idle", titles[only])
    if only in (None, "idle"):
        rows = []
        for per_api, target in IDLE_TARGETS.items():
            got = idle_cpu(per_api, seconds, runs)
            pct = [float(r["pct"]) for r in got]
            rows.append([
                f"{per_api * 2:,} ({per_api:,} + {per_api:,}), steady, after a start-up backlog of "
                f"{float(got[0]['backlog_s']):.0f} s at {float(got[0]['backlog_pct']):.1f} % of a core",
                f"{float(got[0]['window']):.0f} s",
                spread(pct, 2),
                spread([float(r["rss"]) for r in got], 0),
                "; ".join(str(r["load"]).split()[0] for r in got),
            ])  # fmt: skip
            result.figure(
                f"idle CPU, {per_api:,} + {per_api:,} steady, Devboxes screen visited once",
                spread(pct, 2) + " % of one core",
                f"< {target:g} %",
                median(pct) < target,
            )
        result.tables.append(
            table(
                ["boxes", "window", "% of one core (min / median / max)", "RSS MB", "load (1 min) per run"],
                rows,
            )  # fmt: skip
        )
    if only in (None, "soak"):
        samples = soak(10_000, soak_minutes)
        last = samples[-1]
        result.tables.append(
            table(
                ["minutes into the churning world (10,000 + 10,000)", "RSS MB", "load"],
                [[fmt(t / 60, 1), fmt(mb, 0), load.split()[0]] for t, mb, load in samples],
            )
        )
        result.figure(
            f"RSS at 10,000 + 10,000 after {last[0] / 60:.0f} min of a churning world",
            f"{last[1]:.0f} MB (first sample {samples[0][1]:.0f} MB, "
            f"highest {max(s[1] for s in samples):.0f} MB)",
            f"< {RSS_TARGET_MB:.0f} MB",
            last[1] < RSS_TARGET_MB,
        )
        if soak_minutes < 10:
            result.notes.append(f"a {soak_minutes:g}-minute soak: the figure of record is 10 minutes")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--soak-minutes", type=float, default=10.0)
    p.add_argument("--only", choices=["idle", "soak"], default=None)
    p.add_argument("--quick", action="store_true", help="one 20 s idle run each, a 2-minute soak")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.runs, args.soak_minutes = 20.0, 1, 2.0
    started = time.monotonic()
    result = run(args.seconds, args.runs, args.soak_minutes, args.only)
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
