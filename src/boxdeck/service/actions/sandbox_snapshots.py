"""Amika sandbox snapshots: list them, see what a scrub would drop, capture one, boot a sandbox from one.

A snapshot is a captured sandbox a new sandbox can boot from (``create_sandbox(snapshot=<slug>)``). The
default mode, ``scrub_and_delete``, leaves the sandbox's credentials and secret values out *and deletes the
source sandbox* once the capture is done, so a screen must show :meth:`Snapshots.scrub_plan` and confirm it
like a delete; ``full`` keeps everything, the source included. Capturing a box is a box action (pending mark,
read-only mode): :meth:`boxdeck.service.actions.actions.Actions.snapshot`.

Not to be confused with :mod:`boxdeck.service.monitoring.snapshot`, the monitor's picture of the box lists.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from boxdeck.api.amika_models import SnapshotMode, SnapshotState
from boxdeck.api.errors import AmikaError, AmikaSnapshotFailedError
from boxdeck.service.actions.errors import ServiceError, error_status, failure, quoted
from boxdeck.service.text.sanitize import has_surrogate, sanitize, single_line
from boxdeck.service.text.timefmt import relative

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient
    from boxdeck.api.amika_models import SandboxSnapshot, ScrubPreview

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SNAPSHOT_NAME",
    "SNAPSHOT_MODES",
    "ScrubPlan",
    "SnapshotError",
    "SnapshotInputError",
    "SnapshotRow",
    "Snapshots",
    "boot_fields",
    "scrub_plan",
    "snapshot_row",
    "validate_description",
    "validate_snapshot_name",
]

#: The server's limits (OpenAPI): a name of 1-80 characters, a description of at most 500.
MAX_SNAPSHOT_NAME: Final = 80
MAX_DESCRIPTION: Final = 500
#: The capture modes, the server's default first.
SNAPSHOT_MODES: Final = (SnapshotMode.SCRUB_AND_DELETE.value, SnapshotMode.FULL.value)
#: How many scrubbed paths a plan shows before "… and N more".
PLAN_LIMIT: Final = 50


class SnapshotError(ServiceError):
    """A snapshot call failed; ``str(e)`` names the snapshot or sandbox and says why."""


class SnapshotInputError(ValueError):
    """What the user typed for a snapshot was refused before sending; ``field`` names the input."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _one_line(text: str, field: str, what: str) -> None:
    if has_surrogate(text):
        raise SnapshotInputError(f"The {what} contains a broken character (a lone surrogate): retype it.",
                                 field)
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise SnapshotInputError(f"The {what} must be one line without control characters.", field)


def validate_snapshot_name(name: str) -> str:
    """The name to send (stripped): 1-80 printable characters on one line."""
    name = (name or "").strip()
    if not name:
        raise SnapshotInputError("Give the snapshot a name.", "name")
    if len(name) > MAX_SNAPSHOT_NAME:
        raise SnapshotInputError(f"The snapshot name is too long (at most {MAX_SNAPSHOT_NAME} characters).",
                                 "name")
    _one_line(name, "name", "snapshot name")
    return name


def validate_description(description: str | None) -> str | None:
    """The description to send: None when blank; at most 500 characters on one line."""
    text = (description or "").strip()
    if not text:
        return None
    if len(text) > MAX_DESCRIPTION:
        raise SnapshotInputError(f"The description is too long (at most {MAX_DESCRIPTION} characters).",
                                 "description")
    _one_line(text, "description", "description")
    return text


def validate_mode(mode: str) -> str:
    if mode not in SNAPSHOT_MODES:
        raise SnapshotInputError(f"A snapshot is taken {' or '.join(SNAPSHOT_MODES)}; not {quoted(mode)}.",
                                 "mode")
    return mode


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One snapshots-table row, every cell sanitized text ("-" for nothing)."""

    id: str
    name: str
    state: str
    source: str
    provider: str
    mode: str
    created: str
    description: str
    error: str


def snapshot_row(snapshot: SandboxSnapshot, now: datetime | None = None) -> SnapshotRow:
    now = now or datetime.now(UTC)

    def cell(value: str | None, limit: int = 80) -> str:
        return single_line(value or "", limit=limit) or "-"

    return SnapshotRow(
        id=sanitize(snapshot.id),
        name=cell(snapshot.snapshot),
        state=cell(snapshot.state, 20),
        source=cell(snapshot.source_sandbox_name or snapshot.source_sandbox_id),
        provider=cell(snapshot.provider, 20),
        mode=cell(snapshot.capture_mode, 20),
        created=relative(snapshot.created_at, now),
        description=cell(snapshot.description, 200),
        error=cell(snapshot.error_message, 200),
    )


@dataclass(frozen=True)
class ScrubPlan:
    """What a ``scrub_and_delete`` snapshot of ``sandbox`` leaves out, ready to show before confirming."""

    sandbox: str
    files: tuple[str, ...]
    env_vars: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.files and not self.env_vars

    def lines(self, limit: int = PLAN_LIMIT) -> list[str]:
        """`file: …` / `env: …` lines, as Amika's CLI prints its preview, with "… and N more" past `limit`."""
        rows = [f"file: {f}" for f in self.files] + [f"env: {e}" for e in self.env_vars]
        if len(rows) > limit:
            rows = [*rows[:limit], f"… and {len(rows) - limit} more"]
        return rows

    def question(self) -> str:
        """The confirmation a screen asks (a scrub deletes the sandbox, so it is confirmed like a delete)."""
        name = quoted(self.sandbox)
        dropped = "nothing to scrub" if self.empty else (
            f"{len(self.files)} file(s) and {len(self.env_vars)} environment value(s) are left out"
        )
        return f"Snapshot sandbox {name} and then DELETE it? ({dropped})"


def scrub_plan(sandbox: str, preview: ScrubPreview) -> ScrubPlan:
    """A preview as sanitized, de-duplicated, sorted text."""
    def clean(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({single_line(i, limit=300) for i in items if i and i.strip()}))

    return ScrubPlan(sandbox, clean(preview.files), clean(preview.env_vars))


def boot_fields(snapshot: SandboxSnapshot) -> dict[str, str]:
    """The create-sandbox fields that boot a new sandbox from ``snapshot`` (``Actions.create_sandbox``)."""
    if snapshot.state != SnapshotState.ACTIVE:
        name, state = quoted(snapshot.snapshot or snapshot.id), single_line(snapshot.state, limit=20)
        raise SnapshotError(
            f"Snapshot {name} is {state}, not active: a sandbox can boot only from an active snapshot.",
            subject=snapshot.snapshot or snapshot.id,
        )
    return {"snapshot": snapshot.snapshot}


def _newest_first(snapshot: SandboxSnapshot) -> float:
    return -snapshot.created_at.timestamp() if snapshot.created_at else math.inf


Sleep = Callable[[float], Awaitable[None]]


class Snapshots:
    """``/sandbox-snapshots``: the snapshots list, scrub previews, waiting for a capture, deleting."""

    def __init__(self, amika: AmikaClient) -> None:
        self._amika = amika

    async def list(
        self, *, source_sandbox_id: str | None = None, repository_id: str | None = None
    ) -> builtins.list[SandboxSnapshot]:
        """Snapshots, newest first; optionally only those captured from one sandbox or of one repository."""
        try:
            items = await self._amika.list_sandbox_snapshots(
                repository_id=repository_id, source_sandbox_id=source_sandbox_id
            )
        except AmikaError as exc:
            raise failure("Could not list the snapshots", exc, error=SnapshotError) from exc
        return sorted(items, key=_newest_first)

    async def get(self, ref: str) -> SandboxSnapshot:
        try:
            return await self._amika.get_sandbox_snapshot(ref)
        except AmikaError as exc:
            raise failure(f"Could not read snapshot {quoted(ref)}", exc, subject=ref,
                          error=SnapshotError) from exc

    async def scrub_plan(self, sandbox: str) -> ScrubPlan:
        """What a ``scrub_and_delete`` snapshot of ``sandbox`` (name or id) would leave out."""
        try:
            preview = await self._amika.get_sandbox_scrub_preview(sandbox)
        except AmikaError as exc:
            raise failure(f"Could not preview the scrub of sandbox {quoted(sandbox)}", exc, subject=sandbox,
                          error=SnapshotError) from exc
        return scrub_plan(sandbox, preview)

    async def wait(
        self, ref: str, *, interval: float = 3.0, timeout: float | None = 600.0  # noqa: ASYNC109
    ) -> SandboxSnapshot:
        """Until the capture is ``active``; a failed capture is a SnapshotError with the server's reason."""
        try:
            return await self._amika.wait_for_sandbox_snapshot(ref, interval=interval, timeout=timeout)
        except AmikaSnapshotFailedError as exc:
            raise SnapshotError(f"Snapshot {quoted(ref)} failed: {single_line(str(exc), limit=300)}",
                                subject=ref) from exc
        except AmikaError as exc:
            raise failure(f"Could not follow snapshot {quoted(ref)}", exc, subject=ref,
                          error=SnapshotError) from exc

    async def delete(self, ref: str) -> None:
        """Delete a snapshot (slug or id); one that is already gone counts as deleted."""
        try:
            await self._amika.delete_sandbox_snapshot(ref)
        except AmikaError as exc:
            if error_status(exc) == 404:
                return
            raise failure(f"Could not delete snapshot {quoted(ref)}", exc, subject=ref,
                          error=SnapshotError) from exc
