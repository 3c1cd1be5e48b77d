"""Connect, don't copy: `enter` on a ready box hands the terminal to ssh; on a box on its way up it waits.

The app side of it, as a mixin of `BoxdeckApp` (app-level, because a wait outlives the screen it started on):

- `connect_box(box)`: a worker fetches the ready-to-use command (`Actions.ssh_command`) and posts
  `ConnectCommandFetched`; its handler runs `with app.suspend(): app.ssh_runner(argv)` (as Posting does),
  then polls both backends and, when ssh exited non-zero, shows its last error lines (sanitized, tokens
  masked). `ssh_runner` is injectable (`run_attached` by default: Ctrl-C interrupts ssh, not boxdeck; ssh's
  stderr is teed so its last lines survive the repaint). Where the terminal cannot be handed over
  (`SuspendNotSupported`: headless, Textual Web) the command is copied instead (guarded: cleared after a
  while) and the notification says so.
- A Devbox command with a ProxyCommand the profile has not trusted (`ProxyTrustRequired`) is shown in full
  and asked about (`ask_proxy_trust`); a yes is remembered for the profile, then the connect (or copy, or
  renew) goes on. The rule is the service's; this only asks and remembers.
- `pin_box(box)`: "connect when ready". The box is pinned (its row is marked ⏵ and sorts first, the strip
  above the footer shows its progress and ETA); every `BoxesChanged` is checked for it — ready: a bell, a
  notification, and the connection; failed or gone: the error, and the pin is dropped. `start=True` (a
  stopped sandbox) starts it first.

Handlers here are the only code that touches widgets; workers only post messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import SuspendNotSupported
from textual.message import Message

from boxdeck.service.access.expiry import Credential
from boxdeck.service.access.ssh_run import SshExit, run_attached
from boxdeck.service.access.ssh_trust import ProxyTrustRequired
from boxdeck.service.access.sshcmd import SshCommand, SshCommandError
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.boxes import PENDING_CREATING, PENDING_STARTING, Backend, Box, StateKind
from boxdeck.service.text.redact import redact
from boxdeck.service.text.sanitize import sanitize, shown, single_line
from boxdeck.service.text.timefmt import countdown, duration
from boxdeck.tui.clipboard import copy_secret, flush_clipboard
from boxdeck.tui.messages import BoxesChanged

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object

SshRunner = Callable[[Sequence[str]], SshExit]
#: How many of ssh's last stderr lines a failed connect shows.
SSH_ERROR_LINES = 5

#: Amika states (besides a pending create/start) in which a sandbox is on its way up.
_COMING_UP = {
    Backend.AMIKA: frozenset(
        {"initializing", "starting", "creating", "pending", "provisioning", "restarting"}
    ),
    Backend.DEVBOX: frozenset({"requested", "provisioning"}),
}

PIN_MARK = "⏵"


def coming_up(box: Box) -> bool:
    """Is the box on its way to ready (so waiting for it makes sense)?"""
    if box.pending:
        return box.pending in (PENDING_CREATING, PENDING_STARTING)
    return box.state.strip().lower() in _COMING_UP.get(box.backend, frozenset())


def startable(box: Box) -> bool:
    """A stopped Amika sandbox: "start and connect when ready"."""
    return box.backend is Backend.AMIKA and box.pending is None and box.kind is StateKind.STOPPED


def quoted(name: str) -> str:
    return f"“{single_line(sanitize(name), limit=60)}”"


@dataclass
class Wait:
    """A box pinned for "connect when ready"."""

    key: str
    backend: Backend
    name: str
    since: datetime
    start: bool = False
    moving: bool = True  # False until a start we asked for shows up (the box is still "stopped" before)


# ----------------------------------------------------------------------------------------------- messages
@dataclass
class ConnectCommandFetched(Message, bubble=False):
    """The command to connect with arrived: hand the terminal to ssh."""

    name: str
    command: SshCommand


@dataclass
class ConnectFailed(Message, bubble=False):
    """Getting SSH access (or starting the box to wait for) failed; `message` is user-facing, redacted."""

    message: str
    key: str | None = None  # the pinned box to drop, if any


@dataclass
class ProxyTrustAsked(Message, bubble=False):
    """A command needs the user's trust in its ProxyCommand; `then` gets the command after a yes."""

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


# ----------------------------------------------------------------------------------------------- the mixin
class ConnectApp(_Base):
    """Mixed into `BoxdeckApp`. No `__init__`: its state is created on first use."""

    ssh_runner: SshRunner = staticmethod(run_attached)  # type: ignore[assignment]
    """The program runner (tests put a stand-in here): argv in, exit status and last stderr lines out."""

    @property
    def connect_waits(self) -> dict[str, Wait]:
        waits: dict[str, Wait] | None = self.__dict__.get("_connect_waits")
        if waits is None:
            waits = self.__dict__["_connect_waits"] = {}
        return waits

    @property
    def copied_credentials(self) -> dict[str, Credential]:
        """Commands copied for a box (by `c` or the fallback of a connect), for the expiry warning."""
        copied: dict[str, Credential] | None = self.__dict__.get("_copied_credentials")
        if copied is None:
            copied = self.__dict__["_copied_credentials"] = {}
        return copied

    def is_pinned(self, key: str) -> bool:
        return key in self.connect_waits

    # ------------------------------------------------------------------------------- connect now
    def connect_box(self, box: Box, actions: Any = None) -> None:
        """Fetch the command for a ready box in a worker, then connect (see `on_connect_command_fetched`).
        `actions`: the box's own profile's (All boxes); the main service's by default."""
        self.run_worker(
            self._fetch_connect_command(box, actions or self.service.actions),  # type: ignore[attr-defined]
            name=f"ssh command for {box.name}",
            group="connect",
            exclusive=False,
            exit_on_error=False,
        )

    async def _fetch_connect_command(self, box: Box, actions: Any) -> None:
        try:
            command = await actions.ssh_command(box)
        except ProxyTrustRequired as needed:
            self.post_message(ProxyTrustAsked(
                needed, lambda trusted: self.post_message(ConnectCommandFetched(box.name, trusted))
            ))
            return
        except ActionError as error:
            self.post_message(ConnectFailed(str(error)))
            return
        self.post_message(ConnectCommandFetched(box.name, command))

    def on_connect_command_fetched(self, message: ConnectCommandFetched) -> None:
        self.run_ssh(message.command, message.name)

    def on_proxy_trust_asked(self, message: ProxyTrustAsked) -> None:
        self.ask_proxy_trust(message.needed, message.then, verb=message.verb)

    def ask_proxy_trust(self, needed: ProxyTrustRequired, then: Callable[[SshCommand], object], *,
                        verb: str = "Connect") -> None:
        """Show the ProxyCommand in full and ask; a yes is remembered for the profile, then
        `then(command)`."""
        from boxdeck.tui.modals.confirm import ConfirmModal

        profile = f"profile “{single_line(needed.trust.profile, limit=60)}”" if needed.trust.profile else (
            "this account")

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify(f"Nothing was run: the ProxyCommand of {needed.what} was not trusted.",
                            title=verb, markup=False, timeout=6)
                return
            try:
                needed.trust.trust(needed.proxy_command)
            except OSError as exc:
                why = sanitize(str(exc))
                self.notify(f"Trusted for this run only: the answer could not be saved ({why}).",
                            title=verb, severity="warning", markup=False, timeout=8)
            try:
                command = needed.approved()
            except SshCommandError:
                return
            then(command)

        self.push_screen(
            ConfirmModal(
                "Run this ProxyCommand on this computer?",
                f"SSH to {needed.what} goes through a ProxyCommand: ssh runs it here, as you, every time "
                f"you connect.\n\n{needed.shown}\n\nTrust it only if you expect this program. The answer is "
                f"remembered for {profile} and this exact command.",
                confirm_label="Trust it",
            ),
            answered,
        )

    def on_connect_failed(self, message: ConnectFailed) -> None:
        if message.key is not None:
            self.unpin_box(message.key)
        self.notify(message.message, title="Connect", severity="error", markup=False, timeout=10)

    def run_ssh(self, command: SshCommand, name: str) -> int | None:
        """Hand the terminal to `command`; back here, refresh and report a non-zero exit with ssh's last error
        lines. Returns the status (None when ssh could not run or the terminal could not be handed over)."""
        error: OSError | None = None
        ended: SshExit | None = None
        try:
            with self.suspend():
                try:
                    ended = self.ssh_runner(list(command.argv))
                except OSError as exc:  # ssh not installed, not executable…
                    error = exc
        except SuspendNotSupported:
            where = copy_secret(self, command.text, bool(command.secrets))
            self.remember_copied(None, name, command)
            self.notify(
                f"This terminal can't be handed over to ssh here. {where}:\n{command.masked()}",
                title=f"Connect to {single_line(sanitize(name), limit=60)}",
                markup=False,
                timeout=12,
            )
            return None
        self.refresh_now()  # type: ignore[attr-defined]
        if error is not None or ended is None:
            self.notify(f"Couldn't run ssh: {shown(str(error))}", title="Connect", severity="error",
                        markup=False, timeout=10)
            return None
        if ended.status:
            self.notify(self._ssh_ended_text(ended, command, name), title="Connect",
                        severity="information" if ended.interrupted else "warning", markup=False, timeout=12)
        return ended.status

    def _ssh_ended_text(self, ended: SshExit, command: SshCommand, name: str) -> str:
        """"ssh to “web” exited with status 255:" and its last stderr lines: server text, so sanitized, and
        masked (the SSH user may be the access token)."""
        redactor = getattr(self.service, "redactor", None)  # type: ignore[attr-defined]

        def scrub(line: str) -> str:
            line = sanitize(line)
            line = redactor.redact(line) if redactor is not None else line
            return single_line(redact(line, command.secrets), limit=300)

        lines = [line for line in (scrub(raw) for raw in ended.stderr_tail[-SSH_ERROR_LINES:]) if line]
        if ended.interrupted:
            head = f"ssh to {quoted(name)} was interrupted."
        else:
            head = f"ssh to {quoted(name)} exited with status {ended.status}"
            head += ":" if lines else "."
        return "\n".join([head, *lines])

    def remember_copied(self, key: str | None, name: str, command: SshCommand) -> None:
        if command.expires_at is None:
            return
        ident = key or f"name:{name}"
        self.copied_credentials[ident] = Credential(
            f"copied:{ident}", f"The SSH command copied for {quoted(name)}", command.expires_at, key
        )

    # ------------------------------------------------------------------------------- connect when ready
    def pin_box(self, box: Box, *, start: bool = False) -> None:
        self.connect_waits[box.key] = Wait(box.key, box.backend, box.name, self.now(),  # type: ignore[attr-defined]
                                           start=start, moving=not start)
        self._pins_changed()
        if start:
            self.run_worker(self._start_for_wait(box), name=f"start {box.name}", group="connect-start",
                            exclusive=False, exit_on_error=False)
        else:
            self.poll_soon(box.backend)  # type: ignore[attr-defined]
        snapshot = self.monitor.snapshot(box.backend)  # type: ignore[attr-defined]
        current = snapshot.boxes.get(box.key) if snapshot is not None else None
        if current is not None and not start:
            self._check_wait(self.connect_waits[box.key], current, snapshot)

    async def _start_for_wait(self, box: Box) -> None:
        try:
            await self.service.actions.start(box)  # type: ignore[attr-defined]
        except ActionError as error:
            self.post_message(ConnectFailed(f"{error} — stopped waiting to connect.", key=box.key))
            return
        self.poll_soon(box.backend)  # type: ignore[attr-defined]

    def unpin_box(self, key: str) -> Wait | None:
        wait = self.connect_waits.pop(key, None)
        if wait is not None:
            self._pins_changed()
        return wait

    def _pins_changed(self) -> None:
        for screen in self.dashboards:  # type: ignore[attr-defined]
            screen.post_message(PinsChanged())

    def on_boxes_changed(self, message: BoxesChanged) -> None:
        """Runs after `BoxdeckApp._boxes_changed` (Textual calls every class's handler along the MRO)."""
        diff = message.diff
        for wait in [w for w in self.connect_waits.values() if w.backend is diff.backend]:
            self._check_wait(wait, diff.snapshot.boxes.get(wait.key), diff.snapshot)

    def _check_wait(self, wait: Wait, box: Box | None, snapshot: Any) -> None:
        name = quoted(wait.name)
        if box is None:
            self._wait_failed(wait, f"{name} is gone; stopped waiting to connect.")
            return
        kind = box.kind
        if kind is StateKind.READY:
            self.unpin_box(wait.key)
            self.bell()
            self.notify(f"{name} is ready — connecting.", title="Connect when ready", markup=False, timeout=8)
            self.connect_box(box)
            return
        if coming_up(box):
            wait.moving = True
            return
        if kind is StateKind.FAILED:
            reason = box.error_message
            detail = snapshot.details.get(box.key) if snapshot is not None else None
            if not reason and detail is not None:
                reason = detail.failed_message
            why = f": {single_line(sanitize(reason), limit=300)}" if reason else ""
            self._wait_failed(wait, f"{name} failed{why}")
            return
        if kind is StateKind.STOPPED and not wait.moving:
            return  # the start we asked for has not shown up yet
        state = single_line(sanitize(box.display_state), limit=40)
        self._wait_failed(wait, f"{name} is {state}, not coming up; stopped waiting to connect.")

    def _wait_failed(self, wait: Wait, message: str) -> None:
        self.unpin_box(wait.key)
        self.bell()
        self.notify(message, title="Connect when ready", severity="error", markup=False, timeout=12)

    def wait_lines(self, now: datetime) -> list[tuple[Wait, Box | None, str]]:
        """(wait, box, "initializing · ready in ~40 s · waiting 12s") per pinned box, for the strip."""
        out = []
        for wait in self.connect_waits.values():
            snapshot = self.monitor.snapshot(wait.backend)  # type: ignore[attr-defined]
            box = snapshot.boxes.get(wait.key) if snapshot is not None else None
            parts = [progress_of(box, snapshot)] if box is not None else []
            eta = eta_text(self, box) if box is not None else ""
            if eta:
                parts.append(eta)
            parts.append(f"waiting {duration((now - wait.since).total_seconds())}")
            out.append((wait, box, " · ".join(p for p in parts if p)))
        return out

    # ------------------------------------------------------------------------------- renew
    def renew_access(self, box: Box) -> None:
        """`R`: a new SSH grant (Amika) or access session (Devbox) for a ready box, copied."""
        self.run_worker(self._renew(box), name=f"renew SSH access to {box.name}", group="renew",
                        exclusive=False, exit_on_error=False)

    async def _renew(self, box: Box) -> None:
        from boxdeck.service.access.sshcmd import amika_ssh_command
        from boxdeck.tui.state import app_state

        state = app_state(self)
        try:
            if box.backend is Backend.AMIKA:
                if state.grants is None:
                    raise ActionError("Amika is not configured")
                await state.grants.current(box.ref)
                grant = state.grants.remembered(box.ref)
                info = grant.info if grant is not None else None
                command = grant.command if grant is not None and grant.command is not None else None
                if command is None and grant is not None and grant.refusal:
                    raise ActionError(grant.refusal)
                if command is None and info is not None:
                    command = amika_ssh_command(info)
                if command is None:
                    raise ActionError(f"Got SSH access to {quoted(box.name)} but no usable ssh command")
                what = "SSH grant"
            else:
                if state.access is None:
                    raise ActionError("Devbox is not configured")
                what = "SSH access session"
                try:
                    _session, command = await state.access.create(box.ref)
                except ProxyTrustRequired as needed:
                    self.post_message(ProxyTrustAsked(
                        needed,
                        lambda trusted: self.post_message(AccessRenewed(box.key, box.name, trusted, what)),
                        verb="Renew",
                    ))
                    return
        except (ActionError, SshCommandError) as error:
            self.post_message(ConnectFailed(str(error)))
            return
        redactor = getattr(self.service, "redactor", None)  # type: ignore[attr-defined]
        if redactor is not None:
            redactor.add(*command.secrets)
        self.post_message(AccessRenewed(box.key, box.name, command, what))

    def on_access_renewed(self, message: AccessRenewed) -> None:
        self.copied_credentials.pop(message.key, None)  # the grant/session itself is watched from now on
        where = copy_secret(self, message.command.text, bool(message.command.secrets))
        expiry = countdown(message.command.expires_at, self.now())  # type: ignore[attr-defined]
        self.notify(f"{where}:\n{message.command.masked()}\n{expiry}",
                    title=f"New {message.what} for {single_line(sanitize(message.name), limit=60)}",
                    markup=False, timeout=10)

    # ------------------------------------------------------------------------------- quitting
    def on_unmount(self) -> None:
        """Runs with `BoxdeckApp.on_unmount`: a copied token does not outlive the app in the clipboard."""
        flush_clipboard(self)


def progress_of(box: Box, snapshot: Any) -> str:
    """The state, and for a devbox the provisioning step ("2/4 inject_credentials")."""
    state = single_line(sanitize(box.display_state), limit=40)
    if box.backend is Backend.DEVBOX and snapshot is not None:
        from boxdeck.tui.screens.devboxes import progress

        label, _kind = progress(snapshot.details.get(box.key))
        if label:
            return f"{state} {label}"
    return state


def eta_text(app: Any, box: Box) -> str:
    """"ready in ~40 s" / "slower than usual" from the app's ETA tracker (`eta_of`), when it knows."""
    eta_of = getattr(app, "eta_of", None)
    if eta_of is None:
        return ""
    try:
        text, _slow = eta_of(box)
    except Exception:  # an ETA is a nicety
        return ""
    return str(text or "")
