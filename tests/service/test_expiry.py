from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boxdeck.service.access.expiry import Credential, ExpiryWarnings, clock_left

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def grant(minutes: float, key: str = "grant:a") -> Credential:
    return Credential(key, "SSH grant of sandbox a", T0 + timedelta(minutes=minutes))


def test_warns_once_at_five_minutes_left() -> None:
    warnings = ExpiryWarnings()
    cred = grant(10)
    assert warnings.check([cred], T0) == []
    assert warnings.check([cred], T0 + timedelta(minutes=4)) == []
    events = warnings.check([cred], T0 + timedelta(minutes=5))
    assert [e.kind for e in events] == ["expiring"]
    assert events[0].message == "SSH grant of sandbox a expires in 5m."
    for minute in (6, 7, 8, 9.9):
        assert warnings.check([cred], T0 + timedelta(minutes=minute)) == []


def test_expired_is_said_once_and_only_for_a_credential_seen_alive() -> None:
    warnings = ExpiryWarnings()
    cred = grant(1)
    assert [e.kind for e in warnings.check([cred], T0)] == ["expiring"]  # first seen inside the window
    events = warnings.check([cred], T0 + timedelta(minutes=2))
    assert [e.kind for e in events] == ["expired"]
    assert events[0].message == "SSH grant of sandbox a has expired."
    assert warnings.check([cred], T0 + timedelta(minutes=3)) == []
    stale = grant(-10, key="grant:b")
    assert ExpiryWarnings().check([stale], T0) == []


def test_a_renewed_credential_warns_again() -> None:
    warnings = ExpiryWarnings()
    old = grant(4)
    assert len(warnings.check([old], T0)) == 1
    renewed = grant(64)
    assert warnings.check([renewed], T0) == []
    assert [e.kind for e in warnings.check([renewed], T0 + timedelta(minutes=60))] == ["expiring"]


def test_no_expiry_is_never_warned_and_forgotten_ones_are_dropped() -> None:
    warnings = ExpiryWarnings(warn_before=60)
    none = Credential("x", "x", None)
    assert warnings.check([none], T0) == []
    cred = grant(0.5)
    assert len(warnings.check([cred], T0)) == 1
    assert warnings.check([], T0) == []
    assert len(warnings.check([cred], T0)) == 1  # listed again after being dropped: a fresh warning


def test_expiring_lists_soonest_first_and_clock_left() -> None:
    warnings = ExpiryWarnings()
    a, b, c = grant(4, "a"), grant(2, "b"), grant(30, "c")
    assert [cred.key for cred, _ in warnings.expiring([a, b, c], T0)] == ["b", "a"]
    assert clock_left(299.5) == "4:59"
    assert clock_left(3723) == "1:02:03"
    assert clock_left(0) == "expired"
    assert clock_left(None) == ""
