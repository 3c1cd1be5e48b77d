"""Benchmark 3 — the UI at scale: 5,000 rows in the sandboxes table while polling runs every second.

The headless app (this process) shows 5,000 sandboxes from the simulator (its own process; settled, churn off)
and polls both APIs every 1 s. In the same run:

- apply a 50-change diff: a real `Diff` (from `compute_diff` over the screen's snapshot with 50 boxes' states
  flipped) handed to the screen's own `BoxesChanged` handler — the code every poll goes through — then undone
  by
  the reverse diff (both timed). Beside it, the naive approach: rebuild the table (`DataTable.clear()` and
  5,000
  `add_row`s, through the screen's own `_refresh_rows(force=True)`). Each is timed twice: the handler call
  alone
  (wall and CPU), and call → next frame, which includes the DataTable's deferred idle work (re-measuring new
  rows)
  and the repaint;
- cursor keys: `pilot.press("down")` at random moments while the 1 s polling runs; latency = the key's
dispatch →
  the first frame whose table shows the cursor on the new row.

    python bench/ui_scale.py [--rows 5000] [--changes 50] [--reps 15] [--keys 80] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import time
from typing import Any

from common import Result, SimProcess, StallWatch, fmt, headless_size, median, percentile, settings_for, table

from boxdeck.service.boxes import Backend, Box
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.snapshot import Snapshot, compute_diff, make_snapshot
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from boxdeck.tui.messages import BoxesChanged
from boxdeck.tui.widgets.box_table import BoxTable

KEY_TARGET_MS = 50.0
PROFILE: dict[str, Any] = {}


class Frames:
    """Every frame the compositor hands to the display: (time, cursor row of the sandboxes table)."""

    def __init__(self, app: BoxdeckApp) -> None:
        self.frames: list[tuple[float, int]] = []
        display = app._display

        def _display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and not app._batch_count:
                try:
                    row = screen.query_one(BoxTable).cursor_row
                except Exception:
                    row = -1
                self.frames.append((time.perf_counter(), row))

        app._display = _display  # type: ignore[method-assign]

    async def next_after(self, t: float, limit: float = 5.0, row: int | None = None) -> float:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            hit = next((ft for ft, frow in self.frames if ft >= t and (row is None or frow == row)), None)
            if hit is not None:
                return hit
            await asyncio.sleep(0.001)
        return float("nan")


def flipped(snapshot: Snapshot, keys: list[str]) -> Snapshot:
    out: list[Box] = []
    chosen = set(keys)
    for key, box in snapshot.boxes.items():
        if key in chosen:
            state = "stopped" if box.state == "active" else "active"
            sandbox = box.sandbox.model_copy(update={"state": state}) if box.sandbox is not None else None
            box = dataclasses.replace(box, state=state, sandbox=sandbox)
        out.append(box)
    return make_snapshot(snapshot.backend, out, snapshot.details, snapshot.taken_at)


async def timed(frames: Frames, fn: Any) -> tuple[float, float, float]:
    """(handler wall s, handler CPU s, call → next frame s)."""
    await asyncio.sleep(0.05)
    profiler = PROFILE.get("profiler")
    if profiler is not None:
        profiler.start()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    w1, c1 = time.perf_counter(), time.process_time()
    painted = await frames.next_after(w1)
    if profiler is not None:
        profiler.stop()
    return w1 - w0, c1 - c0, painted - w0


async def run(rows_n: int, changes: int, reps: int, keys: int) -> Result:
    result = Result("ui_scale", f"3. UI at scale: {rows_n:,} rows, polling every 1 s")
    with SimProcess(sandboxes=rows_n, devboxes=0, speed=50, seed=9) as sim:
        sim.wait_settled()
        service = Service.from_settings(settings_for(sim, steady=1.0, busy=1.0))
        app = BoxdeckApp(Deck(service, owns_services=True))
        async with app.run_test(size=headless_size()) as pilot:
            frames = Frames(app)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                tables = app.screen.query(BoxTable)
                if tables and tables.first().row_count >= rows_n:
                    break
                await pilot.pause(0.1)
            screen: Any = app.screen
            tbl = screen.query_one(BoxTable)
            assert tbl.row_count >= rows_n, f"only {tbl.row_count} rows loaded"
            await pilot.pause(1.5)
            rng = random.Random(1)

            # -- 50-change diffs through the screen's real handler, and back
            if PROFILE.get("what") == "diff":
                from pyinstrument import Profiler  # a bench-only tool (see bench/README.md)

                PROFILE["profiler"] = Profiler(interval=0.0005)
            diff_runs: list[tuple[float, float, float]] = []
            sizes: list[int] = []
            for _ in range(reps):
                base = screen.snapshot
                keys_ = rng.sample(
                    [k for k, b in base.boxes.items() if b.state in ("active", "stopped")], changes
                )
                new = flipped(base, keys_)
                forward, back = compute_diff(base, new), compute_diff(new, base)
                sizes += [len(forward.changed), len(back.changed)]
                diff_runs.append(
                    await timed(frames, lambda d=forward: screen._boxes_changed(BoxesChanged(d)))
                )
                diff_runs.append(await timed(frames, lambda d=back: screen._boxes_changed(BoxesChanged(d))))

            if PROFILE.get("profiler") is not None:
                print(
                    PROFILE.pop("profiler").output_text(
                        unicode=True,
                        color=False,
                        show_all=bool(PROFILE.get("all")),
                        flat=bool(os.environ.get("BENCH_PROFILE_FLAT")),
                    )
                )
            # -- the naive approach: clear and re-add every row
            rebuild_runs = [
                await timed(frames, lambda: screen._refresh_rows(force=True))
                for _ in range(max(3, reps // 2))
            ]
            assert tbl.row_count >= rows_n

            # -- cursor keys while polling runs
            await pilot.pause(0.5)
            tbl.focus()
            tbl.move_cursor(row=0)
            await pilot.pause(0.2)
            polls_before = app.deck.main.monitor.health(Backend.AMIKA).last_success
            key_lat: list[float] = []
            watch = StallWatch() if PROFILE.get("what") == "stalls" else None
            if watch is not None:
                watch.start()
            if PROFILE.get("what") == "keys":
                from pyinstrument import Profiler

                PROFILE["profiler"] = Profiler(interval=0.0005, async_mode="disabled")
                PROFILE["profiler"].start()
            for _ in range(keys):
                await asyncio.sleep(rng.uniform(0.05, 0.35))
                expected = tbl.cursor_row + 1
                t0 = time.perf_counter()
                await pilot.press("down")
                painted = await frames.next_after(t0, row=expected)
                key_lat.append(painted - t0)
            polls_after = app.deck.main.monitor.health(Backend.AMIKA).last_success
            if watch is not None:
                watch.stop()
                print(watch.report())
            if PROFILE.get("profiler") is not None:
                PROFILE["profiler"].stop()
                print(
                    PROFILE.pop("profiler").output_text(
                        unicode=True,
                        color=False,
                        show_all=bool(PROFILE.get("all")),
                        flat=bool(os.environ.get("BENCH_PROFILE_FLAT")),
                    )
                )

    assert all(s == changes for s in sizes), sizes
    d_wall, d_cpu, d_frame = (median(x[i] for x in diff_runs) for i in range(3))
    r_wall, r_cpu, r_frame = (median(x[i] for x in rebuild_runs) for i in range(3))
    result.tables.append(
        table(
            [
                "update of the 5,000-row table",
                "samples",
                "handler wall ms",
                "handler CPU ms",
                "call → next frame ms",
            ],
            [
                [
                    f"apply a {changes}-change diff (BoxesScreen handler)",
                    len(diff_runs),
                    fmt(d_wall * 1000),
                    fmt(d_cpu * 1000),
                    fmt(d_frame * 1000),
                ],
                [
                    "rebuild: clear + add 5,000 rows",
                    len(rebuild_runs),
                    fmt(r_wall * 1000),
                    fmt(r_cpu * 1000),
                    fmt(r_frame * 1000),
                ],
                [
                    "ratio rebuild ÷ diff",
                    "",
                    f"{r_wall / d_wall:.1f}×",
                    f"{r_cpu / d_cpu:.1f}×",
                    f"{r_frame / d_frame:.1f}×",
                ],
            ],
        )
    )
    ratio = r_frame / d_frame
    result.figure(
        f"{changes}-change diff vs rebuild of {rows_n:,} rows (call → next frame, median)",
        f"{fmt(d_frame * 1000)} ms vs {fmt(r_frame * 1000)} ms: {ratio:.1f}× cheaper",
        "≥ 10× cheaper",
        ratio >= 10,
        f"handler alone: {r_wall / d_wall:.1f}× (wall), {r_cpu / d_cpu:.1f}× (CPU)",
    )
    p50, p95, mx = (percentile(key_lat, p) * 1000 for p in (50, 95, 100))
    result.tables.append(
        table(
            ["cursor key → repaint", "keys", "p50 ms", "p95 ms", "max ms"],
            [["pilot.press('down') while polling at 1 s", len(key_lat), fmt(p50), fmt(p95), fmt(mx)]],
        )
    )
    result.figure(
        "cursor key → repaint p95 while polling",
        f"{fmt(p95)} ms (p50 {fmt(p50)} ms, max {fmt(mx)} ms)",
        f"< {KEY_TARGET_MS:.0f} ms",
        p95 < KEY_TARGET_MS,
    )
    result.notes.append(
        f"polling ran throughout the key presses (last success {polls_before} → {polls_after})"
    )
    result.notes.append(
        "headless: a frame is the compositor's update handed to the driver; writing it to a real "
        "terminal is not included"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--keys", type=int, default=80)
    p.add_argument("--quick", action="store_true", help="5 reps, 30 keys")
    p.add_argument(
        "--profile",
        choices=["diff", "keys", "stalls"],
        default=None,
        help="print a pyinstrument profile of the diff applications or of the key-press phase",
    )
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.profile:
        PROFILE["what"] = args.profile
        PROFILE["all"] = os.environ.get("BENCH_PROFILE_ALL") == "1"
    started = time.monotonic()
    reps, keys = (5, 30) if args.quick else (args.reps, args.keys)
    result = asyncio.run(run(args.rows, args.changes, reps, keys))
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
