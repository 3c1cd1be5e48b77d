"""The system's own `ssh` logs into simulated boxes with exactly the command boxdeck copies, for both APIs.

Every run isolates ssh from the machine's configuration: `-F /dev/null` (no user config), `BatchMode=yes` (no
prompt can hang a test), no agent, and a known_hosts file of the test's own, pinned through
`boxdeck.service.access.hostkeys` the way boxdeck pins it. Skipped only where no `ssh` client exists; never
in CI.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from boxdeck.service.access.hostkeys import KnownHosts
from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.boxes import Backend, Box, StateKind
from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
from boxdeck.sim import SimConfig, SimServer
from boxdeck.sim.sshd import bwrap_problem
from support.ssh import require_ssh

A, D = Backend.AMIKA, Backend.DEVBOX
SSH = shutil.which("ssh")


@pytest.fixture(scope="module")
def ssh_binary() -> str:
    return require_ssh()


@pytest.fixture
async def service(sim: SimServer) -> AsyncIterator[Service]:
    settings = Settings(
        amika=AmikaSettings(url=sim.base_url, token=sim.amika_token),
        devbox=DevboxSettings(url=sim.base_url, sprites_token=sim.sprites_token, user_token=sim.user_token),
    )
    svc = Service.from_settings(settings, rng=lambda: 1.0)
    await svc.monitor.poll(A)
    await svc.monitor.poll(D)
    yield svc
    await svc.aclose()


@pytest.fixture
def known_hosts(sim: SimServer, tmp_path: Path) -> KnownHosts:
    """A known_hosts of the test's own with the simulator's host key pinned, as `boxdeck --demo` pins it."""
    assert sim.ssh is not None and sim.ssh_ready()
    hosts = KnownHosts(tmp_path / "known_hosts")
    hosts.pin(sim.ssh.host, sim.ssh.port, sim.ssh.public_key())
    return hosts


def ready(service: Service, backend: Backend, name: str | None = None) -> Box:
    snapshot = service.monitor.snapshot(backend)
    assert snapshot is not None
    return next(
        b for b in snapshot.boxes.values() if b.kind is StateKind.READY and (name is None or b.name == name)
    )


def login(
    command: SshCommand | Sequence[str],
    remote: str | None,
    hosts: KnownHosts | None,
    *,
    key: Path | None = None,
    tty: bool = False,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run boxdeck's command with the test's isolation options put right after `ssh` (and the test's own
    known_hosts, unless `hosts` is None: then the command must bring its own host key options)."""
    argv = list(command.argv if isinstance(command, SshCommand) else command)
    assert argv[0] == "ssh"
    host, port = argv[-1].rsplit("@", 1)[1], int(argv[argv.index("-p") + 1])
    isolation = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"]
    if hosts is not None:
        isolation += list(hosts.options(host, port))
    if key is not None:
        isolation += ["-i", str(key)]
    else:  # no key at all: nothing of the machine's own may be offered
        isolation += ["-o", "IdentityFile=/dev/null", "-o", "PubkeyAuthentication=no"]
    if tty:
        isolation.append("-tt")
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "SSH_AGENT_PID")}
    full = [SSH or "ssh", *isolation, *argv[1:], *([remote] if remote is not None else [])]
    return subprocess.run(full, input=stdin, capture_output=True, text=True, timeout=60, env=env)


def refused(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 255 and "Permission denied" in result.stderr


# ---------------------------------------------------------------------------------------------- Amika


async def test_amika_command_runs_a_command_and_passes_its_exit_status(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, A, "acme/platform")
    command = await service.actions.ssh_command(box)
    assert sim.ssh is not None
    assert command.argv == ("ssh", "-p", str(sim.ssh.port), "--", f"{command.secrets[0]}@127.0.0.1")
    result = login(command, "echo hi; exit 3", known_hosts)
    assert (result.returncode, result.stdout) == (3, "hi\n"), result.stderr
    # the box's own directory, with the repository the real service would have cloned
    listing = login(command, "ls -a workspace/platform", known_hosts)
    assert listing.returncode == 0 and {".git", "README.md"} <= set(listing.stdout.split())


async def test_amika_revoked_expired_and_unknown_grants_are_refused(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, A, "acme/platform")
    amika = service.monitor.amika
    assert amika is not None
    revoked = await service.actions.ssh_command(box)
    await amika.revoke_ssh(box.ref, revoked.secrets[0])
    assert refused(login(revoked, "echo hi", known_hosts))
    expired = await service.actions.ssh_command(box)
    assert login(expired, "true", known_hosts).returncode == 0
    sim.advance(3601)
    assert refused(login(expired, "echo hi", known_hosts))
    unknown = list(expired.argv[:-1]) + ["0" * 32 + "@127.0.0.1"]
    assert refused(login(unknown, "echo hi", known_hosts))


async def test_a_stopped_sandbox_refuses_logins(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, A, "acme/platform")
    command = await service.actions.ssh_command(box)
    await service.actions.stop(box)
    assert refused(login(command, "echo hi", known_hosts))
    sim.advance(10)
    assert refused(login(command, "echo hi", known_hosts))


async def test_an_open_session_ends_when_its_sandbox_stops(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, A, "acme/platform")
    command = await service.actions.ssh_command(box)
    options = ["-F", "/dev/null", "-o", "BatchMode=yes", *known_hosts.options("127.0.0.1", _port(sim))]
    session = await asyncio.create_subprocess_exec(
        SSH or "ssh",
        *options,
        *command.argv[1:],
        "echo started; sleep 60; echo never",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert session.stdout is not None
        assert await asyncio.wait_for(session.stdout.readline(), 30) == b"started\n"
        await service.actions.stop(box)
        # the server closes the connection within about a second
        assert await asyncio.wait_for(session.wait(), 15) == 255
        assert b"never" not in await session.stdout.read()
    finally:
        if session.returncode is None:
            session.kill()
        await session.wait()


def _port(sim: SimServer) -> int:
    assert sim.ssh is not None
    return sim.ssh.port


async def test_a_terminal_session_gets_the_banner_and_its_exit_status(
    ssh_binary: str, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, A, "acme/platform")
    command = await service.actions.ssh_command(box)
    result = login(command, None, known_hosts, tty=True, stdin="echo sum=$((2+3))\nexit 4\n")
    assert result.returncode == 4, result.stderr
    assert "sum=5" in result.stdout
    assert "runs on THIS machine" in result.stdout  # nobody mistakes it for the cloud box


# --------------------------------------------------------------------------------------------- Devbox


async def test_devbox_command_runs_a_command_with_the_api_vouched_host_key(
    ssh_binary: str, sim: SimServer, service: Service
) -> None:
    box = ready(service, D, "api-dev")
    # Nothing pinned yet: boxdeck fetches the key the box offers and pins it, because its fingerprint is the
    # one the API gave; the command then accepts that key only, and needs no known_hosts of the test's.
    command = await service.actions.ssh_command(box)
    pinned = service.known_hosts
    assert command.argv[:5] == ("ssh", "-o", f"UserKnownHostsFile={pinned.path}", "-o",
                                "StrictHostKeyChecking=yes")
    assert command.argv[5:7] == ("-p", str(_port(sim)))
    assert sim.ssh is not None and pinned.entry("127.0.0.1", _port(sim)) == sim.ssh.public_key()
    result = login(command, "pwd; ls platform; exit 5", None)
    assert result.returncode == 5, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("/workspace") and "README.md" in lines[1:]
    session_id = command.argv[-1].split("@")[0]
    assert session_id in command.secrets and session_id not in command.masked()


async def test_devbox_revoked_session_and_destroyed_devbox_are_refused(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    box = ready(service, D, "api-dev")
    devbox = service.monitor.devbox
    assert devbox is not None
    command = await service.actions.ssh_command(box)
    session_id = command.argv[-1].split("@")[0]
    await devbox.devboxes.revoke_session(box.ref, session_id)
    assert refused(login(command, "echo hi", known_hosts))
    command = await service.actions.ssh_command(box)
    assert login(command, "true", known_hosts).returncode == 0
    await service.actions.delete(box)
    assert refused(login(command, "echo hi", known_hosts))


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        pytest.skip("no ssh-keygen to make a test key")
    made = []
    for name in ("mine", "other"):
        path = tmp_path / name
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        made.append(path)
    return made[0], made[1]


async def test_a_registered_ssh_key_must_sign_devbox_logins(
    ssh_binary: str, service: Service, known_hosts: KnownHosts, keys: tuple[Path, Path]
) -> None:
    mine, other = keys
    devbox = service.monitor.devbox
    assert devbox is not None
    await devbox.users.set_ssh_key((mine.with_suffix(".pub")).read_text())
    command = await service.actions.ssh_command(ready(service, D, "api-dev"))
    assert refused(login(command, "echo hi", known_hosts))  # the session alone is not enough any more
    assert refused(login(command, "echo hi", known_hosts, key=other))
    result = login(command, "echo hi", known_hosts, key=mine)
    assert (result.returncode, result.stdout) == (0, "hi\n"), result.stderr


# ------------------------------------------------------------------------------------- the shell's home


def _require_bwrap() -> None:
    problem = bwrap_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs bubblewrap, yet: {problem}")
        pytest.skip(problem)


async def test_with_bubblewrap_the_box_directory_is_at_the_real_boxes_path(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    _require_bwrap()
    box = ready(service, A, "acme/platform")
    command = await service.actions.ssh_command(box)
    result = login(command, "pwd; echo kept > /home/amika/workspace/note.txt; ls /home", known_hosts)
    assert result.stdout.split() == ["/home/amika", "amika"], result.stderr  # nothing else of this machine
    assert sim.state_dir is not None and box.sandbox is not None
    note = sim.state_dir / "boxes" / "amika" / box.sandbox.id / "workspace" / "note.txt"
    assert note.read_text() == "kept\n"


def test_without_bubblewrap_the_shell_is_in_the_box_directory_and_says_so(
    ssh_binary: str, tmp_path: Path
) -> None:
    import httpx

    config = SimConfig(seed=7, manual_clock=True, failure_rate=0.0, bwrap=False)
    with SimServer(config) as plain:
        assert plain.ssh is not None and plain.ssh_ready() and plain.state_dir is not None
        hosts = KnownHosts(tmp_path / "known_hosts")
        hosts.pin(plain.ssh.host, plain.ssh.port, plain.ssh.public_key())
        headers = {"Authorization": f"Bearer {plain.amika_token}"}
        url = f"{plain.base_url}/api/v0beta1/sandboxes/acme%2Fplatform/ssh"
        info = httpx.post(url, headers=headers).json()
        command = ["ssh", *info["ssh_destination"].split()]
        box_dir = plain.state_dir / "boxes" / "amika" / info["sandbox_id"]
        result = login(command, "pwd; echo $HOME", hosts)
        assert result.stdout.split() == [str(box_dir), str(box_dir)], result.stderr
        banner = login(command, None, hosts, tty=True, stdin="exit\n")
        assert "No sandbox here (bubblewrap is turned off" in banner.stdout
        assert "runs on THIS machine" in banner.stdout


def test_ssh_listens_on_loopback_even_when_http_does_not(ssh_binary: str) -> None:
    """Binding HTTP everywhere (`--allow-remote`) does not open SSH to other machines: that needs its own
    flag, because a login is a shell on this machine."""
    with SimServer(SimConfig(seed=1, demo_world=False, host="0.0.0.0")) as sim:
        assert sim.ssh is not None and sim.ssh.host == "127.0.0.1"
        assert sim._ssh_sock is not None and sim._ssh_sock.getsockname()[0] == "127.0.0.1"


async def test_a_file_written_over_ssh_survives_a_snapshot_into_a_new_sandbox(
    ssh_binary: str, sim: SimServer, service: Service, known_hosts: KnownHosts
) -> None:
    source = ready(service, A, "acme/platform")
    wrote = login(await service.actions.ssh_command(source), "echo kept > workspace/note.txt", known_hosts)
    assert wrote.returncode == 0, wrote.stderr
    plan = await service.actions.snapshots.scrub_plan(source.ref)
    assert "/home/amika/.claude/.credentials.json" in plan.files
    await service.actions.snapshot(source, "with-note")  # scrub_and_delete: the source goes afterwards
    sim.advance(16)
    snapshot = await service.actions.snapshots.wait("with-note", timeout=0)
    booted = await service.actions.create_sandbox_from_snapshot(snapshot, name="from-note")
    sim.advance(21)
    await service.monitor.poll(A)
    new = ready(service, A, "from-note")
    assert new.key == booted.key
    command = await service.actions.ssh_command(new)
    result = login(command, "cat workspace/note.txt; ls -A .claude | wc -l", known_hosts)
    assert result.stdout.split() == ["kept", "0"], result.stderr  # the note came back, the credential did not
    assert service.monitor.box(source.key) is None  # captured, then deleted


async def test_the_simulators_environment_stays_out_of_the_box(
    ssh_binary: str, service: Service, known_hosts: KnownHosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMIKA_API_KEY", "amk_real_secret_of_whoever_runs_the_simulator")
    command = await service.actions.ssh_command(ready(service, A, "acme/platform"))
    shown = login(command, "env", known_hosts).stdout
    assert "amk_real_secret" not in shown
    assert "USER=amika" in shown.splitlines()
