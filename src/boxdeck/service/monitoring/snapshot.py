"""Immutable snapshots of what a backend reported, and the per-key diff between two of them.

The UI applies a diff cell by cell (a poll must never rebuild a table, move the cursor or lose the filter),
so a diff says exactly which rows appeared, left, or changed — and for a changed row which fields. At 10k
boxes the diff has to stay cheap: it is dict lookups plus equality on the frozen boxes, nothing re-validated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from boxdeck.service.boxes import Backend, Box

if TYPE_CHECKING:
    from boxdeck.api.amika_models import Sandbox
    from boxdeck.api.devbox_models import Devbox, DevboxRepository, Operation

__all__ = ["Change", "DevboxDetail", "Diff", "Snapshot", "compute_diff", "empty_snapshot", "make_snapshot"]

_BOX_FIELDS = ("ref", "name", "state", "pending", "created_at", "sandbox", "devbox")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DevboxDetail:
    """Operations and repositories of one devbox, as last fetched (they are not in the list response)."""

    operations: tuple[Operation, ...]
    repositories: tuple[DevboxRepository, ...]
    fetched_at: datetime

    def same_content(self, other: DevboxDetail | None) -> bool:
        """Equal apart from when it was fetched: a refetch that found nothing new is not a change."""
        return (
            other is not None
            and self.operations == other.operations
            and self.repositories == other.repositories
        )

    @property
    def failed_message(self) -> str | None:
        """The message of the first failed operation: the reason a devbox failed, when the server gave one."""
        for op in self.operations:
            if op.status == "failed" and op.message:
                return op.message
        return None


@dataclass(frozen=True)
class Snapshot:
    """One backend's boxes in server order (keys are `Box.key`) plus the devbox details fetched so far."""

    backend: Backend
    boxes: Mapping[str, Box]
    details: Mapping[str, DevboxDetail]
    taken_at: datetime

    def __len__(self) -> int:
        return len(self.boxes)

    def get(self, key: str) -> Box | None:
        return self.boxes.get(key)

    def find(self, name: str) -> Box | None:
        """The first box with this name, or whose ref or key is `name` (for CLI lookups by name)."""
        for box in self.boxes.values():
            if name in (box.name, box.ref, box.key):
                return box
        return None


def make_snapshot(
    backend: Backend,
    boxes: Iterable[Box],
    details: Mapping[str, DevboxDetail] | None = None,
    taken_at: datetime | None = None,
) -> Snapshot:
    """Freeze boxes (server order kept; a duplicate key keeps its first position, last value wins)."""
    ordered: dict[str, Box] = {}
    for box in boxes:
        ordered[box.key] = box
    return Snapshot(
        backend=backend,
        boxes=MappingProxyType(ordered),
        details=MappingProxyType(dict(details or {})),
        taken_at=taken_at or datetime.now(UTC),
    )


def empty_snapshot(backend: Backend) -> Snapshot:
    return make_snapshot(backend, (), taken_at=_EPOCH)


@dataclass(frozen=True)
class Change:
    """A row that exists in both snapshots and differs.

    `fields` names the Box fields that differ ("state", "pending", "name", "sandbox", …); when the api model
    differs it also holds `"sandbox.<attr>"` / `"devbox.<attr>"` for each wire attribute that changed, so the
    UI can update just the provider, branch or access-url cell.
    """

    key: str
    old: Box
    new: Box
    fields: frozenset[str]

    @property
    def state_changed(self) -> bool:
        return "state" in self.fields

    @property
    def display_changed(self) -> bool:
        """The state cell as the user sees it (pending or server state) changed."""
        return self.old.display_state != self.new.display_state


@dataclass(frozen=True)
class Diff:
    """What changed in one backend between two snapshots; `snapshot` is the new one."""

    backend: Backend
    added: tuple[Box, ...]
    removed: tuple[Box, ...]
    changed: tuple[Change, ...]
    details_changed: frozenset[str]
    snapshot: Snapshot
    local: bool = field(default=False)
    """True when the diff comes from an optimistic local update (an action), not from a poll."""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.details_changed)

    def __bool__(self) -> bool:
        return not self.empty


def _model_fields_that_differ(
    prefix: str, old: Sandbox | Devbox | None, new: Sandbox | Devbox | None
) -> set[str]:
    if old is None or new is None:
        return set()
    names: set[str] = set(type(new).model_fields)
    extra_old = old.model_extra or {}
    extra_new = new.model_extra or {}
    names.update(extra_old, extra_new)
    out = set()
    for name in names:
        if name in extra_old or name in extra_new:
            a, b = extra_old.get(name), extra_new.get(name)
        else:
            a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.add(f"{prefix}.{name}")
    return out


def box_fields_that_differ(old: Box, new: Box) -> frozenset[str]:
    fields = {name for name in _BOX_FIELDS if getattr(old, name) != getattr(new, name)}
    if "sandbox" in fields:
        fields |= _model_fields_that_differ("sandbox", old.sandbox, new.sandbox)
    if "devbox" in fields:
        fields |= _model_fields_that_differ("devbox", old.devbox, new.devbox)
    return frozenset(fields)


def compute_diff(old: Snapshot | None, new: Snapshot, *, local: bool = False) -> Diff:
    """Per-key diff; `added` and `changed` in the new snapshot's order, `removed` in the old one's."""
    old_boxes: Mapping[str, Box] = old.boxes if old is not None else {}
    added: list[Box] = []
    changed: list[Change] = []
    for key, box in new.boxes.items():
        prev = old_boxes.get(key)
        if prev is None:
            added.append(box)
        elif prev is not box and prev != box:
            changed.append(Change(key, prev, box, box_fields_that_differ(prev, box)))
    removed = tuple(box for key, box in old_boxes.items() if key not in new.boxes)

    old_details: Mapping[str, DevboxDetail] = old.details if old is not None else {}
    details_changed = {
        key for key, det in new.details.items() if det is not old_details.get(key)
        and not det.same_content(old_details.get(key))
    }
    details_changed.update(key for key in old_details if key not in new.details and key in new.boxes)
    return Diff(
        backend=new.backend,
        added=tuple(added),
        removed=removed,
        changed=tuple(changed),
        details_changed=frozenset(details_changed),
        snapshot=new,
        local=local,
    )
