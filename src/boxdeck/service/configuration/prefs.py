"""Remembered UI preferences: the theme, and per profile the last screen and, per screen, the filter text and
the sort.

Reopening boxdeck where you left it (same screen, same filter, same sort) is what makes a dashboard feel like
a tool rather than a report. Per profile, because "work" and "personal" accounts are looked at differently.

Stored as JSON in the state dir, written atomically. Preferences are a convenience, never a reason to fail: a
missing, unreadable or corrupt file means starting fresh (the bad file is overwritten on the next save), and
values of the wrong type are ignored one by one.

Setters only mark the store dirty; call ``save()`` (on quit, on a screen switch, or debounced) — typing a
filter must not write a file per keystroke. ``autosave=True`` writes on every change instead.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boxdeck.service.configuration.paths import atomic_write_text, prefs_file, read_state

__all__ = ["DEFAULT_PROFILE_KEY", "MAX_FILTER_LEN", "Prefs", "ScreenPrefs"]

#: The key used when no profile is in use (flags/environment only).
DEFAULT_PROFILE_KEY = "(none)"
#: A filter is a few words; bound what we persist so a pasted megabyte does not end up in the state file.
MAX_FILTER_LEN = 500
_MAX_NAME_LEN = 200
_FILE_VERSION = 1


@dataclass(frozen=True, slots=True)
class ScreenPrefs:
    """What a screen restores: the filter text and the sort column (``None`` = the default order)."""

    filter: str = ""
    sort_column: str | None = None
    sort_reverse: bool = False


def _name(value: object) -> str | None:
    if isinstance(value, str) and value and len(value) <= _MAX_NAME_LEN:
        return value
    return None


class Prefs:
    """The preferences store. Thread-safe; cheap to query (everything is in memory)."""

    def __init__(self, path: Path | None = None, *, autosave: bool = False) -> None:
        self.path = Path(path) if path is not None else prefs_file()
        self.autosave = autosave
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}
        self._theme: str | None = None
        self.dirty = False
        #: Why the file was ignored at load, if it was (for a debug line; never shown as an error).
        self.load_error: str | None = None
        self._load()

    # -- file ------------------------------------------------------------------------------------------

    def _load(self) -> None:
        profiles, self.load_error = read_state(self.path, "profiles", "preferences")
        ui, _missing = read_state(self.path, "ui", "preferences")  # older files have no "ui": nothing lost
        self._theme = _name(ui.get("theme"))
        for pname, pdata in profiles.items():
            if _name(pname) is None or not isinstance(pdata, dict):
                continue
            entry: dict[str, Any] = {"screens": {}}
            last = _name(pdata.get("last_screen"))
            if last is not None:
                entry["last_screen"] = last
            screens = pdata.get("screens")
            if isinstance(screens, dict):
                for sname, sdata in screens.items():
                    if _name(sname) is None or not isinstance(sdata, dict):
                        continue
                    entry["screens"][sname] = self._clean_screen(sdata)
            self._data[pname] = entry

    @staticmethod
    def _clean_screen(sdata: dict[str, Any]) -> dict[str, Any]:
        flt = sdata.get("filter")
        col = sdata.get("sort_column")
        rev = sdata.get("sort_reverse")
        return {
            "filter": flt[:MAX_FILTER_LEN] if isinstance(flt, str) else "",
            "sort_column": _name(col),
            "sort_reverse": rev if isinstance(rev, bool) else False,
        }

    def save(self, *, force: bool = False) -> None:
        """Write the file if anything changed (or ``force``); ``OSError`` if the state dir is unwritable."""
        with self._lock:
            if not (self.dirty or force):
                return
            state: dict[str, Any] = {"version": _FILE_VERSION, "profiles": self._data}
            if self._theme is not None:
                state["ui"] = {"theme": self._theme}
            text = json.dumps(state, indent=1, sort_keys=True)
            self.dirty = False
        atomic_write_text(self.path, text + "\n")

    def _changed(self) -> None:
        self.dirty = True
        if self.autosave:
            with contextlib.suppress(OSError):
                self.save()

    # -- queries and updates -----------------------------------------------------------------------------

    @staticmethod
    def _pkey(profile: str | None) -> str:
        return profile if profile else DEFAULT_PROFILE_KEY

    def _profile(self, profile: str | None) -> dict[str, Any]:
        return self._data.setdefault(self._pkey(profile), {"screens": {}})

    @property
    def theme(self) -> str | None:
        """The theme last chosen (in the command palette), for every profile."""
        return self._theme

    def set_theme(self, theme: str) -> None:
        if _name(theme) is None or theme == self._theme:
            return
        with self._lock:
            self._theme = theme
        self._changed()

    def last_screen(self, profile: str | None) -> str | None:
        with self._lock:
            entry = self._data.get(self._pkey(profile))
            return entry.get("last_screen") if entry else None

    def set_last_screen(self, profile: str | None, screen: str) -> None:
        if _name(screen) is None:
            return
        with self._lock:
            entry = self._profile(profile)
            if entry.get("last_screen") == screen:
                return
            entry["last_screen"] = screen
        self._changed()

    def screen(self, profile: str | None, screen: str) -> ScreenPrefs:
        with self._lock:
            entry = self._data.get(self._pkey(profile))
            sdata = entry["screens"].get(screen) if entry else None
        if not sdata:
            return ScreenPrefs()
        return ScreenPrefs(sdata["filter"], sdata["sort_column"], sdata["sort_reverse"])

    def _update_screen(self, profile: str | None, screen: str, **values: Any) -> None:
        if _name(screen) is None:
            return
        with self._lock:
            screens = self._profile(profile)["screens"]
            current = screens.get(screen) or {"filter": "", "sort_column": None, "sort_reverse": False}
            updated = {**current, **values}
            if updated == current and screen in screens:
                return
            screens[screen] = updated
        self._changed()

    def set_filter(self, profile: str | None, screen: str, text: str) -> None:
        self._update_screen(profile, screen, filter=(text or "")[:MAX_FILTER_LEN])

    def set_sort(self, profile: str | None, screen: str, column: str | None, reverse: bool = False) -> None:
        self._update_screen(profile, screen, sort_column=_name(column), sort_reverse=bool(reverse))

    def set_screen(self, profile: str | None, screen: str, prefs: ScreenPrefs) -> None:
        self._update_screen(
            profile,
            screen,
            filter=prefs.filter[:MAX_FILTER_LEN],
            sort_column=_name(prefs.sort_column),
            sort_reverse=bool(prefs.sort_reverse),
        )

    def forget_profile(self, profile: str | None) -> None:
        with self._lock:
            if self._data.pop(self._pkey(profile), None) is None:
                return
        self._changed()
