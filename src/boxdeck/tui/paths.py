"""Where the Textual CSS lives: inside the installed package, or the repository's `styles/` directory."""

from __future__ import annotations

from pathlib import Path, PurePath

import boxdeck

STYLESHEETS = ("app.tcss", "dashboard.tcss", "modals.tcss", "secrets.tcss", "account.tcss", "agent.tcss",
               "sessions.tcss", "all_boxes.tcss", "snapshots.tcss")


def styles_dir() -> Path:
    """`boxdeck/styles` when installed from a wheel (force-included), else `<repo>/styles`."""
    packaged = Path(boxdeck.__file__).parent / "styles"
    if packaged.is_dir():
        return packaged
    return Path(boxdeck.__file__).resolve().parents[2] / "styles"


def css_paths() -> list[str | PurePath]:
    folder = styles_dir()
    return [folder / name for name in STYLESHEETS]
