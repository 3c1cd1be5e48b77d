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
