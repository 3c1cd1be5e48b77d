"""Connect, don't copy: `enter` on a ready box hands the terminal to ssh; on a box on its way up it waits.

The `Connector` is the App's collaborator for everything that outlives the screen it started on:

- `connect(box)`: a worker fetches the ready-to-use command (`Actions.ssh_command`) and posts
  `ConnectCommandFetched`; the App's handler for it calls `run_ssh`, which hands the terminal to ssh
  (`with app.suspend()`, as Posting does) through the deck's `ssh_runner` (`run_attached`: Ctrl-C interrupts
  ssh, not boxdeck; ssh's stderr is teed so its last lines survive the repaint), then polls and shows why ssh
  failed, if it did. Where the terminal cannot be handed over (headless, Textual Web) the command is copied.
- A Devbox command whose ProxyCommand the profile has not trusted is shown in full and asked about; a yes is
  remembered for the profile, then the connect (or copy, or renew) goes on. The rule is the service's.
- `pin(box)`: "connect when ready". The box's profile keeps the wait (`service.access.waits`); every diff is
  checked (`check`): ready means a bell and the connection, failed or gone means why, and no more waiting.
- `renew(box)`: a new SSH grant or access session, copied, its expiry watched.

Workers here only post messages; the App's handlers (one per message) call back in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported
from textual.message import Message

from boxdeck.service.access.ssh_run import SshExit
from boxdeck.service.access.ssh_trust import ProxyTrustRequired
from boxdeck.service.access.sshcmd import SshCommand, SshCommandError, amika_ssh_command
from boxdeck.service.access.waits import WaitEnded, quoted
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.monitoring.snapshot import Diff
from boxdeck.service.text.redact import redact
from boxdeck.service.text.sanitize import shown, single_line
from boxdeck.service.text.timefmt import countdown
from boxdeck.tui.context import Deck, Profile
from boxdeck.tui.messages import OpenInEditorRequested
from boxdeck.tui.modals.confirm import ConfirmModal

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "AccessRenewed",
    "ConnectCommandFetched",
    "ConnectFailed",
    "Connector",
    "PinsChanged",
    "ProxyTrustAsked",
]

#: How many of ssh's last stderr lines a failure notification shows.
SSH_ERROR_LINES = 5


@dataclass
class ConnectCommandFetched(Message, bubble=False):
    """The command to connect with arrived: hand the terminal to ssh."""

    name: str
    command: SshCommand


@dataclass
class ConnectFailed(Message, bubble=False):
    """Getting SSH access (or starting the box to wait for) failed; `message` is user-facing, redacted."""

    message: str
    profile: str = ""
    key: str | None = None  # the pinned box to drop, if any


@dataclass
class ProxyTrustAsked(Message):
    """A command needs the user's trust in its ProxyCommand; `then` gets the command after a yes. Posted by
    whoever fetched the command; the App asks."""

    needed: ProxyTrustRequired
    then: Callable[[SshCommand], object]
    verb: str = "Connect"


class PinsChanged(Message, bubble=False):
    """A box was pinned or unpinned: the box screens re-mark and re-sort their rows."""


@dataclass
class AccessRenewed(Message, bubble=False):
    """A new SSH grant / access session for a box: copy it and show when it expires."""

    key: str
    name: str
    command: SshCommand
    what: str  # "SSH grant", "SSH access session"


class Connector:
    """See the module docstring. Made by the App, which it acts through (workers, dialogs, the terminal)."""

    def __init__(self, app: App[None], deck: Deck) -> None:
        self.app = app
        self.deck = deck

    # ------------------------------------------------------------------ connect now
    def connect(self, box: Box, profile: Profile) -> None:
        """Fetch the command for a ready box in a worker; `ConnectCommandFetched` then runs ssh."""
        self.app.run_worker(self._fetch(box, profile), name=f"ssh command for {box.name}", group="connect",
                            exclusive=False, exit_on_error=False)

    async def _fetch(self, box: Box, profile: Profile) -> None:
        try:
            command = await profile.actions.ssh_command(box)
        except ProxyTrustRequired as needed:
            self.app.post_message(ProxyTrustAsked(
                needed, lambda trusted: self.app.post_message(ConnectCommandFetched(box.name, trusted))
            ))
            return
        except ActionError as error:
            self.app.post_message(ConnectFailed(str(error)))
            return
        self.app.post_message(ConnectCommandFetched(box.name, command))

    def ask_proxy_trust(self, needed: ProxyTrustRequired, then: Callable[[SshCommand], object], *,
                        verb: str = "Connect") -> None:
        """Show the ProxyCommand in full and ask; a yes is remembered for the profile, then `then(command)`.
        """
        app = self.app
        profile = f"profile “{single_line(needed.trust.profile, limit=60)}”" if needed.trust.profile else (
            "this account")

        def answered(yes: bool | None) -> None:
            if not yes:
                app.notify(f"Nothing was run: the ProxyCommand of {needed.what} was not trusted.",
                           title=verb, markup=False, timeout=6)
                return
            try:
                needed.trust.trust(needed.proxy_command)
            except OSError as exc:
                app.notify(f"Trusted for this run only: the answer could not be saved ({shown(str(exc))}).",
                           title=verb, severity="warning", markup=False, timeout=8)
            try:
                command = needed.approved()
            except SshCommandError:
                return
            then(command)

        app.push_screen(
            ConfirmModal(
                "Run this ProxyCommand on this computer?",
                f"SSH to {needed.what} goes through a ProxyCommand: ssh runs it here, as you, every time "
                f"you connect.\n\n{needed.shown}\n\nTrust it only if you expect this program. The answer is "
                f"remembered for {profile} and this exact command.",
                confirm_label="Trust it",
            ),
            answered,
        )

    def failed(self, message: ConnectFailed) -> None:
        if message.key is not None:
            self.unpin(self.deck.profile_of_key(message.profile), message.key)
        self.app.notify(message.message, title="Connect", severity="error", markup=False, timeout=10)

    def run_ssh(self, command: SshCommand, name: str) -> int | None:
        """Hand the terminal to `command`; back here, poll and report a non-zero exit with ssh's last error
        lines. Returns the status (None when ssh could not run or the terminal could not be handed over)."""
        app = self.app
        error: OSError | None = None
        ended: SshExit | None = None
        try:
            with app.suspend():
                try:
                    ended = self.deck.ssh_runner(list(command.argv))
                except OSError as exc:  # ssh not installed, not executable…
                    error = exc
        except SuspendNotSupported:
            where = self.deck.clipboard.copy(command.text, secret=bool(command.secrets))
            self.deck.remember_copied(None, name, command.expires_at)
            app.notify(
                f"This terminal can't be handed over to ssh here. {where}:\n{command.masked()}",
                title=f"Connect to {single_line(name, limit=60)}",
                markup=False,
                timeout=12,
            )
            return None
        self.deck.poller.poll_now()
        if error is not None or ended is None:
            app.notify(f"Couldn't run ssh: {shown(str(error))}", title="Connect", severity="error",
                       markup=False, timeout=10)
            return None
        if ended.status:
            app.notify(self._ended_text(ended, command, name), title="Connect",
                       severity="information" if ended.interrupted else "warning", markup=False, timeout=12)
        return ended.status

    def _ended_text(self, ended: SshExit, command: SshCommand, name: str) -> str:
        """"ssh to “web” exited with status 255:" and its last stderr lines: server text, so sanitized, and
        masked (the SSH user may be the access token)."""
        redactor = self.deck.main.service.redactor

        def scrub(line: str) -> str:
            return single_line(redact(redactor.redact(shown(line)), command.secrets), limit=300)

        lines = [line for line in (scrub(raw) for raw in ended.stderr_tail[-SSH_ERROR_LINES:]) if line]
        if ended.interrupted:
            head = f"ssh to {quoted(name)} was interrupted."
        else:
            head = f"ssh to {quoted(name)} exited with status {ended.status}" + (":" if lines else ".")
        return "\n".join([head, *lines])

    # ------------------------------------------------------------------ connect when ready
    def pin(self, box: Box, profile: Profile, *, start: bool = False, open_in: str | None = None) -> None:
        """Wait for the box, then connect (or open it in the editor `open_in`)."""
        profile.waits.pin(box, self.deck.now(), start=start, open_in=open_in)
        self.app.post_message(PinsChanged())
        if start:
            self.app.run_worker(self._start_for_wait(box, profile), name=f"start {box.name}",
                                group="connect-start", exclusive=False, exit_on_error=False)
            return
        self.deck.poller.poll_now(profile.key, box.backend)
        snapshot = profile.monitor.snapshot(box.backend)
        current = snapshot.boxes.get(box.key) if snapshot is not None else None
        for wait in profile.waits:
            if wait.key == box.key and current is not None:
                self._ended(profile, profile.waits.check(wait, current, snapshot))

    async def _start_for_wait(self, box: Box, profile: Profile) -> None:
        try:
            await profile.actions.start(box)
        except ActionError as error:
            self.app.post_message(
                ConnectFailed(f"{error} — stopped waiting to connect.", profile=profile.key, key=box.key)
            )
            return
        self.deck.poller.poll_now(profile.key, box.backend)

    def unpin(self, profile: Profile, key: str) -> bool:
        if profile.waits.unpin(key) is None:
            return False
        self.app.post_message(PinsChanged())
        return True

    def check(self, profile: Profile, diff: Diff) -> set[str]:
        """A diff arrived: a box waited on may be ready (connect), failed or gone (say so). Returns the keys
        of the boxes whose wait ended: their news is told once, here."""
        ended: set[str] = set()
        for outcome in profile.waits.check_diff(diff):
            ended.add(outcome.wait.key)
            self._ended(profile, outcome)
        return ended

    def _ended(self, profile: Profile, outcome: WaitEnded | None) -> None:
        if outcome is None:
            return
        self.app.post_message(PinsChanged())
        self.app.bell()
        if outcome.box is not None and outcome.wait.open_in:
            self.app.notify(outcome.message, title="Open when ready", markup=False, timeout=8)
            self.app.post_message(OpenInEditorRequested(outcome.box, profile.key, outcome.wait.open_in))
        elif outcome.box is not None:
            self.app.notify(outcome.message, title="Connect when ready", markup=False, timeout=8)
            self.connect(outcome.box, profile)
        else:
            self.app.notify(outcome.message, title="Connect when ready", severity="error", markup=False,
                            timeout=12)

    # ------------------------------------------------------------------ renew
    def renew(self, box: Box, profile: Profile) -> None:
        """`R`: a new SSH grant (Amika) or access session (Devbox) for a ready box, copied."""
        self.app.run_worker(self._renew(box, profile), name=f"renew SSH access to {box.name}", group="renew",
                            exclusive=False, exit_on_error=False)

    async def _renew(self, box: Box, profile: Profile) -> None:
        try:
            if box.backend is Backend.AMIKA:
                if profile.grants is None:
                    raise ActionError("Amika is not configured")
                await profile.grants.current(box.ref)
                grant = profile.grants.remembered(box.ref)
                command = grant.command if grant is not None else None
                if command is None and grant is not None and grant.refusal:
                    raise ActionError(grant.refusal)
                if command is None and grant is not None:
                    command = amika_ssh_command(grant.info)
                if command is None:
                    raise ActionError(f"Got SSH access to {quoted(box.name)} but no usable ssh command")
                what = "SSH grant"
            else:
                if profile.access is None:
                    raise ActionError("Devbox is not configured")
                what = "SSH access session"
                try:
                    _session, command = await profile.access.create(box.ref)
                except ProxyTrustRequired as needed:
                    self.app.post_message(ProxyTrustAsked(
                        needed,
                        lambda trusted: self.app.post_message(
                            AccessRenewed(box.key, box.name, trusted, what)
                        ),
                        verb="Renew",
                    ))
                    return
        except (ActionError, SshCommandError) as error:
            self.app.post_message(ConnectFailed(str(error)))
            return
        profile.service.redactor.add(*command.secrets)
        self.app.post_message(AccessRenewed(box.key, box.name, command, what))

    def renewed(self, message: AccessRenewed) -> None:
        self.deck.copied.pop(message.key, None)  # the grant/session itself is watched from now on
        command = message.command
        where = self.deck.clipboard.copy(command.text, secret=bool(command.secrets))
        expiry = countdown(command.expires_at, self.deck.now())
        self.app.notify(f"{where}:\n{command.masked()}\n{expiry}",
                        title=f"New {message.what} for {single_line(message.name, limit=60)}",
                        markup=False, timeout=10)
