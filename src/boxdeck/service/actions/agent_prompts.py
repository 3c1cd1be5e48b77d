"""Prompts to a sandbox's agent (Amika ``agent-send``) and the conversation kept per sandbox.

A send is synchronous on the server and may take minutes, so the turn is recorded *before* the request goes
out: the UI shows it at once with its elapsed time, several sandboxes can have prompts in flight, and a
failure or a cancellation leaves the prompt in the history to be edited and sent again. Conversations live in
memory for the app's lifetime (bounded per sandbox) and survive screen switches because the service owns them,
not a screen.

Reply text is kept literal in :attr:`Turn.reply`; :func:`reply_markdown_source` is the only form a widget
should render (terminal escape sequences and control characters stripped, newlines kept).

A prompt is never sent twice by accident: the same prompt to the same sandbox while it is still out is refused
(:class:`~boxdeck.service.actions.errors.AlreadyInFlight`), and a prompt whose answer was lost after it was
sent (the
connection dropped, a timeout) may have reached the agent, so before the user is invited to send it again the
sandbox's latest session is read and shown (:attr:`Turn.session_seen`): updated after the prompt went out, the
agent probably got it. The prompt text is kept for editing either way.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from boxdeck.api.errors import (
    AmikaAgentAuthError,
    AmikaError,
    AmikaHTTPError,
    AmikaTimeoutError,
    AmikaTransportError,
)
from boxdeck.service.actions.errors import (
    ServiceError,
    describe_error,
    error_status,
    may_have_applied,
    quoted,
    why_failed,
)
from boxdeck.service.actions.inflight import InFlight
from boxdeck.service.text.sanitize import has_surrogate, sanitize, shown, single_line

if TYPE_CHECKING:
    from boxdeck.api import AmikaClient

__all__ = [
    "AGENTS",
    "DEFAULT_AGENT",
    "MAX_PROMPT_BYTES",
    "MAX_TURNS_PER_SANDBOX",
    "AgentSendError",
    "Conversations",
    "PromptError",
    "SessionSeen",
    "Turn",
    "reply_markdown_source",
]

AGENTS: Final = ("claude", "codex")
DEFAULT_AGENT: Final = "claude"
MAX_PROMPT_BYTES: Final = 100 * 1024
MAX_TURNS_PER_SANDBOX: Final = 200

CANCELLED: Final = "Cancelled before the agent answered."

#: Server clocks drift from ours: a session updated this long before the prompt was sent still counts as
#: updated by it.
CLOCK_SKEW: Final = 2.0


class PromptError(ServiceError, ValueError):
    """The prompt was refused before sending (empty, too long, unknown agent, conflicting session options)."""


class AgentSendError(ServiceError):
    """The send failed (HTTP error, the agent's credentials failure, timeout, transport). The prompt is kept
    in the failed :attr:`turn`, and :meth:`Conversations.last_failed_prompt` gives it back for editing."""

    def __init__(self, message: str, *, subject: str | None = None, status: int | None = None,
                 turn: Turn | None = None, reason: str = "error") -> None:
        super().__init__(message, subject=subject, status=status)
        self.turn = turn
        #: "credentials", "timeout", "http", "transport", "answer-lost" (sent, and the answer never came:
        #: the agent may have it) or "error" (cancellation re-raises CancelledError)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SessionSeen:
    """The sandbox's latest session, read after a prompt's answer was lost: the best evidence of whether the
    agent got the prompt (the API offers no message history per sandbox)."""

    id: str
    status: str
    updated_at: datetime | None
    after_prompt: bool
    """Updated when or after the prompt was sent: the agent probably received it."""

    def describe(self, sent_at: datetime) -> str:
        words = f"Latest session {quoted(self.id)}: {single_line(self.status, limit=20) or 'unknown status'}"
        if self.updated_at is None:
            return f"{words}, no update time"
        gap = int(abs((self.updated_at - sent_at).total_seconds()))
        when = f"{gap} s" if gap < 120 else f"{gap // 60} m"
        if self.after_prompt:
            return f"{words}, updated {when} after you sent the prompt: the agent probably received it"
        return f"{words}, last updated {when} before you sent the prompt: no sign it arrived"


@dataclass(frozen=True, slots=True)
class Turn:
    """One prompt and what came of it. Immutable: an in-flight turn is replaced by its finished version (same
    ``id``), so a UI may key rows by ``id``.

    ``reply`` is the agent's text verbatim (render :func:`reply_markdown_source` instead); ``is_error`` is the
    agent's own error flag (it ran, and said it failed); ``error`` is set when the send itself failed or was
    cancelled, and then ``reply`` is None.
    """

    id: int
    sandbox: str
    prompt: str
    agent: str
    started_at: datetime
    new_session: bool = False
    requested_session_id: str | None = None
    reply: str | None = None
    session_id: str | None = None
    is_error: bool = False
    is_new_session: bool = False
    finished_at: datetime | None = None
    error: str | None = None
    cancelled: bool = False
    cost_usd: float | None = None
    answer_lost: bool = False
    """The prompt was sent and its answer never came back: the agent may have received it."""
    session_seen: SessionSeen | None = None
    """With ``answer_lost``: the sandbox's latest session as read afterwards (None: none, or unreadable)."""

    @property
    def in_flight(self) -> bool:
        return self.finished_at is None

    @property
    def failed(self) -> bool:
        """The send did not produce a reply (error, lost answer or cancelled)."""
        return self.error is not None

    @property
    def status(self) -> str:
        """``sending``, ``replied``, ``agent-error`` (the agent flagged its reply), ``answer-lost``,
        ``failed`` or ``cancelled``."""
        if self.in_flight:
            return "sending"
        if self.cancelled:
            return "cancelled"
        if self.answer_lost:
            return "answer-lost"
        if self.error is not None:
            return "failed"
        return "agent-error" if self.is_error else "replied"

    def elapsed(self, now: datetime | None = None) -> float:
        """Seconds spent so far (in flight) or in total (finished)."""
        end = self.finished_at or now or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())


def reply_markdown_source(turn: Turn) -> str:
    """The reply as text safe to give a Markdown widget: escape sequences and control characters removed,
    known secrets masked, newlines and tabs kept. Empty while in flight; the error message for a failed
    turn."""
    if turn.reply is not None:
        return shown(turn.reply, keep_newlines=True)
    if turn.error is not None:
        return shown(turn.error, keep_newlines=True)
    return ""


_BROKEN = "contains a broken character (a lone surrogate, e.g. from a damaged clipboard) that cannot be sent"


def _validate(message: str, agent: str, new_session: bool, session_id: str | None, sandbox: str) -> str:
    if not isinstance(message, str) or not message.strip():
        raise PromptError("Type a prompt first: it is empty.", subject=sandbox)
    if has_surrogate(message):  # before .encode("utf-8"), which would raise a bare UnicodeEncodeError
        raise PromptError(f"The prompt {_BROKEN}: retype or paste that part again.", subject=sandbox)
    size = len(message.encode("utf-8"))
    if size > MAX_PROMPT_BYTES:
        raise PromptError(
            f"The prompt is too long ({size // 1024} KB; at most {MAX_PROMPT_BYTES // 1024} KB).",
            subject=sandbox,
        )
    if agent not in AGENTS:
        raise PromptError(f"Unknown agent {quoted(agent)}: choose {' or '.join(AGENTS)}.", subject=sandbox)
    if new_session and session_id:
        raise PromptError("Choose either a new session or a session id to continue, not both.",
                          subject=sandbox)
    if session_id is not None and isinstance(session_id, str) and has_surrogate(session_id):
        raise PromptError(f"The session id {_BROKEN}: pick the session again.", subject=sandbox)
    if session_id is not None and (not session_id.strip() or sanitize(session_id) != session_id):
        raise PromptError("The session id must be one line of plain text.", subject=sandbox)
    return message.strip()


Listener = Callable[[Turn], None]


class Conversations:
    """Per-sandbox conversation history with the sandbox's agent.

    ``subscribe(fn)`` calls ``fn(turn)`` whenever a turn starts or finishes (from the event loop thread), so a
    screen can refresh without polling; the stored history is always available through :meth:`history`.
    """

    def __init__(self, amika: AmikaClient, *, max_turns: int = MAX_TURNS_PER_SANDBOX,
                 clock: Callable[[], datetime] | None = None) -> None:
        if max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        self._amika = amika
        self._max_turns = max_turns
        self._clock = clock or (lambda: datetime.now(UTC))
        self._turns: dict[str, deque[Turn]] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Listener] = []
        self.in_flight_requests = InFlight()

    # ------------------------------------------------------------------------------------------- reading

    def history(self, sandbox: str) -> tuple[Turn, ...]:
        """Every remembered turn of the sandbox, oldest first, including those in flight."""
        return tuple(self._turns.get(sandbox, ()))

    def sandboxes(self) -> tuple[str, ...]:
        """Sandboxes with any conversation, in the order they were first prompted."""
        return tuple(name for name, turns in self._turns.items() if turns)

    def in_flight(self, sandbox: str | None = None) -> tuple[Turn, ...]:
        """Turns waiting for a reply: of one sandbox, or of every sandbox when ``sandbox`` is None."""
        names = [sandbox] if sandbox is not None else list(self._turns)
        return tuple(t for name in names for t in self._turns.get(name, ()) if t.in_flight)

    def last_turn(self, sandbox: str) -> Turn | None:
        turns = self._turns.get(sandbox)
        return turns[-1] if turns else None

    def last_failed_prompt(self, sandbox: str) -> str | None:
        """The prompt of the sandbox's most recent finished turn when that turn failed or was cancelled, to
        put back in the editor; None when the latest finished turn got a reply."""
        for turn in reversed(self._turns.get(sandbox, ())):
            if turn.in_flight:
                continue
            return turn.prompt if turn.failed else None
        return None

    def latest_session_id(self, sandbox: str) -> str | None:
        """The session id of the sandbox's latest reply (what "continue" will resume on the server), or of the
        session a prompt whose answer was lost probably went to."""
        for turn in reversed(self._turns.get(sandbox, ())):
            if turn.session_id:
                return turn.session_id
            if turn.session_seen is not None and turn.session_seen.after_prompt:
                return turn.session_seen.id
        return None

    def clear(self, sandbox: str) -> None:
        """Forget a sandbox's finished turns (in-flight ones stay until they finish)."""
        turns = self._turns.get(sandbox)
        if turns:
            kept = [t for t in turns if t.in_flight]
            turns.clear()
            turns.extend(kept)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(turn)`` on every turn start and finish; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ------------------------------------------------------------------------------------------- sending

    async def send(self, sandbox: str, message: str, *, agent: str = DEFAULT_AGENT, new_session: bool = False,
                   session_id: str | None = None) -> Turn:
        """Send ``message`` to the sandbox's agent and return the finished turn.

        With neither ``new_session`` nor ``session_id`` the server resumes the sandbox's latest session.
        Raises
        :class:`PromptError` before anything is recorded when the prompt is refused,
        :class:`~boxdeck.service.actions.errors.AlreadyInFlight` (nothing recorded, nothing sent) while the
        same
        prompt to the same sandbox is still out, :class:`AgentSendError` (the failed turn attached) when the
        send fails, and re-raises :class:`asyncio.CancelledError` after marking the turn cancelled.
        """
        text = _validate(message, agent, new_session, session_id, sandbox)
        same = ("prompt", sandbox, text, agent, bool(new_session), session_id or None)
        with self.in_flight_requests.claim(
            same, f"sending this prompt to sandbox {quoted(sandbox)}", subject=sandbox
        ):
            return await self._send(sandbox, message, text, agent=agent, new_session=new_session,
                                    session_id=session_id)

    async def _send(self, sandbox: str, message: str, text: str, *, agent: str, new_session: bool,
                    session_id: str | None) -> Turn:
        turn = Turn(
            id=next(self._ids),
            sandbox=sandbox,
            prompt=message,
            agent=agent,
            started_at=self._clock(),
            new_session=bool(new_session),
            requested_session_id=session_id or None,
        )
        self._store(turn, new=True)
        try:
            result = await self._amika.agent_send(
                sandbox, text, new_session=True if new_session else None, session_id=session_id or None,
                agent=agent,
            )
        except asyncio.CancelledError:
            self._store(replace(turn, finished_at=self._clock(), error=CANCELLED, cancelled=True))
            raise
        except (AmikaError, TimeoutError) as exc:
            if may_have_applied(exc):
                failed, message_text = await self._answer_lost(turn, exc)
                self._store(failed)
                raise AgentSendError(message_text, subject=sandbox, status=error_status(exc), turn=failed,
                                     reason="answer-lost") from exc
            reason = _reason(exc)
            why = why_failed(exc)
            if reason == "timeout":
                why = f"no answer in time ({why}); your prompt is kept, send it again when ready"
            message_text = f"Prompt to sandbox {quoted(sandbox)} failed: {why}"
            failed = replace(turn, finished_at=self._clock(), error=message_text)
            self._store(failed)
            raise AgentSendError(message_text, subject=sandbox, status=error_status(exc), turn=failed,
                                 reason=reason) from exc
        except BaseException as exc:  # a bug below us: never leave the turn "sending" forever
            self._store(replace(turn, finished_at=self._clock(), error=describe_error(exc)))
            raise
        done = replace(
            turn,
            finished_at=self._clock(),
            reply=result.response,
            session_id=result.session_id or None,
            is_error=result.is_error,
            is_new_session=result.is_new_session,
            cost_usd=result.cost_usd,
        )
        self._store(done)
        return done

    async def _answer_lost(self, turn: Turn, exc: BaseException) -> tuple[Turn, str]:
        """The finished turn and its message for a prompt that went out and got no answer: what the sandbox's
        latest session says, so the user can judge before sending it again."""
        sandbox = turn.sandbox
        head = (f"Prompt to sandbox {quoted(sandbox)}: the answer was lost after it was sent "
                f"({why_failed(exc)}), so the agent may have received it.")
        seen: SessionSeen | None = None
        try:
            latest = await self._amika.get_latest_session(sandbox)
        except (AmikaError, TimeoutError) as lookup:
            evidence = f"Could not read its latest session ({why_failed(lookup)}): look at its sessions"
        else:
            if latest is None:
                evidence = "It has no session yet: no sign it arrived"
            else:
                updated = latest.updated_at
                after = updated is not None and (updated - turn.started_at).total_seconds() >= -CLOCK_SKEW
                seen = SessionSeen(sanitize(latest.id), sanitize(latest.status), updated, after)
                evidence = seen.describe(turn.started_at)
        text = f"{head} {evidence}. Your prompt is kept: send it again only if it did not arrive."
        return replace(turn, finished_at=self._clock(), error=text, answer_lost=True, session_seen=seen), text

    # ------------------------------------------------------------------------------------------- internals

    def _store(self, turn: Turn, *, new: bool = False) -> None:
        turns = self._turns.setdefault(turn.sandbox, deque())
        if new:
            turns.append(turn)
            while len(turns) > self._max_turns:
                # evict the oldest finished turn; in-flight ones must stay visible
                oldest = next((t for t in turns if not t.in_flight), None)
                if oldest is None:
                    break
                turns.remove(oldest)
        else:
            for index, existing in enumerate(turns):
                if existing.id == turn.id:
                    turns[index] = turn
                    break
            # a turn evicted or cleared while in flight is not brought back
        for listener in tuple(self._listeners):
            try:
                listener(turn)
            except Exception:  # a broken listener must not lose the turn
                continue


def _reason(exc: BaseException) -> str:
    if isinstance(exc, AmikaAgentAuthError):
        return "credentials"
    if isinstance(exc, AmikaTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, AmikaHTTPError):
        return "http"
    if isinstance(exc, AmikaTransportError):
        return "transport"
    return "error"
