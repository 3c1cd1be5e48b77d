"""The suite must collect on a clean checkout, and a helper must be importable from any test folder.

pytest's default (prepend) import mode imports every test module by its bare file name, so two test files
with one basename in different folders stop collection (CI failed once on tests/service/test_freshness.py
beside tests/tui/test_freshness.py, which only showed on a checkout without the developer's stale
__pycache__). Helpers shared by tests live in the `support` package, imported by its full name; a helper left
in a test folder is importable only from that folder (any other would have to put the folder on sys.path).
"""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _test_modules() -> list[Path]:
    return [
        path
        for path in TESTS.rglob("*.py")
        if "__snapshots__" not in path.parts and path.parent != TESTS / "support"
    ]


def test_every_module_under_tests_has_a_unique_basename() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in _test_modules():
        if path.name != "conftest.py":
            seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"


def test_test_folders_hold_only_tests_and_conftest() -> None:
    strays = [
        str(path.relative_to(TESTS))
        for path in _test_modules()
        if path.name != "conftest.py" and not path.name.startswith("test_")
    ]
    assert not strays, f"move these helpers into tests/support/: {strays}"
