"""Pure formatting: server values to literal, theme-coloured table cells and detail text.

Nothing here touches a widget. Every string from a server goes through `shown` (sanitized, known secrets
masked) and into `Text(...)`, never through markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.color import Color

from boxdeck.service.boxes import Box, StateKind
from boxdeck.service.text.details import Field
from boxdeck.service.text.sanitize import shown
from boxdeck.service.text.timefmt import countdown, relative
from boxdeck.tui.widgets.rows import Cell

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
NOT_SET = "-"
# The longest server value shown as it is: Rich lays out every character on every repaint, so a 100 KB value
# would cost seconds per cursor move. Longer values are cut, with "…" marking the cut.
MAX_VALUE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich colours resolved from the current Textual theme, so dark and light themes both read well."""

    success: str = "green"
    warning: str = "yellow"
    error: str = "red"
    muted: str = "grey50"
    accent: str = "cyan"

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        background = Color.parse(variables.get("background", "#000000"))

        def resolve(*names: str, fallback: str) -> str:
            for name in names:
                value = variables.get(name)
                if not value:
                    continue
                try:
                    color = Color.parse(value)
                except Exception:
                    continue
                if color.a < 1:
                    color = background + color
                return color.hex6
            return fallback

        return cls(
            success=resolve("text-success", "success", fallback="green"),
            warning=resolve("text-warning", "warning", fallback="yellow"),
            error=resolve("text-error", "error", fallback="red"),
            muted=resolve("foreground-muted", "foreground-darken-3", fallback="grey50"),
            accent=resolve("text-accent", "accent", fallback="cyan"),
        )

    def for_kind(self, kind: StateKind) -> str:
        return {
            StateKind.READY: self.success,
            StateKind.TRANSITIONAL: self.warning,
            StateKind.FAILED: self.error,
            StateKind.STOPPED: self.muted,
            StateKind.GONE: self.muted,
        }.get(kind, "")


def clip(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """`text` cut to at most `limit` characters, the last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean(value: object, *, limit: int = MAX_VALUE_CHARS) -> str:
    """Any server value as one literal line, at most `limit` characters long."""
    if value is None:
        return ""
    return clip(shown(str(value)), limit)


def _folded(text: str) -> str:
    """`text.casefold()`, but the very same string when folding changes nothing (no second copy kept)."""
    folded = text.casefold()
    return text if folded == text else folded


def text_cell(value: object) -> Cell:
    """A server value as a literal cell; empty ones show "-" and sort last."""
    s = clean(value)
    return Cell(s or NOT_SET, sort_key=(0 if s else 1, _folded(s)))


KIND_ICON = {
    StateKind.READY: "●",
    StateKind.STOPPED: "○",
    StateKind.FAILED: "✗",
    StateKind.GONE: "·",
    StateKind.UNKNOWN: "?",
}

KIND_ORDER = {
    StateKind.FAILED: 0,
    StateKind.TRANSITIONAL: 1,
    StateKind.READY: 2,
    StateKind.STOPPED: 3,
    StateKind.GONE: 4,
    StateKind.UNKNOWN: 5,
}


def state_label(box: Box) -> str:
    if box.pending:
        return f"{box.pending}…"
    return clean(box.state) or "unknown"


def state_icon(kind: StateKind, frame: int) -> str:
    if kind is StateKind.TRANSITIONAL:
        return SPINNER[frame % len(SPINNER)]
    return KIND_ICON.get(kind, "?")


def state_cell(box: Box, palette: Palette, frame: int = 0) -> Cell:
    kind = box.kind
    label = state_label(box)
    style = palette.for_kind(kind)
    if kind is StateKind.FAILED:
        style = f"bold {style}"
    sort_key = (KIND_ORDER.get(kind, 9), label)
    return Cell(f"{state_icon(kind, frame)} {label}", style=style, sort_key=sort_key)


def age_cell(created_at: datetime | None, now: datetime) -> Cell:
    # Newest first when sorted ascending.
    key = (1, 0.0) if created_at is None else (0, -created_at.timestamp())
    return Cell(relative(created_at, now), sort_key=key)


def local_time(dt: datetime | None) -> str:
    if dt is None:
        return NOT_SET
    return dt.astimezone().strftime("%H:%M:%S")


def timestamp(dt: datetime | None, now: datetime) -> str:
    if dt is None:
        return NOT_SET
    return f"{dt.astimezone().strftime('%Y-%m-%d %H:%M:%S')} ({relative(dt, now)} ago)"


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def field_lines(pairs: Iterable[tuple[str, str | Text]], *, indent: int = 0) -> Table:
    """Label/value rows with hanging indents: a long value wraps under itself, not under the label.

    Labels may be field names from the server (extra wire fields), so they are cleaned here, once.
    """
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, max_width=16, overflow="ellipsis")
    grid.add_column(overflow="fold")
    for label, value in pairs:
        cell = value if isinstance(value, Text) else Text(shown(value, keep_newlines=True))
        grid.add_row(Text(" " * indent + clean(label, limit=200)), cell)
    return grid


def describe(value: Any, now: datetime) -> str:
    """A raw field's value (as the model dumps it) as one literal line."""
    if value is None or (isinstance(value, str | list | tuple | dict) and not value):
        return "-"
    if isinstance(value, datetime):
        return timestamp(value, now)
    if isinstance(value, dict):
        return clip(", ".join(f"{clean(k, limit=200)}={describe(v, now)}" for k, v in value.items()))
    if isinstance(value, list | tuple):
        return clip("; ".join(describe(v, now) for v in value))
    return clean(value)


def field_pairs(fields: Iterable[Field], now: datetime) -> list[tuple[str, str | Text]]:
    """Labelled fields as the detail pane shows them: ids and URLs cut with an ellipsis at the pane's edge
    (never wrapped mid-token), times relative to `now` (they tick with the table's ages)."""
    pairs: list[tuple[str, str | Text]] = []
    for field in fields:
        if field.kind == "time":
            pairs.append((field.label, timestamp(field.at, now)))
        elif field.kind == "expiry":
            when = field.at.astimezone().strftime("%Y-%m-%d %H:%M") if field.at is not None else ""
            pairs.append((field.label, f"{countdown(field.at, now)} ({when})"))
        elif field.kind == "token":
            pairs.append((field.label, Text(clean(field.value), no_wrap=True, overflow="ellipsis")))
        else:
            pairs.append((field.label, clean(field.value)))
    return pairs


def raw_pairs(items: Iterable[tuple[str, Any]], now: datetime) -> list[tuple[str, str | Text]]:
    """Every raw field with a value, by its wire name."""
    return [(name, text) for name, value in items if (text := describe(value, now)) != "-"]
