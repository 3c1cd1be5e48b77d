"""The service layer stays UI-free: api, service and sim must never pull in textual or rich."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["boxdeck.api", "boxdeck.service", "boxdeck.sim"])
def test_package_does_not_import_textual(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} imports UI modules: {out.stdout.strip()}"
