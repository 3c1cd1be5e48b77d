"""What the UI tells the user about boxes: notifications for boxes they acted on, and the activity log.

Notifications are only for boxes the user created or acted on recently — a dashboard watching a busy team
account must not pop a toast for every box someone else started. The activity log, by contrast, records
every transition seen, so the user can scroll back through what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.monitoring.snapshot import Change, DevboxDetail
from boxdeck.service.text.sanitize import single_line

__all__ = ["ActivityEntry", "Notice", "NoticeLevel", "notice_for_change", "notice_for_removal"]

NoticeLevel = Literal["information", "warning", "error"]

_NOUN = {Backend.AMIKA: "Sandbox", Backend.DEVBOX: "Devbox"}


@dataclass(frozen=True)
class Notice:
    """A notification for the UI (`App.notify(message, title=title, severity=level, markup=False)`)."""

    level: NoticeLevel
    title: str
    message: str
    key: str
    backend: Backend
    #: What the box became (ready, failed …); None when not known.
    kind: StateKind | None = None


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the activity log: a state transition seen by a poll, or an action the user took.

    `old` is None when the box appeared, `new` is None when it disappeared; `action` is set ("start",
    "delete", …) for entries that record a user action rather than a server transition.
    """

    time: datetime
    key: str
    name: str
    backend: Backend
    old: str | None
    new: str | None
    action: str | None = None

    @property
    def text(self) -> str:
        if self.action:
            return f"{self.action} requested"
        return f"{self.old or '(new)'} → {self.new or '(gone)'}"


def notice_for_change(change: Change, detail: DevboxDetail | None = None) -> Notice | None:
    """A notice when the box reached ready, stopped, failed or gone; None for every other change."""
    old_kind, new_kind = change.old.kind, change.new.kind
    if new_kind == old_kind or new_kind not in (StateKind.READY, StateKind.STOPPED, StateKind.FAILED,
                                                StateKind.GONE):
        return None
    box = change.new
    noun = _NOUN[box.backend]
    name = single_line(box.name, limit=80)
    state = single_line(box.state, limit=40)
    if new_kind is StateKind.READY:
        return Notice("information", f"{name} is ready", f'{noun} "{name}" is {state}.', box.key, box.backend,
                      new_kind)
    if new_kind is StateKind.STOPPED:
        return Notice("information", f"{name} stopped", f'{noun} "{name}" is {state}.', box.key, box.backend,
                      new_kind)
    if new_kind is StateKind.GONE:
        return Notice("information", f"{name} deleted", f'{noun} "{name}" is {state}.', box.key, box.backend,
                      new_kind)
    reason = box.error_message or (detail.failed_message if detail is not None else None)
    message = f'{noun} "{name}" failed'
    message += f": {single_line(reason)}" if reason else "."
    return Notice("error", f"{name} failed", message, box.key, box.backend, new_kind)


def notice_for_removal(box: Box) -> Notice:
    noun = _NOUN[box.backend]
    name = single_line(box.name, limit=80)
    return Notice("information", f"{name} deleted", f'{noun} "{name}" is gone.', box.key, box.backend,
                  StateKind.GONE)
