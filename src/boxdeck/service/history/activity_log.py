"""The request and action log: a rotating file in the user's state dir, scrubbed of every secret.

Why a file: a live dashboard hides what it did a minute ago, and "what did boxdeck send when that box broke?"
is the first question of any bug report. Every request (method, path, status, latency) and every action the
user took (start, stop, delete, copy…) gets one line.

Why it is safe to attach to a bug report:
- Only what the clients' ``on_request`` hook hands us is logged: method, path (query string dropped — OAuth
  ``code``/``state`` and the like live there), status, latency, error text. Never headers, never bodies.
- Every line passes through the service's :class:`~boxdeck.service.text.redact.Redactor` (the configured
tokens
  and any secret value handed to :meth:`RequestLogger.add_secrets`), then SSH destinations are masked
  (``TOKEN@host`` → ``…@host``: Amika puts the SSH token in the user part) and bearer/authorization values are
  masked, then control characters are stripped (a box name with a newline cannot forge a log line).
- The file is created 0600 inside a 0700 directory, rotated at 1 MB with 3 backups.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boxdeck.service.configuration.paths import ensure_private_dir, log_file
from boxdeck.service.text.redact import Redactor
from boxdeck.service.text.sanitize import sanitize

if TYPE_CHECKING:
    from boxdeck.api import RequestRecord

__all__ = [
    "LOG_BACKUPS",
    "LOG_MAX_BYTES",
    "LineRedactor",
    "RequestLogger",
    "mask_ssh_destinations",
]

LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3

# `user@host` where the user part may be an SSH token (Amika: `<token>@ssh.amika.dev`). The user part is any
# run of non-space, non-quote characters; the host must look like a hostname or an IP.
_SSH_DEST = re.compile(r"(?<![\w.+-])[^\s@'\"<>()\[\]{},;=]+@(?=[A-Za-z0-9\[][A-Za-z0-9.\-:\[\]]*)")
# `Bearer abc`, `token=abc`, `X-Sprites-Token: abc`, `password: abc` and the like, should an error carry one.
_AUTH_VALUE = re.compile(
    r"(?i)(?:\b(bearer|basic)(\s+)"
    r"|\b(token|access_token|refresh_token|api[_-]?key|password|secret|x-[a-z-]*token)(\s*[:=]\s*))"
    r"(?!…)[^\s,;'\"&]+"
)


def mask_ssh_destinations(text: str) -> str:
    """``ssh -p 2222 tok_abc123@ssh.example.com`` → ``ssh -p 2222 …@ssh.example.com``."""
    if "@" not in text:
        return text
    return _SSH_DEST.sub("…@", text)


def _mask_auth_values(text: str) -> str:
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1) or m.group(3)}{m.group(2) or m.group(4)}…", text)


class LineRedactor:
    """Everything a log line goes through: known secrets, SSH destinations, auth-looking values, controls."""

    def __init__(self, secrets: Iterable[str | None] = (), redactor: Redactor | None = None) -> None:
        self.redactor = redactor if redactor is not None else Redactor()
        self.redactor.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        self.redactor.add(*secrets)

    def __call__(self, text: str) -> str:
        text = self.redactor.redact(text)
        text = mask_ssh_destinations(text)
        text = _mask_auth_values(text)
        return sanitize(text)


class _RedactingFormatter(logging.Formatter):
    """Formats, then redacts the whole line (message, exception text and all), so nothing bypasses it."""

    def __init__(self, redact: LineRedactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        # One physical line per record: a multi-line traceback becomes ` | `-joined.
        return self._redact(" | ".join(text.splitlines()))


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created owner-only (0600), whatever the umask."""

    def _open(self) -> Any:
        path = self.baseFilename
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # an older file created with a laxer mode
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)


class RequestLogger:
    """The request/action log. Pass ``logger.on_request`` to both clients' ``on_request=``.

    Each instance has its own non-propagating logger, so its lines never reach the root logger (Textual or a
    test runner may print those) and two instances (tests) never share handlers.
    """

    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(
        self,
        path: Path | None = None,
        *,
        secrets: Iterable[str | None] = (),
        redactor: Redactor | None = None,
        max_bytes: int = LOG_MAX_BYTES,
        backup_count: int = LOG_BACKUPS,
    ) -> None:
        self.path = Path(path) if path is not None else log_file()
        ensure_private_dir(self.path.parent)
        self.redact = LineRedactor(secrets, redactor)
        self.handler = _PrivateRotatingFileHandler(
            self.path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=False
        )
        self.handler.setFormatter(_RedactingFormatter(self.redact))
        with RequestLogger._counter_lock:
            RequestLogger._counter += 1
            n = RequestLogger._counter
        self.logger = logging.getLogger(f"boxdeck.activity.{n}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self.handler)

    def use_redactor(self, redactor: Redactor) -> None:
        """Share the service's redactor (``Service.redactor``): secrets it learns later (SSH tokens met at run
        time) are then masked here too. The secrets this log already knew are added to it."""
        redactor.add(*self.redact.redactor.secrets)
        self.redact.redactor = redactor

    def add_secrets(self, *secrets: str | None) -> None:
        """Secrets met at run time (an SSH token, a secret value the user typed) are masked from now on."""
        self.redact.add(*secrets)

    def on_request(self, record: RequestRecord) -> None:
        """The clients' hook: ``request amika GET /api/v0beta1/sandboxes 200 123ms``. Never raises."""
        try:
            path = record.path.split("?", 1)[0].split("#", 1)[0]
            status = record.status
            parts = [
                "request",
                record.api or "-",
                (record.method or "-").upper(),
                path or "/",
                str(status) if status is not None else "-",
                f"{record.latency_s * 1000:.0f}ms",
            ]
            error = record.error
            if error:
                parts.append(f"error={error}")
            level = logging.WARNING if error or (status is not None and status >= 400) else logging.INFO
            self.logger.log(level, " ".join(parts))
        except Exception:  # the log must never break a request
            return

    __call__ = on_request

    def log_action(
        self,
        action: str,
        box_name: str | None,
        backend: str | None,
        outcome: str,
        *,
        detail: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        """``action delete box=web-1 backend=amika outcome=ok``; ``secrets`` are masked from now on."""
        try:
            self.redact.add(*secrets)
            parts = [
                "action",
                action,
                f"box={box_name or '-'}",
                f"backend={backend or '-'}",
                f"outcome={outcome}",
            ]
            if detail:
                parts.append(f"detail={detail}")
            failed = outcome not in ("ok", "done", "success", "started", "requested")
            self.logger.log(logging.WARNING if failed else logging.INFO, " ".join(parts))
        except Exception:
            return

    def log_event(self, message: str) -> None:
        """A free-form line (profile switched, write access granted…), redacted like the rest."""
        with contextlib.suppress(Exception):
            self.logger.info("event %s", message)

    def log_crash(self, details: str) -> None:
        """The dashboard crashed: its traceback, redacted like every other line."""
        with contextlib.suppress(Exception):
            self.logger.error("crash %s", details)
            self.handler.flush()

    def flush(self) -> None:
        self.handler.flush()

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.handler.close()

    def __enter__(self) -> RequestLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
