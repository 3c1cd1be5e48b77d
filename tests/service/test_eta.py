"""ETA history: percentiles, describe(), persistence, and the transition tracker (tuples and Diffs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boxdeck.api.amika_models import Sandbox
from boxdeck.api.devbox_models import Devbox, Operation
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.history.eta import (
    EtaHistory,
    EtaKey,
    TransitionTracker,
    box_group,
    percentile,
)
from boxdeck.service.monitoring.snapshot import DevboxDetail, Snapshot, compute_diff, make_snapshot
from boxdeck.service.text.timefmt import rough_duration

KEY = EtaKey("amika", "daytona/m", "provision")


@pytest.fixture
def history(tmp_path: Path) -> EtaHistory:
    return EtaHistory(tmp_path / "state" / "eta.json")


def test_percentile() -> None:
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile(list(map(float, range(1, 11))), 0.9) == pytest.approx(9.1)


def test_estimate_needs_three_samples(history: EtaHistory) -> None:
    history.record(KEY, 30)
    history.record(KEY, 40)
    assert history.estimate(KEY) is None
    assert history.describe(0.0, 10.0, KEY) == ""
    history.record(KEY, 50)
    est = history.estimate(KEY)
    assert est is not None and (est.p50, est.n) == (40.0, 3)
    assert est.p90 == pytest.approx(48.0)


def test_describe(history: EtaHistory) -> None:
    for s in (40, 40, 40, 40, 60):
        history.record(KEY, s)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert history.describe(start, start, KEY) == "ready in ~40 s"
    assert history.describe(start, start + timedelta(seconds=35), KEY) == "ready in ~5 s"
    assert history.describe(start, start + timedelta(seconds=45), KEY) == "ready any moment"
    assert history.describe(start, start + timedelta(seconds=60), KEY) == "slower than usual"
    assert history.is_slow(start, start + timedelta(seconds=60), KEY)
    assert not history.is_slow(start, start + timedelta(seconds=20), KEY)
    assert history.describe(0, 1, EtaKey("amika", "other", "provision")) == ""


def test_rough_duration() -> None:
    assert rough_duration(3.2) == "3 s"
    assert rough_duration(42) == "40 s"
    assert rough_duration(59) == "55 s"
    assert rough_duration(150) == "2 min"
    assert rough_duration(3 * 3600 + 60 * 20) == "3 h 20 min"


def test_samples_are_bounded_and_validated(tmp_path: Path) -> None:
    h = EtaHistory(tmp_path / "eta.json", max_samples=5)
    for i in range(12):
        h.record(KEY, float(i))
    assert h.samples(KEY) == [7.0, 8.0, 9.0, 10.0, 11.0]
    assert not h.record(KEY, -1)
    assert not h.record(KEY, float("nan"))
    assert not h.record(KEY, 10**9)


def test_history_persists_atomically(tmp_path: Path) -> None:
    path = tmp_path / "state" / "eta.json"
    h = EtaHistory(path)
    for s in (10, 20, 30):
        h.record(KEY, s)
    assert json.loads(path.read_text())["samples"] == {"amika|daytona/m|provision": [10.0, 20.0, 30.0]}
    again = EtaHistory(path)
    assert again.estimate(KEY) == h.estimate(KEY)
    assert [p.name for p in path.parent.iterdir()] == ["eta.json"]


@pytest.mark.parametrize(
    "content", ["{not json", "[]", '{"samples": 3}', '{"samples": {"bad": [1], "a|b|c": ["x", 2]}}']
)
def test_corrupt_history_starts_fresh(tmp_path: Path, content: str) -> None:
    path = tmp_path / "eta.json"
    path.write_text(content)
    h = EtaHistory(path)
    assert h.samples(EtaKey("a", "b", "c")) in ([], [2.0])
    assert h.samples(KEY) == []
    h.record(KEY, 5)  # and it can still be written
    assert EtaHistory(path).samples(KEY) == [5.0]


# -- tracker with plain tuples ---------------------------------------------------------------------------


def test_tracker_records_provision_time(history: EtaHistory) -> None:
    t = TransitionTracker(history)
    t.observe("amika:1", "amika", "daytona/m", None, "initializing", 100.0)
    assert t.phase_of("amika:1") == (KEY, 100.0)
    t.observe("amika:1", "amika", "daytona/m", "initializing", "initializing", 110.0)
    assert t.observe("amika:1", "amika", "daytona/m", "initializing", "active", 142.0) == 42.0
    assert history.samples(KEY) == [42.0]
    assert t.phase_of("amika:1") is None


def test_tracker_records_start_time_from_the_key_press(history: EtaHistory) -> None:
    t = TransitionTracker(history)
    start_key = EtaKey("amika", "g", "start")
    t.observe("k", "amika", "g", "stopped", "stopped", 10.0, pending="starting")
    t.observe("k", "amika", "g", "stopped", "initializing", 13.0)
    assert t.observe("k", "amika", "g", "initializing", "started", 30.0) == 20.0
    # Without a pending marker, stopped -> transitional opens the phase at that poll.
    t.observe("k", "amika", "g", "started", "stopping", 40.0)
    t.observe("k", "amika", "g", "stopping", "stopped", 45.0)
    t.observe("k", "amika", "g", "stopped", "initializing", 50.0)
    assert t.observe("k", "amika", "g", "initializing", "running", 60.0) == 10.0
    assert history.samples(start_key) == [20.0, 10.0]


def test_failures_and_removals_record_nothing(history: EtaHistory) -> None:
    t = TransitionTracker(history)
    t.observe("d", "devbox", "default", None, "requested", 0.0)
    t.observe("d", "devbox", "default", "requested", "failed", 50.0)
    t.observe("d", "devbox", "default", "failed", "ready", 60.0)
    t.observe("e", "devbox", "default", None, "provisioning", 0.0)
    t.observe("e", "devbox", "default", "provisioning", None, 5.0)  # gone
    t.observe("f", "devbox", "default", "stopped", "stopped", 0.0, pending="starting")
    t.observe("f", "devbox", "default", "stopped", "stopped", 3.0)  # the start failed
    assert history.keys() == []
    # A box first seen already ready, or changing between steady states, starts nothing.
    t.observe("g", "amika", "x", None, "active", 0.0)
    t.observe("g", "amika", "x", "active", "stopping", 1.0)
    assert t.phase_of("g") is None


def test_slower_than_usual_through_the_tracker(history: EtaHistory) -> None:
    for s in (30, 32, 34, 36):
        history.record(EtaKey("devbox", "default", "provision"), s)
    t = TransitionTracker(history, clock=lambda: 0.0)
    t.observe("d", "devbox", "default", None, "requested", 1000.0)
    assert t.describe("d", 1010.0) == "ready in ~25 s"  # p50 33 s, 10 s gone
    assert not t.is_slow("d", 1010.0)
    assert t.describe("d", 1040.0) == "slower than usual"
    assert t.is_slow("d", 1040.0)
    assert t.describe("unknown-box", 1040.0) == ""


def test_operation_steps(history: EtaHistory) -> None:
    t = TransitionTracker(history)
    key = EtaKey("devbox", "default", "clone_repositories")
    t.observe_step("d", "devbox", "default", "op1", "clone_repositories", "pending", 110.0, created_at=100.0)
    assert t.observe_step("d", "devbox", "default", "op1", "clone_repositories", "success", 125.0) == 25.0
    assert t.observe_step("d", "devbox", "default", "op1", "clone_repositories", "success", 130.0) is None
    # Already done when first seen: not measured.
    assert t.observe_step("d", "devbox", "default", "op0", "provision", "success", 130.0) is None
    assert history.samples(key) == [25.0]


# -- tracker fed the monitor's diffs ---------------------------------------------------------------------


def sandbox_box(name: str, state: str, created_at: datetime) -> Box:
    sandbox = Sandbox.model_validate(
        {"id": name, "name": name, "state": state, "provider": "daytona", "sandbox_size": "m",
         "created_at": created_at.isoformat()}
    )
    return Box.from_sandbox(sandbox)


def devbox_box(state: str, created_at: datetime, **extra: str) -> Box:
    fields = {"id": "d1", "name": "d1", "state": state, "created_at": created_at.isoformat(), **extra}
    return Box.from_devbox(Devbox.model_validate(fields))


def test_observe_diff(history: EtaHistory) -> None:
    t0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    created = t0 - timedelta(seconds=5)
    tracker = TransitionTracker(history)
    first = make_snapshot(Backend.AMIKA, [sandbox_box("s1", "initializing", created)], taken_at=t0)
    tracker.observe_diff(compute_diff(None, first))
    t1 = t0 + timedelta(seconds=40)
    ready = make_snapshot(Backend.AMIKA, [sandbox_box("s1", "active", created)], taken_at=t1)
    recorded = tracker.observe_diff(compute_diff(first, ready))
    assert recorded == [45.0]
    assert history.samples(EtaKey("amika", "daytona/m", "provision")) == [45.0]

    # A box first seen long after its creation is not a fresh provision.
    long_ago = t0 - timedelta(days=2)
    old = make_snapshot(Backend.AMIKA, [sandbox_box("s2", "initializing", long_ago)], taken_at=t0)
    tracker.observe_diff(compute_diff(None, old))
    assert tracker.phase_of("amika:s2") is None


def test_observe_diff_devbox_steps(history: EtaHistory) -> None:
    t0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    box = devbox_box("provisioning", t0)

    def snapshot(status: str, at: datetime) -> Snapshot:
        op = Operation(id="op-7", step="inject_credentials", status=status, created_at=t0)
        detail = DevboxDetail(operations=(op,), repositories=(), fetched_at=at)
        return make_snapshot(Backend.DEVBOX, [box], {box.key: detail}, taken_at=at)

    tracker = TransitionTracker(history)
    pending = snapshot("pending", t0)
    tracker.observe_diff(compute_diff(None, pending))
    t1 = t0 + timedelta(seconds=12)
    done = snapshot("success", t1)
    got = tracker.observe_diff(compute_diff(pending, done))
    assert got == [12.0]
    assert history.samples(EtaKey("devbox", "default", "inject_credentials")) == [12.0]
    assert box_group(box) == "default"
    tracker.observe_diff(compute_diff(done, make_snapshot(Backend.DEVBOX, [], taken_at=t1)))
    assert tracker.phase_of(box.key) is None and tracker.running_steps(box.key) == []


def test_a_devbox_plan_the_server_adds_groups_its_durations() -> None:
    t0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    assert box_group(devbox_box("ready", t0, plan="small")) == "small"
    assert box_group(sandbox_box("s1", "active", t0)) == "daytona/m"


def test_observe_diff_from_requested_to_ready(history: EtaHistory) -> None:
    t0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    tracker = TransitionTracker(history)
    s1 = make_snapshot(Backend.DEVBOX, [devbox_box("requested", t0)], taken_at=t0 + timedelta(seconds=1))
    tracker.observe_diff(compute_diff(None, s1))
    s2 = make_snapshot(Backend.DEVBOX, [devbox_box("ready", t0)], taken_at=t0 + timedelta(seconds=33))
    assert tracker.observe_diff(compute_diff(s1, s2)) == [33.0]
