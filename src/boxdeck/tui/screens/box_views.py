"""The issue-5 keys of the two box screens, as mixins: `a` agent prompt and `v` sessions on the sandboxes
screen, `v` sessions on the devboxes screen.

The mixins go before `BoxesScreen` in the class bases, so their `check_action` sees the base's answer first
(read-only, no backend) and then dims what does not apply to the selected box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boxdeck.service.boxes import Box, StateKind

if TYPE_CHECKING:
    from boxdeck.tui.screens.base import BoxesScreen

    _Base = BoxesScreen
else:
    _Base = object


class SandboxViews(_Base):
    """`a` opens the agent prompt view of an active sandbox; `v` its sessions and SSH grant."""

    COMMAND_SCOPE = "sandboxes"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        result = super().check_action(action, parameters)
        if action not in ("agent_prompt", "sandbox_sessions") or not result:
            return result
        box = self.selected_box
        if box is None or box.sandbox is None:
            return None
        if action == "agent_prompt":
            return True if box.kind is StateKind.READY else None
        return None if box.kind is StateKind.GONE or box.pending == "creating" else True

    def action_agent_prompt(self) -> None:
        from boxdeck.tui.screens.agent_prompt import AgentPromptScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(AgentPromptScreen(box.ref))

    def action_sandbox_sessions(self) -> None:
        from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(SandboxSessionsScreen(box.ref))


class DevboxViews(_Base):
    """`v` opens the exec and access sessions of a ready devbox."""

    COMMAND_SCOPE = "devboxes"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        result = super().check_action(action, parameters)
        if action != "devbox_sessions" or not result:
            return result
        box = self.selected_box
        return True if box is not None and box.devbox is not None and box.kind is StateKind.READY else None

    def action_devbox_sessions(self) -> None:
        from boxdeck.tui.screens.devbox_sessions import DevboxSessionsScreen

        box = self.selected_box
        if box is not None:
            self.app.push_screen(DevboxSessionsScreen(box.ref, box.name))


def find_box(screen: Any, backend: Any, ref: str) -> Box | None:
    """The box with API reference `ref` in the monitor's latest snapshot (None while unknown or gone)."""
    snapshot = screen.app.service.monitor.snapshot(backend)
    if snapshot is None:
        return None
    return next((box for box in snapshot.boxes.values() if box.ref == ref), None)
