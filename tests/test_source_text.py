"""Every source file compiles on the running Python, and no docstring holds a lone surrogate.

Python 3.13 cleans docstrings at compile time and refuses one that cannot be encoded as UTF-8, so an escape
such as ``"\\ud800"`` written unescaped in a docstring breaks ``import boxdeck`` there while 3.11 and 3.12
accept it. The docstring walk catches that on every Python; the compile catches whatever else a newer
compiler refuses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for top in ("src", "tests", "bench", "scripts") for p in (ROOT / top).rglob("*.py") if p.is_file()
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def test_sources_were_found() -> None:
    assert len(SOURCES) > 100


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_source_compiles_and_has_no_lone_surrogate_in_a_docstring(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    compile(text, str(path), "exec")
    tree = ast.parse(text)
    bad = [
        getattr(node, "name", "<module>")
        for node in ast.walk(tree)
        if isinstance(node, _DOCUMENTED)
        and (doc := ast.get_docstring(node, clean=False)) is not None
        and _SURROGATE.search(doc)
    ]
    assert bad == [], f"{path.name}: a lone surrogate in the docstring of {bad} (write it as \\\\udXXX)"


_HISTORY = re.compile(r"\bissues?[ -]#?\d+", re.IGNORECASE)
_PROSE = sorted(
    p
    for top in ("src", "tests", "bench", "scripts", "docs", "styles")
    for p in (ROOT / top).rglob("*")
    if p.suffix in {".py", ".md", ".tcss"} and p.is_file() and "node_modules" not in p.parts
)


def test_no_source_cites_an_issue_number() -> None:
    """Comments explain the code as it is; which issue brought a line is git's to tell, and goes stale."""
    cited = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _PROSE
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if _HISTORY.search(line)
    ]
    assert cited == []
