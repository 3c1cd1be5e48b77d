"""Read-only by default with a time-limited write grant."""

from __future__ import annotations

import math

from boxdeck.service.configuration.write_grant import WriteGrant


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_read_write_profile_is_always_allowed() -> None:
    g = WriteGrant(False, 10, FakeClock())
    assert g.allowed() and g.badge() == "[RW]" and g.remaining() == math.inf
    assert g.grant() and g.badge() == "[RW]" and not g.granted


def test_grant_expires() -> None:
    clock = FakeClock()
    g = WriteGrant(True, 10, clock)
    assert not g.allowed() and g.badge() == "[RO]" and g.remaining() == 0
    assert g.grant()
    assert g.allowed() and g.granted
    assert g.badge() == "[RW 10m]"
    clock.now = 61
    assert g.badge() == "[RW 9m]"
    assert g.remaining() == 539
    clock.now = 599.5
    assert g.badge() == "[RW 1m]"
    clock.now = 600
    assert not g.allowed() and g.badge() == "[RO]" and g.remaining() == 0


def test_regrant_extends_and_revoke_ends() -> None:
    clock = FakeClock()
    g = WriteGrant(True, 5, clock)
    g.grant()
    clock.now = 240
    g.grant()
    assert g.remaining() == 300
    g.revoke()
    assert not g.allowed() and g.badge() == "[RO]"


def test_locked_read_only_cannot_be_granted() -> None:
    g = WriteGrant(False, 10, FakeClock(), locked=True)
    assert not g.grant()
    assert not g.allowed() and g.badge() == "[RO]"
