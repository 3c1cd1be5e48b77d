"""The new-sandbox form (Amika): name, repository URL, branch, size and preset, with the API's defaults."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Select

from boxdeck.service.actions.validation import (
    RepoUrlError,
    SandboxNameError,
    validate_repo_url,
    validate_sandbox_name,
)
from boxdeck.service.boxes import Box
from boxdeck.tui.modals.form import NewBoxModal

SIZES = ("xs", "m", "l", "xl")
PRESETS = ("coder", "coder-dind")
NAME_MAX = 40


class NewSandboxModal(NewBoxModal):
    TITLE_TEXT = "New Amika sandbox"

    def compose_fields(self) -> ComposeResult:
        # No `max_length`: Textual's Input drops a longer paste whole, without a word; validation explains.
        yield from self.field("Name", Input(placeholder="e.g. my-sandbox", id="name"), "1–40 characters")
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
        return await self.actions.create_sandbox(**values)
