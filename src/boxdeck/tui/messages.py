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
    """The monitor published a diff (a poll or a local pending change)."""

    diff: Diff


@dataclass
class PollFinished(Message, bubble=False):
    """One poll of a backend finished (successfully or not); its health may have changed."""

    backend: Backend
    health: Health


@dataclass
class HealthChanged(Message, bubble=False):
    """A backend's health, forwarded to every dashboard screen."""

    backend: Backend
    health: Health


@dataclass
class ActionFailed(Message, bubble=False):
    """An action on a box failed, or was not sent because the same one is already in flight ("warning");
    `message` is user-facing and already redacted."""

    message: str
    severity: SeverityLevel = "error"


class ActivityLogged(Message, bubble=False):
    """The monitor's activity log may have grown."""


@dataclass
class SshCommandFetched(Message, bubble=False):
    """A ready-to-use SSH command arrived; the handler copies it and says where it went."""

    command: SshCommand
    box: Box | None = None  # issue 6: the box it is for (its expiry is watched)
