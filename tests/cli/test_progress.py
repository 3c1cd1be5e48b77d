"""The stderr progress display: redraw in place on a terminal, one line per change in a log, colour rules,
and widths counted in terminal cells (a CJK name takes two columns a character)."""

from __future__ import annotations

import io

from rich.text import Text

from boxdeck.cli.progress import Progress, color_enabled
from boxdeck.service.boxes import StateKind
from support.cli_terminal import Tty, screen


def test_log_mode_prints_events_only() -> None:
    stream = io.StringIO()
    p = Progress(stream)
    assert not p.live and not p.color
    p.status(["spinning…"])
    p.event("one")
    p.status(["still spinning"])
    p.event(Text.assemble("two ", p.paint("ready", StateKind.READY)))
    p.close()
    assert stream.getvalue() == "one\ntwo ready\n"


def test_a_long_event_line_is_not_cut_or_wrapped_in_a_log() -> None:
    stream = io.StringIO()
    p = Progress(stream, environ={"COLUMNS": "20"})
    p.event("x" * 150)
    assert stream.getvalue() == "x" * 150 + "\n"


def test_terminal_mode_redraws_the_block_in_place() -> None:
    stream = Tty()
    p = Progress(stream, environ={"COLUMNS": "60"})
    assert p.live and p.color
    p.status(["line a", "line b"])
    assert screen(stream.getvalue(), columns=60) == ["line a", "line b"]
    p.status(["line c"])
    assert screen(stream.getvalue(), columns=60) == ["line c"]
    p.event("done")
    assert screen(stream.getvalue(), columns=60) == ["done", "line c"]  # the event above, the block below
    p.close()
    assert screen(stream.getvalue(), columns=60) == ["done"]  # close leaves a clean screen


def test_wide_names_are_cropped_by_display_width_so_the_redraw_stays_clean() -> None:
    """A CJK name of 30 characters takes 60 columns: cut at 30 characters it would wrap onto a second row,
    the next redraw would move up one row only, and a stale half line would stay on the screen."""
    name = "開発環境" * 8
    stream = Tty()
    p = Progress(stream, environ={"COLUMNS": "40"})
    p.status([f"⠋ {name} (devbox) provisioning", "  step: cloning"])
    shown = screen(stream.getvalue(), columns=40)
    assert len(shown) == 2 and shown[0].startswith("⠋ 開発環境") and shown[1] == "  step: cloning"
    p.status(["⠙ short"])
    p.event("finished")
    p.close()
    assert screen(stream.getvalue(), columns=40) == ["finished"]


def test_server_text_is_never_read_as_markup() -> None:
    stream = Tty()
    p = Progress(stream, environ={"COLUMNS": "60", "NO_COLOR": "1"})
    p.status(["[bold red]box[/] [/"])
    p.event("[link=http://evil]x[/link]")
    p.close()
    assert screen(stream.getvalue(), columns=60) == ["[link=http://evil]x[/link]"]
    assert "[bold red]box[/] [/" in stream.getvalue()


def test_no_color_and_dumb_terminals() -> None:
    assert not color_enabled(Tty(), {"NO_COLOR": "1"})
    assert not color_enabled(Tty(), {"TERM": "dumb"})
    assert color_enabled(Tty(), {"NO_COLOR": ""})  # no-color.org: only a non-empty value counts
    assert not color_enabled(io.StringIO(), {})
    plain = Tty()
    p = Progress(plain, environ={"NO_COLOR": "1"})
    p.event(p.paint("ready", StateKind.READY))
    assert plain.getvalue() == "ready\n"
    coloured = Tty()
    p = Progress(coloured, environ={})
    p.event(p.paint("ready", StateKind.READY))
    assert coloured.getvalue() == "\x1b[32mready\x1b[0m\n"


def test_ascii_fallback_for_streams_that_cannot_encode_marks() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    p = Progress(stream, live=False)
    assert p.mark("ok") == "ok" and p.arrow() == "->"
    assert p.spinner() in "|/-\\"


def test_closed_stream_never_raises() -> None:
    for live in (False, True):
        stream = Tty()
        p = Progress(stream, live=live)
        stream.close()
        p.status(["lost"])
        p.event("lost")
        p.close()
        assert not p.enabled
