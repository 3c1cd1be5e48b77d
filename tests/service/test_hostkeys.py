"""boxdeck's own known_hosts: pinning only keys it has from a trusted source, and the ssh words that make
ssh accept exactly those."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from boxdeck.service.access.hostkeys import (
    HostKeyError,
    HostKeyMismatch,
    KnownHosts,
    host_key_fingerprint,
    pin_verified,
    vouch,
)
from boxdeck.service.access.sshcmd import SshCommand


def key(seed: int, key_type: str = "ssh-ed25519") -> str:
    name = key_type.encode()
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + bytes([seed]) * 32
    return f"{key_type} {base64.b64encode(blob).decode()}"


KEY, OTHER = key(1), key(2)


def test_a_pinned_key_gives_the_strict_options(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "state" / "known_hosts")
    assert hosts.options("127.0.0.1", 2222) == ()  # nothing pinned: the user's own ssh setup decides
    hosts.pin("127.0.0.1", 2222, KEY + " comment@host")
    assert hosts.options("127.0.0.1", 2222) == (
        "-o", f"UserKnownHostsFile={hosts.path}", "-o", "StrictHostKeyChecking=yes",
    )
    assert hosts.path.read_text() == f"[127.0.0.1]:2222 {KEY}\n"
    assert hosts.path.stat().st_mode & 0o777 == 0o600
    assert hosts.options("127.0.0.1", 2223) == ()


def test_re_pinning_replaces_and_forget_removes(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    hosts.pin("127.0.0.1", 2222, KEY)
    hosts.pin("box.example.dev", 22, KEY)
    hosts.pin("127.0.0.1", 2222, OTHER)
    assert hosts.entry("127.0.0.1", 2222) == OTHER
    assert hosts.path.read_text().splitlines() == [f"box.example.dev {KEY}", f"[127.0.0.1]:2222 {OTHER}"]
    hosts.forget("127.0.0.1", 2222)
    assert hosts.entry("127.0.0.1", 2222) is None and hosts.entry("box.example.dev", 22) == KEY


@pytest.mark.parametrize(
    ("host", "port", "public_key"),
    [
        ("127.0.0.1", 2222, "ssh-ed25519"),
        ("127.0.0.1", 2222, "ssh-ed25519 not*base64"),
        ("127.0.0.1", 2222, "ssh-rsa " + KEY.split()[1]),  # the blob says ed25519
        ("127.0.0.1", 2222, "ssh-dss " + key(3, "ssh-dss").split()[1]),  # not a type we pin
        ("127.0.0.1", 2222, KEY + "\nevil.example " + OTHER),
        ("-oProxyCommand=x", 22, KEY),
        ("host name", 22, KEY),
        ("127.0.0.1", 0, KEY),
        ("127.0.0.1", 70000, KEY),
    ],
)
def test_nothing_malformed_is_pinned(tmp_path: Path, host: str, port: int, public_key: str) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    with pytest.raises(HostKeyError):
        hosts.pin(host, port, public_key)
    assert not hosts.path.exists()


def test_odd_file_names_are_written_as_ssh_reads_them(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "my 100% dir" / "known_hosts")
    hosts.pin("127.0.0.1", 2222, KEY)
    assert hosts.options("127.0.0.1", 2222)[1] == f'UserKnownHostsFile="{tmp_path}/my 100%% dir/known_hosts"'


def test_fingerprint_matches_openssh(tmp_path: Path) -> None:
    import shutil
    import subprocess

    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        pytest.skip("no ssh-keygen to compare with")
    path = tmp_path / "k.pub"
    path.write_text(KEY + " x\n")
    shown = subprocess.run([keygen, "-l", "-E", "sha256", "-f", str(path)], capture_output=True, text=True)
    assert shown.stdout.split()[1] == host_key_fingerprint(KEY)


async def test_pin_verified_pins_only_the_key_the_api_vouched_for(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    scans: list[tuple[str, int]] = []

    async def scan(host: str, port: int) -> list[str]:
        scans.append((host, port))
        return ["garbage line", OTHER, KEY]

    options = await pin_verified(hosts, "127.0.0.1", 2222, host_key_fingerprint(KEY), scan=scan)
    assert options[-1] == "StrictHostKeyChecking=yes" and hosts.entry("127.0.0.1", 2222) == KEY
    # already pinned with that fingerprint: no second scan
    await pin_verified(hosts, "127.0.0.1", 2222, host_key_fingerprint(KEY), scan=scan)
    assert scans == [("127.0.0.1", 2222)]


async def test_pin_verified_refuses_a_server_with_another_key(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")

    async def scan(host: str, port: int) -> list[str]:
        return [OTHER]

    with pytest.raises(HostKeyError, match="not the one the API vouched for"):
        await pin_verified(hosts, "127.0.0.1", 2222, host_key_fingerprint(KEY), scan=scan)
    with pytest.raises(HostKeyError, match="no SHA256 host key fingerprint"):
        await pin_verified(hosts, "127.0.0.1", 2222, "MD5:aa:bb", scan=scan)
    assert hosts.entry("127.0.0.1", 2222) is None


def command(*argv: str, proxy: str | None = None) -> SshCommand:
    return SshCommand(argv=("ssh", *argv), text="ssh " + " ".join(argv), proxy_command=proxy)


async def test_vouch_makes_a_command_to_a_pinned_host_accept_only_its_key(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    plain = command("-p", "2222", "--", "tok@127.0.0.1")
    assert await vouch(plain, hosts) == plain  # nothing pinned: the user's own ssh config decides
    hosts.pin("127.0.0.1", 2222, KEY)
    vouched = await vouch(plain, hosts)
    strict = ("-o", f"UserKnownHostsFile={hosts.path}", "-o", "StrictHostKeyChecking=yes")
    assert vouched.argv == ("ssh", *strict, "-p", "2222", "--", "tok@127.0.0.1")
    assert vouched.text.startswith("ssh -o UserKnownHostsFile=")
    assert await vouch(command("--", "tok@127.0.0.1"), hosts) == command("--", "tok@127.0.0.1")  # port 22


async def test_vouch_checks_the_api_fingerprint_and_refuses_another_key(tmp_path: Path) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    plain = command("-p", "2222", "--", "session@127.0.0.1")

    async def offers_other(host: str, port: int) -> list[str]:
        return [OTHER]

    with pytest.raises(HostKeyMismatch):
        await vouch(plain, hosts, host_key_fingerprint(KEY), scan=offers_other)

    async def offers_key(host: str, port: int) -> list[str]:
        return [KEY]

    vouched = await vouch(plain, hosts, host_key_fingerprint(KEY), scan=offers_key)
    assert "StrictHostKeyChecking=yes" in vouched.argv and hosts.entry("127.0.0.1", 2222) == KEY


async def test_vouch_leaves_the_command_alone_when_no_key_can_be_fetched_or_a_proxy_is_in_the_way(
    tmp_path: Path,
) -> None:
    hosts = KnownHosts(tmp_path / "known_hosts")
    plain = command("-p", "2222", "--", "session@127.0.0.1")

    async def unreachable(host: str, port: int) -> list[str]:
        raise HostKeyError("no host key from 127.0.0.1:2222 within 10 s")

    assert await vouch(plain, hosts, host_key_fingerprint(KEY), scan=unreachable) == plain
    hosts.pin("127.0.0.1", 2222, KEY)
    proxied = command("-o", "ProxyCommand=relay %h %p", "-p", "2222", "--", "session@127.0.0.1",
                      proxy="relay %h %p")
    assert await vouch(proxied, hosts) == proxied
