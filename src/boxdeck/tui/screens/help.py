"""The keys: generated from the command list, with the keys bound now (a keymap may have changed them)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from boxdeck.tui.commands import commands_for, key_for, scopes_of


def help_text(screen: Screen[object]) -> Text:
    out = Text()
    sections = []
    here = tuple(command for scope in scopes_of(screen) for command in commands_for(scope))
    if here:
        sections.append(("On this screen", here))
    sections.append(("Everywhere", commands_for("app")))
    for title, commands in sections:
        out.append(f"{title}\n", style="bold underline")
        for command in commands:
            out.append(f"  {key_for(screen, command):>8}  ", style="bold")
            out.append(command.help)
            if command.mutating:
                out.append("  (off in --read-only)", style="italic")
            out.append("\n")
        out.append("\n")
    out.append(f"  {'ctrl+p':>8}  ", style="bold")
    out.append("Command palette: every command above, by name\n")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="boxdeck.help.close")]

    def __init__(self, underlying: Screen[object]) -> None:
        super().__init__(classes="modal help")
        self._underlying = underlying

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("boxdeck keys", markup=False, id="title")
            with VerticalScroll():
                yield Static(help_text(self._underlying), markup=False, id="keys")
            yield Static("Esc closes", markup=False, classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
