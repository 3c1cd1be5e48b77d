"""``boxdeck.api`` must stand alone (it is meant to be publishable): only httpx and pydantic, never the UI.

httpx itself imports rich for its optional CLI when rich is installed, so "rich in sys.modules" cannot tell
our imports from httpx's. Blocking the UI packages instead makes any import of them by our code fail loudly,
while httpx's guarded optional import quietly degrades.
"""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
for blocked in ("textual", "rich", "fastapi", "uvicorn", "boxdeck.service", "boxdeck.sim", "boxdeck.tui"):
    sys.modules[blocked] = None
pkg = importlib.import_module("boxdeck.api")
for module in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
    importlib.import_module(module.name)
print("ok")
"""


def test_api_imports_without_ui_sim_or_service() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
