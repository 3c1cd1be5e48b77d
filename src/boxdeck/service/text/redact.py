"""Keep tokens off the screen, out of logs and out of error messages.

A token is shown as a short prefix plus an ellipsis, enough for a person to tell which credential it is and
never enough to use it. The `Redactor` is the single place that knows every secret in play (configured API
tokens plus SSH tokens and agent tokens met at runtime), so every outward-bound string can be scrubbed once.

What any `Redactor` learns is also known process-wide, because a server may put a secret anywhere — a box
name, a repo, an error, an agent's reply — and the text shown on screen is built by pure functions far from
any service. `mask_known` masks all of it; `boxdeck.service.text.sanitize.shown`, the one function server
text goes
through on its way to the screen, calls it.

Values the user typed and boxdeck does not otherwise keep (a secret's value, an agent token for one create)
are learnt with `Redactor.add_typed`: only a keyed digest of each is kept, with the characters its mask shows
anyway, so they can be found and masked in text without being held in memory.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as _random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MIN_SECRET_LEN", "Redactor", "forget_known", "mask", "mask_known", "mask_library_logs", "redact",
]

#: Shorter strings are not treated as secrets: masking "ok" or "ab" everywhere would garble ordinary text.
MIN_SECRET_LEN = 4
_ELLIPSIS = "…"


def mask(secret: str) -> str:
    """`"amk_sim_abcdef123456"` -> `"amk_s…"`: at most 6 leading characters, fully masked when short."""
    if len(secret) < 8:
        return "***" if secret != "***" else "****"  # never the secret itself
    keep = min(6, len(secret) // 4)
    return secret[:keep] + _ELLIPSIS


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (of at least `MIN_SECRET_LEN` characters) with its mask."""
    # Longest first, so a secret that contains another is masked whole rather than around the shorter one.
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    return text


_KEY = _random.token_bytes(32)  # per process: a digest is worthless outside it


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), key=_KEY, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class _Typed:
    """A typed value, known only by its digest: ``head`` is where it starts (what its mask shows anyway)."""

    head: str
    length: int
    digest: bytes
    shown: str

    @classmethod
    def of(cls, value: str) -> _Typed:
        shown = mask(value)
        head = value[: max(1, len(shown) - len(_ELLIPSIS))] if shown.endswith(_ELLIPSIS) else value[:1]
        return cls(head, len(value), _digest(value), shown)

    def mask_in(self, text: str) -> str:
        start = text.find(self.head)
        if start < 0:
            return text
        parts: list[str] = []
        done = 0
        while start >= 0:
            end = start + self.length
            if end <= len(text) and _digest(text[start:end]) == self.digest:
                parts += [text[done:start], self.shown]
                done = end
                start = text.find(self.head, end)
            else:
                start = text.find(self.head, start + 1)
        return "".join(parts) + text[done:] if parts else text


class _Known:
    """Every secret this process has learnt, for `mask_known`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secrets: tuple[str, ...] = ()
        self.typed: tuple[_Typed, ...] = ()

    def add(self, secrets: Iterable[str | None]) -> None:
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN} - set(self.secrets)
        if new:
            with self._lock:
                known = set(self.secrets) | new
                self.secrets = tuple(sorted(known, key=len, reverse=True))

    def add_typed(self, values: Iterable[str | None]) -> None:
        new = [_Typed.of(v) for v in values if v and len(v) >= MIN_SECRET_LEN]
        with self._lock:
            have = {t.digest for t in self.typed}
            fresh = [t for t in new if t.digest not in have]
            if fresh:  # longest first, as for the secrets
                self.typed = tuple(sorted((*self.typed, *fresh), key=lambda t: t.length, reverse=True))

    def clear(self) -> None:
        with self._lock:
            self.secrets, self.typed = (), ()

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, mask(secret))
        for typed in self.typed:
            text = typed.mask_in(text)
        return text


_known = _Known()


def forget_known() -> None:
    """Forget every secret learnt in this process: one process that runs several accounts one after another
    (a test suite) starts each afresh, so what one learnt never changes what another shows."""
    _known.clear()


def mask_known(text: str) -> str:
    """`text` with every secret any `Redactor` in this process has learnt masked."""
    if not text or not (_known.secrets or _known.typed):
        return text
    return _known.mask(text)


class _MaskingFilter(logging.Filter):
    """Masks known secrets in a library's log records: httpx logs every request's URL, and a URL holds the
    name of the box acted on, which a server may have filled with a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known.secrets or _known.typed:
            message = record.getMessage()
            masked = _known.mask(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True


def mask_library_logs(*names: str) -> None:
    """Have the named libraries' loggers (default: httpx) mask known secrets; idempotent. Costs nothing while
    their records are not enabled (httpx's are at INFO, below the default WARNING)."""
    for name in names or ("httpx",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _MaskingFilter) for f in logger.filters):
            logger.addFilter(_MaskingFilter())


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
        _known.add(secrets)

    def add_typed(self, *values: str | None) -> None:
        """Values the user typed (a secret's value, an agent token): masked from now on, never kept."""
        _known.add_typed(values)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def redact(self, text: str) -> str:
        return mask_known(redact(text, self._secrets))

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def __repr__(self) -> str:  # never print the secrets themselves
        return f"Redactor({len(self._secrets)} secrets)"
