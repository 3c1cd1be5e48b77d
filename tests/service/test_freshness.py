"""The freshness wording: one backend, and several summed up on one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.freshness import freshness, summarize
from boxdeck.service.monitoring.health import Health
from boxdeck.service.text.timefmt import ago

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def ok(seconds_ago: float, backend: Backend = Backend.AMIKA) -> Health:
    at = NOW - timedelta(seconds=seconds_ago)
    return Health(backend, True, last_success=at, last_attempt=at, latency_s=0.1)


def failing(failed_ago: float, ok_ago: float | None, backend: Backend = Backend.DEVBOX) -> Health:
    attempt = NOW - timedelta(seconds=failed_ago)
    success = NOW - timedelta(seconds=ok_ago) if ok_ago is not None else None
    return Health(backend, True, last_success=success, last_attempt=attempt, consecutive_failures=2,
                  failing_since=attempt, last_error="boom")


def test_ago_units():
    assert ago(0.2) == "just now"
    assert ago(2.7) == "2 s ago"
    assert ago(59.9) == "59 s ago"
    assert ago(61) == "1 m ago"
    assert ago(3 * 3600 + 5) == "3 h ago"
    assert ago(2 * 86400) == "2 d ago"
    assert ago(-5) == "just now"  # a clock a moment ahead is not "in the future"


def test_fresh_backend():
    f = freshness(ok(2), NOW)
    assert (f.status, f.text, f.short, f.failing) == ("fresh", "updated 2 s ago", "2 s ago", False)


def test_failing_backend_names_the_last_success():
    f = freshness(failing(3, 60), NOW)
    assert f.failing
    assert f.text == "failed 3 s ago — last ok 1 m ago"
    assert f.short == "failed 3 s ago"
    assert freshness(failing(3, None), NOW).text == "failed 3 s ago — no data yet"


def test_unconfigured_and_connecting():
    assert freshness(None, NOW).status == "unconfigured"
    assert freshness(Health(Backend.AMIKA, False), NOW).text == "not configured"
    f = freshness(Health(Backend.AMIKA, True), NOW)
    assert (f.status, f.text) == ("connecting", "connecting…")


def test_naive_timestamps_are_utc():
    naive = (NOW - timedelta(seconds=5)).replace(tzinfo=None)
    assert freshness(Health(Backend.AMIKA, True, last_success=naive), NOW).text == "updated 5 s ago"


def test_summary_takes_the_stalest_and_names_failures():
    f = summarize([("Amika", ok(2)), ("Devbox", ok(4))], NOW)
    assert (f.status, f.text) == ("fresh", "updated 4 s ago")
    f = summarize([("Amika", ok(2)), ("Devbox (work)", failing(3, 60))], NOW)
    assert f.failing
    assert f.text == "Devbox (work) failed 3 s ago — last ok 1 m ago · others updated 2 s ago"
    assert summarize([("Amika", Health(Backend.AMIKA, True))], NOW).text == "connecting…"
    assert summarize([], NOW).status == "unconfigured"


def test_data_on_schedule_reads_just_now_and_a_late_poll_counts_seconds():
    """While polls keep their schedule the words stay put (no repaint a second); a late one counts."""
    assert freshness(ok(6.9), NOW, on_time=7.5).text == "updated just now"
    assert freshness(ok(7.6), NOW, on_time=7.5).text == "updated 7 s ago"
    assert freshness(ok(6.9), NOW, on_time=7.5).short == "just now"
    late = freshness(failing(3, 40), NOW, on_time=7.5)
    assert late.text == "failed 3 s ago — last ok 40 s ago"  # a failure counts whatever the schedule
    assert summarize([("Amika", ok(2)), ("Devbox", ok(6))], NOW, on_time=7.5).text == "updated just now"
    assert summarize([("Amika", ok(2)), ("Devbox", ok(9))], NOW, on_time=7.5).text == "updated 9 s ago"


def test_a_monitor_is_on_schedule_for_half_again_its_steady_interval():
    from boxdeck.service.monitoring.monitor import Monitor

    assert Monitor(amika=None, devbox=None, steady_interval=5.0).on_schedule == 7.5
