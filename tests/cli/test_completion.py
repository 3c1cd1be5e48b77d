"""`boxdeck completion SHELL`: scripts a shell accepts, that complete every command and its options.

bash is on every machine that runs the suite, so its script is sourced and driven for real; zsh and fish
are checked with their own `-n` when installed, and otherwise for covering every command.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from boxdeck.cli.parser import COMMANDS


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from boxdeck.cli.completion import script

    folder = tmp_path_factory.mktemp("completion")
    out = {}
    for shell in ("bash", "zsh", "fish"):
        out[shell] = folder / f"boxdeck.{shell}"
        out[shell].write_text(script(shell))
    return out


def complete(script: Path, *words: str, cwd: Path | None = None) -> list[str]:
    """What bash offers after `boxdeck WORDS…` (the last word being the one completed)."""
    quoted = " ".join(f"'{w}'" for w in ("boxdeck", *words))
    code = (
        f"source '{script}'\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words)}\n"
        f'COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}\n'
        '_shtab_boxdeck\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return result.stdout.split()


def test_the_command_prints_a_script(run_cli) -> None:
    result = run_cli("completion", "bash")
    assert result.code == 0 and result.err == ""
    assert "complete -o bashdefault -F _shtab_boxdeck boxdeck" in result.out


def test_bash_accepts_the_script_and_registers_it(scripts: dict[str, Path]) -> None:
    subprocess.run(["bash", "-n", str(scripts["bash"])], check=True)
    registered = subprocess.run(
        ["bash", "-c", f"source '{scripts['bash']}' && complete -p boxdeck"],
        capture_output=True, text=True, check=True,
    )
    assert registered.stdout.strip().endswith("-F _shtab_boxdeck boxdeck")


def test_bash_completes_commands_options_and_values(scripts: dict[str, Path], tmp_path: Path) -> None:
    bash = scripts["bash"]
    assert complete(bash, "") == list(COMMANDS)
    assert complete(bash, "wa") == ["watch"]
    assert complete(bash, "ls", "--ba") == ["--backend"]
    assert complete(bash, "ls", "--backend", "") == ["amika", "devbox"]
    assert complete(bash, "--profile", "work", "ls", "--st") == ["--state"]  # after a global flag
    assert complete(bash, "ssh", "box", "--pr") == ["--print", "--profile"]
    assert complete(bash, "completion", "") == ["bash", "zsh", "fish"]
    assert complete(bash, "sim", "--manual") == ["--manual-clock"]  # the simulator's own options
    (tmp_path / "work.toml").write_text("")
    assert complete(bash, "ls", "--config", "wo", cwd=tmp_path) == ["work.toml"]  # a PATH is a file


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_cover_every_command(scripts: dict[str, Path], shell: str) -> None:
    text = scripts[shell].read_text()
    for name in COMMANDS:
        assert name in text
    for option in ("--backend", "--print", "--timeout", "--profile", "--amika-token-file"):
        assert option.lstrip("-") in text
    if shutil.which(shell):
        subprocess.run([shell, "-n", str(scripts[shell])], check=True)
