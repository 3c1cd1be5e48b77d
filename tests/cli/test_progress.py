"""The stderr progress display: redraw in place on a terminal, one line per change in a log, colour rules."""

from __future__ import annotations

import io

from boxdeck.service.boxes import StateKind
from boxdeck.subcommands.progress import Progress, _cut, color_enabled


class Tty(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_log_mode_prints_events_only() -> None:
    stream = io.StringIO()
    p = Progress(stream)
    assert not p.live and not p.color
    p.status(["spinning…"])
    p.event("one")
    p.status(["still spinning"])
    p.event("two")
    p.close()
    assert stream.getvalue() == "one\ntwo\n"


def test_terminal_mode_redraws_the_block_in_place() -> None:
    stream = Tty()
    p = Progress(stream, environ={})
    assert p.live and p.color
    p.status(["line a", "line b"])
    p.status(["line c"])
    p.event("done")
    p.close()
    out = stream.getvalue()
    assert out.startswith("line a\nline b")
    assert "\r\x1b[1A\x1b[Jline c" in out  # up one line, clear, redraw
    assert out.endswith("\r\x1b[Jdone\n")  # the event replaces the block; close leaves a clean line


def test_no_color_and_dumb_terminals() -> None:
    assert not color_enabled(Tty(), {"NO_COLOR": "1"})
    assert not color_enabled(Tty(), {"TERM": "dumb"})
    assert color_enabled(Tty(), {"NO_COLOR": ""})  # no-color.org: only a non-empty value counts
    assert not color_enabled(io.StringIO(), {})
    p = Progress(Tty(), environ={"NO_COLOR": "1"})
    assert p.paint("ready", StateKind.READY) == "ready"
    assert Progress(Tty(), environ={}).paint("ready", StateKind.READY) == "\x1b[32mready\x1b[0m"


def test_lines_are_cut_to_the_width_without_breaking_colour_codes() -> None:
    assert _cut("abcdef", 3) == "abc"
    assert _cut("\x1b[32mabcdef\x1b[0m", 3) == "\x1b[32mabc\x1b[0m"
    assert _cut("short", 80) == "short"


def test_ascii_fallback_for_streams_that_cannot_encode_marks() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    p = Progress(stream, live=False)
    assert p.mark("ok") == "ok" and p.arrow() == "->"
    assert p.spinner() in "|/-\\"


def test_closed_stream_never_raises() -> None:
    stream = io.StringIO()
    p = Progress(stream)
    stream.close()
    p.event("lost")
    assert not p.enabled
