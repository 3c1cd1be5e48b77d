"""Open a box in Cursor, VS Code or Zed from the dashboard; keep `~/.ssh/boxdeck.conf` fresh while it runs.

The `EditorOpener` is the App's collaborator, like the `Connector`:

- `OpenInEditorRequested` (the open-in-editor key, or a palette entry per editor): on a ready box a worker
  writes its entry (`service.access.ssh_config.SshConfig`, minting SSH access) and runs the editor's shell
  command on the alias (`service.access.editors.launch`); on a box on its way up the box is pinned like
  "connect when ready", and opened when it is ready. The first time, it offers to add `Include boxdeck.conf`
  to `~/.ssh/config` (with a backup), which the editor needs to find the alias.
- `tick()`: every `RENEW_EVERY` seconds the file's entries close to expiry are renewed for the boxes of the
  main profile (`SshConfig.renew_due`).

Workers only post `EditorOutcome`; the App's handler notifies.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from boxdeck.service.access.editors import EDITORS, Editor, EditorError, launch, remote_path
from boxdeck.service.access.ssh_config import INCLUDE_LINE, SshConfig, SshConfigFile
from boxdeck.service.access.waits import quoted
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.connect import Connector
from boxdeck.tui.context import Deck, Profile
from boxdeck.tui.messages import OpenInEditorRequested
from boxdeck.tui.modals.confirm import ConfirmModal

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["RENEW_EVERY", "EditorCommands", "EditorOpener", "EditorOutcome"]

#: How often (seconds) the dashboard looks for entries of ~/.ssh/boxdeck.conf to renew.
RENEW_EVERY = 30.0


@dataclass
class EditorOutcome(Message, bubble=False):
    """What opening or renewing did; ``message`` is user-facing and already masked."""

    message: str
    title: str
    error: bool = False


class EditorOpener:
    """See the module docstring. ``home``: the user's home (tests point it elsewhere)."""

    def __init__(
        self,
        app: App[None],
        deck: Deck,
        connector: Connector,
        *,
        home: Callable[[], Path] = Path.home,
        which: Callable[[str], str | None] = shutil.which,
        run: Callable[[Sequence[str]], int] | None = None,
    ) -> None:
        self.app = app
        self.deck = deck
        self.connector = connector
        self.home = home
        self.which = which
        self.run = run
        self._asked_include = False
        self._next_renewal: datetime | None = None

    def file(self) -> SshConfigFile:
        return SshConfigFile(self.home())

    def editor(self, key: str | None) -> Editor:
        return EDITORS.get(key or self.deck.config.editor, EDITORS["vscode"])

    # ------------------------------------------------------------------ open
    def requested(self, message: OpenInEditorRequested) -> None:
        profile = self.deck.profile_of_key(message.profile)
        editor = self.editor(message.editor)
        if message.wait:
            self.connector.pin(message.box, profile, open_in=editor.key)
            return
        self.open(message.box, profile, editor)

    def open(self, box: Box, profile: Profile, editor: Editor) -> None:
        file = self.file()
        if file.has_include() or self._asked_include:
            self._start(box, profile, editor, file)
            return
        self._asked_include = True

        def answered(yes: bool | None) -> None:
            if yes:
                try:
                    backup = file.add_include()
                except OSError as exc:
                    self.app.notify(f"Couldn't change {file.user_config}: {shown(str(exc))}", title="Editor",
                                    severity="warning", markup=False, timeout=10)
                else:
                    kept = f" (the old one is in {backup})" if backup is not None else ""
                    self.app.notify(f"Added “{INCLUDE_LINE}” to {file.user_config}{kept}.", title="Editor",
                                    markup=False, timeout=8)
            self._start(box, profile, editor, file)

        self.app.push_screen(
            ConfirmModal(
                f"Add “{INCLUDE_LINE}” to ~/.ssh/config?",
                f"{editor.title} finds a box by its alias (boxdeck-NAME) in your ssh configuration. boxdeck "
                f"keeps the aliases in {file.path}; one line at the top of {file.user_config} makes ssh and "
                "your editor read it. A backup of the file is kept.",
                confirm_label="Add it",
            ),
            answered,
        )

    def _start(self, box: Box, profile: Profile, editor: Editor, file: SshConfigFile) -> None:
        self.app.run_worker(self._open(box, profile, editor, file), name=f"open {box.name} in {editor.title}",
                            group="editor", exclusive=False, exit_on_error=False)

    async def _open(self, box: Box, profile: Profile, editor: Editor, file: SshConfigFile) -> None:
        title = f"Open in {editor.title}"
        config = SshConfig(profile.actions, file, now=self.deck.now)
        try:
            result = await config.write([box], _lookup(profile))
            entry = next((e for e in result.written if e.key == box.key), None)
            if entry is None:
                problem = "; ".join(result.problems) or "no SSH access to write"
                self.app.post_message(EditorOutcome(f"Couldn't open {quoted(box.name)}: {problem}", title,
                                                    error=True))
                return
            path = remote_path(box, None, entry.workspace)
            await asyncio.to_thread(launch, editor, entry.alias, path, which=self.which, run=self.run)
        except (EditorError, OSError) as exc:
            self.app.post_message(EditorOutcome(shown(str(exc)), title, error=True))
            return
        self.app.post_message(EditorOutcome(f"Opened {quoted(box.name)} in {editor.title} ({entry.alias}:"
                                            f"{path}).", title))

    # ------------------------------------------------------------------ keep entries fresh
    def tick(self) -> None:
        """Called as time passes (the App's tick); every `RENEW_EVERY` seconds of the deck's clock, renew
        what is due."""
        now = self.deck.now()
        if self._next_renewal is not None and now < self._next_renewal:
            return
        self._next_renewal = now + timedelta(seconds=RENEW_EVERY)
        file = self.file()
        profile = self.deck.main
        config = SshConfig(profile.actions, file, now=self.deck.now)
        if not file.path.exists() or not config.due():
            return
        self.app.run_worker(self._renew(config, profile), name="renew ssh config entries",
                            group="ssh-config", exclusive=True, exit_on_error=False)

    async def _renew(self, config: SshConfig, profile: Profile) -> None:
        result = await config.renew_due(_lookup(profile))
        if result.renewed:
            aliases = ", ".join(e.alias for e in result.renewed)
            self.app.post_message(EditorOutcome(f"Renewed SSH access in {config.file.path}: {aliases}.",
                                                "SSH config"))
        if result.problems:
            self.app.post_message(EditorOutcome("\n".join(result.problems), "SSH config", error=True))

    def outcome(self, message: EditorOutcome) -> None:
        self.app.notify(message.message, title=message.title, severity="error" if message.error else
                        "information", markup=False, timeout=12 if message.error else 6)


def _lookup(profile: Profile) -> Callable[[Backend, str], Box | None]:
    return profile.box


class EditorCommands(Provider):
    """The palette's "Open in Cursor / VS Code / Zed" on a box screen whose selected box can be opened."""

    def _hits(self) -> list[tuple[str, Callable[[], object]]]:
        from boxdeck.tui.screens.boxes import BoxesScreen

        screen = self.screen
        if not isinstance(screen, BoxesScreen) or not screen.check_action("open_editor", ()):
            return []
        return [
            (f"Open in {editor.title}: the selected box over SSH",
             partial(self.app.run_action, f"open_editor({editor.key!r})", screen))
            for editor in EDITORS.values()
        ]

    async def discover(self) -> Hits:
        for title, callback in self._hits():
            yield DiscoveryHit(title, callback, help="opens it when ready if it is on its way up")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback in self._hits():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback)
