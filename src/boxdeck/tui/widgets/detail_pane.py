"""The detail pane: a renderable drawn into lines once, shown by scrolling over them.

A `Static` whose content changes height makes the whole screen lay out again; with a cursor key that changes
the detail on every press, that layout was most of a key's cost. This pane is a Line API widget of a size
fixed by the stylesheet: a new box's detail is rendered once into lines (cached by the caller's key, so the
same box and data never render twice) and painted without touching the layout.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["DetailPane"]

#: Rendered details kept (a few screenfuls of cursor moves back and forth).
CACHED = 64


class DetailPane(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    DetailPane {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._renderable: RenderableType = ""
        self._key: Hashable = None
        self._subject: Hashable = None
        self._lines: list[Strip] = []
        self._cache: dict[tuple[Hashable, int], list[Strip]] = {}

    @property
    def key(self) -> Hashable:
        return self._key

    @property
    def renderable(self) -> RenderableType:
        """What the pane shows now."""
        return self._renderable

    def show(self, renderable: RenderableType, key: Hashable = None, *, subject: Hashable = None) -> None:
        """Show `renderable`. With a `key`, what was rendered for that key before is reused: the same key
        must mean the same content. A new `subject` (another box) starts at the top; new content about the
        same subject keeps the scroll position."""
        if key is not None and key == self._key:
            return
        self._renderable, self._key = renderable, key
        top = subject != self._subject
        self._subject = subject
        self._render_lines(top=top)

    def on_resize(self) -> None:
        self._cache.clear()
        self._render_lines(top=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        if self.is_mounted:
            self._render_lines(top=False)

    def _render_lines(self, *, top: bool) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        cache_key = (self._key, width)
        lines = self._cache.get(cache_key) if self._key is not None else None
        if lines is None:
            console = self.app.console
            options = console.options.update_width(width).update(highlight=False)
            rendered = console.render_lines(self._renderable, options, style=self.rich_style, pad=True)
            lines = [Strip(line, width) for line in rendered]
            if self._key is not None:
                if len(self._cache) >= CACHED:
                    self._cache.clear()
                self._cache[cache_key] = lines
        self._lines = lines
        self.virtual_size = Size(width, len(lines))
        if top:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if 0 <= index < len(self._lines):
            return self._lines[index].crop_extend(0, width, self.rich_style)
        return Strip([Segment(" " * width, self.rich_style or Style())], width)
