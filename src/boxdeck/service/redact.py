"""Keep tokens off the screen, out of logs and out of error messages.

A token is shown as a short prefix plus an ellipsis, enough for a person to tell which credential it is and
never enough to use it. The `Redactor` is the single place that knows every secret in play (configured API
tokens plus SSH tokens and agent tokens met at runtime), so every outward-bound string can be scrubbed once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

__all__ = ["MIN_SECRET_LEN", "Redactor", "mask", "redact"]

#: Shorter strings are not treated as secrets: masking "ok" or "ab" everywhere would garble ordinary text.
MIN_SECRET_LEN = 4
_ELLIPSIS = "…"


def mask(secret: str) -> str:
    """`"amk_sim_abcdef123456"` -> `"amk_s…"`: at most 6 leading characters, fully masked when short."""
    if len(secret) < 8:
        return "***"
    keep = min(6, len(secret) // 4)
    return secret[:keep] + _ELLIPSIS


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (of at least `MIN_SECRET_LEN` characters) with its mask."""
    # Longest first, so a secret that contains another is masked whole rather than around the shorter one.
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    return text


class Redactor:
    """The set of secrets known to this process; `redact()` scrubs a string of all of them.

    Secrets are only ever added (a token seen once may still sit in a scrollback or a log line). Thread-safe
    because the request log hook may run outside the event loop thread.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            known = set(self._secrets)
            known.update(s for s in secrets if s and len(s) >= MIN_SECRET_LEN)
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def __repr__(self) -> str:  # never print the secrets themselves
        return f"Redactor({len(self._secrets)} secrets)"
