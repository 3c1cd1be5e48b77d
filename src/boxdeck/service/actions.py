"""User actions on boxes, with optimistic pending state and errors a user can read.

Every action marks its row pending before the request goes out (the table reacts to the key press, not to the
server's latency), clears the mark when the request fails, and pokes the monitor so the following polls run
at the busy pace. Every failure becomes one `ActionError` whose text names the box and carries the server's
own message — sanitized, because it is server text on its way to the terminal, and redacted, because it may
echo a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from boxdeck.api.amika_models import SnapshotMode
from boxdeck.service.boxes import (
    PENDING_CREATING,
    PENDING_DELETING,
    PENDING_SNAPSHOTTING,
    PENDING_STARTING,
    PENDING_STOPPING,
    Backend,
    Box,
    StateKind,
)
from boxdeck.service.errors import ActionError, describe_error, error_status
from boxdeck.service.hostkeys import HostKeyError, KnownHosts, vouch
from boxdeck.service.monitor import Monitor
from boxdeck.service.redact import Redactor, redact
from boxdeck.service.sandbox_snapshots import (
    SnapshotError,
    SnapshotInputError,
    Snapshots,
    boot_fields,
    validate_description,
    validate_mode,
    validate_snapshot_name,
)
from boxdeck.service.ssh_trust import ProxyTrust, ProxyTrustRequired, checked_devbox_command
from boxdeck.service.sshcmd import AMIKA_DESTINATION_SHAPE, SshCommand, SshCommandError, amika_ssh_command
from boxdeck.service.text import single_line
from boxdeck.service.validation import SandboxNameError, validate_sandbox_name

__all__ = ["MUTATING_ACTIONS", "ActionError", "Actions", "ProxyTrustRequired"]

#: Actions that change a box; `read_only` refuses exactly these. SSH access is not among them: it reads.
#: A snapshot is: it makes a resource, and the default mode deletes the sandbox it captures.
MUTATING_ACTIONS = frozenset({"start", "stop", "delete", "create", "snapshot", "delete_snapshot"})


def _q(name: str) -> str:
    return f'"{single_line(name, limit=80)}"'


class Actions:
    def __init__(
        self,
        monitor: Monitor,
        *,
        read_only: bool = False,
        redactor: Redactor | None = None,
        proxy_trust: ProxyTrust | None = None,
        known_hosts: KnownHosts | None = None,
    ) -> None:
        self.monitor = monitor
        self.read_only = read_only
        """Plain attribute on purpose: a later "grant write access for N minutes" key just flips it."""
        self.redactor = redactor if redactor is not None else monitor.redactor
        self.proxy_trust = proxy_trust if proxy_trust is not None else ProxyTrust()
        """The ProxyCommands this profile trusts (in memory only unless the service passes a stored one)."""
        self.known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        """The host keys boxdeck vouches for: a command to a pinned host accepts only that key."""

    # ------------------------------------------------------------------ what is allowed

    def refusal(self, action: str, box: Box | None = None) -> str | None:
        """Why `action` can't be done on `box` now, or None when it can (for `check_action` dimming)."""
        if action in MUTATING_ACTIONS and self.read_only:
            return f"read-only mode: {action} is turned off"
        if box is None:
            return None if action == "create" else "no box selected"
        if action in ("start", "stop") and box.backend is Backend.DEVBOX:
            return f"the Devbox API has no {action}: devboxes can only be created and deleted"
        if action == "snapshot" and box.backend is Backend.DEVBOX:
            return "the Devbox API has no snapshots"
        if action in ("ssh", "snapshot") and box.kind is not StateKind.READY:
            return f"{_q(box.name)} is not ready ({single_line(box.display_state, limit=40)})"
        if action == "delete" and box.pending == PENDING_DELETING:
            return f"{_q(box.name)} is already being deleted"
        if action == "delete" and box.state_kind is StateKind.GONE:
            return f"{_q(box.name)} is already {single_line(box.state, limit=40)}"
        if action == "start" and box.state_kind is StateKind.READY:
            return f"{_q(box.name)} is already running"
        if action == "stop" and box.state_kind is StateKind.STOPPED:
            return f"{_q(box.name)} is already stopped"
        return None

    def _check_writable(self, action: str, box: Box | None, what: str) -> None:
        if self.read_only:
            raise ActionError(f"read-only mode: not allowed to {action} {what}", box.key if box else None)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, box: Box) -> None:
        self._check_writable("start", box, _q(box.name))
        self._no_devbox_lifecycle("start", box)
        amika = self._amika(box)
        await self._pending_call(box, "start", PENDING_STARTING, lambda: amika.start_sandbox(box.ref))

    async def stop(self, box: Box) -> None:
        self._check_writable("stop", box, _q(box.name))
        self._no_devbox_lifecycle("stop", box)
        amika = self._amika(box)
        await self._pending_call(box, "stop", PENDING_STOPPING, lambda: amika.stop_sandbox(box.ref))

    async def delete(self, box: Box) -> None:
        self._check_writable("delete", box, _q(box.name))
        if box.backend is Backend.AMIKA:
            amika = self._amika(box)
            call: Callable[[], Awaitable[Any]] = lambda: amika.delete_sandbox(box.ref)  # noqa: E731
        else:
            devbox = self._devbox(box)
            call = lambda: devbox.devboxes.delete(box.ref)  # noqa: E731
        # A 404 means it is gone already, which is what the user asked for.
        await self._pending_call(box, "delete", PENDING_DELETING, call, ok_statuses=(404,))

    async def create_sandbox(self, **fields: Any) -> Box:
        """Create an Amika sandbox (wire field names); the returned box is already in the snapshot.

        The name is checked first (:func:`~boxdeck.service.validation.validate_sandbox_name`; a refused one
        is an ActionError and nothing is sent). An empty or missing name is left out of the request, so the
        server picks one.
        """
        raw = fields.get("name")
        what = f"sandbox {_q(str(raw))}" if raw else "a sandbox"
        self._check_writable("create", None, what)
        if raw is not None:
            try:
                name = validate_sandbox_name(raw)
            except SandboxNameError as exc:
                raise ActionError(f"Couldn't create the sandbox: {exc}") from None
            fields = {**fields, "name": name} if name else {k: v for k, v in fields.items() if k != "name"}
            what = f"sandbox {_q(name)}" if name else "a sandbox"
        if self.monitor.amika is None:
            raise ActionError("Amika is not configured: set AMIKA_API_KEY or pass --amika-token-file")
        try:
            sandbox = await self.monitor.amika.create_sandbox(**fields)
        except Exception as exc:
            raise self._error(f"Couldn't create {what}", None, exc) from exc
        box = self.monitor.add_local(Box.from_sandbox(sandbox), PENDING_CREATING)
        self.monitor.poke(Backend.AMIKA)
        return box

    async def create_devbox(self, name: str, **fields: Any) -> Box:
        """Create a devbox; `claude_token`/`codex_token` are used for this request only and never kept."""
        what = f"devbox {_q(name)}"
        self._check_writable("create", None, what)
        if self.monitor.devbox is None:
            raise ActionError(
                "Devbox is not configured: set DEVBOX_SPRITES_TOKEN or pass --sprites-token-file"
            )
        one_off = [fields.get("claude_token"), fields.get("codex_token")]
        self.redactor.add_typed(*one_off)  # a server may echo them later, anywhere; only a digest is kept
        try:
            devbox = await self.monitor.devbox.devboxes.create(name, **fields)
        except Exception as exc:
            raise self._error(f"Couldn't create {what}", None, exc, extra_secrets=one_off) from exc
        box = self.monitor.add_local(Box.from_devbox(devbox), PENDING_CREATING)
        self.monitor.poke(Backend.DEVBOX)
        return box

    # ------------------------------------------------------------------ snapshots

    @property
    def snapshots(self) -> Snapshots:
        """The snapshots list, scrub previews and capture waits (Amika only)."""
        if self.monitor.amika is None:
            raise ActionError("Amika is not configured: set AMIKA_API_KEY or pass --amika-token")
        return Snapshots(self.monitor.amika)

    async def snapshot(
        self,
        box: Box,
        name: str,
        *,
        mode: str = SnapshotMode.SCRUB_AND_DELETE.value,
        description: str | None = None,
    ) -> Any:
        """Capture a ready sandbox; returns the `SandboxSnapshot` (`capturing`).

        `scrub_and_delete` (the server's default) deletes the sandbox once captured, so the box is marked
        pending "snapshotting" at once; show `snapshots.scrub_plan(box.ref)` and confirm before calling this.
        """
        self._check_writable("snapshot", box, _q(box.name))
        refusal = self.refusal("snapshot", box)
        if refusal is not None:
            raise ActionError(f"Couldn't snapshot {_q(box.name)}: {refusal}", box.key)
        try:
            name = validate_snapshot_name(name)
            description = validate_description(description)
            mode = validate_mode(mode)
        except SnapshotInputError as exc:
            raise ActionError(f"Couldn't snapshot {_q(box.name)}: {exc}", box.key) from None
        amika = self._amika(box)
        scrub = mode == SnapshotMode.SCRUB_AND_DELETE.value
        if scrub:
            self.monitor.mark_pending(box.key, PENDING_SNAPSHOTTING)
        try:
            return await amika.create_sandbox_snapshot(box.ref, name, description=description, mode=mode)
        except Exception as exc:
            if scrub:
                self.monitor.clear_pending(box.key)
            raise self._error(f"Couldn't snapshot {_q(box.name)}", box.key, exc) from exc
        finally:
            self.monitor.poke(box.backend)

    async def delete_snapshot(self, ref: str) -> None:
        """Delete a snapshot (slug or id); one already gone counts as deleted."""
        self._check_writable("delete_snapshot", None, f"snapshot {_q(ref)}")
        await self.snapshots.delete(ref)

    async def create_sandbox_from_snapshot(self, snapshot: Any, **fields: Any) -> Box:
        """A new sandbox that boots from an active snapshot (its files come back); other fields as for
        `create_sandbox`."""
        try:
            boot = boot_fields(snapshot)
        except SnapshotError as exc:
            raise ActionError(f"Couldn't create a sandbox: {exc}") from None
        return await self.create_sandbox(**{**fields, **boot})

    # ------------------------------------------------------------------ access

    async def ssh_command(self, box: Box) -> SshCommand:
        """A ready-to-use ssh command for a ready box; its secrets join the redactor (it will be shown).

        Whatever uses it — connect, copy, ``boxdeck ssh`` — gets only a command that passed the grammar of
        :mod:`boxdeck.service.sshcmd`. A refused answer is an ActionError naming the box (nothing to run);
        a Devbox command with a ProxyCommand the profile has not trusted is :class:`ProxyTrustRequired`.
        """
        if box.kind is not StateKind.READY:
            raise ActionError(
                f"{_q(box.name)} is not ready ({single_line(box.display_state, limit=40)}): "
                "SSH needs a ready box",
                box.key,
            )
        fingerprint: str | None = None  # the host key the API vouches for (Devbox)
        try:
            if box.backend is Backend.AMIKA:
                info = await self._amika(box).get_ssh(box.ref)
                self.redactor.add(info.token)
                try:
                    command = amika_ssh_command(info)
                except SshCommandError as exc:
                    raise ActionError(
                        f"Refused the SSH destination Amika sent for sandbox {_q(box.name)}: {exc}. "
                        f"A destination may hold only “{AMIKA_DESTINATION_SHAPE}”; nothing was run.",
                        box.key,
                    ) from None
            else:
                session = await self._devbox(box).devboxes.create_session(box.ref)
                fingerprint = session.ssh.host_key_fingerprint if session.ssh is not None else None
                try:
                    command = checked_devbox_command(
                        session, self.proxy_trust, what=f"devbox {_q(box.name)}", box_key=box.key,
                        scrub=self.redactor.redact,
                    )
                except SshCommandError as exc:
                    raise ActionError(
                        f"Refused the SSH access Devbox gave for {_q(box.name)}: {exc}; nothing was run.",
                        box.key,
                    ) from None
            try:
                command = await vouch(command, self.known_hosts, fingerprint)
            except HostKeyError as exc:
                raise ActionError(f"Not connecting to {_q(box.name)}: {exc}", box.key) from None
        except ActionError:
            raise
        except Exception as exc:
            raise self._error(f"Couldn't get SSH access to {_q(box.name)}", box.key, exc) from exc
        self.redactor.add(*command.secrets)
        return command

    # ------------------------------------------------------------------ helpers

    def _no_devbox_lifecycle(self, action: str, box: Box) -> None:
        if box.backend is Backend.DEVBOX:
            raise ActionError(
                f"Couldn't {action} {_q(box.name)}: the Devbox API has no {action} — "
                "devboxes can only be created and deleted",
                box.key,
            )

    def _amika(self, box: Box) -> Any:
        if self.monitor.amika is None:
            raise ActionError(f"Couldn't reach {_q(box.name)}: Amika is not configured", box.key)
        return self.monitor.amika

    def _devbox(self, box: Box) -> Any:
        if self.monitor.devbox is None:
            raise ActionError(f"Couldn't reach {_q(box.name)}: Devbox is not configured", box.key)
        return self.monitor.devbox

    async def _pending_call(
        self,
        box: Box,
        verb: str,
        pending: str,
        call: Callable[[], Awaitable[Any]],
        *,
        ok_statuses: Iterable[int] = (),
    ) -> None:
        self.monitor.mark_pending(box.key, pending)
        try:
            await call()
        except Exception as exc:
            if error_status(exc) not in tuple(ok_statuses):
                self.monitor.clear_pending(box.key)
                raise self._error(f"Couldn't {verb} {_q(box.name)}", box.key, exc) from exc
        finally:
            self.monitor.poke(box.backend)

    def _error(
        self, prefix: str, key: str | None, exc: BaseException, *, extra_secrets: Iterable[str | None] = ()
    ) -> ActionError:
        extra = [s for s in extra_secrets if s]

        def scrub(text: str) -> str:
            return redact(self.redactor.redact(text), extra)

        message = scrub(f"{prefix}: {describe_error(exc, scrub)}")
        return ActionError(message, key, status=error_status(exc))
