"""Server text never carries escape sequences to the terminal.

``sanitize`` strips every escape and control a hostile server could send (OSC 52 clipboard writes, OSC 8
links, CSI, DCS/APC/PM/SOS, 8-bit C1 forms, bidi overrides); the clients keep server text verbatim (so the
raw body survives for debugging), and what the service turns into user-facing text — ``describe_error``,
``AmikaHTTPError.user_message`` through ``sanitize``, notices — is clean. The last test goes through the
real simulator, whose error messages quote the hostile names we send it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from boxdeck.api import AmikaClient, AmikaHTTPError, DevboxApiError, DevboxClient, Sandbox
from boxdeck.api.errors import AmikaAgentAuthError
from boxdeck.service.actions.errors import describe_error
from boxdeck.service.text.sanitize import sanitize, shown, single_line
from boxdeck.sim import SimServer
from support.security import SECURITY_SIM, has_terminal_control

OSC52 = "\x1b]52;c;" + base64.b64encode(b"rm -rf ~\n").decode() + "\x07"
ATTACKS = {
    "osc52-bel": OSC52,
    "osc52-st": OSC52[:-1] + "\x1b\\",
    "osc52-8bit": "\x9d52;c;cm0gLXJmIH4K\x9c",
    "osc52-unterminated": "\x1b]52;c;cm0gLXJmIH4K",
    "osc8-link": "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "osc-title": "\x1b]0;owned\x07",
    "csi-colour": "\x1b[31;1mred\x1b[0m",
    "csi-clear": "\x1b[2J\x1b[3J\x1b[H",
    "csi-8bit": "\x9b2J",
    "csi-query": "\x1b[6n\x1b[>c",
    "alt-screen": "\x1b[?1049h",
    "dcs": '\x1bP$q"p\x1b\\',
    "apc-kitty": "\x1b_Ga=T,f=100;AAAA\x1b\\",
    "pm": "\x1b^secret\x1b\\",
    "sos": "\x1bXstart\x1b\\",
    "c1-dcs": "\x90payload\x9c",
    "esc-c-reset": "\x1bc",
    "charset": "\x1b(0",
    "bidi": "\u202eexe.txt\u202c",
    "isolate": "\u2066x\u2069",
    "nul-bel-bs": "a\x00b\x07c\x08d",
    "cr-overwrite": "safe\rEVIL",
    "nested": "\x1b]52;c;\x1b[31mQUFB\x07",
}
ATTACK_IDS = list(ATTACKS)


def assert_clean(text: str, *, allow_newlines: bool = False) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x9d" not in text and "\x07" not in text, repr(text)
    assert not has_terminal_control(text, allow_newlines=allow_newlines), repr(text)


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=ATTACK_IDS)
def test_sanitize_neutralises_each_attack(attack: str) -> None:
    for text in (attack, f"before {attack} after", attack * 3, f"[bold]{attack}[/]"):
        assert_clean(sanitize(text))
        assert_clean(sanitize(text, keep_newlines=True), allow_newlines=True)
        assert_clean(single_line(text))
    assert "cm0gLXJmIH4" not in sanitize(f"x{attack}y")  # the clipboard payload itself is gone


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=ATTACK_IDS)
@pytest.mark.parametrize("shape", ["code-message", "message", "raw", "legacy"])
def test_amika_error_bodies_come_out_clean(attack: str, shape: str) -> None:
    body = {
        "code-message": json.dumps({"type": "error", "code": f"bad{attack}", "message": f"no {attack}"}),
        "message": json.dumps({"message": attack}),
        "raw": f"<html>{attack}</html>",
        "legacy": json.dumps({"error_code": attack, "message": attack}),
    }[shape]
    error = AmikaHTTPError(502, body)
    assert error.body == body  # kept raw for debugging...
    assert_clean(sanitize(error.user_message))  # ...but what is shown is clean
    assert_clean(describe_error(error))


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=ATTACK_IDS)
def test_devbox_and_agent_errors_come_out_clean(attack: str) -> None:
    for detail in (attack, f"{attack}, {attack}"):
        assert_clean(describe_error(DevboxApiError(409, detail)))
    auth = AmikaAgentAuthError(f"authentication_error {attack}", status_code=500)
    assert_clean(describe_error(auth))


@pytest.fixture(scope="module")
def escape_sim() -> Iterator[SimServer]:
    with SimServer(SECURITY_SIM) as server:
        yield server


@pytest.mark.parametrize("attack", ["osc52-bel", "osc8-link", "csi-clear", "bidi", "osc52-8bit"])
async def test_simulator_errors_quoting_hostile_names_come_out_clean(
    escape_sim: SimServer, attack: str
) -> None:
    """Names the user (or another client) chose come back inside real server error messages."""
    escape_sim.reset()
    name = f"box{ATTACKS[attack]}"
    async with AmikaClient(escape_sim.base_url, access_token=escape_sim.amika_token) as amika:
        for call in (
            lambda: amika.get_sandbox(name),
            lambda: amika.start_sandbox(name),
            lambda: amika.agent_send(name, ATTACKS[attack]),
        ):
            with pytest.raises(AmikaHTTPError) as info:  # 404: no such sandbox, quoting the name
                await call()
            assert info.value.status_code == 404
            assert ATTACKS[attack] in info.value.user_message  # the server did send the sequence back...
            assert_clean(sanitize(info.value.user_message))  # ...and what is shown is clean
            assert_clean(describe_error(info.value))
        # The server refuses some of these names (400, quoting them) and accepts others: both ways, clean.
        try:
            created: Sandbox | AmikaHTTPError = await amika.create_sandbox(name=name)
        except AmikaHTTPError as exc:
            created = exc
        if isinstance(created, AmikaHTTPError):
            assert created.status_code == 400
            assert_clean(describe_error(created))
        else:
            assert created.name == name  # kept verbatim in the model...
            assert_clean(shown(created.name))  # ...shown clean
    async with DevboxClient(
        escape_sim.base_url, sprites_token=escape_sim.sprites_token, user_token=escape_sim.user_token
    ) as devbox:
        for call, status in ((lambda: devbox.devboxes.get(name), 404),
                             (lambda: devbox.users.set_ssh_key(ATTACKS[attack]), 422)):
            with pytest.raises(DevboxApiError) as dinfo:
                await call()
            assert dinfo.value.status == status
            assert_clean(describe_error(dinfo.value))
