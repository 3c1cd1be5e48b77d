"""Where a token comes from: the config file itself, an environment variable, or a command's output.

A profile names a token source instead of (or besides) holding the token, so secrets can live in a password
manager (``command = "pass show amika"``) or in the environment (``env = "AMIKA_API_KEY"``) and the config
file can then be shared or world-readable. The spec forms accepted in the TOML file::

    amika_token = { value = "amk_..." }         # inline: the file must be owner-only (chmod 600)
    amika_token = "amk_..."                     # same as { value = ... }
    amika_token = { env = "AMIKA_API_KEY" }
    amika_token = { command = "pass show amika", ttl = 300 }

Every source has a synchronous ``token() -> str``, which satisfies ``boxdeck.api.TokenSource`` (the clients
accept a sync or async ``token()``), and an ``atoken()`` that runs it in a thread so a slow password manager
never blocks the event loop. Errors (:class:`TokenSourceError`) say which source failed and how to fix it;
they never contain the token nor the command's output (a failing ``pass`` may still print half a secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "COMMAND_OUTPUT_LIMIT",
    "COMMAND_TIMEOUT_S",
    "COMMAND_TTL_S",
    "CommandTokenSource",
    "EnvTokenSource",
    "SyncTokenSource",
    "TokenSourceError",
    "TokenSpec",
    "ValueTokenSource",
    "parse_token_spec",
    "run_capped",
]

COMMAND_TIMEOUT_S = 10.0
COMMAND_TTL_S = 300.0
#: The most a token command may print: a token is a line, a `pass` entry a few more.
COMMAND_OUTPUT_LIMIT = 64 * 1024


class TokenSourceError(Exception):
    """A token could not be obtained. ``str(e)`` is user-facing and never holds the token."""


class OutputTooLarge(Exception):
    """A command printed more than it was allowed to; it was killed."""


def run_capped(
    argv: list[str], *, timeout: float, max_output: int = COMMAND_OUTPUT_LIMIT
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` without a shell and return what it printed on stdout, at most ``max_output`` bytes.

    ``subprocess.run(capture_output=True)`` keeps everything a command prints, so a command that prints
    forever eats memory until the timeout. Here stdout is read up to the cap and the command is killed past
    it (``OutputTooLarge``) or past ``timeout`` (``subprocess.TimeoutExpired``). Stdin is closed and stderr
    discarded (it is never shown: it may hold part of a secret). The command runs in its own process group,
    killed whole, so a helper it started cannot keep the pipe open after the timeout.
    """
    posix = os.name == "posix"
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, shell=False,
        start_new_session=posix,
    )
    expired = threading.Event()

    def kill() -> None:
        if posix:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.kill()

    def on_timeout() -> None:
        expired.set()
        kill()

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        assert proc.stdout is not None
        out = proc.stdout.read(max_output + 1)
        if len(out) > max_output:
            kill()
            raise OutputTooLarge(max_output)
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if expired.is_set():
        raise subprocess.TimeoutExpired(argv, timeout)
    return subprocess.CompletedProcess(argv, proc.returncode, out, b"")


@runtime_checkable
class SyncTokenSource(Protocol):
    """What every source here provides (a structural match for ``boxdeck.api.TokenSource``)."""

    def token(self) -> str: ...

    def describe(self) -> str: ...


class ValueTokenSource:
    """A token written in the config file (or passed on the command line)."""

    def __init__(self, value: str) -> None:
        if not value:
            raise TokenSourceError("the inline token value is empty")
        self._value = value

    def token(self) -> str:
        return self._value

    async def atoken(self) -> str:
        return self._value

    def invalidate(self) -> None:
        """Nothing to refresh: the value is fixed."""

    def describe(self) -> str:
        return "inline value"

    def __repr__(self) -> str:  # never show the value, even in a traceback or a debugger
        return "ValueTokenSource(<hidden>)"


class EnvTokenSource:
    """A token read from an environment variable each time it is asked for (so a re-export is picked up)."""

    def __init__(self, name: str, environ: Mapping[str, str] | None = None) -> None:
        if not name or "=" in name or "\0" in name:
            raise TokenSourceError(f"invalid environment variable name {name!r}")
        self.name = name
        self._environ = environ

    def token(self) -> str:
        env = os.environ if self._environ is None else self._environ
        value = env.get(self.name, "").strip()
        if not value:
            raise TokenSourceError(f"environment variable {self.name} is not set (or empty)")
        return value

    async def atoken(self) -> str:
        return self.token()

    def invalidate(self) -> None:
        """Nothing cached: the environment is read on every call."""

    def describe(self) -> str:
        return f"environment variable {self.name}"

    def __repr__(self) -> str:
        return f"EnvTokenSource({self.name!r})"


Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


class CommandTokenSource:
    """A token printed by a command (a password manager), cached for ``ttl`` seconds.

    The command is split with :func:`shlex.split` and run without a shell (no injection through the config
    file, no surprises with quoting), with a timeout, stdin closed and at most ``COMMAND_OUTPUT_LIMIT`` bytes
    of stdout read (:func:`run_capped`); surrounding whitespace is stripped. The result is cached so a
    password manager is not asked on every request; ``invalidate()`` (e.g. after a 401) makes the next
    ``token()`` run the command again. Thread-safe: two callers racing for a stale token run the command once.
    """

    def __init__(
        self,
        command: str | list[str] | tuple[str, ...],
        *,
        ttl: float = COMMAND_TTL_S,
        timeout: float = COMMAND_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        runner: Runner = run_capped,
    ) -> None:
        if isinstance(command, str):
            try:
                argv = shlex.split(command)
            except ValueError as exc:
                raise TokenSourceError(f"cannot parse token command: {exc}") from None
        else:
            argv = [str(a) for a in command]
        if not argv:
            raise TokenSourceError("the token command is empty")
        self.argv: tuple[str, ...] = tuple(argv)
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._runner = runner
        self._cached: str | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    @property
    def program(self) -> str:
        """The program name only: the arguments might hold something sensitive (a vault path, a key id)."""
        return os.path.basename(self.argv[0])

    def describe(self) -> str:
        return f"command {self.program!r}"

    def __repr__(self) -> str:
        return f"CommandTokenSource({self.program!r})"

    def invalidate(self) -> None:
        """Forget the cached token: the next ``token()`` runs the command again."""
        with self._lock:
            self._cached = None

    def token(self) -> str:
        with self._lock:
            if self._cached is not None and (self._clock() - self._fetched_at) < self.ttl:
                return self._cached
            value = self._run()
            self._cached = value
            self._fetched_at = self._clock()
            return value

    async def atoken(self) -> str:
        """``token()`` in a worker thread: a password manager may take seconds (or prompt for a PIN)."""
        return await asyncio.to_thread(self.token)

    def _run(self) -> str:
        where = f"token command {self.program!r}"
        try:
            proc = self._runner(list(self.argv), timeout=self.timeout, max_output=COMMAND_OUTPUT_LIMIT)
        except OutputTooLarge:
            raise TokenSourceError(
                f"{where} printed more than {COMMAND_OUTPUT_LIMIT // 1024} KiB; a token command should print "
                "the token (on its first line)"
            ) from None
        except FileNotFoundError:
            raise TokenSourceError(f"{where} not found (is it installed and on PATH?)") from None
        except PermissionError:
            raise TokenSourceError(f"{where} is not executable") from None
        except subprocess.TimeoutExpired:
            raise TokenSourceError(f"{where} timed out after {self.timeout:g} s") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise TokenSourceError(f"{where} could not be run ({reason})") from None
        if proc.returncode != 0:
            # Deliberately not quoting stderr/stdout: either may contain part of the secret.
            raise TokenSourceError(f"{where} failed with exit status {proc.returncode}")
        out = proc.stdout
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out or "")
        value = text.strip()
        if not value:
            raise TokenSourceError(f"{where} printed nothing")
        if "\n" in value or "\r" in value:
            # `pass show` prints the password on the first line and metadata after it: take the first line.
            value = value.splitlines()[0].strip()
            if not value:
                raise TokenSourceError(f"{where} printed an empty first line")
        return value


@dataclass(frozen=True)
class TokenSpec:
    """A parsed token spec from the config file: exactly one of value / env / command.

    ``repr`` hides an inline value, so a spec can be printed or logged safely.
    """

    kind: str  # "value" | "env" | "command"
    value: str | None = None
    env: str | None = None
    command: str | None = None
    ttl: float = COMMAND_TTL_S

    @property
    def is_inline(self) -> bool:
        """True when the secret itself is in the file (which then must be owner-only)."""
        return self.kind == "value"

    def source(self, environ: Mapping[str, str] | None = None, **command_kwargs: Any) -> SyncTokenSource:
        """Build the live source; ``environ`` is for env sources (default ``os.environ`` at call time)."""
        if self.kind == "value":
            return ValueTokenSource(self.value or "")
        if self.kind == "env":
            return EnvTokenSource(self.env or "", environ)
        return CommandTokenSource(self.command or "", ttl=self.ttl, **command_kwargs)

    def describe(self) -> str:
        if self.kind == "value":
            return "inline value"
        if self.kind == "env":
            return f"environment variable {self.env}"
        argv0 = (self.command or "").split()[:1]
        return f"command {os.path.basename(argv0[0]) if argv0 else ''!r}"

    def __repr__(self) -> str:
        if self.kind == "value":
            return "TokenSpec(kind='value', value=<hidden>)"
        if self.kind == "env":
            return f"TokenSpec(kind='env', env={self.env!r})"
        return f"TokenSpec(kind='command', command={self.command!r}, ttl={self.ttl!r})"


def parse_token_spec(raw: object, where: str) -> TokenSpec:
    """Parse a token spec from TOML. ``where`` (e.g. ``profiles.work.amika_token``) goes into error messages.

    Raises :class:`TokenSourceError` for a malformed spec; the message names the key, never the value.
    """
    if isinstance(raw, str):
        if not raw.strip():
            raise TokenSourceError(f"{where}: the token is empty")
        return TokenSpec(kind="value", value=raw.strip())
    if not isinstance(raw, dict):
        raise TokenSourceError(
            f"{where}: expected a string or a table like {{ env = \"NAME\" }}, got {type(raw).__name__}"
        )
    kinds = [k for k in ("value", "env", "command") if k in raw]
    unknown = sorted(set(raw) - {"value", "env", "command", "ttl"})
    if unknown:
        raise TokenSourceError(f"{where}: unknown key(s) {', '.join(unknown)} (use value, env or command)")
    if len(kinds) != 1:
        raise TokenSourceError(f"{where}: give exactly one of value, env or command")
    kind = kinds[0]
    val = raw[kind]
    if not isinstance(val, str) or not val.strip():
        raise TokenSourceError(f"{where}.{kind}: expected a non-empty string")
    ttl = raw.get("ttl", COMMAND_TTL_S)
    if "ttl" in raw and kind != "command":
        raise TokenSourceError(f"{where}.ttl: only a command source is cached")
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
        raise TokenSourceError(f"{where}.ttl: expected a number of seconds >= 0")
    if kind == "command":
        try:
            if not shlex.split(val):
                raise TokenSourceError(f"{where}.command: the command is empty")
        except ValueError as exc:
            raise TokenSourceError(f"{where}.command: cannot parse: {exc}") from None
        return TokenSpec(kind="command", command=val, ttl=float(ttl))
    if kind == "env":
        return TokenSpec(kind="env", env=val.strip())
    return TokenSpec(kind="value", value=val.strip())
