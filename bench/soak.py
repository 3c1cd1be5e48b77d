"""Soak: the dashboard, headless, against the simulator with a 0.3 fault rate and churn, for a bounded time.

It checks what must hold however the network misbehaves:

- it never crashes: the app keeps running and no background task dies with an unexpected error;
- it stays responsive: a cursor key is pressed every half second and must move the cursor;
- it shows the degraded backend: the header's health reads "failing" at some point during the faults;
- it recovers after the faults stop (fault rate 0): every backend is healthy again, and the header says so,
  by its second poll after the faults stopped (and in seconds, against two poll intervals);
- it applies no action twice: the user's start/stop/delete actions, issued during the faults through the keys,
  are counted where they take effect — in the simulator's world (calls that came over HTTP, not the churn's) —
  and every action made at most one request (only idempotent reads may be retried);
- it loses no action silently: every action either took effect or produced an error notification naming the
  box.

The simulator runs in a thread of this process (its world is instrumented, read-only, to count effects). The
same `Soak` drives the short version in `tests/soak/test_soak_short.py` (manual clock, advanced as it runs).

    python bench/soak.py [--minutes 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boxdeck.service.boxes import Backend, Box, StateKind

ACTION_KEYS = {"stop": "x", "start": "s", "delete": "d"}


@dataclass
class Action:
    verb: str
    key: str
    ref: str
    name: str
    at: float
    issued_while_faulty: bool
    attempts: list[Any] = field(default_factory=list)  # RequestRecords of this action's request
    effects: int = 0
    error_notices: list[str] = field(default_factory=list)
    outcome: str = ""


class Soak:
    """Instruments a simulator world and an app, drives keys and actions, and judges the run.

    Create it first (its `on_request` goes into `Service.from_settings`), then `attach(app)` inside
    `run_test(message_hook=soak.message_hook)`, then `await soak.run(pilot, ...)`, then `soak.verdict()`.
    """

    def __init__(
        self,
        sim: Any,
        *,
        seed: int = 1,
        advance: Callable[[float], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.sim = sim
        self.advance = advance
        self.log = log or (lambda _msg: None)
        self.rng = random.Random(seed)
        self.app: Any = None
        self.records: list[tuple[float, Any]] = []
        self.notices: list[tuple[float, str, str]] = []  # (t, severity, title + message)
        self.effects: Counter[tuple[str, str]] = Counter()
        self.effect_log: list[tuple[float, str, str]] = []
        self.actions: list[Action] = []
        self.key_latencies: list[float] = []
        self.unanswered_keys = 0
        self.degraded_seen: set[str] = set()
        self.bar_samples: list[str] = []
        self.faulty = False
        self.fault_stopped_at: float | None = None
        self.recovered_at: float | None = None
        self.polls_to_recover: dict[str, int] = {}
        self.delay_at_stop: dict[str, float] = {}
        self.failing_at_stop: list[str] = []
        self.worker_errors: list[str] = []
        self._instrument_world()

    # ------------------------------------------------------------------ instrumentation
    def _instrument_world(self) -> None:
        """Count the state changes that came in over HTTP (the churn's own run inside world events, where
        `_pinned_now` is set, and are not the user's)."""
        world = self.sim.world

        def counting(verb: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(ref: str, *args: Any, **kwargs: Any) -> Any:
                from_http = world._pinned_now is None
                out = fn(ref, *args, **kwargs)  # raises on a refusal (409/404): no effect then
                if from_http:
                    self.effects[(verb, ref)] += 1
                    self.effect_log.append((time.perf_counter(), verb, ref))
                return out

            return wrapper

        for verb in ("start", "stop", "delete"):
            setattr(world.amika, verb, counting(verb, getattr(world.amika, verb)))

    def on_request(self, record: Any) -> None:
        self.records.append((time.perf_counter(), record))

    def message_hook(self, message: Any) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            n = message.notification
            text = f"{n.title} {n.message}".strip()
            self.notices.append((time.perf_counter(), str(n.severity), text))
            if n.severity == "error" and " failed: " in text and "Couldn't" not in text:
                self.worker_errors.append(text)  # report_worker_error: an unexpected exception in a worker

    def attach(self, app: Any) -> None:
        self.app = app

    # ------------------------------------------------------------------ reading the app
    def _screen(self) -> Any:
        return self.app.screen

    def _table(self) -> Any:
        from boxdeck.tui.widgets.box_table import BoxTable

        return self._screen().query_one(BoxTable)

    def _bar_text(self) -> str:
        from boxdeck.tui.widgets.health_bar import HealthBar

        bar = self._screen().query_one(HealthBar)
        content = getattr(bar, "content", "")
        return str(getattr(content, "plain", content))

    def _sample_health(self) -> None:
        text = self._bar_text()
        self.bar_samples.append(text)
        monitor = self.app.monitor
        for backend in monitor.backends:
            if monitor.health(backend).status == "failing":
                self.degraded_seen.add(f"{backend.value} (monitor)")
        if "failing" in text:
            self.degraded_seen.add("header")

    # ------------------------------------------------------------------ driving
    async def _tick(self, pilot: Any, seconds: float) -> None:
        """Let the app run for `seconds` (and move a manual clock along with it)."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            step = min(0.1, left)
            if self.advance is not None:
                self.advance(step * 10)
            await asyncio.sleep(step)  # not pilot.pause: that first waits for every widget to go quiet

    def _send_key(self, key: str) -> None:
        """Deliver a key the way the terminal driver does, without waiting for the app to go idle (a busy
        app is exactly what is being measured)."""
        from textual import events

        event = events.Key(key, None)
        event.set_sender(self.app)
        self.app._driver.send_message(event)

    async def _wait(self, pilot: Any, predicate: Callable[[], bool], limit: float = 5.0) -> float | None:
        started = time.perf_counter()
        while not predicate():
            if time.perf_counter() - started > limit:
                return None
            await asyncio.sleep(0.005)
        return time.perf_counter() - started

    async def _press_cursor_key(self, pilot: Any) -> None:
        from boxdeck.tui.screens.base import BoxesScreen

        if not isinstance(self.app.screen, BoxesScreen) or not self._table().has_focus:
            return  # a dialog is up: the cursor key is not the table's
        table = self._table()
        if table.row_count < 2:
            return
        row = table.cursor_row
        key, expected = ("down", row + 1) if row < table.row_count - 1 else ("up", row - 1)
        # Rows come and go with the churn (the cursor keeps its box, so its index may shift): the key is
        # answered when the cursor is on the box that was one row away.
        target = table.ordered_keys()[expected]
        self._send_key(key)
        took = await self._wait(pilot, lambda: table.cursor_key == target or table.cursor_row == expected)
        if took is None:
            self.unanswered_keys += 1
            self.log(f"cursor key {key} not answered in 5 s (row {row} of {table.row_count})")
        else:
            self.key_latencies.append(took)

    def _eligible(self, verb: str, box: Box, used: set[str]) -> bool:
        if box.pending or box.ref in used or box.backend is not Backend.AMIKA:
            return False
        kind = box.kind
        if verb == "stop":
            return kind is StateKind.READY
        if verb == "start":
            return kind in (StateKind.STOPPED, StateKind.FAILED)
        return kind in (StateKind.STOPPED, StateKind.FAILED)

    async def _act(self, pilot: Any) -> None:
        screen = self._screen()
        table = self._table()
        used = {a.ref for a in self.actions}
        verbs = ["stop", "stop", "start", "delete"]
        self.rng.shuffle(verbs)
        for verb in verbs:
            boxes = [
                b for b in screen.boxes.values() if self._eligible(verb, b, used) and b.key in table.keys
            ]
            if not boxes:
                continue
            box = self.rng.choice(sorted(boxes, key=lambda b: b.key))
            table.select_key(box.key)
            await self._wait(pilot, lambda b=box: table.cursor_key == b.key, limit=2.0)
            action = Action(verb, box.key, box.ref, box.name, time.perf_counter(), self.faulty)
            self.actions.append(action)
            self._send_key(ACTION_KEYS[verb])
            if verb == "delete":
                from boxdeck.tui.modals.confirm import ConfirmModal

                if (
                    await self._wait(pilot, lambda: isinstance(self.app.screen, ConfirmModal), 3.0)
                    is not None
                ):
                    self._send_key("y")
                    await self._wait(pilot, lambda: not isinstance(self.app.screen, ConfirmModal), 3.0)
            self.log(f"{verb} {box.name} (faults {'on' if self.faulty else 'off'})")
            return

    async def run(
        self,
        pilot: Any,
        *,
        fault_rate: float = 0.3,
        warmup: float = 3.0,
        faults_for: float = 60.0,
        act_every: float = 3.0,
        key_every: float = 0.5,
        recover_within: float = 60.0,
        settle: float = 5.0,
    ) -> None:
        await self._tick(pilot, warmup)
        self.sim.set_faults(fault_rate)
        self.faulty = True
        self.log(f"faults on: rate {fault_rate}")
        end = time.perf_counter() + faults_for
        next_act = time.perf_counter() + act_every / 2
        while time.perf_counter() < end:
            await self._press_cursor_key(pilot)
            self._sample_health()
            if time.perf_counter() >= next_act:
                await self._act(pilot)
                next_act = time.perf_counter() + act_every
            await self._tick(pilot, key_every)
        monitor = self.app.monitor
        # Stop the faults at a moment the header shows a backend failing, so recovery is really exercised.
        give_up = time.perf_counter() + 30.0
        while time.perf_counter() < give_up and not any(  # noqa: ASYNC110 - polling another thread's state
            monitor.health(b).status == "failing" for b in monitor.backends
        ):
            await asyncio.sleep(0.002)
        self.failing_at_stop = [b.value for b in monitor.backends if monitor.health(b).status == "failing"]
        self.sim.set_faults(0.0)
        self.faulty = False
        self.fault_stopped_at = stopped = time.perf_counter()
        self.delay_at_stop = {b.value: monitor.next_delay(b) for b in monitor.backends}
        self.log("faults off")
        while time.perf_counter() - stopped < recover_within:
            healthy = all(monitor.health(b).status in ("ok", "slow") for b in monitor.backends)
            if healthy and "failing" not in self._bar_text():
                self.recovered_at = time.perf_counter()
                break
            await self._tick(pilot, 0.01)
        self._sample_health()
        for backend in monitor.backends:
            path = "/sandboxes" if backend is Backend.AMIKA else "/devboxes"
            # polls that finished after the stop (one in flight then counts: it is the first poll after it)
            polls = sorted(
                ((t, r) for t, r in self.records if r.method == "GET" and r.path == path and t >= stopped),
                key=lambda tr: tr[0],
            )
            n = 0
            for _, record in polls:
                n += 1
                if record.status == 200:
                    break
            self.polls_to_recover[backend.value] = n
        await self._tick(pilot, settle)  # let the last actions' requests and notices land

    # ------------------------------------------------------------------ judging
    def _judge(self, action: Action) -> None:
        verb_path = {"stop": "/stop", "start": "/start", "delete": ""}[action.verb]
        method = "DELETE" if action.verb == "delete" else "POST"
        action.attempts = [
            r
            for t, r in self.records
            if t >= action.at
            and r.method == method
            and r.path.endswith(verb_path)
            and action.ref.replace("/", "%2F") in r.path
        ]
        action.effects = sum(
            1
            for t, verb, ref in self.effect_log
            if t >= action.at and verb == action.verb and ref == action.ref
        )
        action.error_notices = [
            text for t, sev, text in self.notices if t >= action.at and sev == "error" and action.name in text
        ]
        if len(action.attempts) > 1:
            action.outcome = "REQUEST SENT TWICE"
        elif action.effects > 1:
            action.outcome = "APPLIED TWICE"
        elif not action.attempts:
            action.outcome = "not sent (key disabled: the row changed first)"
        elif action.effects == 1 and not action.error_notices:
            action.outcome = "applied once"
        elif action.effects == 0 and action.error_notices:
            action.outcome = "failed, error shown"
        elif action.effects == 0 and action.verb == "delete" and action.attempts[0].status == 404:
            action.outcome = "already gone (404 = deleted)"
        elif action.effects == 1 and action.error_notices:
            action.outcome = "APPLIED BUT REPORTED FAILED"
        else:
            action.outcome = "LOST SILENTLY"

    def verdict(self) -> dict[str, Any]:
        for action in self.actions:
            self._judge(action)
        outcomes = Counter(a.outcome for a in self.actions)
        bad = {k: v for k, v in outcomes.items() if k.isupper() or k.split(" ")[0].isupper()}
        app = self.app
        crashed = app is None or app._exception is not None or not app.is_running
        return {
            "crashed": crashed,
            "worker_errors": list(self.worker_errors),
            "keys_answered": len(self.key_latencies),
            "keys_unanswered": self.unanswered_keys,
            "key_latencies": list(self.key_latencies),
            "degraded_seen": sorted(self.degraded_seen),
            "recovered_s": (self.recovered_at - self.fault_stopped_at)
            if self.recovered_at is not None and self.fault_stopped_at is not None
            else None,
            "polls_to_recover": dict(self.polls_to_recover),
            "delay_at_stop": dict(self.delay_at_stop),
            "failing_at_stop": list(self.failing_at_stop),
            "actions": len(self.actions),
            "actions_during_faults": sum(a.issued_while_faulty for a in self.actions),
            "outcomes": dict(outcomes),
            "violations": bad,
            "faults_injected": dict(self.sim._runtime.faults.injected),
            "requests": len(self.records),
            "failed_requests": sum(1 for _, r in self.records if r.error),
            "max_attempts_per_action": max((len(a.attempts) for a in self.actions), default=0),
        }


# ---------------------------------------------------------------------------------------------- the bench
async def soak(minutes: float, seed: int) -> dict[str, Any]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # noqa: ASYNC240 - once, at start-up
    from common import headless_size

    from boxdeck.service.config import AmikaSettings, DevboxSettings, Service, Settings
    from boxdeck.sim import SimConfig, SimServer
    from boxdeck.tui.app import BoxdeckApp

    # The soak's own creates fail as often as the world's (a client's boxes fail only when asked).
    config = SimConfig(
        seed=seed, churn=True, speed=4.0, sandboxes=150, devboxes=30, failure_rate=0.1,
        client_failure_rate=0.1,
    )
    with SimServer(config) as sim:
        runner = Soak(sim, seed=seed, log=lambda m: print(f"  {time.strftime('%H:%M:%S')} {m}", flush=True))
        settings = Settings(
            amika=AmikaSettings(sim.base_url, sim.amika_token),
            devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
        )
        service = Service.from_settings(settings, on_request=runner.on_request)
        app = BoxdeckApp(service, owns_service=True)
        async with app.run_test(size=headless_size(), message_hook=runner.message_hook) as pilot:
            runner.attach(app)
            steady = service.settings.steady_interval
            total = minutes * 60
            await runner.run(
                pilot,
                warmup=5.0,
                faults_for=max(20.0, total - 40.0),
                act_every=4.0,
                recover_within=60.0,
                settle=10.0,
            )
            verdict = runner.verdict()
            verdict["steady_interval"] = steady
            verdict["busy_interval"] = service.settings.busy_interval
            verdict["action_list"] = [
                (
                    a.verb,
                    a.name,
                    a.outcome,
                    len(a.attempts),
                    a.attempts[0].status if a.attempts else None,
                    a.effects,
                )
                for a in runner.actions
            ]
    return verdict


def main(argv: list[str] | None = None) -> int:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import Result, fmt, percentile, table

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    started = time.monotonic()
    v = asyncio.run(soak(args.minutes, args.seed))
    result = Result("soak", f"Soak: {args.minutes:g} min, fault rate 0.3, churn on")
    lat = v["key_latencies"]
    two = 2 * v["steady_interval"]
    rows = [
        [
            "never crashes",
            "app running, no worker died"
            if not v["crashed"] and not v["worker_errors"]
            else f"CRASHED={v['crashed']} worker errors={v['worker_errors'][:3]}",
            not v["crashed"] and not v["worker_errors"],
        ],
        [
            "stays responsive",
            f"{v['keys_answered']} cursor keys answered, {v['keys_unanswered']} not; "
            f"p50 {fmt(percentile(lat, 50) * 1000)} ms, p95 {fmt(percentile(lat, 95) * 1000)} ms, "
            f"max {fmt(percentile(lat, 100) * 1000)} ms",
            v["keys_unanswered"] == 0 and v["keys_answered"] > 0,
        ],
        [
            "shows the degraded backend",
            ", ".join(v["degraded_seen"]) or "never shown",
            "header" in v["degraded_seen"],
        ],
        [
            "recovers after faults stop",
            (
                f"{v['recovered_s']:.2f} s after the stop (failing then: {', '.join(v['failing_at_stop'])}; "
                f"next poll was due in {v['delay_at_stop']} s); polls needed: {v['polls_to_recover']}"
                if v["recovered_s"] is not None
                else "NOT RECOVERED"
            ),
            v["recovered_s"] is not None
            and bool(v["failing_at_stop"])
            and all(1 <= v["polls_to_recover"][b] <= 2 for b in v["failing_at_stop"])
            and v["recovered_s"] <= two + max(v["delay_at_stop"].values()),
        ],
        [
            "applies no action twice",
            f"{v['actions']} actions ({v['actions_during_faults']} during faults); "
            f"max requests per action {v['max_attempts_per_action']}",
            not any(k in v["violations"] for k in ("APPLIED TWICE", "REQUEST SENT TWICE")),
        ],
        [
            "loses no action silently",
            ", ".join(f"{k}: {n}" for k, n in sorted(v["outcomes"].items())),
            "LOST SILENTLY" not in v["violations"],
        ],
    ]
    result.tables.append(
        table(["property", "observed", "held"], [[a, b, "yes" if c else "NO"] for a, b, c in rows])
    )
    result.tables.append(
        table(
            ["action", "box", "outcome", "requests", "status", "effects"],
            [list(map(str, row)) for row in v["action_list"]],
        )
    )
    for prop, observed, held in rows:
        result.figure(f"soak: {prop}", observed, "holds", held)
    result.notes.append(
        f"faults injected by the simulator: {v['faults_injected']}; {v['requests']} requests, "
        f"{v['failed_requests']} failed"
    )
    result.notes.append(
        f"recovery target: healthy by the first or second poll after the faults stop, within two "
        f"steady intervals ({two:g} s) plus the wait already scheduled when they stopped (a backoff "
        f"or the server's Retry-After)"
    )
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0 if all(r[2] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
