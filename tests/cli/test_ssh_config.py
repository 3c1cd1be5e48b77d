"""`boxdeck ssh-config` and `boxdeck code` end to end: the file they write is read by the system's own `ssh`
against the simulator, the Include edit happens once with a backup, and `code` runs the editor's command."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from boxdeck.service.access.hostkeys import KnownHosts
from boxdeck.sim import SimServer
from support.ssh import SSH, require_ssh, without_agent


@pytest.fixture
def ssh_binary() -> str:
    return require_ssh()


@pytest.fixture
def pinned(sim_env: SimServer) -> SimServer:
    """The simulator's host key in boxdeck's known_hosts, as `boxdeck --demo` pins it (a devbox's is pinned
    by boxdeck itself, from the fingerprint its access session vouches for)."""
    assert sim_env.ssh is not None and sim_env.ssh_ready()
    KnownHosts().pin(sim_env.ssh.host, sim_env.ssh.port, sim_env.ssh.public_key())
    return sim_env


def conf() -> Path:
    return Path.home() / ".ssh" / "boxdeck.conf"


def ssh_alias(alias: str, command: str) -> subprocess.CompletedProcess[str]:
    """The real ssh, reading only boxdeck's file; nothing of the machine's own keys or agent offered."""
    env = without_agent()
    argv = [SSH or "ssh", "-F", str(conf()), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", "IdentityFile=/dev/null", "-o", "PubkeyAuthentication=no", alias, command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


def test_written_aliases_log_into_a_sandbox_and_a_devbox_with_the_real_ssh(
    ssh_binary: str, pinned: SimServer, run_cli
) -> None:
    result = run_cli("ssh-config", "acme/platform", "api-dev", "--write")
    assert result.code == 0, result.err
    assert result.out.split() == ["boxdeck-acme-platform", "boxdeck-api-dev"]
    assert stat.S_IMODE(conf().stat().st_mode) == 0o600
    text = conf().read_text()
    assert text.startswith("# Managed by boxdeck")
    assert text.count(" expires=20") == 2  # each entry says when its access ends
    sandbox = ssh_alias("boxdeck-acme-platform", "pwd; ls workspace; exit 3")
    assert sandbox.returncode == 3, sandbox.stderr
    assert "platform" in sandbox.stdout.split()
    devbox = ssh_alias("boxdeck-api-dev", "pwd")
    assert devbox.returncode == 0, devbox.stderr
    assert devbox.stdout.strip().endswith("/workspace")
    # The host keys are pinned: the entries accept only the key boxdeck vouches for.
    assert text.count("StrictHostKeyChecking yes") == 2
    for token in (pinned.amika_token, pinned.sprites_token, pinned.user_token):
        assert token not in result.err


def test_print_without_write_changes_no_file(pinned: SimServer, run_cli) -> None:
    result = run_cli("ssh-config", "acme/platform")
    assert result.code == 0, result.err
    assert "Host boxdeck-acme-platform\n" in result.out and "    HostName 127.0.0.1" in result.out
    assert not conf().exists()


def test_the_include_line_is_added_once_with_a_backup(pinned: SimServer, run_cli) -> None:
    user_config = Path.home() / ".ssh" / "config"
    user_config.parent.mkdir(mode=0o700, exist_ok=True)
    user_config.write_text("Host *\n    ServerAliveInterval 30\n")
    first = run_cli("ssh-config", "api-dev", "--write", "--yes")
    assert first.code == 0, first.err
    assert user_config.read_text() .splitlines()[1] == "Include boxdeck.conf"
    assert user_config.read_text().index("Include boxdeck.conf") < user_config.read_text().index("Host *")
    backup = user_config.with_name("config.boxdeck-backup")
    assert backup.read_text() == "Host *\n    ServerAliveInterval 30\n"
    second = run_cli("ssh-config", "api-dev", "--write", "--yes")
    assert second.code == 0, second.err
    assert user_config.read_text().count("Include boxdeck.conf") == 1
    assert backup.read_text() == "Host *\n    ServerAliveInterval 30\n"


def test_without_yes_and_without_a_terminal_it_only_says_what_to_add(pinned: SimServer, run_cli) -> None:
    result = run_cli("ssh-config", "api-dev", "--write")
    assert result.code == 0, result.err
    assert "Include boxdeck.conf" in result.err
    assert not (Path.home() / ".ssh" / "config").exists()


def test_a_box_that_is_not_ready_is_refused(pinned: SimServer, run_cli) -> None:
    result = run_cli("ssh-config", "feature-payments", "--write")
    assert result.code == 1
    assert "not ready" in result.err
    assert not conf().exists()


@pytest.fixture
def editor_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-in `code`, `cursor` and `zed` commands that record their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("code", "cursor", "zed"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/{name}.args"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return tmp_path


def test_code_writes_the_entry_and_opens_the_repository_in_vscode(
    pinned: SimServer, run_cli, editor_bin: Path
) -> None:
    result = run_cli("code", "acme/platform")
    assert result.code == 0, result.err
    args = (editor_bin / "code.args").read_text().splitlines()
    assert args == ["--remote", "ssh-remote+boxdeck-acme-platform", "/home/amika/workspace/platform"]
    assert "Host boxdeck-acme-platform" in conf().read_text()
    assert pinned.amika_token not in " ".join(args)


def test_code_opens_a_devbox_workspace_in_zed_and_a_relative_path_in_cursor(
    pinned: SimServer, run_cli, editor_bin: Path
) -> None:
    zed = run_cli("code", "api-dev", "--editor", "zed")
    assert zed.code == 0, zed.err
    assert (editor_bin / "zed.args").read_text().splitlines() == ["ssh://boxdeck-api-dev/workspace"]
    cursor = run_cli("code", "api-dev", "--editor", "cursor", "--path", "platform")
    assert cursor.code == 0, cursor.err
    assert (editor_bin / "cursor.args").read_text().splitlines() == [
        "--remote", "ssh-remote+boxdeck-api-dev", "/workspace/platform"
    ]


def test_code_with_the_editor_missing_says_how_to_install_its_command(
    pinned: SimServer, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli("code", "acme/platform", "--editor", "cursor")
    assert result.code == 127
    assert "Install 'cursor' command in PATH" in result.err


def test_code_uses_the_configured_default_editor(
    pinned: SimServer, run_cli, editor_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[settings]\neditor = "zed"\n')
    config.chmod(0o600)
    monkeypatch.setenv("BOXDECK_CONFIG", str(config))
    result = run_cli("code", "acme/platform")
    assert result.code == 0, result.err
    assert (editor_bin / "zed.args").read_text().split() == ["ssh://boxdeck-acme-platform/home/amika/workspace/platform"]
