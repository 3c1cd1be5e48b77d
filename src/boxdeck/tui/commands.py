"""The one list of commands: it builds the key bindings, the footer, the help screen and the command palette.

Each command has a stable binding id (``boxdeck.<name>``) so a keymap can remap it with ``App.set_keymap``.
Each command belongs to one scope: the app (everywhere), the box screens, or one screen of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from boxdeck.service.boxes import Backend
from boxdeck.service.text.sanitize import shown, single_line

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

Scope = Literal["app", "boxes", "secrets", "account", "sandboxes", "devboxes", "agent", "sessions",
                "devbox_sessions", "snapshots"]


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # binding id suffix and palette identity
    key: str  # default key
    action: str  # action string, run against the scope's node (app or screen)
    label: str  # short footer label
    help: str  # one line for the help screen and palette
    scope: Scope
    show: bool = True  # shown in the footer
    mutating: bool = False  # turned off by --read-only
    key_display: str | None = None
    priority: bool = False

    @property
    def id(self) -> str:
        return f"boxdeck.{self.name}"

    @property
    def title(self) -> str:
        return self.help.split(":")[0] if ":" in self.help else self.label

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            id=self.id,
        )


COMMANDS: tuple[Command, ...] = (
    # Screens (number keys).
    Command("screen.all", "0", "switch_mode('all')", "All boxes",
            "Show all boxes: sandboxes and devboxes in one table", "app",
            show=False),
    Command("screen.sandboxes", "1", "switch_mode('sandboxes')", "Sandboxes", "Show the Amika sandboxes",
            "app", show=False),
    Command("screen.devboxes", "2", "switch_mode('devboxes')", "Devboxes", "Show the Latitude devboxes",
            "app", show=False),
    Command("screen.secrets", "3", "switch_mode('secrets')", "Secrets", "Show the Amika secrets", "app",
            show=False),
    Command("screen.account", "4", "switch_mode('account')", "Account", "Show the Devbox account and GitHub",
            "app", show=False),
    # Acting on the selected box. Enter connects (SSH right here; "connect when ready" on a box on its way
    # up).
    Command("connect", "enter,S", "connect", "Connect",
            "Connect: SSH into the selected box here (or when it is ready: asks first)", "boxes",
            key_display="⏎"),
    Command("start", "s", "start", "Start", "Start the selected box", "boxes", mutating=True),
    Command("stop", "x", "stop", "Stop", "Stop the selected box (or every selected one)", "boxes",
            mutating=True),
    Command("delete", "d", "delete", "Delete",
            "Delete the selected box or boxes (asks first, says what is lost)", "boxes", mutating=True),
    Command("copy_ssh", "c", "copy_ssh", "Copy SSH", "Copy a ready-to-use SSH command", "boxes"),
    Command("open_editor", "E", "open_editor", "Editor",
            "Open in editor: the selected box in your editor over SSH (or when it is ready: asks first)",
            "boxes", show=False),
    Command("new", "n", "new_box", "New", "Create a new box", "boxes", mutating=True),
    Command("refresh", "r", "refresh", "Refresh", "Refresh now", "boxes"),
    Command("filter", "slash", "filter", "Filter", "Filter by name, state or repo", "boxes", key_display="/"),
    Command("back", "escape", "back", "Back",
            "Leave the detail pane / clear the selection / clear the filter / stop waiting", "boxes",
            show=False),
    Command("sort", "o", "sort_next", "Sort", "Sort by the next column", "boxes", show=False),
    Command("sort_reverse", "O", "sort_reverse", "Reverse", "Reverse the sort order", "boxes", show=False),
    Command("detail", "i", "detail", "Detail", "Show the selected box's details", "boxes", show=False),
    Command("raw", "I", "toggle_raw", "Raw fields",
            "Detail: every field as the server sent it (again: the readable view)", "boxes", show=False),
    # Renew access; select boxes for a bulk stop/delete (no destructive action sits on a bare ctrl chord).
    Command("renew", "R", "renew", "Renew",
            "Renew SSH access to the selected box: a new grant or access session, copied", "boxes",
            show=False, mutating=True),
    Command("mark", "space", "toggle_mark", "Select",
            "Select the highlighted box for a bulk stop/delete (again: unselect)", "boxes", show=False),
    Command("mark_all", "asterisk", "mark_all", "Select all", "Select every box shown (again: unselect)",
            "boxes", show=False, key_display="*"),
    # Secrets screen (3). Values are typed into masked inputs and never shown.
    Command("secrets.new", "n", "new_secret", "New", "New generic secret (masked value)",
            "secrets", mutating=True),
    Command("secrets.update", "u", "update_secret", "Update", "Replace the selected secret's value",
            "secrets", mutating=True),
    Command("secrets.new_provider", "N,p", "new_provider_secret", "New provider",
            "New claude/codex credential", "secrets", mutating=True,
            key_display="N/p"),
    Command("secrets.delete", "d", "delete_provider_secret", "Delete",
            "Delete the selected credential (asks first)", "secrets", mutating=True),
    Command("secrets.refresh", "r", "reload_secrets", "Refresh", "Reload the secrets", "secrets"),
    # Account screen (4): Devbox user SSH key and GitHub.
    Command("account.set_key", "K", "set_ssh_key", "SSH key",
            "Set your SSH key (~/.ssh/*.pub or pasted)", "account", mutating=True),
    Command("account.delete_key", "X", "delete_ssh_key", "Del key", "Delete your SSH public key (asks first)",
            "account", mutating=True),
    Command("account.connect", "C", "connect_github", "Connect", "Connect GitHub (shows and copies the link)",
            "account", mutating=True),
    Command("account.cancel_connect", "escape", "cancel_connect", "Stop waiting",
            "Stop waiting for the GitHub connection", "account", show=False),
    Command("account.disconnect", "D", "disconnect_github", "Disconnect", "Disconnect GitHub (asks first)",
            "account", mutating=True),
    Command("account.save_grants", "S", "save_org_grants", "Save grants",
            "Save the org grants (space toggles one)", "account", mutating=True),
    Command("account.refresh", "r", "reload_account", "Refresh", "Reload the account and GitHub", "account"),
    # Views of one box: on the sandboxes screen (1) and the devboxes screen (2).
    Command("sandbox.agent", "a", "agent_prompt", "Agent",
            "Agent prompt: talk to the selected sandbox's agent", "sandboxes"),
    Command("sandbox.sessions", "v", "sandbox_sessions", "Sessions",
            "Sessions and SSH grant of the selected sandbox", "sandboxes"),
    Command("sandbox.snapshot", "t", "snapshot_sandbox", "Snapshot",
            "Snapshot the selected sandbox (scrub-and-delete shows what is left out and asks first)",
            "sandboxes", mutating=True),
    Command("sandbox.snapshots", "T", "show_snapshots", "Snapshots",
            "Snapshots: their capture state; delete one or boot a new sandbox from it", "sandboxes"),
    Command("devbox.sessions", "v", "devbox_sessions", "Sessions",
            "Exec sessions and SSH access sessions of the selected devbox", "devboxes"),
    # The agent prompt view.
    Command("agent.send", "ctrl+s", "send_prompt", "Send", "Send the prompt to the agent", "agent",
            mutating=True),
    Command("agent.cancel", "ctrl+g", "cancel_prompt", "Cancel send", "Cancel the prompt in flight", "agent"),
    Command("agent.back", "escape", "close_agent", "Back", "Back to the sandboxes (a prompt keeps running)",
            "agent"),
    # A sandbox's sessions and SSH grant.
    Command("sessions.new", "n", "new_session", "New", "Create a session (agent name, metadata JSON)",
            "sessions", mutating=True),
    Command("sessions.complete", "C", "mark_completed", "Completed",
            "Mark the selected session completed (asks first)", "sessions", mutating=True),
    Command("sessions.fail", "F", "mark_failed", "Failed", "Mark the selected session failed (asks first)",
            "sessions", mutating=True),
    Command("sessions.metadata", "m", "edit_metadata", "Metadata", "Edit the selected session's metadata",
            "sessions", mutating=True),
    Command("sessions.grant", "c", "ssh_grant", "SSH grant",
            "Get SSH access: copy the command and show when it expires", "sessions"),
    Command("sessions.revoke", "d", "revoke_grant", "Revoke SSH", "Revoke the SSH grant (asks first)",
            "sessions", mutating=True),
    Command("sessions.renew", "R", "renew_grant", "Renew",
            "Renew the SSH grant: mint a new one, copy it, count down again", "sessions", mutating=True),
    Command("sessions.refresh", "r", "reload_sessions", "Refresh", "Reload the sessions", "sessions"),
    Command("sessions.back", "escape", "close_sessions", "Back", "Back to the sandboxes", "sessions"),
    # A devbox's exec and access sessions.
    Command("access.new", "n", "new_access", "New access",
            "Open an SSH access session and copy its command", "devbox_sessions", mutating=True),
    Command("access.revoke", "d", "revoke_access", "Revoke",
            "Revoke the selected access session (asks first)", "devbox_sessions", mutating=True),
    Command("access.renew", "R", "renew_access", "Renew",
            "Renew SSH access: open a new access session and copy its command", "devbox_sessions",
            mutating=True),
    Command("access.refresh", "r", "reload_exec_sessions", "Refresh", "Reload the exec sessions",
            "devbox_sessions"),
    Command("access.back", "escape", "close_devbox_sessions", "Back", "Back to the devboxes",
            "devbox_sessions"),
    # The snapshots list (T on the sandboxes screen).
    Command("snapshots.new_sandbox", "n", "new_from_snapshot", "New sandbox",
            "New sandbox from the selected snapshot (its files come back)", "snapshots", mutating=True),
    Command("snapshots.delete", "d", "delete_snapshot", "Delete", "Delete the selected snapshot (asks first)",
            "snapshots", mutating=True),
    Command("snapshots.refresh", "r", "reload_snapshots", "Refresh", "Reload the snapshots", "snapshots"),
    Command("snapshots.back", "escape", "close_snapshots", "Back", "Back to the sandboxes", "snapshots"),
    # Everywhere.
    Command("errors", "e", "show_errors", "Errors", "Show each backend's health and last error", "app",
            show=False),  # the header says "e: errors" when a backend fails
    # A read-only profile opens for writes for a while (settings.write_grant_minutes, default 10).
    Command("write", "w", "grant_write", "Write", "Write access for N minutes (read-only profiles)", "app"),
    Command("activity", "l", "show_activity", "Log", "Show the activity log of state changes", "app"),
    Command("help", "question_mark", "help", "Help", "Show the keys", "app", key_display="?"),
    Command("quit", "q", "quit", "Quit", "Quit boxdeck", "app"),
)

BY_ACTION: dict[str, Command] = {c.action: c for c in COMMANDS}
BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


def commands_for(scope: Scope) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if c.scope == scope)


def bindings_for(scope: Scope) -> list[BindingType]:
    return [c.binding() for c in commands_for(scope)]


def key_for(screen: Screen[Any], command: Command) -> str:
    """The key that runs `command` now (after any keymap), as the user would type it."""
    for key, active in screen.active_bindings.items():
        if active.binding.id == command.id:
            return active.binding.key_display or screen.app.get_key_display(active.binding) or key
    return command.key_display or command.key


def scopes_of(screen: Screen[object]) -> tuple[Scope, ...]:
    """The command scopes a screen offers besides the app's: the box keys on a box screen, and its own."""
    from boxdeck.tui.screens.base import BoxdeckScreen
    from boxdeck.tui.screens.boxes import BoxesScreen

    scopes: list[Scope] = ["boxes"] if isinstance(screen, BoxesScreen) else []
    if isinstance(screen, BoxdeckScreen) and screen.COMMAND_SCOPE is not None:
        scopes.append(screen.COMMAND_SCOPE)
    return tuple(scopes)


def available(screen: Screen[object]) -> Iterator[tuple[Command, DOMNode]]:
    """Commands that make sense on `screen` now: its scopes and the app's, minus those its `check_action`
    turns off."""
    scopes = scopes_of(screen)
    for command in COMMANDS:
        if command.name == "back" or (command.scope != "app" and command.scope not in scopes):
            continue
        target: DOMNode = screen.app if command.scope == "app" else screen
        if not screen.app._check_action_state(command.action, target):
            continue
        yield command, target


Hit_ = tuple[str, str, Callable[[], object]]


class _ListedCommands(Provider):
    """A provider whose hits are a short list, all offered when the palette opens."""

    def _hits(self) -> list[Hit_]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for title, help_text, callback in self._hits():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._hits():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class BoxdeckCommands(_ListedCommands):
    """The palette side of `COMMANDS`: offers only what applies to the current screen and selection."""

    def _hits(self) -> list[Hit_]:
        screen = self.screen
        return [
            (
                command.help,
                f"key: {key_for(screen, command)}",
                partial(self.app.run_action, command.action, target),
            )
            for command, target in available(screen)
        ]


class ProfileCommands(_ListedCommands):
    """The palette's "Switch to profile NAME": the config file's profiles except the current one."""

    def _hits(self) -> list[Hit_]:
        from boxdeck.tui.app import BoxdeckApp

        app = self.app
        if not isinstance(app, BoxdeckApp):
            return []
        current = app.deck.main.label
        return [
            (f"Switch to profile {name}", "show this profile", partial(app.switch_profile, name))
            for name in app.deck.profile_names()
            if name != current
        ]


#: At most this many boxes are offered for one query (a fleet has thousands).
MAX_BOX_HITS = 40


class BoxCommands(Provider):
    """The palette's "Go to sandbox NAME": type part of a box's name to jump to it on its screen."""

    async def search(self, query: str) -> Hits:
        from boxdeck.tui.app import BoxdeckApp

        app = self.app
        needle = query.strip().casefold()
        if not isinstance(app, BoxdeckApp) or not needle:
            return
        matcher = self.matcher(query)
        found = 0
        for box in app.deck.main.boxes():
            name = shown(single_line(box.name, limit=80))
            if needle not in name.casefold():  # a cheap test first: fuzzy matching thousands is not
                continue
            noun = "sandbox" if box.backend is Backend.AMIKA else "devbox"
            title = f"Go to {noun} {name}"
            # The palette reads a hit's title and help as content markup: server text goes in escaped.
            yield Hit(matcher.match(title), matcher.highlight(escape(title)),
                      partial(app.show_box, box.backend, box.key), text=title,
                      help=escape(shown(box.display_state)))
            found += 1
            if found >= MAX_BOX_HITS:
                return
