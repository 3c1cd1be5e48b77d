import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxdeck.api import AccessSession, SSHInfo
from boxdeck.service.sshcmd import SshCommandError, amika_ssh_command, devbox_ssh_command

TOKEN = "sshtok_abcdefghijklmnopqrstuv"


def session(command: str = "", **ssh):
    base = {"host": "box.example.dev", "port": 2222, "username": "dev", "workspace_path": "/ws"}
    return AccessSession.model_validate(
        {"session_id": "s1", "expires_at": "2026-01-01T13:00:00Z", "command": command, "ssh": {**base, **ssh}}
    )


def test_amika_command_is_ssh_followed_by_the_destination_words():
    info = SSHInfo.model_validate(
        {"ssh_destination": f"-p 2222 {TOKEN}@ssh.app.daytona.io", "token": TOKEN,
         "expires_at": "2026-01-01T13:00:00Z"}
    )
    cmd = amika_ssh_command(info)
    assert cmd.argv == ("ssh", "-p", "2222", f"{TOKEN}@ssh.app.daytona.io")
    assert cmd.text == f"ssh -p 2222 {TOKEN}@ssh.app.daytona.io"
    assert cmd.secrets == (TOKEN,)
    assert cmd.expires_at is not None and cmd.expires_at.hour == 13


def test_amika_masked_command_never_shows_the_token_even_as_the_user():
    info = SSHInfo.model_validate({"ssh_destination": f"{TOKEN}@ssh.example", "token": TOKEN})
    cmd = amika_ssh_command(info)
    assert TOKEN not in cmd.masked()
    assert cmd.masked() == "ssh sshtok…@ssh.example"
    assert TOKEN not in repr(cmd)


def test_amika_token_like_user_is_a_secret_even_without_token_field():
    user = "u" * 32
    cmd = amika_ssh_command(SSHInfo.model_validate({"ssh_destination": f"{user}@h.example", "token": ""}))
    assert user not in cmd.masked()


def test_amika_empty_destination_is_an_error():
    with pytest.raises(SshCommandError, match="empty SSH destination"):
        amika_ssh_command(SSHInfo.model_validate({"ssh_destination": " ", "token": TOKEN}))


def test_amika_destination_escape_sequences_do_not_reach_the_command():
    info = SSHInfo.model_validate({"ssh_destination": "me@host\x1b]52;c;Zm9v\x07", "token": ""})
    assert amika_ssh_command(info).text == "ssh me@host"


def test_devbox_uses_the_server_command_when_it_is_a_clean_ssh():
    cmd = devbox_ssh_command(session("ssh dev@box.example.dev -p 2222"))
    assert cmd.argv == ("ssh", "dev@box.example.dev", "-p", "2222")
    assert cmd.text == "ssh dev@box.example.dev -p 2222"
    assert cmd.secrets == ()


def test_devbox_server_command_is_requoted_so_shell_syntax_stays_inert():
    cmd = devbox_ssh_command(session("ssh dev@box;rm -rf ~"))
    assert shlex.split(cmd.text) == list(cmd.argv)
    assert "'dev@box;rm'" in cmd.text


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "scp a b", "ssh dev@box\nrm -rf ~", "ssh 'unbalanced", "ssh", "ssh dev@box\x1b[31m"],
)
def test_devbox_rebuilds_from_ssh_when_the_command_is_unusable(bad):
    cmd = devbox_ssh_command(session(bad))
    assert cmd.argv == ("ssh", "dev@box.example.dev", "-p", "2222")


def test_devbox_proxy_form_keeps_proxycommand_as_one_word_and_uses_ssh_port():
    proxy = "sprite-proxy --relay relay.example %h %p"
    cmd = devbox_ssh_command(session("", proxy_command=proxy, ssh_port=22))
    assert cmd.argv == ("ssh", "-o", "ProxyCommand=sprite-proxy --relay relay.example %h %p",
                        "dev@box.example.dev", "-p", "22")
    assert shlex.split(cmd.text) == list(cmd.argv)
    assert cmd.text == f"ssh -o 'ProxyCommand={proxy}' dev@box.example.dev -p 22"


def test_devbox_proxy_form_falls_back_to_port():
    cmd = devbox_ssh_command(session("", proxy_command="nc %h %p"))
    assert cmd.argv[-2:] == ("-p", "2222")


def test_devbox_without_command_or_host_is_an_error():
    with pytest.raises(SshCommandError):
        devbox_ssh_command(session("", host=""))


@given(st.text(max_size=40), st.integers(min_value=1, max_value=65535), st.text(max_size=20))
def test_built_commands_always_round_trip_through_shlex(proxy, port, user):
    try:
        cmd = devbox_ssh_command(session("", proxy_command=proxy or None, port=port, username=user))
    except SshCommandError:
        return
    assert shlex.split(cmd.text) == list(cmd.argv)
    assert "\n" not in cmd.text and "\x1b" not in cmd.text
    assert cmd.argv[0] == "ssh"
