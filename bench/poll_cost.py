"""Benchmark 1 — poll cost: boxdeck's monitor beside the list-poll loop a user would write, in the same run.

The simulator (its own process, churn off, settled) holds N sandboxes and N devboxes. Before every cycle one
sandbox and one devbox change state (`/_sim/boxes/…/state`, outside the measured window), so every cycle's
lists differ from the last ones, as in a live fleet. Each cycle then runs, interleaved:

- boxdeck: `Monitor.poll(amika)` + `Monitor.poll(devbox)` (list, parse, boxes, snapshot, diff), once the
  start-up backlog of detail requests is worked off (devboxes already failed when first seen have their
  operations fetched once, 8 a cycle), so a cycle is the two lists, as the user's loop is;
- the list-poll loop a user would write: `GET` each list with httpx, `response.json()`, and validate it with
  pydantic (`TypeAdapter(list[Model]).validate_python`) into plain models typed from the wire's own fields
  (what you would write from the API docs: `str`, `int`, `datetime`, `list`, `dict`; no lenient coercion);
- for context, the same loop with `TypeAdapter.validate_json(response.content)` (pydantic's own JSON parser),
  and a cycle where nothing changed (byte-identical lists);
- at N = 1,000, one SDK-style wait loop per box (`GET` each box), on a 400-GET sample, scaled to 2 N.

Client CPU is `time.process_time()` around the cycle (every thread of this process; the server's work is in
another process). A run is the median of `--cycles` cycles; the whole thing is run `--runs` times and each
figure is reported as min / median / max over the runs, with the load average at each run.

    python bench/poll_cost.py [--sizes 1000,10000] [--cycles 9] [--runs 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from common import Result, SimProcess, load_average, median, settings_for, spread, table
from pydantic import BaseModel, TypeAdapter, create_model

from boxdeck.service.configuration.config import Service

SANDBOXES = "/api/v0beta1/sandboxes"
DEVBOXES = "/api/v1/devboxes"
PER_BOX_SAMPLE = 400
IN_FLIGHT = 32
FLIPS = {"amika": ("stopped", "started"), "devbox": ("stopped", "ready")}


def user_model(name: str, sample: dict[str, Any]) -> type[BaseModel]:
    """A plain pydantic model of every field the wire sends, typed the way a user reading the docs would."""
    fields: dict[str, Any] = {}
    for key, value in sample.items():
        kind: Any
        if key.endswith("_at"):
            kind = datetime | None
        elif isinstance(value, bool):
            kind = bool | None
        elif isinstance(value, int):
            kind = int | None
        elif isinstance(value, float):
            kind = float | None
        elif isinstance(value, list):
            kind = list[Any] | None
        elif isinstance(value, dict):
            kind = dict[str, Any] | None
        else:
            kind = str | None
        fields[key] = (kind, None)
    return create_model(name, **fields)


class Counting(httpx.AsyncHTTPTransport):
    """Counts the requests the monitor sends (to know when the start-up detail backlog is worked off)."""

    requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


class UserLoop:
    """`while True: GET the lists; .json(); validate` — with one shared httpx client, as a user would."""

    def __init__(self, sim: SimProcess) -> None:
        self.client = httpx.AsyncClient(base_url=sim.base_url, timeout=30)
        self.headers = {
            SANDBOXES: {"Authorization": f"Bearer {sim.amika_token}"},
            DEVBOXES: {"X-Sprites-Token": sim.sprites_token, "Authorization": f"Bearer {sim.user_token}"},
        }
        self.adapters = {
            SANDBOXES: TypeAdapter(list[user_model("Sandbox", sim.sandboxes()[0])]),
            DEVBOXES: TypeAdapter(list[user_model("Devbox", sim.devboxes()[0])]),
        }
        self.last: list[Any] = []

    async def cycle(self, *, json_parser: str = "json") -> None:
        out = []
        for path, adapter in self.adapters.items():
            r = await self.client.get(path, headers=self.headers[path])
            r.raise_for_status()
            if json_parser == "json":
                out.append(adapter.validate_python(r.json()))
            else:
                out.append(adapter.validate_json(r.content))
        self.last = out

    async def per_box(self, refs: list[tuple[str, str]]) -> None:
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(path: str) -> None:
            async with gate:
                r = await self.client.get(
                    path, headers=self.headers[SANDBOXES if "sandboxes" in path else DEVBOXES]
                )
                r.json()

        await asyncio.gather(*(one(p) for _, p in refs))

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass
class Run:
    load: str
    ms: dict[str, float] = field(default_factory=dict)  # approach -> median client CPU ms per cycle
    requests: dict[str, float] = field(default_factory=dict)


async def one_run(n: int, cycles: int, sim: SimProcess, flip: list[int]) -> Run:
    transport = Counting()
    service = Service.from_settings(settings_for(sim), transport=transport)
    monitor = service.monitor
    user = UserLoop(sim)
    sandbox = sim.sandboxes()[0]["name"]
    devbox = sim.devboxes()[0]["id"]
    samples: dict[str, list[float]] = {}

    def note(name: str, c0: float) -> None:
        samples.setdefault(name, []).append((time.process_time() - c0) * 1000)

    def change() -> None:
        flip[0] += 1
        sim.force_state("amika", sandbox, FLIPS["amika"][flip[0] % 2])
        sim.force_state("devbox", devbox, FLIPS["devbox"][flip[0] % 2])

    try:
        await user.cycle()
        await user.cycle(json_parser="pydantic")
        # Warm up: connections, the first snapshot, and the start-up backlog (a devbox already failed when
        # first seen has its operations fetched once, 8 a cycle); after it a cycle is the two lists.
        for _ in range(400):
            transport.requests = 0
            change()
            for backend in monitor.backends:
                await monitor.poll(backend)
            if transport.requests <= 2:
                break
        for _ in range(cycles):
            await asyncio.to_thread(change)
            c0 = time.process_time()
            for backend in monitor.backends:
                diff = await monitor.poll(backend)
                assert len(diff.changed) == 1, diff  # the cycle saw exactly the change it was meant to
            note("boxdeck", c0)
            c0 = time.process_time()
            await user.cycle()
            note("user: .json() + validate_python", c0)
            c0 = time.process_time()
            await user.cycle(json_parser="pydantic")
            note("user: validate_json", c0)
        for _ in range(max(3, cycles // 3)):  # nothing changed since the last poll
            c0 = time.process_time()
            for backend in monitor.backends:
                await monitor.poll(backend)
            note("boxdeck, lists unchanged", c0)
        if n <= 1000:
            refs = [("amika", f"{SANDBOXES}/{s['name']}") for s in sim.sandboxes()[: PER_BOX_SAMPLE // 2]]
            refs += [("devbox", f"{DEVBOXES}/{d['id']}") for d in sim.devboxes()[: PER_BOX_SAMPLE // 2]]
            await user.per_box(refs)
            for _ in range(3):
                c0 = time.process_time()
                await user.per_box(refs)
                samples.setdefault("user: GET per box (scaled from a sample)", []).append(
                    (time.process_time() - c0) * 1000 * (2 * n) / len(refs)
                )
    finally:
        await service.aclose()
        await user.aclose()
    return Run(load_average(), {k: median(v) for k, v in samples.items()})


async def run(sizes: list[int], cycles: int, runs: int) -> Result:
    result = Result(
        "poll_cost", "1. Poll cost per cycle: boxdeck's monitor vs the list-poll loop a user writes"
    )
    rows = []
    for n in sizes:
        with SimProcess(sandboxes=n, devboxes=n, speed=50, seed=3) as sim:
            sim.wait_settled()
            flip = [0]
            measured = []
            for i in range(runs):
                r = await one_run(n, cycles, sim, flip)
                measured.append(r)
                print(
                    f"N={n} run {i + 1}: load {r.load}: "
                    + ", ".join(f"{k} {v:.1f}" for k, v in r.ms.items()),
                    flush=True,
                )
        loads = "; ".join(r.load.split()[0] for r in measured)
        base = "user: .json() + validate_python"
        for name in measured[0].ms:
            vals = [r.ms[name] for r in measured]
            ratios = [r.ms[name] / r.ms[base] for r in measured]
            rows.append([f"{n:,} + {n:,}", name, spread(vals), spread(ratios, 2, "×"), loads])
        ratios = [r.ms["boxdeck"] / r.ms[base] for r in measured]
        result.figure(
            f"boxdeck client CPU per cycle ÷ the user's list-poll loop, N = {n:,} + {n:,}, one box changing",
            spread(ratios, 2, "×") + f" ({spread([r.ms['boxdeck'] for r in measured])} ms vs "
            f"{spread([r.ms[base] for r in measured])} ms)",
            "≤ 0.5×",
            median(ratios) <= 0.5,
        )
    result.tables.append(
        table(
            [
                "boxes (sandboxes + devboxes)",
                "approach",
                "client CPU ms/cycle (min / median / max of runs)",
                "÷ user loop",
                "load (1 min) per run",
            ],
            rows,
        )
    )
    result.notes.append(
        f"Each run: {cycles} cycles, each after one sandbox and one devbox changed state; a run's figure is "
        "the median of its cycles. boxdeck's cycle includes building the boxes, the snapshot and the diff "
        "the dashboard consumes; the user's loop ends at the validated models."
    )
    result.notes.append(f"machine: {os.cpu_count()} CPUs shared with other work; see the load per run")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--cycles", type=int, default=9)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="N = 1,000 only, 5 cycles")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    cycles = 5 if args.quick else args.cycles
    started = time.monotonic()
    result = asyncio.run(run(sizes, cycles, args.runs))
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
