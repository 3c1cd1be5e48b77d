"""The new-sandbox form (Amika): name, repository URL, branch, size and preset, with the API's defaults;
opened from the snapshots list, also the snapshot it boots from (its files come back in the new sandbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Select

from boxdeck.api.amika_models import SandboxSnapshot, SnapshotState
from boxdeck.service.actions.actions import Actions
from boxdeck.service.actions.validation import (
    RepoUrlError,
    SandboxNameError,
    validate_repo_url,
    validate_sandbox_name,
)
from boxdeck.service.boxes import Box
from boxdeck.service.text.sanitize import single_line
from boxdeck.tui.modals.form import NewBoxModal

SIZES = ("xs", "m", "l", "xl")
PRESETS = ("coder", "coder-dind")
NAME_MAX = 40


class NewSandboxModal(NewBoxModal):
    TITLE_TEXT = "New Amika sandbox"

    def __init__(self, actions: Actions, *, snapshots: Sequence[SandboxSnapshot] = (),
                 snapshot: SandboxSnapshot | None = None) -> None:
        """`snapshots`: the ones to offer to boot from (active ones only); `snapshot`: the one chosen."""
        super().__init__(actions)
        offered = [*snapshots, *([snapshot] if snapshot is not None else [])]
        self.snapshots = {s.snapshot: s for s in offered if s.snapshot and s.state == SnapshotState.ACTIVE}
        chosen = snapshot.snapshot if snapshot is not None else None
        self.chosen = chosen if chosen in self.snapshots else None
        if self.snapshots:
            self.add_class("snapshot-boot")

    def compose_fields(self) -> ComposeResult:
        # No `max_length`: Textual's Input drops a longer paste whole, without a word; validation explains.
        yield from self.field("Name", Input(placeholder="e.g. my-sandbox", id="name"), "1–40 characters")
        if self.snapshots:
            options = [(Text(single_line(slug, limit=60)), slug) for slug in self.snapshots]
            yield from self.field(
                "Snapshot",
                Select(options, value=self.chosen or Select.BLANK, prompt="none: a fresh sandbox",
                       id="snapshot"),
                "the new sandbox boots with the snapshot's files",
            )
        yield from self.field(
            "Repository URL", Input(placeholder="optional, e.g. https://github.com/owner/repo", id="repo_url")
        )
        yield from self.field("Branch", Input(placeholder="default branch (optional)", id="branch"))
        yield from self.field(
            "Size", Select([(s, s) for s in SIZES], value="m", allow_blank=False, id="size")
        )
        yield from self.field(
            "Preset", Select([(p, p) for p in PRESETS], value="coder", allow_blank=False, id="preset")
        )

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.query_one("#name", Input).value.strip()}
        for field in ("repo_url", "branch"):
            value = self.query_one(f"#{field}", Input).value.strip()
            if value:
                out[field] = value
        out["size"] = self.query_one("#size", Select).value
        out["preset"] = self.query_one("#preset", Select).value
        if self.snapshots:
            chosen = self.query_one("#snapshot", Select).value
            if isinstance(chosen, str):
                out["snapshot"] = chosen
        return out

    def validate_form(self) -> str | None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            return "Name: required (1–40 characters)."
        if len(name) > NAME_MAX:
            return f"Name: at most {NAME_MAX} characters."
        try:
            validate_sandbox_name(name)
        except SandboxNameError as error:
            self.query_one("#name", Input).focus()
            return f"Name: {error}"
        try:
            validate_repo_url(self.query_one("#repo_url", Input).value)
        except RepoUrlError as error:
            self.query_one("#repo_url", Input).focus()
            return f"Repository URL: {error}"
        return None

    async def create(self, values: dict[str, Any]) -> Box:
        slug = values.pop("snapshot", None)
        if slug is not None:
            return await self.actions.create_sandbox_from_snapshot(self.snapshots[slug], **values)
        return await self.actions.create_sandbox(**values)
