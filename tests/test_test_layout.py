"""The suite must collect on a clean checkout: pytest's default (prepend) import mode imports every test and
helper module by its bare file name, so two files with one basename in different folders stop collection
(CI failed once on tests/service/test_freshness.py beside tests/tui/test_freshness.py, which only showed on a
checkout without the developer's stale __pycache__)."""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_module_under_tests_has_a_unique_basename() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if "__snapshots__" in path.parts or path.name in {"conftest.py", "__init__.py"}:
            continue
        seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"
