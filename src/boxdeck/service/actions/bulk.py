"""Bulk stop/delete over the boxes selected with `space`: which ones apply, and the one-line summary.

Pure functions over `Box`es; the box screens ask, confirm once, run each action and report every failure by
box.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.text.sanitize import single_line

SELECT_MARK = "◆"


@dataclass
class BulkPlan:
    verb: str  # "stop", "delete"
    apply: list[Box] = field(default_factory=list)
    skip: list[tuple[Box, str]] = field(default_factory=list)  # (box, short reason)

    @property
    def total(self) -> int:
        return len(self.apply) + len(self.skip)

    def summary(self) -> str:
        """"stop 3 of 5: 2 already stopped" (or "delete 2" when every box applies)."""
        head = f"{self.verb} {len(self.apply)}" + (f" of {self.total}" if self.skip else "")
        if not self.skip:
            return head
        reasons = Counter(reason for _box, reason in self.skip)
        return head + ": " + ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())


def short_reason(verb: str, box: Box) -> str:
    """Why `verb` does not apply to `box`, in two or three words."""
    if box.pending:
        return f"{box.pending}…" if box.pending != "deleting" else "already being deleted"
    kind = box.state_kind
    if verb in ("start", "stop") and box.backend is Backend.DEVBOX:
        return "devboxes (no stop)"
    if verb == "stop" and kind is StateKind.STOPPED:
        return "already stopped"
    if verb == "delete" and kind is StateKind.GONE:
        return "already gone"
    return single_line(box.display_state, limit=30) or "not applicable"


def plan(verb: str, boxes: Iterable[Box], applies: Callable[[Box], bool]) -> BulkPlan:
    """Split `boxes` (each once, by key) into those `verb` applies to and those it does not."""
    result = BulkPlan(verb)
    seen: set[str] = set()
    for box in boxes:
        if box.key in seen:
            continue
        seen.add(box.key)
        if applies(box):
            result.apply.append(box)
        else:
            result.skip.append((box, short_reason(verb, box)))
    return result
