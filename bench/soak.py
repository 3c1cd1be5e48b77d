"""Soak: the dashboard, headless, against the simulator under faults and churn, with the real backoff.

Faults hit a share of every API request, of every kind a real service shows: 5xx, 429/503 with Retry-After,
connections closed before the server acted (``drop``) and *after* it acted (``drop-after``: the create was
made, the prompt reached the agent, the start was applied, and the answer was lost). Meanwhile the soak
behaves like a hurried user: cursor keys, start/stop pressed twice, delete confirmed twice, new sandboxes and
devboxes submitted twice (and submitted again after an error), agent prompts sent twice. Some creates and
prompts are sent while every write's answer is dropped after the server applied it, so the lost-answer path
is always exercised, not only when the dice say so.

It checks what must hold however the network misbehaves:

- it never crashes: the app keeps running and no background task dies with an unexpected error;
- it stays responsive: every cursor key moves the cursor;
- it shows the degraded backend: the header reads "failing" at some point during the faults;
- it recovers: once the faults stop, the screen (header and freshness line) is fresh within two steady poll
  intervals, with the real backoff and jitter (no test knobs), by the first or second poll;
- nothing is done twice: no action or create reaches the simulator's world again once it has been applied
  there (a retry after an answered refusal is fine: nothing had happened), no create makes a second box of
  its name, no prompt reaches the agent twice;
- nothing is lost silently: every action, create and prompt either took effect or the user was told.

The simulator runs in a thread of this process (its world is instrumented, read-only, to count what arrives
over HTTP). The same `Soak` drives the short version in `tests/soak/test_soak_short.py` (manual clock,
advanced as it runs).

    python bench/soak.py [--minutes 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boxdeck.service.boxes import Backend, Box, StateKind

ACTION_KEYS = {"stop": "x", "start": "s", "delete": "d"}
AMIKA = "/api/v0beta1"
#: How `report_worker_error` words a background task that died: "<task> failed: <ExceptionType>: <message>".
#: (An action's own message names its box in quotes first: "Couldn't start "web-1": POST … failed: …".)
WORKER_ERROR = re.compile(r"^[\w ./-]+ failed: [A-Z]\w*: ")
#: The fault mix: every kind but "slow" (a slow answer is not a failure), with lost answers weighted up.
FAULT_KINDS = ("500", "502", "503", "429", "drop", "drop-after", "drop-after")


@dataclass
class Action:
    verb: str
    key: str
    ref: str
    name: str
    at: float
    issued_while_faulty: bool
    arrivals: int = 0  # requests for it that reached the simulator (faulted ones included)
    effects: int = 0
    after_applied: int = 0  # requests the world handled after one of them had been applied
    error_notices: list[str] = field(default_factory=list)
    outcome: str = ""

    @property
    def method_path(self) -> tuple[str, str]:
        if self.verb == "delete":
            return "DELETE", f"{AMIKA}/sandboxes/{self.ref}"
        return "POST", f"{AMIKA}/sandboxes/{self.ref}/{self.verb}"


@dataclass
class Create:
    backend: Backend
    name: str
    at: float
    issued_while_faulty: bool
    scripted_loss: bool  # every write's answer dropped after the server applied it
    said: list[str] = field(default_factory=list)  # what the form or a notification told the user
    submits: int = 0
    arrivals: int = 0  # creates of this name that reached the simulator's world
    after_applied: int = 0  # ... of them after one had made the box
    exists: int = 0
    outcome: str = ""


@dataclass
class Prompt:
    sandbox: str
    text: str
    at: float
    issued_while_faulty: bool
    scripted_loss: bool
    status: str = ""  # the turn's status when the soak moved on
    arrivals: int = 0  # times the agent received it
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
        self.seed = seed
        self.advance = advance
        self.log = log or (lambda _msg: None)
        self.rng = random.Random(seed)
        self.app: Any = None
        self.records: list[tuple[float, Any]] = []
        self.notices: list[tuple[float, str, str]] = []  # (t, severity, title + message)
        self.effect_log: list[tuple[float, str, str]] = []
        # What reached the world over HTTP, in order, applied or refused: (verb, ref) -> [applied, ...]
        self.handled: dict[tuple[str, str], list[bool]] = {}
        self.actions: list[Action] = []
        self.creates: list[Create] = []
        self.prompts: list[Prompt] = []
        self.key_latencies: list[float] = []
        self.unanswered_keys = 0
        self.degraded_seen: set[str] = set()
        self.faulty = False
        self.fault_rate = 0.0
        self.fault_stopped_at: float | None = None
        self.recovered_at: float | None = None
        self.polls_to_recover: dict[str, int] = {}
        self.failing_at_stop: list[str] = []
        self.probe_cap: dict[str, float] = {}
        self.worker_errors: list[str] = []
        self._instrument_world()

    # ------------------------------------------------------------------ instrumentation
    def _instrument_world(self) -> None:
        """Count the changes that came in over HTTP (the churn's own run inside world events, where
        `_pinned_now` is set, or call the states' private `_create`, and are not the user's)."""
        world = self.sim.world

        def handled(verb: str, ref: str, fn: Callable[[], Any]) -> Any:
            if world._pinned_now is not None:
                return fn()
            seen = self.handled.setdefault((verb, ref), [])
            try:
                out = fn()  # raises on a refusal (409/404): no effect then
            except Exception:
                seen.append(False)
                raise
            seen.append(True)
            self.effect_log.append((time.perf_counter(), verb, ref))
            return out

        def counting(verb: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(ref: str, *args: Any, **kwargs: Any) -> Any:
                return handled(verb, ref, lambda: fn(ref, *args, **kwargs))

            return wrapper

        def creating(fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(req: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
                return handled("create", str(req.get("name") or ""), lambda: fn(req, *args, **kwargs))

            return wrapper

        for verb in ("start", "stop", "delete"):
            setattr(world.amika, verb, counting(verb, getattr(world.amika, verb)))
        world.amika.create = creating(world.amika.create)
        world.devbox.create = creating(world.devbox.create)

    def on_request(self, record: Any) -> None:
        self.records.append((time.perf_counter(), record))

    def message_hook(self, message: Any) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            n = message.notification
            text = f"{n.title} {n.message}".strip()
            self.notices.append((time.perf_counter(), str(n.severity), text))
            if n.severity == "error" and WORKER_ERROR.search(text):
                self.worker_errors.append(text)  # report_worker_error: an unexpected exception in a worker

    def attach(self, app: Any) -> None:
        self.app = app

    # ------------------------------------------------------------------ reading the app
    def _screen(self) -> Any:
        return self.app.screen

    def _boxes_screen(self) -> Any:
        from boxdeck.tui.screens.boxes import BoxesScreen

        screen = self.app.screen
        return screen if isinstance(screen, BoxesScreen) else None

    def _table(self) -> Any:
        from boxdeck.tui.widgets.box_table import BoxTable

        return self._screen().query_one(BoxTable)

    def _bar_text(self) -> str:
        from boxdeck.tui.widgets.health_bar import HealthBar

        bar = self._screen().query_one(HealthBar)
        content = getattr(bar, "content", "")
        return str(getattr(content, "plain", content))

    def _freshness_text(self) -> str:
        from textual.widgets import Static

        found = self._screen().query("#freshness")
        if not found:
            return ""
        content = found.first(Static).content
        return str(getattr(content, "plain", content))

    def _screen_fresh(self) -> bool:
        """The header and the line above the table say every backend is up to date."""
        monitor = self.app.deck.main.monitor
        if not all(monitor.health(b).status in ("ok", "slow") for b in monitor.backends):
            return False
        return "failing" not in self._bar_text() and self._freshness_text().startswith("updated")

    def _sample_health(self) -> None:
        monitor = self.app.deck.main.monitor
        for backend in monitor.backends:
            if monitor.health(backend).status == "failing":
                self.degraded_seen.add(f"{backend.value} (monitor)")
        if self._boxes_screen() is not None and "failing" in self._bar_text():
            self.degraded_seen.add("header")

    # ------------------------------------------------------------------ driving
    async def _tick(self, seconds: float) -> None:
        """Let the app run for `seconds` (and move a manual clock along with it)."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            step = min(0.1, left)
            if self.advance is not None:
                self.advance(step * 10)
            await asyncio.sleep(step)  # not pilot.pause: that first waits for every widget to go quiet

    def _send_key(self, *keys: str) -> None:
        """Deliver keys the way the terminal driver does, all at once, without waiting for the app to react
        (a hurried user on a busy app is exactly what is being measured)."""
        from textual import events

        for key in keys:
            event = events.Key(key, None)
            event.set_sender(self.app)
            self.app._driver.send_message(event)

    async def _wait(self, predicate: Callable[[], bool], limit: float = 5.0) -> float | None:
        started = time.perf_counter()
        while not predicate():
            if time.perf_counter() - started > limit:
                return None
            await asyncio.sleep(0.005)
        return time.perf_counter() - started

    async def _to_mode(self, mode: str, key: str) -> bool:
        def there() -> bool:
            screen = self._boxes_screen()
            focused = self.app.focused
            return (
                screen is not None and screen.is_current and mode == screen.MODE
                and focused is not None and focused.screen is screen  # keys now reach it
            )

        if there():
            return True
        self._send_key(key)
        return await self._wait(there) is not None

    def _set_faults(self, scripted_loss: bool = False) -> None:
        if scripted_loss:  # every write's answer is dropped after the server applied it; reads are fine
            self.sim.set_faults(1.0, ["drop-after"], methods=["POST", "DELETE"])
        elif self.faulty:
            self.sim.set_faults(self.fault_rate, list(FAULT_KINDS))
        else:
            self.sim.set_faults(0.0)

    async def _press_cursor_key(self) -> None:
        screen = self._boxes_screen()
        if screen is None or not self._table().has_focus:
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
        took = await self._wait(lambda: table.cursor_key == target or table.cursor_row == expected)
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
        return kind in (StateKind.STOPPED, StateKind.FAILED)

    async def _act(self) -> None:
        """Start, stop or delete a sandbox, each key pressed twice (delete confirmed twice)."""
        from boxdeck.tui.modals.confirm import ConfirmModal

        if not await self._to_mode("sandboxes", "1"):
            return
        screen = self._screen()
        table = self._table()
        used = {a.ref for a in self.actions}
        verbs = ["stop", "stop", "start", "delete"]
        self.rng.shuffle(verbs)
        for verb in verbs:
            boxes = [
                b for b in screen.boxes.values() if self._eligible(verb, b, used) and table.rows.shows(b.key)
            ]
            if not boxes:
                continue
            box = self.rng.choice(sorted(boxes, key=lambda b: b.key))
            table.select_key(box.key)
            await self._wait(lambda b=box: table.cursor_key == b.key, limit=2.0)
            action = Action(verb, box.key, box.ref, box.name, time.perf_counter(), self.faulty)
            self.actions.append(action)
            key = ACTION_KEYS[verb]
            if verb != "delete":
                self._send_key(key, key)
            else:
                for _ in range(2):
                    self._send_key(key)
                    if await self._wait(lambda: isinstance(self.app.screen, ConfirmModal), 1.0) is None:
                        break  # dimmed the second time: the box is already being deleted
                    self._send_key("y")
                    if await self._wait(lambda: not isinstance(self.app.screen, ConfirmModal), 2.0) is None:
                        self._send_key("escape")  # a typed-name confirmation: not this soak's business
                        await self._wait(lambda: not isinstance(self.app.screen, ConfirmModal), 2.0)
            self.log(f"{verb} {box.name} twice (faults {'on' if self.faulty else 'off'})")
            return

    async def _create(self, backend: Backend, *, scripted_loss: bool) -> None:
        """Open the new-box form, submit it twice; after an error, submit again (at most twice more)."""
        from textual.widgets import Input, Static

        from boxdeck.tui.modals.form import NewBoxModal

        mode, key = ("sandboxes", "1") if backend is Backend.AMIKA else ("devboxes", "2")
        if not await self._to_mode(mode, key):
            self.log(f"create {backend.value}: the {mode} screen did not come up")
            return
        self._send_key("n")
        if await self._wait(lambda: isinstance(self.app.screen, NewBoxModal), 3.0) is None:
            self.log(f"create {backend.value}: no form")
            return
        modal = self.app.screen
        await self._wait(lambda: bool(modal.query("#name")), 3.0)
        name = f"soak-{self.seed}-{len(self.creates) + 1}"
        create = Create(backend, name, time.perf_counter(), self.faulty, scripted_loss)
        self.creates.append(create)
        modal.query_one("#name", Input).value = name
        await asyncio.sleep(0.02)
        self._set_faults(scripted_loss)
        try:
            self._send_key("ctrl+s", "ctrl+s")  # the second one lands while the first is out
            create.submits = 2
            for attempt in range(3):
                await self._wait(lambda: self.app.screen is not modal or modal.busy, 2.0)
                if await self._wait(lambda: self.app.screen is not modal or not modal.busy, 8.0) is None:
                    break
                if self.app.screen is not modal:
                    break
                create.said.append(str(modal.query_one("#form-error", Static).content))
                if attempt == 2:
                    break
                if scripted_loss:
                    self._set_faults()  # the user retries a moment later, when the answers come back
                await self._tick(0.3)
                self._send_key("ctrl+s")
                create.submits += 1
        finally:
            self._set_faults()
        if self.app.screen is modal:
            self._send_key("escape")
            await self._wait(lambda: self.app.screen is not modal, 2.0)
        self.log(f"create {backend.value} {name}: {create.submits} submits (lost answers: {scripted_loss})")

    async def _prompt(self, *, scripted_loss: bool) -> None:
        """Send a prompt to an active sandbox's agent, pressing send twice, and go back when it finished."""
        from textual.widgets import TextArea

        from boxdeck.tui.screens.agent_prompt import AgentPromptScreen

        if not await self._to_mode("sandboxes", "1"):
            return
        screen, table = self._screen(), self._table()
        world = self.sim.world
        chatty = {
            s.name for s in world.amika.sandboxes.values() if s.state == "active" and "claude" in s.creds
        }
        used = {p.sandbox for p in self.prompts}
        boxes = sorted(
            (b for b in screen.boxes.values()
             if b.ref in chatty and b.ref not in used and b.kind is StateKind.READY and not b.pending
             and table.rows.shows(b.key)),
            key=lambda b: b.key,
        )
        if not boxes:
            return
        box = self.rng.choice(boxes)
        table.select_key(box.key)
        await self._wait(lambda: table.cursor_key == box.key, limit=2.0)
        self._send_key("a")
        if await self._wait(lambda: isinstance(self.app.screen, AgentPromptScreen), 3.0) is None:
            return
        agent_screen = self.app.screen
        # mounted (it puts the draft into the editor and focuses it as it mounts)
        await self._wait(lambda: bool(q := agent_screen.query("#prompt")) and q.first().has_focus, 3.0)
        text = f"soak {self.seed} prompt {len(self.prompts) + 1}: summarise the open pull requests"
        prompt = Prompt(box.ref, text, time.perf_counter(), self.faulty, scripted_loss)
        self.prompts.append(prompt)
        agent_screen.query_one("#prompt", TextArea).text = text
        await asyncio.sleep(0.02)
        conversations = self.app.deck.main.conversations
        self._set_faults(scripted_loss)
        try:
            self._send_key("ctrl+s", "ctrl+s")

            def finished() -> bool:
                turns = [t for t in conversations.history(box.ref) if t.prompt == text]
                return bool(turns) and not any(t.in_flight for t in turns)

            await self._wait(finished, 8.0)
        finally:
            self._set_faults()
        turns = [t for t in conversations.history(box.ref) if t.prompt == text]
        prompt.status = ",".join(t.status for t in turns) or "not sent"
        self._send_key("escape")
        await self._wait(lambda: not isinstance(self.app.screen, AgentPromptScreen), 3.0)
        self.log(f"prompt to {box.name}: {prompt.status} (lost answers: {scripted_loss})")

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
        await self._tick(warmup)
        self.fault_rate, self.faulty = fault_rate, True
        self._set_faults()
        self.log(f"faults on: rate {fault_rate}, kinds {FAULT_KINDS}")
        end = time.perf_counter() + faults_for
        next_act = time.perf_counter() + act_every / 2
        chores = [self._act, self._create_sandbox, self._act, self._prompt_agent, self._create_devbox]
        turn = 0
        while time.perf_counter() < end:
            await self._press_cursor_key()
            self._sample_health()
            if time.perf_counter() >= next_act:
                await chores[turn % len(chores)]()
                turn += 1
                await self._to_mode("sandboxes", "1")
                next_act = time.perf_counter() + act_every
            await self._tick(key_every)
        monitor = self.app.deck.main.monitor
        # Stop the faults at a moment the header shows a backend failing, so recovery is really exercised.
        give_up = time.perf_counter() + 30.0
        while time.perf_counter() < give_up and not any(  # noqa: ASYNC110 - polling another thread's state
            monitor.health(b).status == "failing" for b in monitor.backends
        ):
            await asyncio.sleep(0.002)
        self.failing_at_stop = [b.value for b in monitor.backends if monitor.health(b).status == "failing"]
        self.probe_cap = {
            b.value: monitor.probe_cap(monitor.health(b).failure_kind) for b in monitor.backends
        }
        self.faulty = False
        self._set_faults()
        self.fault_stopped_at = stopped = time.perf_counter()
        self.log("faults off")
        while time.perf_counter() - stopped < recover_within:
            if self._screen_fresh():
                self.recovered_at = time.perf_counter()
                break
            await asyncio.sleep(0.005)
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
        await self._tick(settle)  # let the last actions' requests and notices land

    async def _create_sandbox(self) -> None:
        await self._create(Backend.AMIKA, scripted_loss=len(self.creates) % 2 == 0)

    async def _create_devbox(self) -> None:
        await self._create(Backend.DEVBOX, scripted_loss=len(self.creates) % 2 == 0)

    async def _prompt_agent(self) -> None:
        await self._prompt(scripted_loss=len(self.prompts) % 2 == 0)

    # ------------------------------------------------------------------ judging
    def _told(self, at: float, *words: str) -> list[str]:
        return [text for t, _sev, text in self.notices if t >= at and all(w in text for w in words)]

    def _judge_action(self, action: Action) -> None:
        method, path = action.method_path
        action.arrivals = self.sim.requests(method, path)
        action.effects = sum(
            1
            for t, verb, ref in self.effect_log
            if t >= action.at and verb == action.verb and ref == action.ref
        )
        action.after_applied = _after_applied(self.handled.get((action.verb, action.ref), []))
        action.error_notices = [
            text for t, sev, text in self.notices
            if t >= action.at and sev in ("error", "warning") and action.name in text
        ]
        if action.effects > 1:
            action.outcome = "APPLIED TWICE"
        elif action.after_applied:
            action.outcome = "REQUEST SENT TWICE"
        elif action.arrivals == 0:
            action.outcome = "not sent (key disabled: the row changed first)"
        elif action.effects == 1:
            action.outcome = "applied once"
        elif action.error_notices:
            action.outcome = "not applied, user told"
        elif action.verb == "delete":
            action.outcome = "already gone (404 = deleted)"
        else:
            action.outcome = "LOST SILENTLY"

    def _judge_create(self, create: Create) -> None:
        world = self.sim.world
        handled = self.handled.get(("create", create.name), [])
        create.arrivals, create.after_applied = len(handled), _after_applied(handled)
        if create.backend is Backend.AMIKA:
            create.exists = int(create.name in world.amika.sandboxes)
        else:
            create.exists = sum(1 for d in world.devbox.devboxes.values() if d.name == create.name)
        told = create.said + self._told(create.at, create.name)
        if create.after_applied or create.exists > 1:
            create.outcome = "CREATED TWICE"
        elif create.exists == 1 and any("answer was lost" in t for t in told):
            create.outcome = "created, answer lost, found by name"
        elif create.exists == 1:
            create.outcome = "created once"
        elif told:
            create.outcome = "not created, user told"
        else:
            create.outcome = "LOST SILENTLY"

    def _judge_prompt(self, prompt: Prompt) -> None:
        world = self.sim.world
        prompt.arrivals = sum(
            1 for s in world.amika.sessions.values() for t in s.turns
            if t["role"] == "user" and t["content"] == prompt.text
        )
        if prompt.arrivals > 1:
            prompt.outcome = "SENT TWICE"
        elif prompt.status == "replied" and prompt.arrivals == 1:
            prompt.outcome = "replied once"
        elif prompt.status == "answer-lost":
            prompt.outcome = f"answer lost, latest session shown ({prompt.arrivals} arrived)"
        elif prompt.status in ("failed", "agent-error"):
            prompt.outcome = f"{prompt.status}, user told"
        elif prompt.status == "not sent":
            prompt.outcome = "not sent (sandbox changed first)"
        else:
            prompt.outcome = f"LEFT {prompt.status.upper()}"

    def verdict(self) -> dict[str, Any]:
        for action in self.actions:
            self._judge_action(action)
        for create in self.creates:
            self._judge_create(create)
        for prompt in self.prompts:
            self._judge_prompt(prompt)
        outcomes = Counter(a.outcome for a in [*self.actions, *self.creates, *self.prompts])
        bad = {k: v for k, v in outcomes.items() if k.split(" ")[0].isupper()}
        app = self.app
        crashed = app is None or app._exception is not None or not app.is_running
        steady = app.deck.main.monitor.steady_interval if app is not None else float("nan")
        return {
            "crashed": crashed,
            "worker_errors": list(self.worker_errors),
            "keys_answered": len(self.key_latencies),
            "keys_unanswered": self.unanswered_keys,
            "key_latencies": list(self.key_latencies),
            "degraded_seen": sorted(self.degraded_seen),
            "steady_interval": steady,
            "recovered_s": (self.recovered_at - self.fault_stopped_at)
            if self.recovered_at is not None and self.fault_stopped_at is not None
            else None,
            "polls_to_recover": dict(self.polls_to_recover),
            "probe_cap": dict(self.probe_cap),
            "failing_at_stop": list(self.failing_at_stop),
            "actions": len(self.actions),
            "actions_during_faults": sum(a.issued_while_faulty for a in self.actions),
            "creates": len(self.creates),
            "creates_with_lost_answers": sum(c.scripted_loss for c in self.creates),
            "prompts": len(self.prompts),
            "prompts_with_lost_answers": sum(p.scripted_loss for p in self.prompts),
            "lost_answers_handled": sum(
                o.startswith(("created, answer lost", "answer lost")) for o in outcomes.elements()
            ),
            "outcomes": dict(outcomes),
            "violations": bad,
            "faults_injected": dict(self.sim._runtime.faults.injected),
            "requests": len(self.records),
            "failed_requests": sum(1 for _, r in self.records if r.error),
            "max_arrivals_per_action": max((a.arrivals for a in self.actions), default=0),
            "sent_after_applied": sum(x.after_applied for x in [*self.actions, *self.creates]),
        }


def _after_applied(handled: list[bool]) -> int:
    """How many of these arrivals (in order, applied or refused) came after one had been applied."""
    first = handled.index(True) if True in handled else len(handled)
    return len(handled) - first - 1 if first < len(handled) else 0


# ---------------------------------------------------------------------------------------------- the bench
async def soak(minutes: float, seed: int) -> dict[str, Any]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # noqa: ASYNC240 - once, at start-up
    from common import headless_size

    from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
    from boxdeck.sim import SimConfig, SimServer
    from boxdeck.tui.app import BoxdeckApp
    from boxdeck.tui.context import Deck

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
        app = BoxdeckApp(Deck(service, owns_services=True))
        async with app.run_test(size=headless_size(), message_hook=runner.message_hook) as pilot:
            runner.attach(app)
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
            verdict["busy_interval"] = service.settings.busy_interval
            verdict["action_list"] = [
                (a.verb, a.name, a.outcome, a.arrivals, a.effects) for a in runner.actions
            ] + [
                (f"create {c.backend.value}", c.name, c.outcome, c.arrivals, c.exists) for c in runner.creates
            ] + [
                ("prompt", p.sandbox, p.outcome, p.arrivals, p.arrivals) for p in runner.prompts
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
    result = Result("soak", f"Soak: {args.minutes:g} min, fault rate 0.3 (lost answers included), churn on")
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
            "fresh again within two steady intervals",
            (
                f"{v['recovered_s']:.2f} s after the stop (failing then: {', '.join(v['failing_at_stop'])}; "
                f"probe cap {v['probe_cap']} s); polls needed: {v['polls_to_recover']}"
                if v["recovered_s"] is not None
                else "NOT RECOVERED"
            ),
            v["recovered_s"] is not None
            and bool(v["failing_at_stop"])
            and all(1 <= v["polls_to_recover"][b] <= 2 for b in v["failing_at_stop"])
            and v["recovered_s"] <= two,
        ],
        [
            "nothing reaches the server twice",
            f"{v['actions']} actions pressed twice ({v['actions_during_faults']} during faults), "
            f"{v['creates']} creates submitted twice, {v['prompts']} prompts sent twice; "
            f"{v['lost_answers_handled']} lost answers handled; max arrivals per action "
            f"{v['max_arrivals_per_action']}, sent again after being applied: {v['sent_after_applied']}",
            not any(k in v["violations"] for k in ("APPLIED TWICE", "REQUEST SENT TWICE", "CREATED TWICE",
                                                   "SENT TWICE")),
        ],
        [
            "loses nothing silently",
            ", ".join(f"{k}: {n}" for k, n in sorted(v["outcomes"].items())),
            not v["violations"],
        ],
    ]
    result.tables.append(
        table(["property", "observed", "held"], [[a, b, "yes" if c else "NO"] for a, b, c in rows])
    )
    result.tables.append(
        table(
            ["what", "box", "outcome", "arrived", "effects"],
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
        f"recovery target: the header and the freshness line fresh within two steady intervals ({two:g} s) "
        "of the faults stopping, with the real backoff (probed at least every 1.5 steady intervals) and "
        "jitter"
    )
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0 if all(r[2] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
