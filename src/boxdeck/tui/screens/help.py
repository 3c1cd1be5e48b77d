"""The keys: generated from the command list, with the keys bound now (a keymap may have changed them).

It scrolls like a pager (arrows, j/k, PageUp/PageDown, Home/End, g/G) and each description wraps under
itself, clear of the key column, so every entry can be read at any terminal size down to 80x24.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from boxdeck.tui.commands import commands_for, key_for, scopes_of

#: The last entry, after every command.
PALETTE_KEY, PALETTE_HELP = "ctrl+p", "Command palette: every command above, by name"


def help_text(screen: Screen[object]) -> RenderableType:
    """Sections of key and description; a description too long for the line wraps with a hanging indent."""
    sections = []
    here = tuple(command for scope in scopes_of(screen) for command in commands_for(scope))
    if here:
        sections.append(("On this screen", [(key_for(screen, c), c.help, c.mutating) for c in here]))
    sections.append(("Everywhere", [(key_for(screen, c), c.help, c.mutating) for c in commands_for("app")]))
    sections.append(("", [(PALETTE_KEY, PALETTE_HELP, False)]))
    key_width = max(len(key) for _title, rows in sections for key, _help, _mutating in rows)
    parts: list[RenderableType] = []
    for title, rows in sections:
        if title:
            parts.append(Text(title, style="bold underline"))
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(justify="right", no_wrap=True, width=key_width + 2, style="bold")
        grid.add_column(ratio=1)
        for key, words, mutating in rows:
            description = Text(words)
            if mutating:
                description.append("  (off in --read-only)", style="italic")
            grid.add_row(Text(key), description)
        parts.append(grid)
        parts.append(Text(""))
    return Group(*parts[:-1])


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="boxdeck.help.close"),
        Binding("j", "scroll('down')", "Down", show=False, id="boxdeck.help.down"),
        Binding("k", "scroll('up')", "Up", show=False, id="boxdeck.help.up"),
        Binding("g", "scroll('home')", "Top", show=False, id="boxdeck.help.top"),
        Binding("G", "scroll('end')", "End", show=False, id="boxdeck.help.end"),
    ]

    def __init__(self, underlying: Screen[object]) -> None:
        super().__init__(classes="modal help")
        self._underlying = underlying

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("boxdeck keys", markup=False, id="title")
            with VerticalScroll(id="help-scroll", classes="body"):
                yield Static(help_text(self._underlying), markup=False, id="keys")
            with Vertical(id="foot"):
                yield Static("↑↓ j k PgUp PgDn Home End scroll · Esc closes", markup=False, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # the arrows and page keys scroll it from the start

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        {"down": scroll.scroll_down, "up": scroll.scroll_up, "home": scroll.scroll_home,
         "end": scroll.scroll_end}[where](animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
