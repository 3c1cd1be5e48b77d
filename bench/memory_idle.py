"""Benchmark 5 — memory with 10,000 sandboxes + 10,000 devboxes, and idle CPU with 1,000 steady boxes.

Memory: the headless app (`BoxdeckApp`, this process) against the simulator (its own process, so the world's
memory is not counted) with 10,000 sandboxes and 10,000 devboxes, both screens visited so both tables hold all
their rows; RSS read from /proc/self/status (VmRSS; VmHWM for the peak), after imports and after loading.

Idle CPU: the real dashboard (`python -m boxdeck --amika-url … --devbox-url …`) on a pseudo-terminal (so
frames are really written to a terminal), against a settled world with churn off, at the default cadence (5 s
steady polls, the spinner and age timers on). CPU = user + system time of the dashboard process from
/proc/<pid>/stat over the window, as a share of one core. Two worlds: 1,000 boxes (500 + 500) — the target —
and 2,000 boxes (1,000 per API).

    python bench/memory_idle.py [--seconds 60] [--quick (15 s)] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time

from common import (
    PY,
    PtyProcess,
    Result,
    SimProcess,
    cpu_seconds,
    fmt,
    headless_size,
    hwm_mb,
    rss_mb,
    settings_for,
    table,
)

RSS_TARGET_MB = 250.0
CPU_TARGET_PCT = 2.0


async def memory(n: int) -> dict[str, float]:
    from boxdeck.service.configuration.config import Service
    from boxdeck.tui.app import BoxdeckApp
    from boxdeck.tui.context import Deck
    from boxdeck.tui.widgets.box_table import BoxTable

    gc.collect()
    before = rss_mb()
    with SimProcess(sandboxes=n, devboxes=n, speed=50, seed=4) as sim:
        sim.wait_settled(timeout=300)
        service = Service.from_settings(settings_for(sim))
        for backend in service.monitor.backends:  # the service alone: snapshots, no UI yet
            await service.monitor.poll(backend)
        gc.collect()
        service_only = rss_mb()
        app = BoxdeckApp(Deck(service, owns_services=True))
        loaded: dict[str, float] = {}
        async with app.run_test(size=headless_size()) as pilot:
            started = time.monotonic()
            for key in ("1", "2"):
                await pilot.press(key)
                while time.monotonic() - started < 300:
                    tables = app.screen.query(BoxTable)
                    if tables and tables.first().row_count >= n:
                        break
                    await pilot.pause(0.2)
                loaded[key] = app.screen.query_one(BoxTable).row_count
            load_s = time.monotonic() - started
            await pilot.pause(2.0)
            gc.collect()
            after = rss_mb()
            peak = hwm_mb()
            rows = sum(loaded.values())
            trimmed = malloc_trim()
    return {
        "before": before,
        "service": service_only,
        "after": after,
        "peak": peak,
        "rows": rows,
        "load_s": load_s,
        "trimmed": trimmed,
    }


def malloc_trim() -> float:
    """RSS after glibc's malloc_trim(0): what the heap was holding free but not returned (a diagnostic)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        return float("nan")
    return rss_mb()


def idle_cpu(per_api: int, seconds: float) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimProcess(sandboxes=per_api, devboxes=per_api, speed=50, seed=6) as sim,
    ):
        sim.wait_settled(timeout=300)
        env = {"HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_STATE_HOME": tmp, "XDG_CACHE_HOME": tmp}
        argv = [
            PY,
            "-m",
            "boxdeck",
            "--amika-url",
            sim.base_url,
            "--devbox-url",
            sim.base_url,
            "--amika-token",
            sim.amika_token,
            "--sprites-token",
            sim.sprites_token,
            "--user-token",
            sim.user_token,
        ]
        tui = PtyProcess(argv, env=env)
        try:
            first = tui.wait_for("sandboxes", timeout=120)
            time.sleep(8.0)  # first polls done, settled at the steady cadence
            c0, w0 = cpu_seconds(tui.proc.pid), time.monotonic()
            time.sleep(seconds)
            c1, w1 = cpu_seconds(tui.proc.pid), time.monotonic()
            rss = rss_mb(tui.proc.pid)
            alive = tui.proc.poll() is None
        finally:
            tui.close()
    return {
        "pct": (c1 - c0) / (w1 - w0) * 100,
        "cpu_s": c1 - c0,
        "window_s": w1 - w0,
        "first": first,
        "rss": rss,
        "alive": float(alive),
    }


def run(seconds: float, n: int) -> Result:
    result = Result("memory_idle", "5. Memory at 10,000 + 10,000 boxes, and idle CPU at the default cadence")
    mem = asyncio.run(memory(n))
    result.tables.append(
        table(
            [
                "headless app, both tables loaded",
                "rows",
                "RSS after imports (MB)",
                "+ service polled (MB)",
                "+ app, both tables (MB)",
                "peak VmHWM (MB)",
                "after malloc_trim(0) (MB)",
                "load time s",
            ],
            [
                [
                    f"{n:,} sandboxes + {n:,} devboxes",
                    f"{mem['rows']:,.0f}",
                    fmt(mem["before"]),
                    fmt(mem["service"]),
                    fmt(mem["after"]),
                    fmt(mem["peak"]),
                    fmt(mem["trimmed"]),
                    fmt(mem["load_s"]),
                ]
            ],
        )
    )
    result.figure(
        f"RSS with {n:,} sandboxes + {n:,} devboxes loaded",
        f"{fmt(mem['after'])} MB (peak {fmt(mem['peak'])} MB)",
        f"< {RSS_TARGET_MB:.0f} MB",
        mem["after"] < RSS_TARGET_MB,
    )
    rows = []
    for per_api in (500, 1000):
        idle = idle_cpu(per_api, seconds)
        rows.append(
            [
                f"{per_api * 2:,} ({per_api:,} + {per_api:,})",
                f"{idle['window_s']:.0f} s",
                fmt(idle["cpu_s"], 2),
                fmt(idle["pct"], 2),
                fmt(idle["rss"]),
            ]
        )
        if per_api == 500:
            result.figure(
                f"idle CPU, 1,000 steady boxes, default cadence, over {idle['window_s']:.0f} s",
                f"{idle['pct']:.2f}% of one core",
                f"< {CPU_TARGET_PCT:g}%",
                idle["pct"] < CPU_TARGET_PCT,
            )
        else:
            result.figure(
                f"idle CPU, 2,000 steady boxes (1,000 per API), over {idle['window_s']:.0f} s",
                f"{idle['pct']:.2f}% of one core",
            )
    result.tables.append(
        table(["dashboard on a pty, steady world: boxes", "window", "CPU s", "% of one core", "RSS MB"], rows)
    )
    if seconds < 60:
        result.notes.append(f"--quick: a {seconds:.0f} s window; the recorded figure must use 60 s")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--boxes", type=int, default=10_000, help="boxes per API for the memory figure")
    p.add_argument("--quick", action="store_true", help="a 15 s idle window")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    started = time.monotonic()
    result = run(15.0 if args.quick else args.seconds, args.boxes)
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
