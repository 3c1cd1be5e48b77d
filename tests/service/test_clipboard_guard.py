"""Clipboard auto-clear: only what boxdeck put there, only when due, once."""

from __future__ import annotations

import pytest

from boxdeck.service.access.clipboard_guard import ClipboardGuard

SECRET_CMD = "ssh tok_abcdef123456@ssh.amika.dev"


class FakeClipboard:
    def __init__(self, readable: bool = True) -> None:
        self.content = ""
        self.readable = readable
        self.writes: list[str] = []

    def read(self) -> str | None:
        return self.content if self.readable else None

    def write(self, text: str) -> None:
        self.content = text
        self.writes.append(text)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(readable: bool = True, clear_after: float = 60.0) -> tuple[ClipboardGuard, FakeClipboard, FakeClock]:
    cb, clock = FakeClipboard(readable), FakeClock()
    return ClipboardGuard(cb.read, cb.write, clock, clear_after=clear_after), cb, clock


def copy(guard: ClipboardGuard, cb: FakeClipboard, text: str, has_secret: bool) -> None:
    cb.write(text)
    guard.copied(text, has_secret)


def test_clears_after_the_delay_when_unchanged() -> None:
    guard, cb, clock = make()
    copy(guard, cb, SECRET_CMD, True)
    clock.now = 59.9
    assert not guard.due() and not guard.clear_if_unchanged()
    assert guard.seconds_left() == pytest.approx(0.1)
    clock.now = 60
    assert guard.due()
    assert guard.clear_if_unchanged()
    assert cb.content == ""
    assert not guard.armed and not guard.clear_if_unchanged()  # only once


def test_leaves_something_the_user_copied_since() -> None:
    guard, cb, clock = make()
    copy(guard, cb, SECRET_CMD, True)
    cb.content = "the user's own text"  # copied in another program
    clock.now = 61
    assert not guard.clear_if_unchanged()
    assert cb.content == "the user's own text"
    assert not guard.armed


def test_a_later_copy_without_secret_disarms() -> None:
    guard, cb, clock = make(readable=False)
    copy(guard, cb, SECRET_CMD, True)
    copy(guard, cb, "box-name", False)
    clock.now = 120
    assert not guard.due() and not guard.clear_if_unchanged()
    assert cb.content == "box-name"


def test_unreadable_clipboard_clears_when_we_own_it() -> None:
    guard, cb, clock = make(readable=False)
    copy(guard, cb, SECRET_CMD, True)
    clock.now = 60
    assert guard.clear_if_unchanged()
    assert cb.writes[-1] == ""


def test_read_failure_counts_as_unreadable() -> None:
    writes: list[str] = []
    clock = FakeClock()

    def broken_read() -> str | None:
        raise RuntimeError("no clipboard backend")

    guard = ClipboardGuard(broken_read, writes.append, clock, clear_after=5)
    guard.copied(SECRET_CMD, True)
    clock.now = 5
    assert guard.clear_if_unchanged() and writes == [""]


def test_no_secret_or_disabled_never_arms() -> None:
    guard, cb, _ = make()
    copy(guard, cb, "plain text", False)
    assert not guard.armed and guard.seconds_left() is None
    guard, cb, _ = make(clear_after=0)
    copy(guard, cb, SECRET_CMD, True)
    assert not guard.armed


def test_flush_on_quit_clears_early() -> None:
    guard, cb, clock = make()
    copy(guard, cb, SECRET_CMD, True)
    clock.now = 10
    assert guard.flush() and cb.content == ""


def test_write_failure_reports_not_cleared() -> None:
    clock = FakeClock()

    def bad_write(text: str) -> None:
        raise OSError("clipboard gone")

    guard = ClipboardGuard(None, bad_write, clock, clear_after=1)
    guard.copied(SECRET_CMD, True)
    clock.now = 2
    assert not guard.clear_if_unchanged()
