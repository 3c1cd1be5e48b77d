"""The README's two commands are the newcomer's contract: keep them true and in step with CI."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")
    return [
        line.strip()
        for block in blocks[1::2]
        for line in block.splitlines()
        if line.strip().startswith("python3 -m venv")
    ]


def test_readme_has_demo_and_test_commands() -> None:
    commands = _readme_commands()
    assert any("boxdeck --demo" in c for c in commands), commands
    assert any("pytest" in c for c in commands), commands


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = next(c for c in _readme_commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines(), "the README's test command must be the line .ci/run runs"


def test_readme_keys_table_is_generated_from_the_commands() -> None:
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    start = text.index("<!-- keys:start")
    section = text[text.index("\n", start) + 1 : text.index("<!-- keys:end -->")].strip()
    script = ROOT / "scripts" / "keys_table.py"
    generated = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert section == generated.stdout.strip(), "regenerate with scripts/keys_table.py"


def test_ci_tests_every_python_the_package_claims() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    claimed = sorted(
        c.rsplit(":: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert claimed == ["3.11", "3.12", "3.13"]
    assert project["requires-python"] == ">=3.11"
    ci = (ROOT / ".ci" / "run").read_text()
    supported = re.search(r'^SUPPORTED="([^"]+)"', ci, re.M)
    assert supported is not None and supported.group(1).split() == claimed
