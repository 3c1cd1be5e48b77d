"""Remembered UI preferences: round trip per profile and screen, corrupt files start fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boxdeck.service.configuration.paths import prefs_file
from boxdeck.service.configuration.prefs import MAX_FILTER_LEN, Prefs, ScreenPrefs


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state" / "prefs.json"
    p = Prefs(path)
    p.set_last_screen("work", "devboxes")
    p.set_filter("work", "devboxes", "web prov")
    p.set_sort("work", "devboxes", "age", reverse=True)
    p.set_screen("home", "sandboxes", ScreenPrefs(filter="x", sort_column="name"))
    p.set_last_screen(None, "all")
    assert p.dirty
    p.save()
    assert not p.dirty

    q = Prefs(path)
    assert q.last_screen("work") == "devboxes"
    assert q.screen("work", "devboxes") == ScreenPrefs("web prov", "age", True)
    assert q.screen("home", "sandboxes") == ScreenPrefs("x", "name", False)
    assert q.screen("work", "sandboxes") == ScreenPrefs()
    assert q.last_screen(None) == "all"
    assert q.last_screen("other") is None


def test_profiles_are_independent(tmp_path: Path) -> None:
    p = Prefs(tmp_path / "prefs.json")
    p.set_filter("a", "sandboxes", "alpha")
    p.set_filter("b", "sandboxes", "beta")
    assert p.screen("a", "sandboxes").filter == "alpha"
    assert p.screen("b", "sandboxes").filter == "beta"
    p.forget_profile("a")
    assert p.screen("a", "sandboxes") == ScreenPrefs()


def test_save_only_when_dirty(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    p = Prefs(path)
    p.save()
    assert not path.exists()
    p.set_filter("a", "s", "x")
    p.set_filter("a", "s", "x")
    p.save()
    assert path.exists()
    p.set_filter("a", "s", "x")  # unchanged: not dirty
    assert not p.dirty


def test_autosave(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    p = Prefs(path, autosave=True)
    p.set_sort("a", "s", "state")
    assert json.loads(path.read_text())["profiles"]["a"]["screens"]["s"]["sort_column"] == "state"


@pytest.mark.parametrize(
    "content",
    [
        "{broken",
        "[1, 2]",
        '{"profiles": "nope"}',
        '{"profiles": {"a": {"last_screen": 5, "screens": {"s": {"filter": 3, "sort_column": [], '
        '"sort_reverse": "yes"}}}}}',
        "\x00\xff",
    ],
)
def test_corrupt_file_starts_fresh(tmp_path: Path, content: str) -> None:
    path = tmp_path / "prefs.json"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    p = Prefs(path)
    assert p.last_screen("a") is None
    assert p.screen("a", "s") == ScreenPrefs()
    p.set_last_screen("a", "devboxes")
    p.save()
    assert Prefs(path).last_screen("a") == "devboxes"


def test_huge_filter_is_bounded(tmp_path: Path) -> None:
    p = Prefs(tmp_path / "prefs.json")
    p.set_filter("a", "s", "x" * 1_000_000)
    assert len(p.screen("a", "s").filter) == MAX_FILTER_LEN


def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    p = Prefs()
    assert p.path == prefs_file()
    p.set_last_screen("w", "all")
    p.save()
    assert prefs_file().exists()
