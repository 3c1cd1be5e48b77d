"""Desktop notifications for a box the user waits on, when they are looking at another window.

The rule: a box the user created, acted on, or pinned to connect or open becomes ready or fails, and the
terminal running boxdeck does not have focus (with focus, the in-app notification is enough). How:

- ``terminal`` (the default): the terminal's own notification escape — OSC 9 (iTerm2, kitty, WezTerm,
  Ghostty, Windows Terminal) or OSC 777 (foot, urxvt, Ghostty, WezTerm), chosen from ``$TERM`` —, wrapped in
  tmux's DCS passthrough inside tmux (``allow-passthrough on`` lets it out);
- ``notify-send``: the freedesktop notifier, where it is installed;
- ``off``: nothing.

The text is server text (a box name, a failure reason): it goes through the redactor (a token a server put
in a name is masked) and loses every control character, and ``;`` (a field separator of OSC 777), so it can
neither end the escape early nor start another. UI-free: the dashboard and ``boxdeck watch --notify`` pass
their own focus state and writer.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
import subprocess
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from boxdeck.service.boxes import StateKind
from boxdeck.service.monitoring.notices import Notice, notice_for_change
from boxdeck.service.monitoring.snapshot import Change
from boxdeck.service.text.sanitize import single_line

__all__ = [
    "DesktopNotifier",
    "NotifyMethod",
    "desktop_messages",
    "escape_for",
    "notify_send_argv",
    "should_notify",
]

_ESC: Final = "\x1b"
_BEL: Final = "\x07"
_TITLE_LIMIT: Final = 80
_BODY_LIMIT: Final = 240
#: What a desktop notification is for: the box is ready, or it will not be.
_TOLD: Final = frozenset({StateKind.READY, StateKind.FAILED})
#: Terminals whose notification escape is OSC 777 rather than OSC 9.
_OSC777_TERMS: Final = ("foot", "rxvt")


class NotifyMethod(enum.StrEnum):
    TERMINAL = "terminal"
    NOTIFY_SEND = "notify-send"
    OFF = "off"


def should_notify(method: NotifyMethod, *, focused: bool) -> bool:
    """Only when turned on and the terminal is not the window the user looks at."""
    return method is not NotifyMethod.OFF and not focused


def _clean(text: str, limit: int, redact: Callable[[str], str]) -> str:
    # single_line also masks every secret this process knows; `redact` adds the caller's own.
    return single_line(redact(text), limit=limit).replace(";", ",").replace(_ESC, "").replace(_BEL, "")


def desktop_messages(
    notices: Iterable[Notice], changes: Iterable[Change], waited: Container[str]
) -> list[tuple[str, str]]:
    """(title, body) for each box the user waits on that just became ready or failed: a notice of a box
    they created or acted on, or a box pinned to connect or open (``waited``: its key). One per box."""
    out: dict[str, tuple[str, str]] = {}
    for notice in notices:
        if notice.kind in _TOLD:
            out.setdefault(notice.key, (notice.title, notice.message))
    for change in changes:
        if change.key in waited and change.key not in out:
            pinned = notice_for_change(change)
            if pinned is not None and pinned.kind in _TOLD:
                out[change.key] = (pinned.title, pinned.message)
    return list(out.values())


def escape_for(title: str, body: str, *, environ: Mapping[str, str]) -> str:
    """The notification escape for this terminal (text already clean), through tmux when inside it."""
    term = environ.get("TERM", "")
    if term.startswith(_OSC777_TERMS):
        sequence = f"{_ESC}]777;notify;{title};{body}{_BEL}"
    else:
        sequence = f"{_ESC}]9;{title}: {body}{_BEL}"
    if environ.get("TMUX"):
        # tmux passes a DCS `tmux;` payload to the outer terminal, every ESC in it doubled.
        sequence = f"{_ESC}Ptmux;{sequence.replace(_ESC, _ESC + _ESC)}{_ESC}\\"
    return sequence


def notify_send_argv(binary: str, title: str, body: str) -> list[str]:
    return [binary, "--app-name=boxdeck", "--", title, body]


@dataclass
class DesktopNotifier:
    """Sends one notification when :func:`should_notify` says so.

    ``write`` puts text on the terminal (the dashboard: through its driver; a script: its terminal);
    ``run`` runs ``notify-send``; ``redact`` masks the profile's known secrets.
    """

    method: NotifyMethod
    write: Callable[[str], None]
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    redact: Callable[[str], str] = lambda text: text
    run: Callable[[Sequence[str]], object] | None = None
    which: Callable[[str], str | None] = shutil.which

    def notify(self, title: str, body: str, *, focused: bool) -> bool:
        """Send it unless focused or turned off; True when something was sent."""
        if not should_notify(self.method, focused=focused):
            return False
        clean_title = _clean(title, _TITLE_LIMIT, self.redact) or "boxdeck"
        clean_body = _clean(body, _BODY_LIMIT, self.redact)
        if self.method is NotifyMethod.NOTIFY_SEND:
            binary = self.which("notify-send")
            if binary is None:
                return False
            (self.run or _run)(notify_send_argv(binary, clean_title, clean_body))
            return True
        self.write(escape_for(clean_title, clean_body, environ=self.environ))
        return True


def _run(argv: Sequence[str]) -> None:
    # A notification is a nicety: never a failure.
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10, check=False)
