"""The new-devbox form (Latitude): name, plan, repository and branch, with the API's defaults."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input

from boxdeck.service.boxes import Box
from boxdeck.tui.modals.form import NewBoxModal

NAME_MAX = 63


class NewDevboxModal(NewBoxModal):
    TITLE_TEXT = "New Latitude devbox"

    def compose_fields(self) -> ComposeResult:
        # No `max_length`: Textual's Input drops a longer paste whole, without a word; validation explains.
        yield from self.field("Name", Input(placeholder="e.g. my-devbox", id="name"), "required")
        yield from self.field("Plan", Input(value="small", id="plan"))
        yield from self.field("Repository", Input(placeholder="optional, e.g. owner/repo", id="repository"))
        yield from self.field("Branch", Input(value="main", id="branch"))

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.query_one("#name", Input).value.strip()}
        out["plan"] = self.query_one("#plan", Input).value.strip() or "small"
        repository = self.query_one("#repository", Input).value.strip()
        if repository:
            out["repository"] = repository
            out["branch"] = self.query_one("#branch", Input).value.strip() or "main"
        return out

    def validate_form(self) -> str | None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            return "Name: required."
        if len(name) > NAME_MAX:
            return f"Name: at most {NAME_MAX} characters."
        return None

    async def create(self, values: dict[str, Any]) -> Box:
        name = values.pop("name")
        return await self.actions.create_devbox(name, **values)
