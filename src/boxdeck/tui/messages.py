"""Messages: past tense for facts, imperative for requests. Workers post these; handlers touch widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.notifications import SeverityLevel

from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.monitoring.health import Health
from boxdeck.service.monitoring.snapshot import Diff


@dataclass
class BoxesChanged(Message, bubble=False):
    """A profile's monitor published a diff (a poll, or a change made here such as a pending action).
    `profile` is the deck's key of that profile (`MAIN` for the one every screen shows)."""

    profile: str
    diff: Diff


@dataclass
class PollFinished(Message, bubble=False):
    """One poll of a profile's backend finished (well or not); its health may have changed."""

    profile: str
    backend: Backend
    health: Health


@dataclass
class ActionFailed(Message, bubble=False):
    """An action failed, or was not sent because the same one is already in flight ("warning"); `message` is
    user-facing and already redacted."""

    message: str
    severity: SeverityLevel = "error"


class ActivityLogged(Message, bubble=False):
    """The monitor's activity log may have grown."""


class NotificationsCleared(Message, bubble=False):
    """Clear the notifications on screen: the next one is shown alone."""


class WriteAccessChanged(Message, bubble=False):
    """The write grant started or lapsed: keys dim or undim, the header's badge changes."""


@dataclass
class SshCommandFetched(Message, bubble=False):
    """A ready-to-use SSH command arrived; the handler copies it and says where it went."""

    command: SshCommand
    box: Box | None = None  # the box it is for (its expiry is watched)


@dataclass
class ConnectRequested(Message):
    """Connect to a ready box now (enter), or pin one on its way up ("connect when ready")."""

    box: Box
    profile: str
    wait: bool = False
    start: bool = False


@dataclass
class OpenInEditorRequested(Message):
    """Open a box in an editor (None: the configured one); ``wait``: pin it and open it when it is ready."""

    box: Box
    profile: str
    editor: str | None = None
    wait: bool = False


@dataclass
class StopWaiting(Message):
    """Unpin a box pinned for "connect when ready"."""

    box: Box
    profile: str


@dataclass
class RenewRequested(Message):
    """`R`: a new SSH grant or access session for a box, copied."""

    box: Box
    profile: str
