"""Which ProxyCommands a profile trusts, and the error that asks for trust.

A Devbox access session may say "connect through this ProxyCommand"; ssh runs that command on the user's
machine, so it runs only once the user said yes to that exact text. The answer is kept per profile in the
user state dir (``trusted_proxies.json``, owner-only), and a profile can pre-set it in the config file
(``trusted_proxy_commands = [...]`` in its ``[profiles.NAME]`` table). The rule itself — allowed, needs
trust, refused — is :func:`boxdeck.service.access.sshcmd.decide_devbox`; this module only remembers answers.

The file is ignored when another user owns it or others may write to it: whoever can write it could trust a
command on the user's behalf.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from boxdeck.service.access.sshcmd import SshCommand, SshCommandError, Verdict, decide_devbox
from boxdeck.service.actions.errors import ActionError
from boxdeck.service.configuration.paths import atomic_write_text, read_state, state_dir
from boxdeck.service.configuration.prefs import DEFAULT_PROFILE_KEY

if TYPE_CHECKING:
    from boxdeck.api.devbox_models import AccessSession

__all__ = [
    "CONFIG_KEY",
    "ProxyTrust",
    "ProxyTrustRequired",
    "checked_devbox_command",
    "toml_string",
    "trust_file",
]

#: The profile key that pre-sets trusted proxy commands in the config file.
CONFIG_KEY: Final = "trusted_proxy_commands"
_FILE_VERSION = 1
_MAX_REMEMBERED = 200


def trust_file() -> Path:
    """Where the answers are remembered (the user state dir)."""
    return state_dir() / "trusted_proxies.json"


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (JSON's escaping is valid TOML for printable text)."""
    return json.dumps(text, ensure_ascii=False)


class ProxyTrust:
    """The proxy commands one profile trusts: pre-set ones plus remembered answers.

    ``path=None`` keeps answers in memory only (nothing is read or written); the service passes
    :func:`trust_file`. ``command in trust`` re-reads the file on a miss, so a "yes" given in one boxdeck is
    seen by another running at the same time.
    """

    def __init__(
        self,
        profile: str | None = None,
        preset: Iterable[str] = (),
        *,
        path: Path | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.profile = profile
        self.path = path
        self.config_path = config_path
        self.preset = frozenset(preset)
        self._lock = threading.Lock()
        self._remembered: set[str] = set()
        #: Why the file was ignored, if it was (for a debug line).
        self.load_error: str | None = None
        self._reload()

    @property
    def _key(self) -> str:
        return self.profile or DEFAULT_PROFILE_KEY

    def _read_file(self) -> dict[str, list[str]]:
        if self.path is None:
            return {}
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.load_error = f"ignored unreadable {self.path}: {type(exc).__name__}"
            return {}
        getuid = getattr(os, "getuid", None)
        if os.name == "posix" and (stat.S_IMODE(st.st_mode) & 0o022 or (getuid and st.st_uid != getuid())):
            self.load_error = f"ignored {self.path}: other users can write it or own it"
            return {}
        profiles, self.load_error = read_state(self.path, "profiles", "trusted ProxyCommands")
        return {
            str(name): [c for c in commands if isinstance(c, str)]
            for name, commands in profiles.items()
            if isinstance(commands, list)
        }

    def _reload(self) -> None:
        with self._lock:
            self._remembered.update(self._read_file().get(self._key, ()))

    def __contains__(self, command: object) -> bool:
        if not isinstance(command, str):
            return False
        if command in self.preset or command in self._remembered:
            return True
        self._reload()
        return command in self._remembered

    def trust(self, command: str) -> None:
        """Trust `command` from now on (this run at once); ``OSError`` when the answer could not be saved."""
        with self._lock:
            self._remembered.add(command)
            if self.path is None:
                return
            data = self._read_file()
            commands = [c for c in data.get(self._key, []) if c != command]
            data[self._key] = [*commands, command][-_MAX_REMEMBERED:]
            text = json.dumps({"version": _FILE_VERSION, "profiles": data}, indent=1, sort_keys=True)
        atomic_write_text(self.path, text + "\n")

    def how_to_trust(self, command: str) -> str:
        """The sentence a refusal ends with: exactly where to say yes."""
        entry = f"{CONFIG_KEY} = [{toml_string(command)}]"
        where = f" of {self.config_path}" if self.config_path is not None else ""
        if self.profile:
            return (
                f"To trust it, add it to the [profiles.{self.profile}] table{where}:\n    {entry}\n"
                f"or connect to the box once from the dashboard (boxdeck --profile {self.profile}) and "
                "answer yes."
            )
        return (
            "To trust it, connect to the box once from the dashboard (boxdeck) and answer yes, or put the "
            f"account in a profile{where} with:\n    {entry}"
        )


class ProxyTrustRequired(ActionError):
    """SSH to a box would run a ProxyCommand its profile has not trusted.

    ``str(e)`` is the non-interactive refusal (what to trust and how); the dashboard instead shows
    ``proxy_command`` and asks, then calls ``trust.trust(proxy_command)`` and takes :meth:`approved`.
    """

    def __init__(self, what: str, proxy_command: str, command: SshCommand, trust: ProxyTrust,
                 box_key: str | None = None, *, shown: str | None = None) -> None:
        self.what = what
        self.proxy_command = proxy_command
        #: The proxy command as it may be shown: known secrets masked (the trust key is the exact text).
        self.shown = shown if shown is not None else proxy_command
        self.command = command
        self.trust = trust
        #: The access session the command belongs to, when one was opened for it (it can be revoked).
        self.session: AccessSession | None = None
        profile = f"profile {trust.profile!r}" if trust.profile else "this account"
        super().__init__(
            f"Not connecting to {what}: its SSH access runs this ProxyCommand on this computer, and "
            f"{profile} has not trusted it:\n    {self.shown}\n{trust.how_to_trust(self.shown)}",
            box_key,
        )

    def approved(self) -> SshCommand:
        """The command, once its proxy command is trusted; :class:`SshCommandError` while it is not."""
        if self.proxy_command not in self.trust:
            raise SshCommandError("the ProxyCommand has not been trusted")
        return self.command


def checked_devbox_command(
    session: AccessSession,
    trust: ProxyTrust,
    *,
    what: str,
    box_key: str | None = None,
    scrub: Callable[[str], str] | None = None,
) -> SshCommand:
    """The access session's command under :func:`~boxdeck.service.access.sshcmd.decide_devbox` with this
    profile's
    trust: returned when allowed; :class:`ProxyTrustRequired` when it needs trust; :class:`SshCommandError`
    when refused. ``scrub`` masks known secrets in the proxy command as shown."""
    decision = decide_devbox(session, trust)
    if decision.verdict is Verdict.NEEDS_TRUST:
        assert decision.command is not None and decision.proxy_command is not None
        shown = scrub(decision.proxy_command) if scrub is not None else decision.proxy_command
        raise ProxyTrustRequired(what, decision.proxy_command, decision.command, trust, box_key, shown=shown)
    if decision.command is None:
        raise SshCommandError(decision.reason)
    return decision.command
