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
