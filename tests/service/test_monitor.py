"""Monitor behaviour over the real clients and a scripted wire (no mocks of boxdeck code)."""

from datetime import timedelta

import pytest

from boxdeck.service.boxes import Backend, StateKind
from boxdeck.service.monitoring.cadence import AUTH_RETRY, MAX_RETRY_AFTER, FailureKind
from boxdeck.service.monitoring.snapshot import Diff
from support.service_fakes import (
    AMIKA_TOKEN,
    T0,
    Failure,
    FakeApis,
    devbox,
    operation,
    sandbox,
)

A, D = Backend.AMIKA, Backend.DEVBOX


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


async def test_first_poll_adds_every_box_in_server_order(apis):
    apis.sandboxes = [sandbox("b"), sandbox("a", "stopped")]
    m = apis.monitor(devbox=False)
    d = await m.poll(A)
    assert [b.name for b in d.added] == ["b", "a"]
    assert list(m.snapshot(A).boxes) == ["amika:sb_b", "amika:sb_a"]
    assert apis.seen() == ["GET /sandboxes"]
    await m.aclose()


@pytest.mark.parametrize("n", [10, 200])
async def test_one_list_request_per_api_per_cycle_whatever_n(apis, n):
    apis.sandboxes = [sandbox(f"s{i}") for i in range(n)]
    apis.devboxes = [devbox(f"d{i}") for i in range(n)]
    m = apis.monitor()
    for _ in range(3):
        await m.poll(A)
        await m.poll(D)
        apis.clock.advance(10)
    assert apis.seen() == ["GET /sandboxes", "GET /devboxes"] * 3
    await m.aclose()


@pytest.mark.parametrize("n", [10, 200])
async def test_detail_requests_are_bounded_when_many_devboxes_provision(apis, n):
    apis.devboxes = [devbox(f"d{i}", "provisioning") for i in range(n)]
    m = apis.monitor(amika=False, max_detail_fetches=8)
    await m.poll(D)
    seen = apis.seen()
    assert seen.count("GET /devboxes") == 1
    assert len(seen) == 1 + 2 * 8
    await m.aclose()


async def test_details_only_for_transitional_and_watched_devboxes(apis):
    apis.devboxes = [devbox("ready1"), devbox("prov", "provisioning"), devbox("ready2")]
    apis.operations["prov"] = [operation("provision", "success"), operation("inject_credentials", "pending")]
    m = apis.monitor(amika=False)
    m.watch(["devbox:ready2"])
    await m.poll(D)
    seen = set(apis.seen())
    assert {"GET /devboxes/prov/operations", "GET /devboxes/prov/repositories",
            "GET /devboxes/ready2/operations", "GET /devboxes/ready2/repositories"} <= seen
    assert not any("ready1" in line for line in seen)
    detail = m.snapshot(D).details["devbox:prov"]
    assert [o.step for o in detail.operations] == ["provision", "inject_credentials"]
    await m.aclose()


async def test_watched_steady_devbox_details_are_refetched_at_most_every_detail_refresh_interval(apis):
    # Idle CPU: a settled devbox on screen does not have its details refetched every steady poll.
    apis.devboxes = [devbox("r")]
    m = apis.monitor(amika=False, steady_interval=5.0)
    assert m.detail_refresh_interval == 60.0
    m.watch(["devbox:r"])
    await m.poll(D)
    apis.clear()
    apis.clock.advance(1)
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"]
    apis.clock.advance(5)  # a steady interval later: still fresh enough
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"] * 2
    apis.clock.advance(55)  # 61 s after the fetch
    await m.poll(D)
    assert "GET /devboxes/r/operations" in apis.seen()
    await m.aclose()


async def test_detail_refresh_interval_never_goes_below_the_steady_interval(apis):
    apis.devboxes = [devbox("r")]
    m = apis.monitor(amika=False, steady_interval=5.0, detail_refresh_interval=0.0)
    m.watch(["devbox:r"])
    await m.poll(D)
    apis.clear()
    apis.clock.advance(1)
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"]
    apis.clock.advance(5)
    await m.poll(D)
    assert "GET /devboxes/r/operations" in apis.seen()
    await m.aclose()


async def test_transitional_devbox_details_every_cycle_and_once_more_when_it_settles(apis):
    apis.devboxes = [devbox("p", "provisioning")]
    apis.operations["p"] = [operation("provision", "pending")]
    m = apis.monitor(amika=False)
    await m.poll(D)
    apis.operations["p"] = [operation("provision", "success")]
    d = await m.poll(D)
    assert d.details_changed == {"devbox:p"}
    apis.devboxes = [devbox("p", "ready")]
    apis.operations["p"] = [operation("provision", "success"), operation("publish_access", "success")]
    apis.clear()
    d = await m.poll(D)
    assert "GET /devboxes/p/operations" in apis.seen()  # the final steps, fetched once after it settled
    assert len(m.snapshot(D).details["devbox:p"].operations) == 2
    apis.clear()
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"]
    await m.aclose()


async def test_detail_failure_does_not_fail_the_poll(apis):
    apis.devboxes = [devbox("p", "provisioning")]
    apis.failures["GET /devboxes/p/operations"] = Failure(500, '{"detail": "boom"}')
    m = apis.monitor(amika=False)
    d = await m.poll(D)
    assert [b.ref for b in d.added] == ["p"]
    assert m.health(D).status == "ok"
    await m.aclose()


async def test_deleted_amika_sandboxes_are_not_live(apis):
    apis.sandboxes = [sandbox("a"), sandbox("gone", "deleting"), sandbox("gone2", "deleted")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    assert [b.name for b in m.snapshot(A).boxes.values()] == ["a"]
    apis.sandboxes[0]["state"] = "deleting"
    d = await m.poll(A)
    assert [b.name for b in d.removed] == ["a"]
    await m.aclose()


async def test_destroyed_devbox_stays_visible_as_gone(apis):
    apis.devboxes = [devbox("x", "destroyed")]
    m = apis.monitor(amika=False)
    await m.poll(D)
    assert m.snapshot(D).boxes["devbox:x"].kind is StateKind.GONE
    await m.aclose()


# ----------------------------------------------------------------------------------------- health


async def test_health_transitions_ok_slow_failing_and_back(apis):
    m = apis.monitor(devbox=False, slow_threshold=2.0)
    assert m.health(A).status == "unknown"
    assert m.health(D).status == "unconfigured" and not m.health(D).configured
    await m.poll(A)
    h = m.health(A)
    assert h.status == "ok" and h.last_success == T0 and h.latency_s == 0.0

    apis.latency["amika"] = 3.0
    await m.poll(A)
    assert m.health(A).status == "slow" and m.health(A).latency_s == 3.0
    apis.latency["amika"] = 0.0

    apis.failures["amika"] = Failure(503, '{"code": "unavailable", "message": "try later"}')
    first_fail_at = apis.clock.now()
    d = await m.poll(A)
    assert d.empty
    apis.clock.advance(7)
    await m.poll(A)
    h = m.health(A)
    assert h.status == "failing" and h.consecutive_failures == 2
    assert h.failing_since == first_fail_at
    assert h.last_error == "HTTP 503: unavailable: try later"
    assert h.last_success == T0.replace(second=3)  # the slow poll, the last that worked

    del apis.failures["amika"]
    await m.poll(A)
    h = m.health(A)
    assert h.status == "ok" and h.consecutive_failures == 0 and h.failing_since is None
    assert h.last_error == "HTTP 503: unavailable: try later"  # still there on demand
    await m.aclose()


async def test_poll_never_raises_and_records_sanitized_redacted_errors(apis):
    m = apis.monitor(devbox=False)
    apis.failures["amika"] = Failure(500, f"\x1b]52;c;Zm9v\x07bad token {AMIKA_TOKEN}\nline2")
    d = await m.poll(A)
    assert d.empty and isinstance(d, Diff)
    err = m.health(A).last_error
    assert AMIKA_TOKEN not in err and "amk_li…" in err
    assert "\x1b" not in err and "\n" not in err and "\x07" not in err

    apis.failures["amika"] = Failure(None)
    await m.poll(A)
    assert m.health(A).consecutive_failures == 2
    assert m.health(A).last_error

    apis.failures["amika"] = Failure(200, "this is not json")
    await m.poll(A)
    assert m.health(A).consecutive_failures == 3
    await m.aclose()


async def test_one_backend_failing_never_affects_the_other(apis):
    apis.sandboxes = [sandbox("a")]
    apis.devboxes = [devbox("d")]
    m = apis.monitor()
    apis.failures["amika"] = Failure(None)
    for _ in range(4):
        await m.poll(A)
        d = await m.poll(D)
    assert m.health(A).status == "failing" and m.health(A).consecutive_failures == 4
    assert m.health(D).status == "ok" and m.health(D).consecutive_failures == 0
    assert m.snapshot(A) is None and len(m.snapshot(D)) == 1
    assert m.next_delay(D) == 5.0
    assert m.next_delay(A) > 5.0
    assert not d.empty or m.snapshot(D) is not None
    await m.aclose()


async def test_failure_after_success_keeps_the_last_snapshot(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    snap = m.snapshot(A)
    apis.failures["amika"] = Failure(502, "bad gateway")
    d = await m.poll(A)
    assert d.empty and d.snapshot is snap and m.snapshot(A) is snap
    await m.aclose()


# ----------------------------------------------------------------------------------------- cadence


async def test_steady_when_all_settled_busy_while_transitional(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False, steady_interval=5.0, busy_interval=1.0)
    await m.poll(A)
    assert m.next_delay(A) == 5.0
    apis.sandboxes[0]["state"] = "stopping"
    await m.poll(A)
    assert m.next_delay(A) == 1.0
    apis.sandboxes[0]["state"] = "stopped"
    await m.poll(A)
    assert m.next_delay(A) == 5.0
    await m.aclose()


async def test_poke_goes_busy_for_the_busy_window_then_steady(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False, busy_window=10.0)
    await m.poll(A)
    m.poke(A)
    assert m.next_delay(A) == 1.0
    apis.clock.advance(9.5)
    assert m.next_delay(A) == 1.0
    apis.clock.advance(1.0)
    assert m.next_delay(A) == 5.0
    await m.aclose()


@pytest.mark.parametrize(
    ("steady", "max_backoff", "expected"),
    [
        # The cap keeps the recovery promise: a failing backend is probed at least every 1.5 steady intervals.
        (5.0, 60.0, [2.0, 4.0, 7.5, 7.5, 7.5, 7.5, 7.5]),
        # ... and never waits longer than max_backoff, however long the steady interval.
        (60.0, 45.0, [2.0, 4.0, 8.0, 16.0, 32.0, 45.0, 45.0]),
    ],
)
async def test_backoff_grows_exponentially_to_the_probe_cap_and_resets_after_success(
    apis, steady, max_backoff, expected
):
    m = apis.monitor(devbox=False, rng=lambda: 1.0, backoff_base=2.0, steady_interval=steady,
                     max_backoff=max_backoff)
    apis.failures["amika"] = Failure(None)
    delays = []
    for _ in range(7):
        await m.poll(A)
        delays.append(m.next_delay(A))
    assert delays == expected
    del apis.failures["amika"]
    await m.poll(A)
    assert m.next_delay(A) == steady
    await m.aclose()


async def test_backoff_jitter_spans_the_upper_half_with_the_busy_floor(apis):
    values = iter([0.0, 0.5, 0.0])
    m = apis.monitor(devbox=False, rng=lambda: next(values), backoff_base=2.0, busy_interval=1.5)
    apis.failures["amika"] = Failure(None)
    await m.poll(A)
    assert m.next_delay(A) == 1.5  # 2 * (0.5 + 0) = 1 is floored at the busy interval
    await m.poll(A)
    await m.poll(A)
    assert m.next_delay(A) == 7.5 * 0.75  # min(7.5, 2 * 2**2) * (0.5 + 0.5 * 0.5)
    assert m.next_delay(A) == 7.5 * 0.5
    await m.aclose()


async def test_retry_after_is_a_floor(apis):
    m = apis.monitor(devbox=False, rng=lambda: 0.1)
    apis.failures["amika"] = Failure(429, '{"message": "slow down"}', headers={"Retry-After": "30"})
    await m.poll(A)
    assert m.health(A).retry_after == 30.0
    assert m.next_delay(A) == 30.0
    apis.failures["amika"] = Failure(503, "x", headers={"Retry-After": "1"})
    await m.poll(A)
    assert m.next_delay(A) == pytest.approx(4 * 0.55)  # the backoff is longer than the Retry-After
    await m.aclose()


async def test_retry_after_is_honoured_up_to_five_minutes(apis):
    m = apis.monitor(devbox=False, rng=lambda: 0.0)
    apis.failures["amika"] = Failure(429, "{}", headers={"Retry-After": "7200"})
    await m.poll(A)
    assert m.health(A).retry_after == 7200.0  # the server's words are kept for the errors view
    assert m.next_delay(A) == MAX_RETRY_AFTER == 300.0
    assert m.health(A).retry_at == T0 + timedelta(seconds=300)
    await m.aclose()


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (Failure(None), FailureKind.UNREACHABLE),
        (Failure(500, "x"), FailureKind.SERVER),
        (Failure(429, "x"), FailureKind.RATE_LIMITED),
        (Failure(503, "x", headers={"Retry-After": "9"}), FailureKind.RATE_LIMITED),
        (Failure(401, "x"), FailureKind.AUTH),
        (Failure(403, "x"), FailureKind.AUTH),
    ],
)
async def test_each_kind_of_failure_may_get_its_own_cap(apis, failure, kind):
    m = apis.monitor(devbox=False, rng=lambda: 1.0, failure_caps={kind: 120.0})
    assert m.health(A).failure_kind is None
    apis.failures["amika"] = failure
    for _ in range(10):
        await m.poll(A)
    assert m.health(A).failure_kind is kind
    assert m.next_delay(A) == 120.0
    m.failure_caps.clear()
    default = AUTH_RETRY if kind is FailureKind.AUTH else 7.5
    assert m.next_delay(A) == (9.0 if "Retry-After" in failure.headers else default)
    await m.aclose()


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials_are_asked_again_slowly_from_the_first_failure(apis, status):
    """A wrong token does not fix itself: no burst of retries (a server may lock the account for it)."""
    m = apis.monitor(devbox=False, rng=lambda: 0.0)
    apis.failures["amika"] = Failure(status, "x")
    await m.poll(A)
    assert m.next_delay(A) == AUTH_RETRY == 120.0
    apis.failures["amika"] = Failure(500, "x")
    await m.poll(A)
    assert m.next_delay(A) < 10  # a failing server is still probed soon
    await m.aclose()


# ----------------------------------------------------------------------------------------- pending


async def test_mark_pending_publishes_at_once_and_reconciles_when_the_server_moves(apis):
    apis.sandboxes = [sandbox("a", "stopped")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    diffs: list[Diff] = []
    m.subscribe(diffs.append)
    m.mark_pending("amika:sb_a", "start")
    assert len(diffs) == 1 and diffs[0].local
    (change,) = diffs[0].changed
    assert change.fields == {"pending"} and change.new.display_state == "starting"
    assert m.next_delay(A) == 1.0

    d = await m.poll(A)  # server has not moved yet
    assert d.empty and m.snapshot(A).boxes["amika:sb_a"].pending == "starting"

    apis.sandboxes[0]["state"] = "initializing"
    d = await m.poll(A)
    (change,) = d.changed
    assert change.new.pending is None and change.new.state == "initializing"
    assert change.fields >= {"pending", "state"}
    await m.aclose()


async def test_pending_times_out(apis):
    apis.sandboxes = [sandbox("a", "stopped")]
    m = apis.monitor(devbox=False, pending_timeout=60.0)
    await m.poll(A)
    m.mark_pending("amika:sb_a", "starting")
    apis.clock.advance(30)
    await m.poll(A)
    assert m.snapshot(A).boxes["amika:sb_a"].pending == "starting"
    apis.clock.advance(31)
    d = await m.poll(A)
    assert d.changed[0].new.pending is None
    assert m.next_delay(A) == 5.0
    await m.aclose()


async def test_clear_pending_restores_the_server_state(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    m.mark_pending("amika:sb_a", "stop")
    diffs: list[Diff] = []
    m.subscribe(diffs.append)
    m.clear_pending("amika:sb_a")
    assert diffs[0].changed[0].new.pending is None
    assert m.pending("amika:sb_a") is None
    await m.aclose()


async def test_delete_pending_clears_when_the_box_goes(apis):
    apis.sandboxes = [sandbox("a"), sandbox("b")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    m.mark_pending("amika:sb_a", "delete")
    apis.sandboxes = [sandbox("b")]
    d = await m.poll(A)
    assert [b.name for b in d.removed] == ["a"] and d.removed[0].pending == "deleting"
    assert m.pending("amika:sb_a") is None
    await m.aclose()


async def test_subscribers_can_unsubscribe_and_a_broken_one_does_not_stop_others(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False)
    got: list[Diff] = []

    def broken(diff: Diff) -> None:
        raise RuntimeError("boom")

    m.subscribe(broken)
    unsubscribe = m.subscribe(got.append)
    await m.poll(A)
    assert len(got) == 1
    unsubscribe()
    apis.sandboxes.append(sandbox("b"))
    await m.poll(A)
    assert len(got) == 1
    await m.aclose()


# ----------------------------------------------------------------------------------------- notices, activity


async def test_notable_only_for_boxes_the_user_acted_on(apis):
    apis.sandboxes = [sandbox("mine", "stopped"), sandbox("theirs", "stopped")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    m.mark_pending("amika:sb_mine", "start")
    for s in apis.sandboxes:
        s["state"] = "initializing"
    d = await m.poll(A)
    assert all(m.notable(c) is None for c in d.changed)  # not there yet
    for s in apis.sandboxes:
        s["state"] = "active"
    d = await m.poll(A)
    notices = [n for n in (m.notable(c) for c in d.changed) if n]
    assert len(notices) == 1
    n = notices[0]
    assert (n.level, n.key, n.title) == ("information", "amika:sb_mine", "mine is ready")
    assert n.message == 'Sandbox "mine" is active.'
    assert m.notices(d) == (n,)
    await m.aclose()


async def test_failure_notice_carries_the_error_message_and_expires_after_the_window(apis):
    apis.sandboxes = [sandbox("a", "stopped")]
    m = apis.monitor(devbox=False, notice_window=1800.0)
    await m.poll(A)
    m.mark_pending("amika:sb_a", "start")
    apis.sandboxes[0].update(state="failed", error_message=f"out of capacity \x1b[31m{AMIKA_TOKEN}")
    d = await m.poll(A)
    n = m.notable(d.changed[0])
    assert n is not None and n.level == "error"
    assert n.message.startswith('Sandbox "a" failed: out of capacity')
    assert AMIKA_TOKEN not in n.message and "\x1b" not in n.message

    apis.clock.advance(1801)
    apis.sandboxes[0].update(state="active", error_message=None)
    d = await m.poll(A)
    assert m.notable(d.changed[0]) is None
    await m.aclose()


async def test_devbox_failure_notice_uses_the_failed_operation_message(apis):
    apis.devboxes = [devbox("x", "provisioning")]
    m = apis.monitor(amika=False)
    await m.poll(D)
    m.record_action("devbox:x")
    apis.devboxes[0]["state"] = "failed"
    apis.operations["x"] = [operation("provision", "success"),
                            operation("clone_repositories", "failed", "repository not found")]
    d = await m.poll(D)
    n = m.notable(d.changed[0])
    assert n is not None and n.message == 'Devbox "dev-x" failed: repository not found'
    await m.aclose()


async def test_removed_acted_on_box_gets_a_notice(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    m.mark_pending("amika:sb_a", "delete")
    apis.sandboxes = []
    d = await m.poll(A)
    (n,) = m.notices(d)
    assert n.title == "a deleted"
    await m.aclose()


async def test_activity_log_records_transitions_and_actions_bounded(apis):
    apis.sandboxes = [sandbox("a", "stopped")]
    m = apis.monitor(devbox=False, activity_size=3)
    await m.poll(A)
    assert m.activity == ()  # the first load is not a transition
    m.mark_pending("amika:sb_a", "start")
    apis.sandboxes[0]["state"] = "initializing"
    await m.poll(A)
    apis.sandboxes.append(sandbox("b"))
    await m.poll(A)
    entries = m.activity
    assert [(e.name, e.old, e.new, e.action) for e in entries] == [
        ("a", "stopped", "stopped", "start"),
        ("a", "stopped", "initializing", None),
        ("b", None, "active", None),
    ]
    assert entries[1].text == "stopped → initializing" and entries[1].backend is Backend.AMIKA
    apis.sandboxes = []
    await m.poll(A)
    assert len(m.activity) == 3 and m.activity[-1].new is None
    await m.aclose()


async def test_last_action_is_recorded_as_a_verb(apis):
    apis.sandboxes = [sandbox("a", "stopped")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    assert m.last_action("amika:sb_a") is None and not m.acted_on("amika:sb_a")
    m.mark_pending("amika:sb_a", "starting")
    assert m.last_action("amika:sb_a") == ("start", apis.clock.t)
    assert m.activity[-1].action == "start" and m.activity[-1].text == "start requested"
    await m.aclose()


# ------------------------------------------------------------------ detail ranking, failed boxes, last_status


def _fetched(apis) -> list[str]:
    """The devbox refs whose operations were fetched, in request order."""
    return [line.split("/")[2] for line in apis.seen("devbox") if line.endswith("/operations")]


async def test_a_watched_moving_devbox_gets_its_details_first(apis):
    apis.devboxes = [devbox("a", "provisioning"), devbox("b", "provisioning"), devbox("w", "provisioning")]
    m = apis.monitor(amika=False, max_detail_fetches=1)
    m.watch(["devbox:w"])
    await m.poll(D)
    assert _fetched(apis) == ["w"]
    await m.aclose()


@pytest.mark.parametrize(("limit", "expected"), [(1, {"s"}), (2, {"s", "m"}), (3, {"s", "m", "w"})])
async def test_detail_ranking_just_settled_then_moving_then_watched_steady(apis, limit, expected):
    m = apis.monitor(amika=False, max_detail_fetches=limit)
    m.watch(["devbox:w"])
    apis.devboxes = [devbox("w", "ready"), devbox("m", "provisioning"), devbox("s", "provisioning")]
    await m.poll(D)
    apis.clock.advance(61)  # the watched steady one is due again (detail_refresh_interval)
    apis.devboxes = [devbox("w", "ready"), devbox("m", "provisioning"), devbox("s", "ready")]
    apis.clear()
    await m.poll(D)
    assert set(_fetched(apis)) == expected
    await m.aclose()


async def test_a_watched_moving_devbox_goes_before_one_that_just_settled(apis):
    m = apis.monitor(amika=False, max_detail_fetches=2)
    m.watch(["devbox:w"])
    apis.devboxes = [devbox("s", "provisioning"), devbox("w", "provisioning")]
    await m.poll(D)  # both fetched at the same instant
    m.max_detail_fetches = 1
    apis.devboxes = [devbox("s", "ready"), devbox("w", "provisioning")]
    apis.clear()
    await m.poll(D)
    assert _fetched(apis) == ["w"]
    await m.aclose()


async def test_a_watched_devbox_that_just_settled_goes_before_failed_ones_seen_for_the_first_time(apis):
    """`boxdeck watch` follows one devbox with one detail fetch per cycle: its final steps must not lose to
    devboxes that were already failed (and are fetched once)."""
    m = apis.monitor(amika=False, max_detail_fetches=1)
    m.watch(["devbox:w"])
    apis.devboxes = [devbox("w", "provisioning")]
    await m.poll(D)
    apis.devboxes = [devbox("f1", "failed"), devbox("f2", "failed"), devbox("w", "ready")]
    apis.clear()
    await m.poll(D)
    assert _fetched(apis) == ["w"]
    apis.clear()
    await m.poll(D)
    assert _fetched(apis) == ["f1"]
    await m.aclose()


async def test_max_detail_fetches_is_a_tunable_attribute(apis):
    apis.devboxes = [devbox(f"d{i}", "provisioning") for i in range(5)]
    m = apis.monitor(amika=False, max_detail_fetches=0)
    assert m.max_detail_fetches == 0
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"]
    m.max_detail_fetches = 2
    apis.clear()
    await m.poll(D)
    assert len(_fetched(apis)) == 2
    await m.aclose()


async def test_a_devbox_already_failed_when_first_seen_gets_its_details_once(apis):
    apis.devboxes = [devbox("f", "failed"), devbox("r", "ready")]
    apis.operations["f"] = [operation("provision", "success"),
                            operation("clone_repositories", "failed", "repository not found")]
    m = apis.monitor(amika=False)
    await m.poll(D)
    assert _fetched(apis) == ["f"]  # not the steady ready one
    detail = m.detail("devbox:f")
    assert detail is not None and detail.operations[-1].message == "repository not found"
    for _ in range(3):  # once: not again on later polls
        apis.clear()
        apis.clock.advance(10)
        await m.poll(D)
        assert apis.seen() == ["GET /devboxes"]
    await m.aclose()


async def test_a_failed_devbox_whose_detail_fetch_failed_is_not_retried_every_cycle(apis):
    apis.devboxes = [devbox("f", "failed")]
    apis.failures["GET /devboxes/f/operations"] = Failure(500, '{"detail": "boom"}')
    m = apis.monitor(amika=False)
    await m.poll(D)
    assert _fetched(apis) == ["f"]
    apis.clear()
    await m.poll(D)
    assert apis.seen() == ["GET /devboxes"]
    await m.aclose()


async def test_health_keeps_the_last_failures_http_status(apis):
    apis.sandboxes = [sandbox("a")]
    m = apis.monitor(devbox=False)
    await m.poll(A)
    assert m.health(A).last_status is None
    apis.failures["amika"] = Failure(401, '{"code": "unauthorized", "message": "bad key"}')
    await m.poll(A)
    assert m.health(A).last_status == 401
    apis.failures["amika"] = Failure(None)  # unreachable: no status
    await m.poll(A)
    assert m.health(A).last_status is None and m.health(A).consecutive_failures == 2
    apis.failures["amika"] = Failure(503, "down")
    await m.poll(A)
    assert m.health(A).last_status == 503
    del apis.failures["amika"]
    await m.poll(A)
    h = m.health(A)
    assert h.last_status is None and h.status == "ok"
    assert h.last_error is not None and h.last_error.startswith("HTTP 503")  # the text stays on demand
    await m.aclose()


async def test_a_fleet_is_diffed_off_the_loop_and_a_click_meanwhile_is_not_lost(apis, monkeypatch):
    """Past OFFLOAD_ROWS a poll builds and diffs its boxes in worker threads; a start pressed while the new
    snapshot is being diffed still shows as pending on its row, and the next poll with nothing changed
    reports nothing."""
    from boxdeck.service.monitoring import monitor as monitor_module

    n = monitor_module.OFFLOAD_ROWS + 10
    apis.sandboxes = [sandbox(f"s{i}", "stopped") for i in range(n)]
    m = apis.monitor(devbox=False)
    first = await m.poll(A)
    assert len(first.added) == n and m.next_delay(A) == m.steady_interval

    real_to_thread = monitor_module.asyncio.to_thread
    clicked: list[str] = []

    async def click_meanwhile(func, *args, **kwargs):
        if func.__name__ == "_settle":  # the user presses start while the thread diffs the new snapshot
            m.mark_pending("amika:sb_s5", "start")
            clicked.append("start")
        return await real_to_thread(func, *args, **kwargs)

    monkeypatch.setattr(monitor_module.asyncio, "to_thread", click_meanwhile)
    apis.sandboxes[7]["state"] = "starting"
    diff = await m.poll(A)
    assert clicked == ["start"]
    assert [c.new.name for c in diff.changed] == ["s7"]
    boxes = m.snapshot(A).boxes
    assert boxes["amika:sb_s5"].pending == "starting" and boxes["amika:sb_s7"].state == "starting"
    assert m.next_delay(A) == m.busy_interval  # s7 is moving
    assert (await m.poll(A)).empty
    await m.aclose()
