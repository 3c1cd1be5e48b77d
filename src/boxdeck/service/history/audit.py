"""Every user action, logged with its outcome — at the one place each kind of action passes through.

The UI runs actions from many screens, modals and bulk selections, but each kind goes through one service
object: box lifecycle and SSH commands through :class:`~boxdeck.service.actions.actions.Actions`, secrets
through ``SecretStore``, sessions through ``SandboxSessions``/``SshGrants``, access through ``DevboxAccess``,
the account through ``Account`` and prompts through ``Conversations``. :func:`audit` wraps the methods that
*do* something on one such object (an instance, never the class), so every caller is logged without each one
remembering to, and the outcome is exact: ``ok`` when the call returned, ``failed`` with the (already
redacted) error text when it raised, ``cancelled`` when it was cancelled.

What is logged is chosen per method (:data:`AUDITED`): the action's name, the box or object it was about, and
harmless details (a scope, a status). Secret values, prompt texts, SSH keys and metadata are never read from
the arguments; the secrets a call *returns* (an SSH token, an access command) are handed to the log's
redactor so any later line that happens to contain them is masked.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from boxdeck.api.amika_models import SSHInfo
from boxdeck.api.devbox_models import AccessSession
from boxdeck.service.access.sshcmd import SshCommand
from boxdeck.service.boxes import Box

__all__ = ["AUDITED", "ActionLog", "Audited", "audit"]


class ActionLog(Protocol):
    def __call__(
        self,
        action: str,
        box: str | None = None,
        backend: str | None = None,
        outcome: str = "ok",
        *,
        detail: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Audited:
    """How to log one method: its action name, what it is about and which safe details to add."""

    action: str
    subject: Callable[[tuple[Any, ...], dict[str, Any]], tuple[str | None, str | None]]
    detail: Callable[[tuple[Any, ...], dict[str, Any]], str | None] = lambda a, k: None
    returned_secrets: Callable[[Any], tuple[str, ...]] = lambda result: ()


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else None


def _box(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str | None, str | None]:
    box = _arg(args, kwargs, 0, "box")
    return (box.name, box.backend.value) if isinstance(box, Box) else (None, None)


def _named(backend: str, index: int = 0, name: str = "name") -> Callable[..., tuple[str | None, str | None]]:
    def subject(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str | None, str | None]:
        value = _arg(args, kwargs, index, name)
        return (str(value) if value not in (None, "") else None), backend

    return subject


def _nothing(backend: str) -> Callable[..., tuple[str | None, str | None]]:
    return lambda args, kwargs: (None, backend)


def _fields(*pairs: tuple[int, str]) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """``name=value`` for the given (position, name) arguments that are set — only for harmless ones."""

    def detail(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        parts = [f"{name}={value}" for index, name in pairs if (value := _arg(args, kwargs, index, name))]
        return " ".join(parts) or None

    return detail


def _ssh_secrets(result: object) -> tuple[str, ...]:
    """The secrets of an ``SshCommand``, an ``SSHInfo`` or an ``(AccessSession, SshCommand)`` pair."""
    items = result if isinstance(result, tuple) else (result,)
    out: list[str] = []
    for item in items:
        if isinstance(item, SshCommand):
            out.extend(item.secrets)
        elif isinstance(item, SSHInfo):
            out.append(item.token)
        elif isinstance(item, AccessSession):
            out.append(item.command)
    return tuple(s for s in out if s)


#: Class name -> method name -> how it is logged. Matched by class name: the audited classes are not imported
#: here, and none of them knows it is audited.
AUDITED: Mapping[str, Mapping[str, Audited]] = {
    "Actions": {
        "start": Audited("start", _box),
        "stop": Audited("stop", _box),
        "delete": Audited("delete", _box),
        "create_sandbox": Audited("create", _named("amika", 99, "name")),
        "create_devbox": Audited("create", _named("devbox")),
        "ssh_command": Audited("ssh-command", _box, returned_secrets=_ssh_secrets),
    },
    "SecretStore": {
        # create(name, value, scope): the value is never read.
        "create": Audited("secret-create", _named("amika"), _fields((2, "scope"))),
        "update": Audited("secret-update", _named("amika", 99, "name"), _fields((0, "secret_id"))),
        "create_provider": Audited(
            "provider-secret-create", _named("amika", 1), _fields((0, "provider"), (2, "type"))
        ),
        "delete_provider": Audited(
            "provider-secret-delete", _named("amika", 99, "name"), _fields((0, "provider"), (1, "secret_id"))
        ),
    },
    "SandboxSessions": {
        "create": Audited("session-create", _named("amika", 0, "sandbox")),
        "mark": Audited(
            "session-mark", _named("amika", 0, "sandbox"), _fields((1, "session_id"), (2, "status"))
        ),
        "update_metadata": Audited(
            "session-metadata", _named("amika", 0, "sandbox"), _fields((1, "session_id"))
        ),
    },
    "SshGrants": {
        "current": Audited("ssh-grant", _named("amika", 0, "sandbox"), returned_secrets=_ssh_secrets),
        "revoke": Audited("ssh-revoke", _named("amika", 0, "sandbox")),
    },
    "DevboxAccess": {
        "create": Audited("access-create", _named("devbox", 0, "devbox_id"), returned_secrets=_ssh_secrets),
        "revoke": Audited("access-revoke", _named("devbox", 0, "devbox_id"), _fields((1, "session_id"))),
    },
    "Account": {
        "set_ssh_key": Audited("ssh-key-set", _nothing("devbox")),
        "delete_ssh_key": Audited("ssh-key-delete", _nothing("devbox")),
        "start_connect": Audited("github-connect", _nothing("devbox")),
        "disconnect": Audited("github-disconnect", _nothing("devbox")),
        "save_org_grants": Audited("github-org-grants", _nothing("devbox")),
    },
    "Conversations": {
        # send(sandbox, message, …): the prompt text is never read.
        "send": Audited("agent-send", _named("amika", 0, "sandbox"), _fields((99, "agent"))),
    },
}

_MARK = "_boxdeck_audited"


def _wrap(method: Callable[..., Any], spec: Audited, log: ActionLog) -> Callable[..., Any]:
    @functools.wraps(method)
    async def logged(*args: Any, **kwargs: Any) -> Any:
        try:
            box, backend = spec.subject(args, kwargs)
            detail = spec.detail(args, kwargs)
        except Exception:  # describing the call must never stop it
            box, backend, detail = None, None, None
        try:
            result = await method(*args, **kwargs)
        except asyncio.CancelledError:
            log(spec.action, box, backend, "cancelled", detail=detail)
            raise
        except Exception as error:
            reason = str(error) or type(error).__name__
            log(spec.action, box, backend, "failed", detail=f"{detail} {reason}" if detail else reason)
            raise
        try:
            secrets = spec.returned_secrets(result)
        except Exception:
            secrets = ()
        log(spec.action, box, backend, "ok", detail=detail, secrets=secrets)
        return result

    return logged


class _AuditedProxy:
    """Stands in for an object whose methods cannot be replaced (``__slots__``): the audited methods are
    wrapped, everything else is the object's own."""

    def __init__(self, target: Any, methods: Mapping[str, Callable[..., Any]]) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_methods", dict(methods))
        object.__setattr__(self, _MARK, True)

    def __getattr__(self, name: str) -> Any:
        methods = object.__getattribute__(self, "_methods")
        if name in methods:
            return methods[name]
        return getattr(object.__getattribute__(self, "_target"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)

    def __repr__(self) -> str:
        return f"audited({object.__getattribute__(self, '_target')!r})"


def audit(obj: Any, log: ActionLog) -> Any:
    """``obj`` with its action methods (per :data:`AUDITED`) logged on every call. **Use the return value**:
    it is ``obj`` itself (methods replaced on the instance) or, for a class with ``__slots__``, a proxy.

    Idempotent (an audited object comes back as is), and a no-op for objects of other classes or ``None``.
    """
    if obj is None or getattr(obj, _MARK, False):
        return obj
    specs = AUDITED.get(type(obj).__name__)
    if not specs:
        return obj
    wrapped = {
        name: _wrap(method, spec, log)
        for name, spec in specs.items()
        if (method := getattr(obj, name, None)) is not None
    }
    try:
        for name, method in wrapped.items():
            setattr(obj, name, method)
        setattr(obj, _MARK, True)
    except AttributeError:  # __slots__: the instance takes no new attributes
        return _AuditedProxy(obj, wrapped)
    return obj
