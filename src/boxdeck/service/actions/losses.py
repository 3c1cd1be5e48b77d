"""What deleting a box loses: active sessions, agent prompts still running, SSH access, the repo state.

Asked for when the delete confirmation opens. Every server string is sanitized; a check that fails is
reported in `errors` and never blocks the delete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from boxdeck.service.access.devbox_access import DevboxAccess
from boxdeck.service.actions.agent_prompts import Conversations
from boxdeck.service.actions.sandbox_sessions import SandboxSessions, SshGrants
from boxdeck.service.boxes import Backend, Box
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.text.sanitize import sanitize, single_line
from boxdeck.service.text.timefmt import countdown, relative


def _s(value: object, limit: int = 80) -> str:
    return single_line(sanitize(str(value or "")), limit=limit)


@dataclass
class Losses:
    box: Box
    sessions: list[str] = field(default_factory=list)  # Amika sessions, Devbox exec sessions
    prompts: list[str] = field(default_factory=list)  # agent prompts still waiting for a reply
    access: list[str] = field(default_factory=list)  # SSH access opened by boxdeck that stops working
    repo: list[str] = field(default_factory=list)  # repositories and where they stand
    errors: list[str] = field(default_factory=list)  # what could not be checked

    @property
    def blocking(self) -> bool:
        """Deleting loses work in progress: the user types the name (or "delete N boxes") to confirm."""
        return bool(self.sessions or self.prompts)

    @property
    def empty(self) -> bool:
        return not (self.sessions or self.prompts or self.access or self.repo or self.errors)


@dataclass(frozen=True)
class LossSources:
    """What one account can tell about a box's work in progress (None where its backend is not set up)."""

    conversations: Conversations | None
    sessions: SandboxSessions | None
    grants: SshGrants | None
    access: DevboxAccess | None
    monitor: Monitor


async def gather_losses(sources: LossSources, box: Box, now: datetime) -> Losses:
    losses = Losses(box)
    state = sources
    if box.backend is Backend.AMIKA:
        sandbox = box.sandbox
        if state.conversations is not None:
            for turn in state.conversations.in_flight(box.ref):
                sent = relative(turn.started_at, now)
                losses.prompts.append(
                    f"agent prompt “{_s(turn.prompt, 60)}” (sent {sent} ago, still waiting for the reply)"
                )
        if state.sessions is not None:
            try:
                sessions = await state.sessions.list(box.ref)
            except Exception as error:
                losses.errors.append(f"sessions: {_s(error, 200)}")
            else:
                for session in sessions:
                    if (session.status or "").lower() == "active":
                        agent = _s(session.agent_name) or "agent"
                        started = relative(session.started_at or session.created_at, now)
                        losses.sessions.append(
                            f"active {agent} session {_s(session.id, 40)} (started {started} ago)"
                        )
        grant = state.grants.remembered(box.ref) if state.grants is not None else None
        if grant is not None and not grant.expired(now):
            losses.access.append(f"SSH grant minted by boxdeck ({grant.countdown(now)})")
        if sandbox is not None:
            repo = _s(sandbox.repo_url or sandbox.repo_name)
            if repo:
                line = f"repo {repo}"
                branch = _s(sandbox.branch)
                commit = _s(sandbox.commit_hash)
                if branch:
                    line += f" @ {branch}"
                if commit:
                    line += f" (commit {commit[:12]})"
                losses.repo.append(line + " — uncommitted or unpushed work on the box is lost")
    else:
        if state.access is not None:
            try:
                execs = await state.access.list_exec_sessions(box.ref)
            except Exception as error:
                losses.errors.append(f"exec sessions: {_s(error, 200)}")
            else:
                for execution in execs:
                    if execution.is_active:
                        command = _s(execution.command, 50) or "(no command)"
                        losses.sessions.append(f"active exec session {_s(execution.id, 40)}: {command}")
            for known in state.access.known(box.ref):
                left = countdown(known.expires_at, now)
                losses.access.append(f"SSH access session {_s(known.session_id, 40)} ({left})")
        snapshot = state.monitor.snapshot(Backend.DEVBOX)
        detail = snapshot.details.get(box.key) if snapshot is not None else None
        for repository in detail.repositories if detail is not None else ():
            line = f"repo {_s(repository.full_name)}"
            if repository.ref:
                line += f" @ {_s(repository.ref)}"
            if repository.target_path:
                line += f" in {_s(repository.target_path)}"
            status = _s(repository.clone_status)
            if status:
                line += f" ({status})"
            losses.repo.append(line + " — uncommitted or unpushed work is lost")
    return losses


async def gather_all(sources: LossSources, boxes: Sequence[Box], now: datetime) -> list[Losses]:
    results = await asyncio.gather(*(gather_losses(sources, box, now) for box in boxes),
                                   return_exceptions=True)
    out = []
    for box, result in zip(boxes, results, strict=True):
        if isinstance(result, BaseException):
            out.append(Losses(box, errors=[f"couldn't check: {_s(result, 200)}"]))
        else:
            out.append(result)
    return out
