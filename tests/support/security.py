"""Shared bits of the security tests: distinctive tokens, a simulator configured with them, text checks."""

from __future__ import annotations

import re
from collections.abc import Iterable

from boxdeck.sim import SimConfig

#: Distinctive tokens: long, unique, easy to grep for in everything a test captures.
AMIKA_TOKEN = "amk_SECURITY_CANARY_8d1f6a2b7c9e4f30"
SPRITES_TOKEN = "spr_SECURITY_CANARY_3e7b9c1d5a2f8e64"
USER_TOKEN = "usr_SECURITY_CANARY_c4a8e2f6b1d9073a"
CLAUDE_TOKEN = "cl_SECURITY_CANARY_77aa33bb11cc99dd"
TOKENS = (AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN, CLAUDE_TOKEN)

SECURITY_SIM = SimConfig(
    seed=23,
    manual_clock=True,
    failure_rate=0.0,
    fault_rate=0.0,
    amika_token=AMIKA_TOKEN,
    sprites_token=SPRITES_TOKEN,
    user_token=USER_TOKEN,
)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Each (secret, where) pair found: the full secret anywhere in the captured texts."""
    found = []
    secrets = tuple(secrets)
    for text in texts:
        for secret in secrets:
            if secret in text:
                at = text.index(secret)
                found.append(f"{secret[:8]}… in {text[max(0, at - 80) : at + 20]!r}")
    return found


def has_terminal_control(text: str, *, allow_newlines: bool = False) -> bool:
    if _CONTROL.search(text):
        return True
    return not allow_newlines and any(c in text for c in "\n\t\r\u2028\u2029")
