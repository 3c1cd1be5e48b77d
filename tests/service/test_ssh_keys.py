"""OpenSSH public key validation and ~/.ssh discovery."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from boxdeck.service.actions.ssh_keys import (
    ACCEPTED_KEY_TYPES,
    KeyFile,
    PublicKeyError,
    discover_public_keys,
    fingerprint,
    validate_public_key,
)

SSH_KEYGEN = shutil.which("ssh-keygen")


def _s(data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return len(raw).to_bytes(4, "big") + raw


def _line(key_type: str, *fields: bytes | str, comment: str = "") -> str:
    blob = _s(key_type) + b"".join(_s(f) for f in fields)
    data = base64.b64encode(blob).decode()
    return f"{key_type} {data} {comment}".rstrip()


ED25519 = _line("ssh-ed25519", b"\x01" * 32, comment="alice@laptop")
RSA = _line("ssh-rsa", b"\x01\x00\x01", b"\x00" + b"\xc3" * 256)
P256 = _line("ecdsa-sha2-nistp256", "nistp256", b"\x04" + b"\x11" * 64)
P384 = _line("ecdsa-sha2-nistp384", "nistp384", b"\x04" + b"\x11" * 96)
P521 = _line("ecdsa-sha2-nistp521", "nistp521", b"\x04" + b"\x11" * 132)
SK_ED = _line("sk-ssh-ed25519@openssh.com", b"\x02" * 32, "ssh:", comment="yubikey")
SK_ECDSA = _line("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", b"\x04" + b"\x22" * 64, "ssh:")


@pytest.mark.parametrize("line", [ED25519, RSA, P256, P384, P521, SK_ED, SK_ECDSA])
def test_every_accepted_type_validates_and_round_trips(line: str) -> None:
    assert validate_public_key(line) == line
    assert line.split()[0] in ACCEPTED_KEY_TYPES


def test_normalises_whitespace_and_trailing_newline() -> None:
    key_type, data, _ = ED25519.split(" ", 2)
    messy = f"  {key_type}\t{data}   alice   @ laptop \n"
    assert validate_public_key(messy) == f"{key_type} {data} alice @ laptop"
    assert validate_public_key(f"{key_type} {data}\r\n") == f"{key_type} {data}"


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen not installed")
@pytest.mark.parametrize(
    ("kind", "bits"),
    [("ed25519", None), ("rsa", "2048"), ("ecdsa", "256"), ("ecdsa", "384"), ("ecdsa", "521")],
)
def test_keys_from_ssh_keygen_validate_with_matching_fingerprint(
    tmp_path: Path, kind: str, bits: str | None
) -> None:
    key = tmp_path / "id"
    args = [SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", "me@host", "-f", str(key)]
    if bits:
        args += ["-b", bits]
    subprocess.run(args, check=True, capture_output=True)
    public = (tmp_path / "id.pub").read_text()
    line = validate_public_key(public)
    assert line == public.strip()
    printed = subprocess.run([SSH_KEYGEN, "-l", "-E", "sha256", "-f", str(tmp_path / "id.pub")],
                             check=True, capture_output=True, text=True).stdout
    assert fingerprint(line) == printed.split()[1]
    # the private half is refused with the specific message
    with pytest.raises(PublicKeyError, match="private key — paste the .pub file"):
        validate_public_key(key.read_text())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste an OpenSSH public key"),
        ("   \n", "Paste an OpenSSH public key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
         "private key — paste the .pub file"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private key"),
        (ED25519 + "\n" + RSA, "single line"),
        (ED25519.replace("alice", "al\x1b[31mice"), "control characters"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA", "certificate"),
        ("ssh-foo AAAA", "Unsupported key type 'ssh-foo'"),
        ("ssh-ed25519", "no key data"),
        ("ssh-ed25519 not*base64!", "not valid base64"),
        ("ssh-ed25519 " + ED25519.split()[1][:-8], "base64|truncated"),
        ("ssh-rsa " + ED25519.split()[1], "says it is ssh-rsa but its data holds a ssh-ed25519"),
        (_line("ssh-ed25519", b"\x01" * 31), "wrong length"),
        (_line("ssh-ed25519", b"\x01" * 32, b"extra"), "trailing bytes"),
        (_line("ecdsa-sha2-nistp384", "nistp256", b"\x04" + b"\x11" * 64), "nistp384 curve"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----", "RFC 4716"),
    ],
)
def test_invalid_keys_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(PublicKeyError, match=message):
        validate_public_key(text)


def test_oversized_text_is_refused_before_parsing() -> None:
    with pytest.raises(PublicKeyError, match="too long"):
        validate_public_key(ED25519 + " " + "x" * (16 * 1024))


def test_error_is_a_value_error() -> None:
    assert issubclass(PublicKeyError, ValueError)
    with pytest.raises(ValueError):
        validate_public_key("nope")


def test_fingerprint_is_sha256_of_the_blob() -> None:
    blob = base64.b64decode(ED25519.split()[1])
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert fingerprint(ED25519) == expected


def test_discovery_finds_valid_pub_files_and_skips_the_rest(tmp_path: Path) -> None:
    ssh = tmp_path / ".ssh"
    ssh.mkdir()
    (ssh / "id_ed25519.pub").write_text(ED25519 + "\n")
    (ssh / "id_rsa.pub").write_text(RSA + "\n")
    (ssh / "id_ed25519").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (ssh / "broken.pub").write_text("ssh-ed25519 !!!\n")
    (ssh / "binary.pub").write_bytes(b"\xff\xfe\x00garbage")
    (ssh / "huge.pub").write_text(ED25519 + " " + "c" * (20 * 1024))
    (ssh / "dir.pub").mkdir()
    (ssh / "link.pub").symlink_to(ssh / "id_ed25519.pub")
    (ssh / "dangling.pub").symlink_to(ssh / "missing.pub")
    os.mkfifo(ssh / "fifo.pub")  # reading a FIFO would block: it must be skipped without opening
    unreadable = ssh / "secret.pub"
    unreadable.write_text(P256)
    unreadable.chmod(0)

    found = discover_public_keys(ssh)

    names = [k.path.name for k in found]
    expected = ["id_ed25519.pub", "id_rsa.pub", "link.pub"]
    if os.access(unreadable, os.R_OK):  # running as root: permissions do not stop the read
        expected.append("secret.pub")
    assert names == expected
    first = found[0]
    assert first == KeyFile(
        ssh / "id_ed25519.pub", "ssh-ed25519", "alice@laptop", fingerprint(ED25519), ED25519
    )
    assert found[1].comment == ""


def test_discovery_defaults_to_home_ssh_and_tolerates_a_missing_dir(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert discover_public_keys() == []
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519.pub").write_text(ED25519)
    assert [k.type for k in discover_public_keys()] == ["ssh-ed25519"]
    assert discover_public_keys(tmp_path / "nowhere") == []
