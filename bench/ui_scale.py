"""Benchmark 3 — the dashboard at fleet scale, headless: diff vs rebuild, filter keystrokes, cursor keys.

Three measurements, each repeated `--runs` times (a fresh app each run, same simulator) and reported as
min / median / max of the runs with the load average of each run:

- **diff vs rebuild** (5,000 sandboxes, sandboxes screen): a real 50-change `Diff` (from `compute_diff` over
  the screen's snapshot with 50 boxes' states flipped, one of them on screen so that a frame is due) handed to
  the screen's own `BoxesChanged` handler, and back; beside it, the rebuild (`_refresh_rows()`: every row
  built again and the table replaced). Timed call → next frame painted;
- **filter keystroke** (10,000 sandboxes + 10,000 devboxes, the All screen: 20,000 rows): `/`, then typing
  `l`, `i`, `n`, backspace, backspace, backspace, each key timed from `pilot.press` to the first frame painted
  with the screen's filter equal to the text typed so far;
- **cursor key while polling** (the same 20,000 rows, polling every 1 s, a thread flipping two boxes' states
  in the simulator every 0.3 s so every poll brings changes): `down` at random moments, timed from
  `pilot.press` to the first frame with the cursor on the next row.

A frame is the compositor's update handed to the headless driver (writing to a real terminal is measured by
`terminal.py`).

    python bench/ui_scale.py [--runs 3] [--keys 60] [--json out.json] [--profile diff|filter|keys|stalls]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import threading
import time
from typing import Any

from common import (
    Result,
    SimProcess,
    StallWatch,
    headless_size,
    load_average,
    median,
    percentile,
    settings_for,
    spread,
    table,
)

from boxdeck.service.boxes import Box
from boxdeck.service.configuration.config import Service
from boxdeck.service.monitoring.snapshot import Snapshot, compute_diff, make_snapshot
from boxdeck.tui.app import BoxdeckApp
from boxdeck.tui.context import Deck
from boxdeck.tui.messages import BoxesChanged
from boxdeck.tui.widgets.box_table import BoxTable

PROFILE: dict[str, Any] = {}
STATES = ("started", "stopped")


class Frames:
    """Every frame the compositor hands to the display: (time, cursor row, the screen's filter text).

    A wait for a frame is a future the display hook resolves: the harness does no work while it waits, so
    the CPU measured from a call to its frame is the app's, and the event loop is the app's alone."""

    def __init__(self, app: BoxdeckApp) -> None:
        self.frames: list[tuple[float, int, str]] = []
        self._waiting: list[tuple[float, int | None, str | None, asyncio.Future[float]]] = []
        display = app._display
        tables: dict[int, BoxTable | None] = {}  # by screen: a query per frame would be the harness's cost

        def _display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and not app._batch_count:
                if id(screen) not in tables:
                    found = screen.query(BoxTable)
                    tables[id(screen)] = found.first() if found else None
                found_table = tables[id(screen)]
                row = found_table.cursor_row if found_table is not None else -1
                frame = (time.perf_counter(), row, getattr(screen, "filter_text", ""))
                self.frames.append(frame)
                for waiter in list(self._waiting):
                    if not waiter[3].done() and self._matches(frame, *waiter[:3]):
                        waiter[3].set_result(frame[0])
                        self._waiting.remove(waiter)

        app._display = _display  # type: ignore[method-assign]

    @staticmethod
    def _matches(frame: tuple[float, int, str], t: float, row: int | None, filter_text: str | None) -> bool:
        ft, frow, ftext = frame
        return ft >= t and (row is None or frow == row) and (filter_text is None or ftext == filter_text)

    async def next_after(
        self, t: float, *, row: int | None = None, filter_text: str | None = None, limit: float = 30.0
    ) -> float:
        """The time of the first frame painted at or after `t` that shows `row` / `filter_text`."""
        earliest = float("nan")
        for frame in reversed(self.frames):  # painted already, while the caller was pressing the key
            if frame[0] < t:
                break
            if self._matches(frame, t, row, filter_text):
                earliest = frame[0]
        if earliest == earliest:
            return earliest
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        waiter = (t, row, filter_text, future)
        self._waiting.append(waiter)
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            return float("nan")
        finally:
            if waiter in self._waiting:
                self._waiting.remove(waiter)


def profiler() -> Any:
    from pyinstrument import Profiler  # a bench-only tool (see bench/README.md)

    return Profiler(interval=0.0005, async_mode="disabled")


def flipped(snapshot: Snapshot, keys: list[str]) -> Snapshot:
    out: list[Box] = []
    chosen = set(keys)
    for key, box in snapshot.boxes.items():
        if key in chosen:
            state = STATES[1] if box.state == STATES[0] else STATES[0]
            sandbox = box.sandbox.model_copy(update={"state": state}) if box.sandbox is not None else None
            box = dataclasses.replace(box, state=state, sandbox=sandbox)
        out.append(box)
    return make_snapshot(snapshot.backend, out, snapshot.details, snapshot.taken_at)


async def loaded(app: BoxdeckApp, pilot: Any, rows: int) -> tuple[Any, BoxTable]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        tables = app.screen.query(BoxTable)
        if tables and tables.first().row_count >= rows:
            break
        await pilot.pause(0.1)
    screen: Any = app.screen
    tbl = screen.query_one(BoxTable)
    assert tbl.row_count >= rows, f"only {tbl.row_count} rows loaded"
    await pilot.pause(1.0)
    return screen, tbl


async def diff_vs_rebuild(sim: SimProcess, rows_n: int, changes: int, reps: int) -> dict[str, float]:
    # Polling every 60 s: nothing but the update measured runs between the call and the frame.
    service = Service.from_settings(settings_for(sim, devbox=False, steady=60.0, busy=60.0))
    app = BoxdeckApp(Deck(service, owns_services=True), initial_mode="sandboxes")
    rng = random.Random(1)
    async with app.run_test(size=headless_size()) as pilot:
        frames = Frames(app)
        screen, tbl = await loaded(app, pilot, rows_n)
        prof = profiler() if PROFILE.get("what") == "diff" else None

        async def timed(fn: Any) -> tuple[float, float]:
            """(wall, CPU) from the call to the next frame painted."""
            await asyncio.sleep(0.05)
            if prof is not None:
                prof.start()
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            painted = await frames.next_after(time.perf_counter())
            c1 = time.process_time()
            if prof is not None:
                prof.stop()
            return painted - t0, c1 - c0

        diffs, rebuilds = [], []
        profile = next(iter(screen.snapshots))[0]
        for _ in range(reps):
            base = screen.snapshots[next(iter(screen.snapshots))]
            # One of the changed boxes is on screen, so the change is painted and its frame is due; the rest
            # anywhere (with none in view there would be no frame to wait for).
            flippable = [k for k, b in base.boxes.items() if b.state in STATES]
            in_view = {screen.entries[k].box.key for k in tbl.visible_keys()}
            keys = [rng.choice([k for k in flippable if k in in_view])]
            keys += rng.sample([k for k in flippable if k not in keys], changes - 1)
            new = flipped(base, keys)
            forward, back = compute_diff(base, new), compute_diff(new, base)
            assert len(forward.changed) == changes
            diffs.append(await timed(lambda d=forward: screen._boxes_changed(BoxesChanged(profile, d))))
            diffs.append(await timed(lambda d=back: screen._boxes_changed(BoxesChanged(profile, d))))
        for _ in range(max(3, reps // 2)):
            rebuilds.append(await timed(screen._refresh_rows))
        if prof is not None:
            print(prof.output_text(unicode=True, color=False))
    d, r = median(w for w, _ in diffs), median(w for w, _ in rebuilds)
    dc, rc = median(c for _, c in diffs), median(c for _, c in rebuilds)
    return {
        "diff_ms": d * 1000,
        "rebuild_ms": r * 1000,
        "diff_cpu_ms": dc * 1000,
        "rebuild_cpu_ms": rc * 1000,
        "ratio": rc / dc,
        "ratio_wall": r / d,
    }


class Flipper:
    """Flips two boxes' states in the simulator every `every` seconds (a thread), so polls bring changes."""

    def __init__(self, sim: SimProcess, every: float = 0.3) -> None:
        self.sim = sim
        self.every = every
        self.stop = threading.Event()
        self.flips = 0
        self.sandboxes = [s["name"] for s in sim.sandboxes() if s["state"] in STATES][:200]
        self.devboxes = [d["id"] for d in sim.devboxes() if d["state"] in ("ready", "stopped")][:200]
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(7)
        while not self.stop.wait(self.every):
            if self.sandboxes:
                self.sim.force_state("amika", rng.choice(self.sandboxes), rng.choice(STATES))
                self.flips += 1
            if self.devboxes:
                self.sim.force_state("devbox", rng.choice(self.devboxes), rng.choice(("ready", "stopped")))
                self.flips += 1

    def __enter__(self) -> Flipper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


async def filter_and_keys(sim: SimProcess, rows_n: int, keys: int) -> dict[str, Any]:
    service = Service.from_settings(settings_for(sim, steady=1.0, busy=1.0))
    app = BoxdeckApp(Deck(service, owns_services=True), initial_mode="all")
    rng = random.Random(3)
    out: dict[str, Any] = {}
    async with app.run_test(size=headless_size()) as pilot:
        frames = Frames(app)
        screen, tbl = await loaded(app, pilot, rows_n)

        # -- filter keystrokes
        await pilot.press("slash")
        await pilot.pause(0.3)
        typed = ""
        lat = []
        prof = profiler() if PROFILE.get("what") == "filter" else None
        if prof is not None:
            prof.start()
        for _ in range(2):
            for key in ("l", "i", "n", "backspace", "backspace", "backspace"):
                typed = typed[:-1] if key == "backspace" else typed + key
                await pilot.pause(0.2)
                t0 = time.perf_counter()
                await pilot.press(key)
                lat.append(await frames.next_after(t0, filter_text=typed) - t0)
        if prof is not None:
            prof.stop()
            print(prof.output_text(unicode=True, color=False))
        out["filter"] = lat
        await pilot.press("escape")
        await pilot.pause(0.3)
        tbl.focus()
        tbl.action_first()
        await pilot.pause(0.3)

        # -- cursor keys while polling brings changes
        with Flipper(sim) as flipper:
            await pilot.pause(2.0)
            lat = []
            prof = profiler() if PROFILE.get("what") == "keys" else None
            if prof is not None:
                prof.start()
            stalls = StallWatch(threshold=0.010) if PROFILE.get("what") == "stalls" else None
            if stalls is not None:
                stalls.start()
            for _ in range(keys):
                await asyncio.sleep(rng.uniform(0.05, 0.3))
                expected = tbl.cursor_row + 1
                t0 = time.perf_counter()
                await pilot.press("down")
                lat.append(await frames.next_after(t0, row=expected) - t0)
            if prof is not None:
                prof.stop()
                print(prof.output_text(unicode=True, color=False))
            if stalls is not None:
                stalls.stop()
                print(stalls.report())
            out["flips"] = flipper.flips
        out["keys"] = lat
    return out


async def run(runs: int, keys: int, reps: int, small: int, big: int) -> Result:
    result = Result("ui_scale", "3. The dashboard at fleet scale (headless)")
    per_run: list[dict[str, Any]] = []
    with SimProcess(sandboxes=small, devboxes=0, speed=50, seed=9) as sim:
        sim.wait_settled()
        for i in range(runs):
            load = load_average()
            r = await diff_vs_rebuild(sim, small, 50, reps)
            per_run.append({"load_diff": load, **r})
            print(f"run {i + 1} diff: {r} (load {load})", flush=True)
    with SimProcess(sandboxes=big, devboxes=big, speed=50, seed=9, start_timeout=300) as sim:
        sim.wait_settled(timeout=300)
        for i in range(runs):
            load = load_average()
            r = await filter_and_keys(sim, 2 * big, keys)
            per_run[i].update(load_keys=load, **r)
            print(
                f"run {i + 1}: filter p95 {percentile(r['filter'], 95) * 1000:.1f} ms, keys p95 "
                f"{percentile(r['keys'], 95) * 1000:.1f} ms (load {load})",
                flush=True,
            )

    def col(f: Any) -> list[float]:
        return [f(r) for r in per_run]

    loads_d = "; ".join(r["load_diff"].split()[0] for r in per_run)
    loads_k = "; ".join(r["load_keys"].split()[0] for r in per_run)
    rows = [
        [
            f"apply a 50-change diff, {small:,} rows: call → next frame, wall",
            spread(col(lambda r: r["diff_ms"])),
            "",
            loads_d,
        ],
        [
            f"apply a 50-change diff, {small:,} rows: call → next frame, CPU",
            spread(col(lambda r: r["diff_cpu_ms"])),
            "",
            loads_d,
        ],
        [
            f"rebuild the table, {small:,} rows: call → next frame, wall",
            spread(col(lambda r: r["rebuild_ms"])),
            "",
            loads_d,
        ],
        [
            f"rebuild the table, {small:,} rows: call → next frame, CPU",
            spread(col(lambda r: r["rebuild_cpu_ms"])),
            "",
            loads_d,
        ],
        [
            f"filter keystroke → repainted table, {2 * big:,} rows",
            spread(col(lambda r: percentile(r["filter"], 50) * 1000)),
            spread(col(lambda r: percentile(r["filter"], 95) * 1000)),
            loads_k,
        ],
        [
            f"cursor key → repaint, {2 * big:,} rows, polling 1 s with changes",
            spread(col(lambda r: percentile(r["keys"], 50) * 1000)),
            spread(col(lambda r: percentile(r["keys"], 95) * 1000)),
            loads_k,
        ],
    ]
    result.tables.append(
        table(
            [
                "measurement",
                "median / p50 ms (min / median / max of runs)",
                "p95 ms (min / median / max)",
                "load (1 min) per run",
            ],
            rows,
        )
    )
    ratios = col(lambda r: r["ratio"])
    result.figure(
        f"50-change diff vs rebuild at {small:,} rows (CPU from the call to the next frame)",
        spread(ratios, 0, "×") + " cheaper",
        "≥ 30×",
        median(ratios) >= 30,
        "wall clock: " + spread(col(lambda r: r["ratio_wall"]), 0, "×") + " (a frame waits for the next "
        "refresh tick, up to 1/60 s, whatever the update cost)",
    )
    f95 = col(lambda r: percentile(r["filter"], 95) * 1000)
    result.figure(
        f"filter keystroke at {big:,} + {big:,}, p95", spread(f95) + " ms", "≤ 50 ms", median(f95) <= 50
    )
    k95 = col(lambda r: percentile(r["keys"], 95) * 1000)
    result.figure(
        f"cursor key at {2 * big:,} rows while polling with changes, p95 (headless)",
        spread(k95) + " ms",
        "≤ 16 ms",
        median(k95) <= 16,
    )
    result.notes.append(
        f"per run: {reps * 2} diff applications, {max(3, reps // 2)} rebuilds, 12 filter keystrokes, "
        f"{keys} cursor keys; {per_run[-1].get('flips', 0)} state flips in the simulator during the last "
        "run's keys"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keys", type=int, default=60)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--small", type=int, default=5000, help="rows for diff vs rebuild")
    p.add_argument("--big", type=int, default=10000, help="sandboxes and devboxes for filter and keys")
    p.add_argument("--quick", action="store_true", help="1 run, 2,000 + 2,000 boxes, 20 keys")
    p.add_argument("--profile", choices=["diff", "filter", "keys", "stalls"], default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    PROFILE["what"] = args.profile
    started = time.monotonic()
    if args.quick:
        args.runs, args.keys, args.reps, args.big = 1, 20, 4, 2000
    result = asyncio.run(run(args.runs, args.keys, args.reps, args.small, args.big))
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
