"""What deleting a box loses: active sessions, agent prompts still running, the repo state when known.

Asked for when the delete confirmation opens (in its worker). Nothing here touches a widget; every server
string is sanitized. A check that fails is reported in `errors` and never blocks the delete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boxdeck.service.boxes import Backend, Box
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


async def gather_losses(app: Any, box: Box) -> Losses:
    from boxdeck.tui.state import app_state

    losses = Losses(box)
    state = app_state(app)
    now: datetime = app.now()
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
            repo = _s(getattr(sandbox, "repo_url", None) or getattr(sandbox, "repo_name", None))
            if repo:
                line = f"repo {repo}"
                branch = _s(getattr(sandbox, "branch", None))
                commit = _s(getattr(sandbox, "commit_hash", None))
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
                for session in execs:
                    if session.is_active:
                        command = _s(session.command, 50) or "(no command)"
                        losses.sessions.append(f"active exec session {_s(session.id, 40)}: {command}")
            for known in state.access.known(box.ref):
                left = countdown(known.expires_at, now)
                losses.access.append(f"SSH access session {_s(known.session_id, 40)} ({left})")
        snapshot = app.monitor.snapshot(Backend.DEVBOX)
        detail = snapshot.details.get(box.key) if snapshot is not None else None
        for repo in detail.repositories if detail is not None else ():
            line = f"repo {_s(repo.full_name)}"
            if repo.ref:
                line += f" @ {_s(repo.ref)}"
            if repo.target_path:
                line += f" in {_s(repo.target_path)}"
            status = _s(repo.clone_status)
            if status:
                line += f" ({status})"
            losses.repo.append(line + " — uncommitted or unpushed work is lost")
    return losses


async def gather_all(app: Any, boxes: Sequence[Box]) -> list[Losses]:
    results = await asyncio.gather(*(gather_losses(app, box) for box in boxes), return_exceptions=True)
    out = []
    for box, result in zip(boxes, results, strict=True):
        if isinstance(result, BaseException):
            out.append(Losses(box, errors=[f"couldn't check: {_s(result, 200)}"]))
        else:
            out.append(result)
    return out
