"""User actions on boxes, with optimistic pending state and errors a user can read.

Every action marks its row pending before the request goes out (the table reacts to the key press, not to the
server's latency), clears the mark when the request fails, and pokes the monitor so the following polls run
at the busy pace. Every failure becomes one `ActionError` whose text names the box and carries the server's
own message — sanitized, because it is server text on its way to the terminal, and redacted, because it may
echo a token.

Nothing is done twice. An action identical to one still in flight (or sent and not yet seen done: its box is
still pending that action) is not sent again: `AlreadyInFlight` says so in one line. A create whose answer was
lost after the request went out (the connection dropped, a timeout) may well have been applied, so before
anything invites a retry the box is looked up by name: found, it is shown as created (`AnswerLost.box`); not
found, the message says it may still appear, and the next attempt with that name looks again before sending.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from boxdeck.api.amika_models import SandboxSnapshot, SnapshotMode
from boxdeck.service.access.hostkeys import HostKeyError, KnownHosts, vouch
from boxdeck.service.access.ssh_trust import ProxyTrust, ProxyTrustRequired, checked_devbox_command
from boxdeck.service.access.sshcmd import (
    AMIKA_DESTINATION_SHAPE,
    SshCommand,
    SshCommandError,
    amika_ssh_command,
)
from boxdeck.service.actions.errors import (
    ActionError,
    AlreadyInFlight,
    describe_error,
    error_status,
    may_have_applied,
)
from boxdeck.service.actions.inflight import InFlight
from boxdeck.service.actions.sandbox_sessions import SshGrant
from boxdeck.service.actions.sandbox_snapshots import (
    SnapshotError,
    SnapshotInputError,
    Snapshots,
    boot_fields,
    validate_description,
    validate_mode,
    validate_snapshot_name,
)
from boxdeck.service.actions.validation import SandboxNameError, validate_sandbox_name
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
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.text.redact import Redactor, redact
from boxdeck.service.text.sanitize import single_line

__all__ = [
    "MUTATING_ACTIONS", "ActionError", "Actions", "AlreadyInFlight", "AnswerLost", "ProxyTrustRequired",
]

#: Actions that change a box; `read_only` refuses exactly these. SSH access is not among them: it reads.
#: A snapshot is: it makes a resource, and the default mode deletes the sandbox it captures.
MUTATING_ACTIONS = frozenset({"start", "stop", "delete", "create", "snapshot", "delete_snapshot"})


def _q(name: str) -> str:
    return f'"{single_line(name, limit=80)}"'


class AnswerLost(ActionError):
    """A create went out and its answer never came back, so it may have been applied.

    ``box`` is the box found by name afterwards (already in the snapshot, pending "creating"): it was
    created. None: it was not found (yet); it may still appear, and the message says so.
    """

    def __init__(self, message: str, box: Box | None) -> None:
        super().__init__(message, box.key if box is not None else None)
        self.box = box


class Actions:
    def __init__(
        self,
        monitor: Monitor,
        *,
        read_only: bool = False,
        redactor: Redactor | None = None,
        proxy_trust: ProxyTrust | None = None,
        known_hosts: KnownHosts | None = None,
        grants: dict[str, SshGrant] | None = None,
    ) -> None:
        self.monitor = monitor
        self.grants: dict[str, SshGrant] = grants if grants is not None else {}
        """The Amika SSH grants minted through this profile, by sandbox (shared with `SshGrants`): a grant
        minted by connect or copy shows in the sandbox's sessions view, with its countdown and revoke."""
        self.read_only = read_only
        """A plain attribute: the write grant (``WriteGrant``) flips it while the user allows writes."""
        self.redactor = redactor if redactor is not None else monitor.redactor
        self.proxy_trust = proxy_trust if proxy_trust is not None else ProxyTrust()
        """The ProxyCommands this profile trusts (in memory only unless the service passes a stored one)."""
        self.known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        """The host keys boxdeck vouches for: a command to a pinned host accepts only that key."""
        self.in_flight = InFlight()
        self._unanswered: dict[tuple[Backend, str], frozenset[str]] = {}
        """Creates whose answer was lost, by (backend, name): the keys of the boxes of that name seen before
        the first attempt (those are not the one it made)."""

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

        The name is checked first (:func:`~boxdeck.service.actions.validation.validate_sandbox_name`; a
        refused one
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
        amika = self.monitor.amika
        if amika is None:
            raise ActionError("Amika is not configured: set AMIKA_API_KEY or pass --amika-token-file")
        name = fields.get("name") or ""
        # Unnamed, the server picks the name: the same form sent twice is the same request all the same.
        same = name or hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()
        with self.in_flight.claim(("create", Backend.AMIKA, same), f"creating {what}"):
            return await self._create(
                Backend.AMIKA, name, what, lambda: amika.create_sandbox(**fields), Box.from_sandbox
            )

    async def create_devbox(self, name: str, **fields: Any) -> Box:
        """Create a devbox; `claude_token`/`codex_token` are used for this request only and never kept."""
        what = f"devbox {_q(name)}"
        self._check_writable("create", None, what)
        devbox = self.monitor.devbox
        if devbox is None:
            raise ActionError(
                "Devbox is not configured: set DEVBOX_SPRITES_TOKEN or pass --sprites-token-file"
            )
        one_off = [fields.get("claude_token"), fields.get("codex_token")]
        self.redactor.add_typed(*one_off)  # a server may echo them later, anywhere; only a digest is kept
        with self.in_flight.claim(("create", Backend.DEVBOX, name), f"creating {what}"):
            return await self._create(
                Backend.DEVBOX, name, what, lambda: devbox.devboxes.create(name, **fields), Box.from_devbox,
                extra_secrets=one_off,
            )

    async def _create(
        self,
        backend: Backend,
        name: str,
        what: str,
        call: Callable[[], Awaitable[Any]],
        to_box: Callable[[Any], Box],
        *,
        extra_secrets: Iterable[str | None] = (),
    ) -> Box:
        """Send a create, unless an earlier attempt whose answer was lost turns out to have made the box."""
        if name and (backend, name) in self._unanswered:
            found, unchecked = await self._find_created(backend, name)
            if found is not None:
                raise AnswerLost(
                    f"Created {what} already: the earlier attempt's answer was lost, but the server has it. "
                    "Nothing new was sent.",
                    found,
                )
            if unchecked is not None:  # sending now could make a second one
                raise AnswerLost(
                    f"Not sent: couldn't check whether {what} from the earlier attempt exists "
                    f"({unchecked}). Try again in a moment.",
                    None,
                )
        before = self._named(backend, name)
        try:
            created = await call()
        except Exception as exc:
            if not may_have_applied(exc):
                raise self._error(f"Couldn't create {what}", None, exc, extra_secrets=extra_secrets) from exc
            raise await self._lost_create(backend, name, what, before, exc, extra_secrets) from exc
        self._unanswered.pop((backend, name), None)
        box = self.monitor.add_local(to_box(created), PENDING_CREATING)
        self.monitor.poke(backend)
        return box

    def _named(self, backend: Backend, name: str) -> frozenset[str]:
        snap = self.monitor.snapshot(backend)
        if not name or snap is None:
            return frozenset()
        return frozenset(key for key, box in snap.boxes.items() if box.name == name)

    async def _lost_create(
        self,
        backend: Backend,
        name: str,
        what: str,
        before: frozenset[str],
        exc: BaseException,
        extra_secrets: Iterable[str | None],
    ) -> AnswerLost:
        why = self._why(exc, extra_secrets)
        if not name:
            return AnswerLost(
                f"The request to create {what} was sent but its answer was lost ({why}): the server may have "
                "created one under a name of its choosing. Check the list before creating another.",
                None,
            )
        self._unanswered.setdefault((backend, name), before)
        found, unchecked = await self._find_created(backend, name)
        if found is not None:
            return AnswerLost(
                f"Created {what}: its answer was lost on the way back ({why}), but the server has it.", found
            )
        checked = "" if unchecked is None else f" (couldn't look it up: {unchecked})"
        return AnswerLost(
            f"The request to create {what} was sent but its answer was lost ({why}). It may have been "
            f"created and may still appear in the list{checked}: look before creating it again (creating it "
            "again looks first).",
            None,
        )

    async def _find_created(self, backend: Backend, name: str) -> tuple[Box | None, str | None]:
        """The box an unanswered create of `name` made, if the server lists it now (added to the snapshot,
        pending "creating"); and why the server could not be asked, when it could not."""
        before = self._unanswered.get((backend, name), frozenset())
        try:
            if backend is Backend.AMIKA:
                assert self.monitor.amika is not None
                found = [Box.from_sandbox(await self.monitor.amika.get_sandbox(name))]
            else:
                assert self.monitor.devbox is not None
                found = [Box.from_devbox(d) for d in await self.monitor.devbox.devboxes.list()]
        except Exception as exc:
            if error_status(exc) == 404:
                return None, None
            return None, self._why(exc)
        mine = [b for b in found if b.name == name and b.key not in before]
        if not mine:
            return None, None
        box = max(mine, key=lambda b: b.created_at.timestamp() if b.created_at else 0.0)
        self._unanswered.pop((backend, name), None)
        shown = self.monitor.add_local(box, PENDING_CREATING)
        self.monitor.poke(backend)
        return shown, None

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
    ) -> SandboxSnapshot:
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
        if self.monitor.pending(box.key) == PENDING_SNAPSHOTTING:  # sent; the source is not gone yet
            raise AlreadyInFlight(f"already snapshotting {_q(box.name)}", box_key=box.key)
        with self.in_flight.claim(("snapshot", box.key), f"snapshotting {_q(box.name)}", box_key=box.key):
            if scrub:
                self.monitor.mark_pending(box.key, PENDING_SNAPSHOTTING)
            try:
                made: SandboxSnapshot = await amika.create_sandbox_snapshot(
                    box.ref, name, description=description, mode=mode
                )
                return made
            except Exception as exc:
                if scrub:
                    self.monitor.clear_pending(box.key)
                raise self._error(f"Couldn't snapshot {_q(box.name)}", box.key, exc) from exc
            finally:
                self.monitor.poke(box.backend)

    async def delete_snapshot(self, ref: str) -> None:
        """Delete a snapshot (slug or id); one already gone counts as deleted."""
        self._check_writable("delete_snapshot", None, f"snapshot {_q(ref)}")
        with self.in_flight.claim(("delete_snapshot", ref), f"deleting snapshot {_q(ref)}", subject=ref):
            await self.snapshots.delete(ref)

    async def create_sandbox_from_snapshot(self, snapshot: SandboxSnapshot, **fields: Any) -> Box:
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
        :mod:`boxdeck.service.access.sshcmd`. A refused answer is an ActionError naming the box (nothing to
        run);
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
                    self.grants[box.ref] = SshGrant(box.ref, info, None, self.monitor.now(), str(exc))
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
            if box.backend is Backend.AMIKA:
                self.grants[box.ref] = SshGrant(box.ref, info, command, self.monitor.now())
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
        doing = f"{pending} {_q(box.name)}"
        if self.monitor.pending(box.key) == pending:  # sent before; the server has not shown it done yet
            raise AlreadyInFlight(f"already {doing}", box_key=box.key)
        with self.in_flight.claim((verb, box.key), doing, box_key=box.key):
            self.monitor.mark_pending(box.key, pending)
            try:
                await call()
            except Exception as exc:
                if error_status(exc) in tuple(ok_statuses):
                    return
                if may_have_applied(exc):
                    # It may have been done: the mark stays (so the same key does not send it again) until a
                    # poll shows the server's state moved, or it times out.
                    error = self._error(f"The answer to {verb} {_q(box.name)} was lost", box.key, exc)
                    raise ActionError(
                        f"{error.message.rstrip('.')}. It may have been done: the row shows what the server "
                        "did.",
                        box.key,
                    ) from exc
                self.monitor.clear_pending(box.key)
                raise self._error(f"Couldn't {verb} {_q(box.name)}", box.key, exc) from exc
            finally:
                self.monitor.poke(box.backend)

    def _error(
        self, prefix: str, key: str | None, exc: BaseException, *, extra_secrets: Iterable[str | None] = ()
    ) -> ActionError:
        extra = tuple(extra_secrets)
        message = self._scrub(f"{prefix}: {self._why(exc, extra)}", extra)
        return ActionError(message, key, status=error_status(exc))

    def _why(self, exc: BaseException, extra_secrets: Iterable[str | None] = ()) -> str:
        """The failure in one line, tokens (and these one-off secrets) masked."""
        return describe_error(exc, lambda text: self._scrub(text, extra_secrets))

    def _scrub(self, text: str, extra_secrets: Iterable[str | None] = ()) -> str:
        return redact(self.redactor.redact(text), [s for s in extra_secrets if s])
