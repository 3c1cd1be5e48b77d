"""The snapshot form: name, description and mode of a snapshot of one sandbox.

`full` keeps everything and leaves the sandbox alone, so it is sent as it is. `scrub_and_delete` (the server's
default) leaves credentials and secret values out and deletes the sandbox once captured: the form first asks
the server what the scrub would leave out, then asks as a delete does (what is lost, a typed name when work
would be lost), with that list on top. The form stays open and filled until the server accepts the snapshot;
a refusal or a failure is shown in it, and nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Select, Static

from boxdeck.api.amika_models import SandboxSnapshot, SnapshotMode
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.actions.sandbox_snapshots import (
    MAX_SNAPSHOT_NAME,
    SNAPSHOT_MODES,
    ScrubPlan,
    SnapshotInputError,
    validate_description,
    validate_snapshot_name,
)
from boxdeck.service.boxes import Box
from boxdeck.service.text.sanitize import single_line
from boxdeck.tui.context import Deck, Profile
from boxdeck.tui.messages import ActionFailed
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal
from boxdeck.tui.modals.form import FormModal

__all__ = ["MODE_HINTS", "SnapshotModal", "scrub_preview"]

SCRUB = SnapshotMode.SCRUB_AND_DELETE.value
MODE_HINTS = {
    SCRUB: "Leaves credentials and secret values out, then DELETES the sandbox (asks first).",
    SnapshotMode.FULL.value: "Keeps everything, secrets included; the sandbox stays as it is.",
}


@dataclass
class PlanFetched(Message, bubble=False):
    plan: ScrubPlan
    values: dict[str, Any]


@dataclass
class SnapshotTaken(Message, bubble=False):
    snapshot: SandboxSnapshot


def scrub_preview(plan: ScrubPlan) -> Text:
    """What a scrub leaves out, one literal line each (the plan's lines are sanitized already)."""
    if plan.empty:
        return Text("Nothing to scrub: no credential files or secret environment values were found.",
                    style="italic")
    out = Text()
    out.append("Left out of the snapshot:", style="bold")
    for line in plan.lines():
        out.append(f"\n  {line}")
    return out


class SnapshotModal(FormModal[SandboxSnapshot]):
    SUBMIT_LABEL = "Snapshot"
    BUSY_LABEL = "Snapshotting…"

    def __init__(self, deck: Deck, profile: Profile, box: Box) -> None:
        super().__init__(profile.actions)
        self.add_class("snapshot-form")
        self.deck = deck
        self.profile = profile
        self.box = box
        self.TITLE_TEXT = f"Snapshot sandbox {single_line(box.name, limit=60)}"

    def compose_fields(self) -> ComposeResult:
        # No `max_length`: Textual's Input drops a longer paste whole, without a word; validation explains.
        yield from self.field("Name", Input(placeholder=f"before-upgrade (1–{MAX_SNAPSHOT_NAME} characters)",
                                            id="name"))
        yield from self.field("Description", Input(placeholder="optional", id="description"))
        yield from self.field(
            "Mode", Select([(m, m) for m in SNAPSHOT_MODES], value=SCRUB, allow_blank=False, id="mode")
        )
        yield Static(MODE_HINTS[SCRUB], markup=False, classes="hint", id="mode-hint")

    @on(Select.Changed, "#mode")
    def _mode_changed(self, event: Select.Changed) -> None:
        self.query_one("#mode-hint", Static).update(MODE_HINTS.get(str(event.value), ""))

    def values(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#name", Input).value,
            "description": self.query_one("#description", Input).value,
            "mode": str(self.query_one("#mode", Select).value),
        }

    def validate_form(self) -> str | None:
        values = self.values()
        try:
            validate_snapshot_name(values["name"])
            validate_description(values["description"])
        except SnapshotInputError as problem:
            return str(problem)
        return None

    def submit(self, values: dict[str, Any]) -> None:
        if values["mode"] == SCRUB:
            self._fetch_plan(values)
        else:
            self._send(values)

    # ----------------------------------------------------------------- workers (post messages only)
    @work(exclusive=True, exit_on_error=False, group="snapshot-plan")
    async def _fetch_plan(self, values: dict[str, Any]) -> None:
        try:
            plan = await self.actions.snapshots.scrub_plan(self.box.ref)
        except ActionError as error:  # a SnapshotError is one
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(PlanFetched(plan, values))

    @work(exclusive=True, exit_on_error=False, group="snapshot-send")
    async def _send(self, values: dict[str, Any]) -> None:
        try:
            made = await self.actions.snapshot(
                self.box, values["name"], mode=values["mode"], description=values["description"]
            )
        except ActionError as error:  # AlreadyInFlight too: the first one's answer decides
            self.post_message(ActionFailed(str(error)))
            return
        self.post_message(SnapshotTaken(made))

    # ----------------------------------------------------------------- handlers
    @on(PlanFetched)
    def _plan_fetched(self, message: PlanFetched) -> None:
        name = single_line(self.box.name, limit=60)

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(message.values)
            else:
                self._ready_again()

        confirm = DeleteConfirmModal(
            [self.box], self.deck, self.profile, noun="sandbox", confirm_label="Snapshot",
            question=(
                f"Snapshot sandbox {name}, then delete it?",
                f"Once captured, the sandbox “{name}” and everything on it are deleted. This cannot be "
                "undone.",
            ),
            preview=scrub_preview(message.plan),
        )
        confirm.add_class("scrub-confirm")
        self.app.push_screen(confirm, answered)

    @on(SnapshotTaken)
    def _taken(self, message: SnapshotTaken) -> None:
        self.dismiss(message.snapshot)
