"""The monitor: owns the API clients, polls them, and publishes immutable snapshots and diffs.

Cost is what shapes it. Each cycle makes one list request per API whatever the number of boxes; devbox
operations and repositories (not in the list response) are fetched only for devboxes in motion or on screen,
a bounded number per cycle, a few at a time. The two backends share nothing mutable, so one failing (and
backing off) never delays or corrupts the other.

Optimistic state lives here too: an action marks its box pending at once (a local diff, published before any
request), and the mark is dropped when a poll shows the server moved, when the action fails, or after a
timeout, so a lost update can never leave a row spinning forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boxdeck.service.actions.errors import describe_error, error_status, retry_after_of
from boxdeck.service.boxes import (
    PENDING_CREATING,
    Backend,
    Box,
    StateKind,
    action_verb,
    backend_of,
    is_deleted_amika_state,
    normalize_pending,
)
from boxdeck.service.monitoring.cadence import AUTH_RETRY, FailureKind, backoff_delay, probe_cap
from boxdeck.service.monitoring.health import Health, HealthTracker
from boxdeck.service.monitoring.notices import ActivityEntry, Notice, notice_for_change, notice_for_removal
from boxdeck.service.monitoring.snapshot import (
    Change,
    DevboxDetail,
    Diff,
    Snapshot,
    compute_diff,
    empty_snapshot,
    make_snapshot,
)
from boxdeck.service.text.redact import Redactor

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient, DevboxClient

__all__ = ["Monitor"]

log = logging.getLogger(__name__)

#: Polls that list more boxes than this, or bring more new ones than that, build, compare and diff them in
#: a worker thread.
OFFLOAD_ROWS = 2_000
OFFLOAD_BOXES = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Pending:
    action: str
    since: float
    baseline: str | None
    """The server state when the action was marked; the mark holds until the server reports another."""
    box: Box | None = None
    """For creates: the optimistic box, kept until the list shows it."""


@dataclass
class _BackendState:
    backend: Backend
    tracker: HealthTracker
    snapshot: Snapshot | None = None
    pending: dict[str, _Pending] = field(default_factory=dict)
    busy_until: float = -math.inf
    detail_fetched: dict[str, float] = field(default_factory=dict)
    transitional_cache: tuple[Snapshot | None, bool] = (None, False)
    lock: asyncio.Lock | None = None
    wake: asyncio.Event | None = None


class Monitor:
    """Polls the configured backends; see the module docstring for the why.

    Options (each kept as the attribute of the same name, so it may be tuned after construction):

    - ``steady_interval`` / ``busy_interval``: seconds between polls when nothing moves / while something
      is transitional, pending or was just acted on (for ``busy_window`` seconds after an action).
    - ``slow_threshold``: a successful list slower than this makes the health "slow".
    - ``backoff_base``: exponential backoff (with jitter from ``rng``) after failures, starting at the busy
      interval and capped so that the screen is fresh within two steady intervals of a failing server
      answering again (see ``cadence``): at most 1.5 steady intervals, and at most ``max_backoff``.
    - ``failure_caps``: a different cap for a kind of failure (``FailureKind.AUTH``: credentials that
      retrying cannot fix may be retried slowly); a server's Retry-After (capped at five minutes) is
      honoured on top of any cap.
    - ``auth_retry``: refused credentials (401/403) are asked again no sooner than this (two minutes): they
      will not fix themselves; the dashboard's refresh asks again at once.
    - ``pending_timeout``: an optimistic pending mark is dropped after this long even if the server never
      moved; ``notice_window``: how long an action makes its box's outcome worth a notice.
    - ``max_detail_fetches``: at most this many devboxes get their operations and repositories fetched per
      cycle (two requests each, ``detail_concurrency`` at a time), chosen in this order: watched ones that
      need them (moving, just settled, or failed when first seen), then other just-settled ones and ones
      already failed when first seen (fetched once, for the failed step's message), then other moving ones,
      then watched steady ones (at most every ``detail_refresh_interval``, 60 s, and never more often than
      ``steady_interval``: a settled devbox's steps and repositories rarely change, and refetching the ones
      on screen every steady poll was most of an idle dashboard's requests). 0 turns detail fetching off.
    """

    def __init__(
        self,
        *,
        amika: AmikaClient | None,
        devbox: DevboxClient | None,
        steady_interval: float = 5.0,
        busy_interval: float = 1.0,
        slow_threshold: float = 2.0,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        now: Callable[[], datetime] = _utcnow,
        redactor: Redactor | None = None,
        backoff_base: float = 2.0,
        busy_window: float = 10.0,
        pending_timeout: float = 60.0,
        notice_window: float = 1800.0,
        detail_concurrency: int = 4,
        max_detail_fetches: int = 8,
        detail_refresh_interval: float = 60.0,
        activity_size: int = 500,
        failure_caps: Mapping[FailureKind, float] | None = None,
        auth_retry: float = AUTH_RETRY,
    ) -> None:
        self.amika = amika
        self.devbox = devbox
        self.steady_interval = steady_interval
        self.busy_interval = busy_interval
        self.slow_threshold = slow_threshold
        self.max_backoff = max_backoff
        self.backoff_base = backoff_base
        self.failure_caps: dict[FailureKind, float] = dict(failure_caps or {})
        self.auth_retry = auth_retry
        self.busy_window = busy_window
        self.pending_timeout = pending_timeout
        self.notice_window = notice_window
        self.detail_concurrency = max(1, detail_concurrency)
        self.max_detail_fetches = max(0, max_detail_fetches)
        self.detail_refresh_interval = detail_refresh_interval
        self.redactor = redactor if redactor is not None else Redactor()
        self._clock = clock
        self._rng = rng
        self._now = now
        self._states = {
            backend: _BackendState(
                backend,
                HealthTracker(backend, configured=client is not None, slow_threshold=slow_threshold),
            )
            for backend, client in ((Backend.AMIKA, amika), (Backend.DEVBOX, devbox))
        }
        self.backends: tuple[Backend, ...] = tuple(
            b for b, c in ((Backend.AMIKA, amika), (Backend.DEVBOX, devbox)) if c is not None
        )
        self._subscribers: list[Callable[[Diff], None]] = []
        self._watched: frozenset[str] = frozenset()
        self._acted: dict[str, tuple[str, float]] = {}
        self._activity: deque[ActivityEntry] = deque(maxlen=activity_size)

    # ------------------------------------------------------------------ reading

    def configured(self, backend: Backend) -> bool:
        return backend in self.backends

    def snapshot(self, backend: Backend) -> Snapshot | None:
        return self._states[Backend(backend)].snapshot

    def health(self, backend: Backend) -> Health:
        return self._states[Backend(backend)].tracker.health

    def box(self, key: str) -> Box | None:
        """The current box for a row key, from whichever backend it belongs to."""
        snap = self._states[backend_of(key)].snapshot
        return snap.boxes.get(key) if snap is not None else None

    def detail(self, key: str) -> DevboxDetail | None:
        snap = self._states[backend_of(key)].snapshot
        return snap.details.get(key) if snap is not None else None

    @property
    def activity(self) -> tuple[ActivityEntry, ...]:
        """State transitions seen and actions taken, oldest first (bounded)."""
        return tuple(self._activity)

    @property
    def watched(self) -> frozenset[str]:
        return self._watched

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, fn: Callable[[Diff], None]) -> Callable[[], None]:
        """Call `fn` with every non-empty diff (polls and local updates); returns the unsubscribe function."""
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(fn)

        return unsubscribe

    def _publish(self, diff: Diff) -> None:
        for fn in tuple(self._subscribers):
            try:
                fn(diff)
            except Exception:  # a broken subscriber must not stop polling or the other subscribers
                log.exception("diff subscriber %r failed", fn)

    # ------------------------------------------------------------------ cadence

    def poke(self, backend: Backend) -> None:
        """Something just happened on this backend: poll at the busy pace for a while, and now if running."""
        st = self._states[Backend(backend)]
        st.busy_until = self._clock() + self.busy_window
        if st.wake is not None:
            st.wake.set()

    def is_busy(self, backend: Backend) -> bool:
        st = self._states[Backend(backend)]
        now = self._clock()
        if now < st.busy_until:
            return True
        if any(now - p.since <= self.pending_timeout for p in st.pending.values()):
            return True
        return self._has_transitional(st)

    def _has_transitional(self, st: _BackendState) -> bool:
        snap = st.snapshot
        cached_for, value = st.transitional_cache
        if cached_for is snap:
            return value
        value = snap is not None and any(
            b.kind is StateKind.TRANSITIONAL for b in snap.boxes.values()
        )
        st.transitional_cache = (snap, value)
        return value

    def now(self) -> datetime:
        """The monitor's clock (the simulator's in tests): what "now" is for everything it reports."""
        return self._now()

    @property
    def on_schedule(self) -> float:
        """How old a backend's data may get while polls keep their schedule: the steady interval, and half as
        much again for the poll's own time (a fleet's list takes a while) and the timer's jitter."""
        return self.steady_interval * 1.5

    def next_delay(self, backend: Backend) -> float:
        """Seconds until the next poll of `backend`."""
        st = self._states[Backend(backend)]
        health = st.tracker.health
        if health.consecutive_failures:
            kind = health.failure_kind
            floor = self.busy_interval
            if kind is FailureKind.AUTH:
                floor = max(floor, self.auth_retry)
            return backoff_delay(
                health.consecutive_failures,
                base=self.backoff_base,
                cap=max(floor, self.probe_cap(kind)),
                rng=self._rng,
                floor=floor,
                retry_after=health.retry_after,
            )
        return self.busy_interval if self.is_busy(backend) else self.steady_interval

    def probe_cap(self, kind: FailureKind | None = None) -> float:
        """The longest wait between polls of a backend failing this way (before a Retry-After): the kind's
        own cap in ``failure_caps`` when it has one, else what keeps the recovery promise."""
        cap = self.failure_caps.get(kind) if kind is not None else None
        return cap if cap is not None else probe_cap(self.steady_interval, self.max_backoff)

    # ------------------------------------------------------------------ polling

    def watch(self, keys: Iterable[str]) -> None:
        """Devbox keys on screen or selected: their operations and repositories are kept fresh."""
        self._watched = frozenset(keys)

    async def poll(self, backend: Backend) -> Diff:
        """One cycle for one backend. API and transport failures are recorded in health, never raised."""
        backend = Backend(backend)
        st = self._states[backend]
        if backend not in self.backends:
            current = st.snapshot or empty_snapshot(backend)
            return compute_diff(current, current)
        if st.lock is None:
            st.lock = asyncio.Lock()
        async with st.lock:
            started = self._clock()
            try:
                items = await self._list(backend)
            except Exception as exc:  # anything the clients raise; CancelledError is not an Exception
                latency = self._clock() - started
                st.tracker.failure(
                    self._now(),
                    describe_error(exc, self.redactor.redact),
                    latency_s=latency,
                    retry_after=retry_after_of(exc),
                    status=error_status(exc),
                )
                current = st.snapshot or empty_snapshot(backend)
                return compute_diff(current, current)
            latency = self._clock() - started
            previous = st.snapshot.boxes if st.snapshot is not None else {}
            # Walking thousands of rows, or building hundreds of boxes, holds the event loop for milliseconds;
            # off it, a key waits at most one interpreter switch interval. A small poll whose rows are
            # mostly the last poll's models is a few dict lookups: not worth a thread.
            reused = self._reusable(previous) if len(items) <= OFFLOAD_ROWS else None
            big = reused is None or sum(1 for item in items if id(item) not in reused) > OFFLOAD_BOXES
            if big:
                boxes = await asyncio.to_thread(self._boxes_reused, backend, items, previous, reused)
            else:
                boxes = self._boxes_reused(backend, items, previous, reused)
            details: Mapping[str, DevboxDetail] = {}
            if backend is Backend.DEVBOX:
                details = await self._fetch_details(st, boxes, offload=big)
            st.tracker.success(self._now(), latency)
            reconciled = self._reconcile(st, boxes)
            taken_at = self._now()
            if big:
                old = st.snapshot
                new, diff, transitional = await asyncio.to_thread(
                    self._settle, backend, reconciled, details, taken_at, old
                )
                if st.snapshot is old:  # no local update slipped in while the thread ran
                    st.transitional_cache = (new, transitional)
                    return self._replace(st, new, local=False, diff=diff)
                # A local update (`mark_pending`) landed meanwhile: lay its pending mark over this poll's
                # boxes too, then diff on the loop against the snapshot it made.
                reconciled = self._reconcile(st, boxes)
            return self._replace(st, make_snapshot(backend, reconciled, details, taken_at), local=False)

    @staticmethod
    def _settle(
        backend: Backend,
        boxes: list[Box],
        details: Mapping[str, DevboxDetail],
        taken_at: datetime,
        old: Snapshot | None,
    ) -> tuple[Snapshot, Diff, bool]:
        """The new snapshot, its diff from `old` and whether any box is moving: the walks over every box
        that a big poll does in a worker thread."""
        new = make_snapshot(backend, boxes, details, taken_at)
        transitional = any(b.kind is StateKind.TRANSITIONAL for b in new.boxes.values())
        return new, compute_diff(old, new), transitional

    async def _list(self, backend: Backend) -> list[Any]:
        if backend is Backend.AMIKA:
            assert self.amika is not None
            return list(await self.amika.list_sandboxes())
        assert self.devbox is not None
        return list(await self.devbox.devboxes.list())

    @staticmethod
    def _reusable(previous: Mapping[str, Box]) -> dict[int, Box]:
        """The last poll's boxes by the id of their model. The client hands back the very model of the last
        poll for a row that did not change, and its box is then the last poll's box (both are alive while
        the poll runs, so equal ids are the same object)."""
        return {
            id(model): box
            for box in previous.values()
            if box.pending is None and (model := box.sandbox or box.devbox) is not None
        }

    @classmethod
    def _boxes_reused(
        cls,
        backend: Backend,
        items: list[Any],
        previous: Mapping[str, Box],
        by_model: Mapping[int, Box] | None = None,
    ) -> list[Box]:
        """The boxes of this poll, where an unchanged box is the previous poll's very object: one copy of
        each model stays alive (the screens hold the last snapshot they were sent), and the diff of an
        unchanged box is an identity check. (`by_model` is `_reusable(previous)`, made here if not given.)"""
        if by_model is None:
            by_model = cls._reusable(previous)
        out = []
        for item in items:
            reused = by_model.get(id(item))
            if reused is not None:
                out.append(reused)
                continue
            box = cls._box_from(backend, item)
            if box is None:
                continue
            prev = previous.get(box.key)
            out.append(prev if prev is not None and prev.pending is None and prev == box else box)
        return out

    @staticmethod
    def _box_from(backend: Backend, item: Any) -> Box | None:
        if backend is Backend.AMIKA:
            # A sandbox in a `delet…` state is on its way out: never show it as live.
            return None if is_deleted_amika_state(item.state or "") else Box.from_sandbox(item)
        return Box.from_devbox(item)

    def _reconcile(self, st: _BackendState, boxes: list[Box]) -> list[Box]:
        """Lay the pending marks over what the server reported, dropping the ones the server has answered."""
        if not st.pending:
            return boxes
        now = self._clock()
        out: list[Box] = []
        seen: set[str] = set()
        for box in boxes:
            seen.add(box.key)
            p = st.pending.get(box.key)
            if p is not None:
                if self._resolved(p, box, now):
                    del st.pending[box.key]
                else:
                    box = box.with_pending(p.action)
            out.append(box)
        for key, p in list(st.pending.items()):
            if key in seen:
                continue
            if p.action == PENDING_CREATING and p.box is not None and now - p.since <= self.pending_timeout:
                out.append(p.box.with_pending(p.action))  # created, not listed yet: keep the optimistic row
            else:
                del st.pending[key]
        return out

    def _resolved(self, p: _Pending, box: Box, now: float) -> bool:
        if now - p.since > self.pending_timeout:
            return True
        if p.action == PENDING_CREATING:
            return True  # the server lists it: its own state says the rest
        return box.state != p.baseline

    async def _fetch_details(
        self, st: _BackendState, boxes: list[Box], *, offload: bool = False
    ) -> dict[str, DevboxDetail]:
        """The devboxes' operations and repositories: the last poll's, with the most wanted refetched (a
        walk over every devbox, in a worker thread when `offload`)."""
        now = self._clock()
        if offload:
            details, chosen = await asyncio.to_thread(self._details_wanted, st, boxes, now)
        else:
            details, chosen = self._details_wanted(st, boxes, now)
        if not chosen:
            return details

        sem = asyncio.Semaphore(self.detail_concurrency)
        client = self.devbox
        assert client is not None

        async def fetch(box: Box) -> tuple[str, DevboxDetail | None]:
            try:
                async with sem:
                    ops = await client.devboxes.list_operations(box.ref)
                async with sem:
                    repos = await client.devboxes.list_repositories(box.ref)
            except Exception as exc:  # one devbox's details failing must not fail the poll
                log.debug("details of %s failed: %s", box.key, describe_error(exc, self.redactor.redact))
                return box.key, None
            return box.key, DevboxDetail(tuple(ops), tuple(repos), self._now())

        for key, detail in await asyncio.gather(*(fetch(b) for b in chosen)):
            st.detail_fetched[key] = now
            if detail is not None:
                prev_detail = details.get(key)
                # Keep the old object when nothing changed, so the diff and the UI see no change.
                details[key] = prev_detail if detail.same_content(prev_detail) and prev_detail else detail
        return details

    def _details_wanted(
        self, st: _BackendState, boxes: list[Box], now: float
    ) -> tuple[dict[str, DevboxDetail], list[Box]]:
        """The details to keep from the last poll and the devboxes whose details to fetch now, most wanted
        first: watched and moving, just settled, failed before first seen, moving, then watched and stale."""
        old_snap = st.snapshot
        old_details: Mapping[str, DevboxDetail] = old_snap.details if old_snap is not None else {}
        old_boxes: Mapping[str, Box] = old_snap.boxes if old_snap is not None else {}
        keys = {b.key for b in boxes}
        details = {k: d for k, d in old_details.items() if k in keys}
        for k in list(st.detail_fetched):
            if k not in keys:
                del st.detail_fetched[k]

        refresh_after = max(self.steady_interval, self.detail_refresh_interval)  # watched, settled devboxes
        wanted: list[tuple[int, float, Box]] = []
        for box in boxes:
            kind = box.state_kind
            moving = kind is StateKind.TRANSITIONAL or box.key in st.pending
            prev = old_boxes.get(box.key)
            # (The last poll's very box, as most are, has not settled since.)
            just_settled = (
                not moving
                and prev is not None
                and prev is not box
                and prev.state_kind is StateKind.TRANSITIONAL
            )
            # Failed before we ever saw it: its failed step's message is only in its operations.
            failed_unseen = kind is StateKind.FAILED and (
                box.key not in details and box.key not in st.detail_fetched
            )
            watched = box.key in self._watched
            last = st.detail_fetched.get(box.key, -math.inf)
            if watched and (moving or just_settled or failed_unseen):
                rank = 0
            elif just_settled or failed_unseen:
                rank = 1
            elif moving:
                rank = 2
            elif watched and (box.key not in details or now - last >= refresh_after):
                rank = 3
            else:
                continue
            wanted.append((rank, last, box))
        wanted.sort(key=lambda t: (t[0], t[1]))
        return details, [box for _, _, box in wanted[: self.max_detail_fetches]]

    def _replace(self, st: _BackendState, new: Snapshot, *, local: bool, diff: Diff | None = None) -> Diff:
        old = st.snapshot
        if diff is None:
            diff = compute_diff(old, new, local=local)
        st.snapshot = new
        if not local and old is not None:
            self._log_transitions(diff)
        if not diff.empty:
            self._publish(diff)
        return diff

    def _log_transitions(self, diff: Diff) -> None:
        if not (diff.added or diff.removed or diff.changed):
            return
        at = self._now()
        for box in diff.added:
            if box.pending != PENDING_CREATING:
                self._activity.append(ActivityEntry(at, box.key, box.name, box.backend, None, box.state))
        for change in diff.changed:
            if change.state_changed:
                o, n = change.old, change.new
                self._activity.append(ActivityEntry(at, n.key, n.name, n.backend, o.state, n.state))
        for box in diff.removed:
            self._activity.append(ActivityEntry(at, box.key, box.name, box.backend, box.state, None))

    # ------------------------------------------------------------------ optimistic state

    def mark_pending(self, key: str, action: str) -> None:
        """Show `action` ("start" or "starting", …) on the row at once; publishes a local diff."""
        backend = backend_of(key)
        st = self._states[backend]
        pending = normalize_pending(action)
        box = st.snapshot.boxes.get(key) if st.snapshot is not None else None
        now = self._clock()
        st.pending[key] = _Pending(pending, now, box.state if box is not None else None)
        self._acted[key] = (action_verb(pending), now)
        st.busy_until = now + self.busy_window
        if box is not None:
            self._activity.append(ActivityEntry(self._now(), key, box.name, backend, box.state, box.state,
                                                action=action_verb(pending)))
            self._set_box(st, box.with_pending(pending))

    def clear_pending(self, key: str) -> None:
        """The action failed (or was abandoned): show the server's state again."""
        st = self._states[backend_of(key)]
        p = st.pending.pop(key, None)
        box = st.snapshot.boxes.get(key) if st.snapshot is not None else None
        if box is None:
            return
        if p is not None and p.action == PENDING_CREATING and p.box is not None:
            self._remove_box(st, key)
        elif box.pending is not None:
            self._set_box(st, box.with_pending(None))

    def add_local(self, box: Box, action: str = PENDING_CREATING) -> Box:
        """A box the user just created: add it to the snapshot now (pending `creating`) and publish it.

        It stays until the list reports it (the server's row then takes over) or the pending timeout.
        """
        st = self._states[box.backend]
        pending = normalize_pending(action)
        shown = box.with_pending(pending)
        now = self._clock()
        st.pending[box.key] = _Pending(pending, now, box.state, shown)
        self._acted[box.key] = (action_verb(pending), now)
        st.busy_until = now + self.busy_window
        self._activity.append(ActivityEntry(self._now(), box.key, box.name, box.backend, None, box.state,
                                            action="create"))
        self._set_box(st, shown)
        return shown

    def _set_box(self, st: _BackendState, box: Box) -> None:
        base = st.snapshot or empty_snapshot(st.backend)
        boxes = dict(base.boxes)
        boxes[box.key] = box
        self._replace(st, make_snapshot(st.backend, boxes.values(), base.details, base.taken_at), local=True)

    def _remove_box(self, st: _BackendState, key: str) -> None:
        base = st.snapshot
        if base is None or key not in base.boxes:
            return
        boxes = [b for k, b in base.boxes.items() if k != key]
        details = {k: d for k, d in base.details.items() if k != key}
        self._replace(st, make_snapshot(st.backend, boxes, details, base.taken_at), local=True)

    def pending(self, key: str) -> str | None:
        p = self._states[backend_of(key)].pending.get(key)
        return p.action if p is not None else None

    # ------------------------------------------------------------------ notifications

    def acted_on(self, key: str, *, within: float | None = None) -> bool:
        """Did the user create or act on this box recently (default: the last `notice_window` seconds)?"""
        last = self._acted.get(key)
        window = self.notice_window if within is None else within
        return last is not None and self._clock() - last[1] <= window

    def last_action(self, key: str) -> tuple[str, float] | None:
        """The user's last action on `key` ("start", "create", …) and when (monitor clock), if any."""
        return self._acted.get(key)

    def record_action(self, key: str, action: str = "act") -> None:
        """Note that the user acted on `key` without a pending mark (e.g. an agent prompt), so its outcome
        is notified."""
        self._acted[key] = (action, self._clock())

    def notable(self, change: Change) -> Notice | None:
        """The notice to show for this change, or None: only for boxes the user acted on recently that
        reached ready, stopped, failed or gone."""
        if not self.acted_on(change.key):
            return None
        notice = notice_for_change(change, self.detail(change.key) if change.new.devbox is not None else None)
        return self._scrub(notice) if notice is not None else None

    def notices(self, diff: Diff) -> tuple[Notice, ...]:
        """Every notice a poll diff deserves: `notable` changes plus acted-on boxes that disappeared."""
        if diff.local:
            return ()
        out = [n for n in (self.notable(c) for c in diff.changed) if n is not None]
        out += [self._scrub(notice_for_removal(b)) for b in diff.removed if self.acted_on(b.key)]
        return tuple(out)

    def _scrub(self, notice: Notice) -> Notice:
        r = self.redactor.redact
        return dataclasses.replace(notice, title=r(notice.title), message=r(notice.message))

    # ------------------------------------------------------------------ running

    def wake_event(self, backend: Backend) -> asyncio.Event:
        """Set whenever `backend` should be polled now (`poke`): the poll scheduler waits on it between polls
        (see `boxdeck.service.monitoring.poller`)."""
        st = self._states[Backend(backend)]
        if st.wake is None:
            st.wake = asyncio.Event()
        return st.wake

    async def aclose(self) -> None:
        """Close the clients the monitor owns."""
        for client in (self.amika, self.devbox):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
