"""The service layer stays UI-free: api, service and sim never load textual nor import rich themselves.

(httpx's optional CLI module imports rich whenever rich is installed, so the runtime check is on textual; the
source check covers rich.)
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "boxdeck"
UI_FREE = ["api", "service", "sim"]


@pytest.mark.parametrize("package", UI_FREE)
def test_package_does_not_load_textual(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module('boxdeck.{package}')\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"boxdeck.{package} loads textual: {out.stdout.strip()}"


@pytest.mark.parametrize("package", UI_FREE)
def test_package_source_never_imports_ui_libraries(package: str) -> None:
    offenders = []
    for path in sorted((SRC / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] in ("textual", "rich", "boxdeck") and not _allowed(package, n)
            ]
    assert offenders == []


def _allowed(package: str, module: str) -> bool:
    """Inside boxdeck, data flows one way: api <- service; sim stands alone."""
    if not module.startswith("boxdeck"):
        return False
    allowed = {
        "api": ("boxdeck.api",),
        "service": ("boxdeck.api", "boxdeck.service"),
        "sim": ("boxdeck.sim",),
    }
    return module == "boxdeck" or module.startswith(allowed[package])


def test_the_command_line_reaches_the_ui_only_to_start_the_dashboard() -> None:
    """`boxdeck ls` and friends must never pay for textual: cli/ imports it nowhere, and imports the TUI only
    where the dashboard starts (`dispatch.dashboard`, after the terminal check)."""
    offenders = []
    for path in sorted((SRC / "cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            starts_the_dashboard = (path.name, names) == ("dispatch.py", ["boxdeck.tui.launch"])
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[0] == "textual"
                or (name.startswith("boxdeck.tui") and not starts_the_dashboard)
            ]
    assert offenders == []
