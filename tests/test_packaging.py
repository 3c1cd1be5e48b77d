"""What `pipx install boxdeck` gets: the wheel and the sdist built from this tree, offline (hatchling, the
build backend, is in the test extra, so no isolated build environment has to be downloaded)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-d", str(out)], cwd=ROOT, check=True,
                   capture_output=True, text=True)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def wheel_files(dist: dict[str, Path]) -> set[str]:
    with zipfile.ZipFile(dist["wheel"]) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def sdist_files(dist: dict[str, Path]) -> set[str]:
    with tarfile.open(dist["sdist"]) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_the_wheel_has_the_package_its_styles_the_license_and_the_typed_marker(wheel_files: set[str]) -> None:
    dist_info = next(n.split("/")[0] for n in wheel_files if n.endswith(".dist-info/METADATA"))
    assert f"{dist_info}/licenses/LICENSE" in wheel_files
    assert {"boxdeck/py.typed", "boxdeck/cli/__init__.py", "boxdeck/api/__init__.py",
            "boxdeck/styles/app.tcss"} <= wheel_files
    assert all(n.startswith(("boxdeck/", dist_info)) for n in wheel_files)  # no tests, docs or bench


def test_the_wheel_metadata(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
        entry_points = archive.read(name.replace("METADATA", "entry_points.txt")).decode()
    assert "License-Expression: MIT" in metadata
    for label in ("Homepage", "Repository", "Issues", "Changelog"):
        assert f"Project-URL: {label}, https://" in metadata
    assert "boxdeck = boxdeck.cli:main" in entry_points


def test_the_sdist_has_what_builds_and_tests_it_and_no_working_files(sdist_files: set[str]) -> None:
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "src/boxdeck/py.typed",
            "docs/cli.md", "tests/conftest.py", "styles/app.tcss"} <= sdist_files
    unwanted = ("bench/", ".ci/", "screenshots/", ".venv", "dist/", "node_modules/", "__pycache__/")
    assert not [n for n in sdist_files if n.startswith(unwanted) or f"/{unwanted[-1]}" in n]


def test_boxdeck_api_type_checks_on_its_own_from_the_wheel(dist: dict[str, Path], tmp_path: Path) -> None:
    """`py.typed` is shipped: mypy reads the installed package's annotations instead of calling it
    untyped, so a caller's mistake with `AmikaClient` is caught."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    with zipfile.ZipFile(dist["wheel"]) as archive:
        archive.extractall(purelib)  # a pure-Python wheel installs by unpacking
    good = tmp_path / "good.py"
    good.write_text(
        "from boxdeck.api import AmikaClient, Sandbox\n\n\n"
        "async def names(client: AmikaClient) -> list[str]:\n"
        "    sandboxes: list[Sandbox] = await client.list_sandboxes()\n"
        "    return [s.name for s in sandboxes]\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from boxdeck.api import AmikaClient\n\n\n"
        "async def count(client: AmikaClient) -> int:\n"
        "    return await client.list_sandboxes()\n"
    )

    def mypy(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--python-executable", str(python), "--no-incremental",
             "--strict", str(path)],
            capture_output=True, text=True, cwd=tmp_path,
        )

    checked = mypy(good)
    assert checked.returncode == 0, checked.stdout
    caught = mypy(bad)
    assert caught.returncode == 1
    assert 'Incompatible return value type (got "list[Sandbox]", expected "int")' in caught.stdout

