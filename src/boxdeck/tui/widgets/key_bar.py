"""The keys line at the bottom: one line of text, redrawn in place when what the keys allow changes.

Textual's Footer rebuilds a widget per key whenever bindings change, and a cursor move onto a box where other
actions apply changes them: that rebuild (new widgets, styles applied, a layout) was a large share of a key's
cost. This bar draws the same keys as one line of text (disabled ones dimmed) without touching the layout,
and always keeps the keys a newcomer needs (`?` help, `q` quit, `^p` commands) at the right: when the line is
too narrow, the screen's own keys give way first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["KeyBar", "ShownKey"]

#: Actions always shown at the right, whatever the width (the way out and the way to learn the rest).
PINNED_ACTIONS = ("help", "quit", "app.command_palette", "command_palette")
GAP = 1


@dataclass(frozen=True, slots=True)
class ShownKey:
    """A key as the bar shows it."""

    key: str  # what `simulate_key` presses
    display: str
    label: str
    enabled: bool

    @property
    def width(self) -> int:
        return cell_len(f" {self.display} {self.label} ")


class KeyBar(Widget, can_focus=False):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--label", "key-bar--disabled"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        & > .key-bar--key {
            color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
        }
        & > .key-bar--label { color: $footer-description-foreground; }
        & > .key-bar--disabled { color: $text-disabled; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: tuple[ShownKey, ...] = ()
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of what is drawn, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)  # once the screen's widgets are up

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen:
            return
        keys: list[ShownKey] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            keys.append(ShownKey(key, display, binding.description, active.enabled))
        if self.app.ENABLE_COMMAND_PALETTE:  # the way to every command by name, as Textual's footer offers
            binding = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette", "palette")
            keys.append(ShownKey(binding.key, self.app.get_key_display(binding), "palette", True))
        keys_tuple = tuple(keys)
        if keys_tuple != self._keys:
            self._keys = keys_tuple
            self.refresh()

    def shown(self) -> dict[str, ShownKey]:
        """The keys offered now, by key (dimmed ones too, with `enabled` False)."""
        return {key.key: key for key in self._keys}

    def _pinned(self) -> tuple[list[ShownKey], list[ShownKey]]:
        screen_keys: list[ShownKey] = []
        pinned: list[ShownKey] = []
        for key in self._keys:
            (pinned if self._action_of(key) in PINNED_ACTIONS else screen_keys).append(key)
        return screen_keys, pinned

    def _action_of(self, key: ShownKey) -> str:
        if key.key == self.app.COMMAND_PALETTE_BINDING:
            return "command_palette"
        active = self.screen.active_bindings.get(key.key)
        return active.binding.action if active is not None else ""

    def render(self) -> Text:
        width = self.size.width
        screen_keys, pinned = self._pinned()
        right = sum(k.width + GAP for k in pinned)
        room = width - right
        shown: list[ShownKey] = []
        used = 0
        for key in screen_keys:
            if used + key.width + GAP > room:
                break
            shown.append(key)
            used += key.width + GAP
        out = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        for key in shown:
            self._append(out, key, spans)
        if pinned:
            out.append(" " * max(0, width - out.cell_len - right + GAP))
            for key in pinned:
                self._append(out, key, spans)
        self._spans = spans
        return out

    def _append(self, out: Text, key: ShownKey, spans: list[tuple[int, int, str]]) -> None:
        start = out.cell_len
        if key.enabled:
            key_style: Style | str = self.get_component_rich_style("key-bar--key")
            label_style: Style | str = self.get_component_rich_style("key-bar--label")
        else:
            key_style = label_style = self.get_component_rich_style("key-bar--disabled")
        out.append(f" {key.display} ", style=key_style)
        out.append(f"{key.label} ", style=label_style)
        spans.append((start, out.cell_len, key.key))
        out.append(" " * GAP)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
