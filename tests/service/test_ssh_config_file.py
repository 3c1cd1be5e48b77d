"""`~/.ssh/boxdeck.conf`: the Host blocks are the ssh argv word for word (nothing else gets in), aliases stay
stable and safe, and entries are renewed before their access expires (the simulator's manual clock)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boxdeck.service.access.hostkeys import KnownHosts
from boxdeck.service.access.ssh_config import (
    HostEntry,
    SshConfig,
    SshConfigError,
    SshConfigFile,
    alias_base,
    assign_aliases,
    host_options,
    parse,
    render,
)
from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import Service
from boxdeck.sim import SimServer
from support.sim_service import sim_service
from support.ssh import require_ssh, without_agent

A, D = Backend.AMIKA, Backend.DEVBOX


def command(*argv: str) -> SshCommand:
    return SshCommand(argv=tuple(argv), text=" ".join(argv))


def test_options_are_the_argv_word_for_word() -> None:
    cmd = command("ssh", "-o", "ProxyCommand=relay --to %h %p", "-C", "-o", "ServerAliveInterval=15",
                  "-p", "2222", "--", "dev@box.example")
    assert host_options(cmd) == (
        "HostName box.example", "User dev", "ProxyCommand relay --to %h %p", "Compression yes",
        "ServerAliveInterval 15", "Port 2222",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("ssh", "-o", "LocalCommand=touch /tmp/pwned", "--", "u@h"),
        ("ssh", "-o", "PermitLocalCommand=yes", "--", "u@h"),
        ("ssh", "-F", "/tmp/evil", "--", "u@h"),
        ("ssh", "-o", "ProxyCommand=a\nLocalCommand b", "--", "u@h"),
        ("ssh", "u@h"),  # not the builders' shape
    ],
)
def test_an_option_the_builders_never_emit_is_not_written(argv: tuple[str, ...]) -> None:
    with pytest.raises(SshConfigError):
        host_options(command(*argv))


def _box(name: str, key: str, backend: Backend = D) -> Box:
    return Box(backend=backend, key=key, ref=key, name=name, state="ready", pending=None, created_at=None)


def test_aliases_are_safe_for_ssh_and_a_shared_name_gets_an_id_suffix() -> None:
    assert alias_base("Acme/Platform *!") == "boxdeck-acme-platform"
    assert alias_base("\n%h ") == "boxdeck-h"
    assert alias_base("☃ !") == "boxdeck-box"
    boxes = [_box("api", "devbox:11aa"), _box("api", "devbox:22bb"), _box("web", "devbox:33cc")]
    aliases = assign_aliases(boxes)
    assert aliases == {"devbox:11aa": "boxdeck-api-devbox11", "devbox:22bb": "boxdeck-api-devbox22",
                       "devbox:33cc": "boxdeck-web"}
    # a box keeps the alias it was written with, whatever appears later
    assert assign_aliases(boxes[:1] + boxes[2:], keep={"devbox:11aa": "boxdeck-api"})["devbox:11aa"] == (
        "boxdeck-api")


def test_a_server_name_cannot_add_a_line_to_the_file() -> None:
    entry = HostEntry(assign_aliases([_box("x\nHost *\n  ProxyCommand evil", "k")])["k"], D, "k\nHost *",
                      ("HostName h",))
    text = render([entry])
    assert "ProxyCommand" not in text
    assert [line for line in text.splitlines() if line.startswith("Host ")] == [f"Host {entry.alias}"]
    assert parse(text) == [entry]


# ------------------------------------------------------------------------------------------- renewal


@pytest.fixture
async def service(sim: SimServer) -> AsyncIterator[Service]:
    svc, _records, _clock = sim_service(sim)
    await svc.monitor.poll(A)
    await svc.monitor.poll(D)
    yield svc
    await svc.aclose()


def sim_now(sim: SimServer) -> datetime:
    return datetime.fromtimestamp(sim.world.now(), UTC)


def ready(service: Service, backend: Backend, name: str) -> Box:
    snapshot = service.monitor.snapshot(backend)
    assert snapshot is not None
    return next(b for b in snapshot.boxes.values() if b.kind is StateKind.READY and b.name == name)


def lookup(service: Service):
    def find(backend: Backend, key: str) -> Box | None:
        snapshot = service.monitor.snapshot(backend)
        return snapshot.boxes.get(key) if snapshot is not None else None

    return find


async def test_entries_are_renewed_before_they_expire_and_not_before_time(
    sim: SimServer, service: Service, tmp_path: Path
) -> None:
    config = SshConfig(service.actions, SshConfigFile(tmp_path), now=lambda: sim_now(sim), renew_before=600)
    written = await config.write([ready(service, A, "acme/platform"), ready(service, D, "api-dev")])
    assert not written.problems
    first = {e.alias: e for e in config.file.read()}
    assert all(e.expires_at is not None for e in first.values())
    soonest = min(e.seconds_left(sim_now(sim)) or 0 for e in first.values())

    sim.advance(soonest - 601)  # not due yet: nothing minted, the file untouched
    before = config.file.path.read_text()
    nothing = await config.renew_due(lookup(service))
    assert nothing.renewed == [] and config.file.path.read_text() == before

    sim.advance(2)  # now within ten minutes of the soonest expiry
    result = await config.renew_due(lookup(service))
    assert [e.alias for e in result.renewed] == [
        alias for alias, e in first.items() if (e.seconds_left(sim_now(sim)) or 0) <= 600
    ]
    again = {e.alias: e for e in config.file.read()}
    for entry in result.renewed:
        assert again[entry.alias].expires_at is not None and first[entry.alias].expires_at is not None
        assert again[entry.alias].expires_at > first[entry.alias].expires_at  # type: ignore[operator]
        assert again[entry.alias].options != first[entry.alias].options  # a new grant / session
    assert set(again) == set(first)  # nothing dropped


async def test_a_renewed_amika_entry_still_logs_in_after_the_old_grant_expired(
    sim: SimServer, service: Service, tmp_path: Path
) -> None:
    ssh = require_ssh()
    assert sim.ssh is not None
    service.actions.known_hosts.pin(sim.ssh.host, sim.ssh.port, sim.ssh.public_key())
    file = SshConfigFile(tmp_path)
    config = SshConfig(service.actions, file, now=lambda: sim_now(sim))
    await config.write([ready(service, A, "acme/platform")])
    (entry,) = file.read()
    left = entry.seconds_left(sim_now(sim))
    assert left is not None
    sim.advance(left - 60)
    assert [e.alias for e in (await config.renew_due(lookup(service))).renewed] == [entry.alias]
    sim.advance(120)  # the first grant has expired now

    def login() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ssh, "-F", str(file.path), "-o", "BatchMode=yes", "-o", "IdentityFile=/dev/null",
             "-o", "PubkeyAuthentication=no", entry.alias, "echo in"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env=without_agent(),
        )

    result = login()
    assert (result.returncode, result.stdout) == (0, "in\n"), result.stderr
    assert isinstance(service.actions.known_hosts, KnownHosts)


def test_the_include_line_goes_on_top_once_and_the_backup_keeps_the_original(tmp_path: Path) -> None:
    file = SshConfigFile(tmp_path)
    file.ssh_dir.mkdir()
    file.user_config.write_text("Host *\n    User me\n")
    file.user_config.chmod(0o644)
    assert file.add_include() == file.backup
    assert file.add_include() is None  # already there: nothing changed, the backup is not overwritten
    text = file.user_config.read_text()
    assert text.count("Include boxdeck.conf") == 1 and text.endswith("Host *\n    User me\n")
    assert text.index("Include boxdeck.conf") < text.index("Host *")
    assert file.backup.read_text() == "Host *\n    User me\n"
    assert file.user_config.stat().st_mode & 0o777 == 0o644  # the user's own mode is kept
