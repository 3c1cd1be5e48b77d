"""boxdeck's UI-free core: polling, snapshots and diffs, actions, health, config, SSH commands, redaction.

Imports only `boxdeck.api`, the standard library, httpx, pydantic and platformdirs — never textual or rich —
so the plain CLI, the benchmarks and the tests can drive it without a terminal.
"""

from boxdeck.service.actions import ActionError, Actions
from boxdeck.service.boxes import Backend, Box, StateKind, state_kind
from boxdeck.service.config import (
    AmikaSettings,
    ConfigError,
    DevboxSettings,
    Service,
    Settings,
    settings_from,
)
from boxdeck.service.health import Health
from boxdeck.service.monitor import Monitor
from boxdeck.service.notices import ActivityEntry, Notice
from boxdeck.service.redact import Redactor, mask, redact
from boxdeck.service.snapshot import Change, DevboxDetail, Diff, Snapshot, compute_diff
from boxdeck.service.sshcmd import SshCommand, amika_ssh_command, devbox_ssh_command
from boxdeck.service.text import sanitize
from boxdeck.service.timefmt import countdown, relative

__all__ = [
    "ActionError",
    "Actions",
    "ActivityEntry",
    "AmikaSettings",
    "Backend",
    "Box",
    "Change",
    "ConfigError",
    "DevboxDetail",
    "DevboxSettings",
    "Diff",
    "Health",
    "Monitor",
    "Notice",
    "Redactor",
    "Service",
    "Settings",
    "Snapshot",
    "SshCommand",
    "StateKind",
    "amika_ssh_command",
    "compute_diff",
    "countdown",
    "devbox_ssh_command",
    "mask",
    "redact",
    "relative",
    "sanitize",
    "settings_from",
    "state_kind",
]
