"""Desktop notifications: only when turned on and the terminal has no focus; the text masked and stripped of
anything that could end the escape early; through tmux's passthrough inside tmux."""

from __future__ import annotations

from collections.abc import Sequence

from boxdeck.service.monitoring.desktop_notify import DesktopNotifier, NotifyMethod
from boxdeck.service.text.redact import Redactor

SECRET = "amk_live_0123456789abcdef0123456789"


def notifier(method: NotifyMethod, environ: dict[str, str], sent: list[str],
             ran: list[Sequence[str]] | None = None) -> DesktopNotifier:
    return DesktopNotifier(method, write=sent.append, environ=environ, redact=Redactor([SECRET]).redact,
                           run=(ran.append if ran is not None else None),
                           which=lambda name: f"/usr/bin/{name}")


def test_blurred_it_sends_the_terminal_escape_with_secrets_masked_and_no_control_characters() -> None:
    sent: list[str] = []
    body = f"failed: bad key {SECRET}\x07\x1b]52;c;cHduZWQ=\x07; done"
    assert notifier(NotifyMethod.TERMINAL, {"TERM": "xterm-kitty"}, sent).notify("web failed", body,
                                                                                  focused=False)
    (escape,) = sent
    assert escape.startswith("\x1b]9;web failed: failed") and escape.endswith("\x07")
    assert SECRET not in escape
    assert escape.count("\x1b") == 1 and escape.count("\x07") == 1  # nothing can end it early or add one


def test_focused_or_off_sends_nothing() -> None:
    sent: list[str] = []
    assert not notifier(NotifyMethod.TERMINAL, {}, sent).notify("web is ready", "ready", focused=True)
    assert not notifier(NotifyMethod.OFF, {}, sent).notify("web is ready", "ready", focused=False)
    assert sent == []


def test_foot_gets_osc_777_and_tmux_gets_it_passed_through() -> None:
    sent: list[str] = []
    notifier(NotifyMethod.TERMINAL, {"TERM": "foot", "TMUX": "/tmp/tmux-1/default,1,0"}, sent).notify(
        "web; ready", "it is ready", focused=False)
    assert sent == ["\x1bPtmux;\x1b\x1b]777;notify;web, ready;it is ready\x07\x1b\\"]


def test_notify_send_gets_the_text_as_separate_arguments() -> None:
    ran: list[Sequence[str]] = []
    notifier(NotifyMethod.NOTIFY_SEND, {}, [], ran).notify("web is ready", f"key {SECRET}", focused=False)
    (argv,) = ran
    assert argv[:3] == ["/usr/bin/notify-send", "--app-name=boxdeck", "--"]
    assert argv[3] == "web is ready" and SECRET not in argv[4]
