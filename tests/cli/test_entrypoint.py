"""The installed entry point: dispatch, exit codes from a real process, and no textual on the script path.

(rich may load: httpx imports it when installed; the UI framework must not.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from boxdeck import __version__
from boxdeck.sim import SimServer


def boxdeck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AMIKA_", "DEVBOX_"))}
    return subprocess.run(
        [sys.executable, "-m", "boxdeck", *args], capture_output=True, text=True, timeout=60,
        env={**base, **(env or {})}, stdin=subprocess.DEVNULL,
    )


def test_version() -> None:
    result = boxdeck("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"boxdeck {__version__}")


def test_unconfigured_exits_2_without_traceback() -> None:
    for sub in (["ls"], ["ssh", "x"], ["watch", "x"]):
        result = boxdeck(*sub)
        assert result.returncode == 2, (sub, result.stderr)
        assert "no backend configured" in result.stderr
        assert "Traceback" not in result.stderr


def test_ls_json_from_a_real_process(sim: SimServer) -> None:
    env = {
        "AMIKA_API_URL": sim.base_url, "AMIKA_API_KEY": sim.amika_token,
        "DEVBOX_API_URL": sim.base_url, "DEVBOX_SPRITES_TOKEN": sim.sprites_token,
    }
    result = boxdeck("ls", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert {b["backend"] for b in json.loads(result.stdout)} == {"amika", "devbox"}
    refused = boxdeck("ls", "--devbox-url", "http://127.0.0.1:1", env=env)
    assert refused.returncode == 1
    assert "devbox:" in refused.stderr and "Traceback" not in refused.stderr
    assert "acme/platform" in refused.stdout


PROBE = (
    "import json, sys\n"
    "from boxdeck.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('MODULES:' + json.dumps(sorted({n.split('.')[0] for n in sys.modules})), file=sys.stderr)\n"
    "raise SystemExit(code)\n"
)


def loaded(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run `boxdeck ARGS` in a fresh interpreter: its exit status and the top-level packages it imported."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AMIKA_", "DEVBOX_"))}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60,
                            env={**base, **(env or {})}, stdin=subprocess.DEVNULL)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("MODULES:"), result.stderr
    return result.returncode, set(json.loads(last.removeprefix("MODULES:")))


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["ls", "--help"], ["completion", "bash"], ["completion", "fish"], []],
    ids=["version", "help", "ls-help", "completion-bash", "completion-fish", "dashboard-refused"],
)
def test_help_version_and_completion_load_nothing_heavy(args: list[str]) -> None:
    code, modules = loaded(*args)
    assert code == (2 if not args else 0)
    assert not modules & {"textual", "pydantic", "httpx", "rich", "fastapi", "uvicorn"}, modules


@pytest.mark.parametrize(
    "args", [["ls", "--json"], ["ls"], ["watch", "feature-payments", "--json", "--timeout", "1"],
             ["ssh", "api-dev", "--print"]],
    ids=["ls-json", "ls", "watch", "ssh-print"],
)
def test_the_plain_commands_never_load_textual(args: list[str], sim: SimServer) -> None:
    env = {
        "AMIKA_API_URL": sim.base_url, "AMIKA_API_KEY": sim.amika_token,
        "DEVBOX_API_URL": sim.base_url, "DEVBOX_SPRITES_TOKEN": sim.sprites_token,
    }
    code, modules = loaded(*args, env=env)
    assert code in (0, 124)
    assert "httpx" in modules and "textual" not in modules


def test_sim_still_dispatches() -> None:
    result = boxdeck("sim", "--help")
    assert result.returncode == 0
    assert "sim" in result.stdout
