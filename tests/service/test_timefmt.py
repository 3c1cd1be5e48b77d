from datetime import UTC, datetime, timedelta

from boxdeck.service.text.timefmt import countdown, relative

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_relative_units():
    assert relative(NOW - timedelta(seconds=12), NOW) == "12s"
    assert relative(NOW - timedelta(minutes=4, seconds=59), NOW) == "4m"
    assert relative(NOW - timedelta(hours=3, minutes=1), NOW) == "3h"
    assert relative(NOW - timedelta(days=2, hours=5), NOW) == "2d"


def test_relative_none_and_future():
    assert relative(None, NOW) == "-"
    assert relative(NOW + timedelta(minutes=4, seconds=10), NOW) == "in 4m"
    assert relative(NOW + timedelta(seconds=1), NOW) == "0s"  # clock skew, not the future


def test_relative_accepts_naive_as_utc():
    assert relative(datetime(2026, 1, 1, 11, 59), NOW) == "1m"


def test_countdown():
    assert countdown(NOW + timedelta(minutes=4, seconds=30), NOW) == "expires in 4m"
    assert countdown(NOW - timedelta(seconds=1), NOW) == "expired"
    assert countdown(NOW, NOW) == "expired"
    assert countdown(None, NOW) == "-"
