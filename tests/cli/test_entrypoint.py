"""The installed entry point: dispatch, exit codes from a real process, and no textual on the script path.

(rich may load: httpx imports it when installed; the UI framework must not.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_subcommands_never_load_textual() -> None:
    code = (
        "import sys\n"
        "from boxdeck.cli import main\n"
        "for sub in ('ls', 'ssh', 'watch'):\n"
        "    try:\n"
        "        main([sub, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import boxdeck.cli._follow, boxdeck.cli.progress\n"
        "print('TEXTUAL:' + ','.join(sorted(n for n in sys.modules if n.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "TEXTUAL:"


def test_sim_still_dispatches() -> None:
    result = boxdeck("sim", "--help")
    assert result.returncode == 0
    assert "sim" in result.stdout
