"""The documents a user installing from PyPI reads: current tables, true paths, links that stay inside the
repository (a published sdist carries nothing else)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from boxdeck import __version__

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("name", ["README.md", "docs/config.md"])
def test_the_keys_tables_are_generated_from_the_commands(name: str) -> None:
    """Generated in a fresh process, as a developer runs the script: the app's command list as shipped."""
    text = (ROOT / name).read_text(encoding="utf-8")
    shown = text[text.index("\n", text.index("<!-- keys:start")) + 1 : text.index("<!-- keys:end -->")]
    script = ROOT / "scripts" / "keys_table.py"
    generated = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert shown.strip() == generated.stdout.strip(), "regenerate: scripts/keys_table.py --write"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_links_stay_inside_the_repository_and_lead_somewhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:|#", target):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"
    for mention in re.findall(r"(?:\.\./)+[\w./-]+", text):
        resolved = (path.parent / mention).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} refers outside the repository: {mention}"


def test_the_readme_gives_the_config_path_of_each_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs.macos import MacOS
    from platformdirs.unix import Unix

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    home = os.path.expanduser("~")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("XDG_STATE_HOME")
    for dirs in (Unix("boxdeck", appauthor=False), MacOS("boxdeck", appauthor=False)):
        config = dirs.user_config_dir.replace(home, "~", 1) + "/config.toml"
        state = dirs.user_state_dir.replace(home, "~", 1) + "/"
        assert f"`{config}`" in text and f"`{state}`" in text


def test_the_readme_says_how_to_install_and_on_which_pythons() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pipx install boxdeck" in text and "uv tool install boxdeck" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    claimed = [c.rsplit(":: ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*:: 3\.\d+", c)]
    assert f"Python {', '.join(claimed[:-1])} or {claimed[-1]}" in text


def test_the_changelog_has_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in text
