"""The agent prompt view (`a` on an active sandbox): the conversation so far and a prompt editor.

The conversation lives in the app's `Conversations` (see `tui/state.py`), not in this screen, and each send
runs in an *app* worker (group ``agent-<sandbox>``): leaving the view neither loses the conversation nor
cancels the prompt, and several sandboxes can have prompts in flight. `Conversations` tells us when a turn
starts or finishes; its listener only posts a message, and the handler updates the widgets.

Replies render as Markdown from `reply_markdown_source` (escape sequences and control characters stripped);
the Markdown widget never interprets Rich markup, so ``[bold]x[/]`` in a reply shows as typed. Prompts and
errors are shown as literal text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Markdown, Select, Static, Switch, TextArea

from boxdeck.service.actions.agent_prompts import (
    AGENTS,
    DEFAULT_AGENT,
    AgentSendError,
    PromptError,
    Turn,
    reply_markdown_source,
)
from boxdeck.service.actions.errors import AlreadyInFlight
from boxdeck.service.boxes import Backend, StateKind
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.commands import BY_ACTION, bindings_for
from boxdeck.tui.context import Deck, Profile
from boxdeck.tui.format import SPINNER, duration, local_time
from boxdeck.tui.screens.base import BoxdeckScreen

if TYPE_CHECKING:
    from textual.app import App


def worker_group(sandbox: str) -> str:
    return f"agent-{sandbox}"


def short_id(value: str | None, length: int = 12) -> str:
    text = shown(value or "")
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass
class TurnChanged(Message, bubble=False):
    """A turn of this screen's sandbox started or finished (from the `Conversations` listener)."""

    turn: Turn


@dataclass
class PromptRefused(Message, bubble=False):
    """The prompt was refused before sending (empty, too long, conflicting options); nothing was recorded."""

    sandbox: str
    message: str
    prompt: str


async def send_prompt(
    app: App[Any],
    state: Profile,
    reply_to: Screen[Any],
    sandbox: str,
    prompt: str,
    *,
    agent: str,
    new_session: bool,
    session_id: str | None,
) -> None:
    """The app worker behind Send. The turn's progress reaches the screen through the `Conversations`
    listener; this posts only what the listener cannot say (a refused prompt) and a notification when the
    user is not looking at this sandbox's conversation."""
    conversations = state.conversations
    assert conversations is not None
    try:
        turn = await conversations.send(
            sandbox, prompt, agent=agent, new_session=new_session, session_id=session_id
        )
    except (PromptError, AlreadyInFlight) as error:  # refused, or the same prompt is still out: not sent
        if not state.drafts.get(sandbox):
            state.drafts[sandbox] = prompt
        reply_to.post_message(PromptRefused(sandbox, str(error), prompt))
        return
    except AgentSendError as error:
        if not state.drafts.get(sandbox):
            state.drafts[sandbox] = prompt  # the prompt comes back to be edited and sent again
        if not _watching(app, sandbox):
            lost = error.reason == "answer-lost"
            app.notify(str(error), title="Agent prompt: answer lost" if lost else "Agent prompt failed",
                       severity="warning" if lost else "error", markup=False, timeout=10)
        return
    if not _watching(app, sandbox):
        words = "flagged an error" if turn.is_error else "replied"
        app.notify(
            f"The agent of sandbox {shown(sandbox)} {words}. Press a on it to read the reply.",
            title="Agent", markup=False, timeout=8,
        )


def _watching(app: App[Any], sandbox: str) -> bool:
    screen = app.screen
    return isinstance(screen, AgentPromptScreen) and screen.sandbox == sandbox


class TurnView(Vertical):
    """One prompt and what came of it. Keyed by the turn's id; updated in place when it finishes."""

    def __init__(self, turn: Turn, now: datetime) -> None:
        super().__init__(id=f"turn-{turn.id}", classes="turn")
        self.turn = turn
        self._now = now
        self._answered = False

    def compose(self) -> ComposeResult:
        yield Static(self._head(), markup=False, classes="turn-head")
        prompt = Text(shown(self.turn.prompt, keep_newlines=True))
        yield Static(prompt, markup=False, classes="turn-prompt")
        yield Static("", markup=False, classes="turn-status")

    def _head(self) -> Text:
        turn = self.turn
        head = Text()
        head.append("you → ", style="bold")
        head.append(shown(turn.agent), style="bold")
        head.append(f"  {local_time(turn.started_at)}")
        if turn.new_session:
            head.append("  · new session")
        elif turn.requested_session_id:
            head.append(f"  · session {short_id(turn.requested_session_id)}")
        return head

    def status_text(self, now: datetime, frame: int) -> Text:
        turn = self.turn
        took = duration(turn.elapsed(now))
        out = Text()
        status = turn.status
        if status == "sending":
            out.append(f"{SPINNER[frame % len(SPINNER)]} waiting for the agent… {took}")
            out.append("   (ctrl+g cancels)")
            return out
        if status == "cancelled":
            out.append(f"■ cancelled after {took}")
            return out
        if status == "failed":
            out.append(f"✗ send failed after {took}")
            return out
        if status == "answer-lost":
            out.append(f"? answer lost after {took}: the agent may have received it")
            return out
        out.append("⚠ the agent flagged an error" if turn.is_error else "✓ replied")
        out.append(f" in {took}")
        if turn.session_id:
            out.append(f" · session {short_id(turn.session_id, 36)}")
            if turn.is_new_session:
                out.append(" (new)")
        out.append(f" · error flag: {'yes' if turn.is_error else 'no'}")
        if turn.cost_usd is not None:
            out.append(f" · ${turn.cost_usd:.4f}")
        return out

    def on_mount(self) -> None:
        self.show(self.turn, self._now, 0)

    def show(self, turn: Turn, now: datetime, frame: int) -> None:
        self.turn = turn
        found = self.query(".turn-status")
        if not found:
            return  # not composed yet: on_mount shows it
        status = found.first(Static)
        status.update(self.status_text(now, frame))
        status.set_class(turn.status == "sending", "-sending")
        status.set_class(turn.status in ("failed", "cancelled", "answer-lost"), "-failed")
        status.set_class(turn.status == "agent-error", "-agent-error")
        status.set_class(turn.status == "replied", "-replied")
        if turn.in_flight or self._answered:
            return
        self._answered = True
        if turn.reply is not None:
            reply = Markdown(reply_markdown_source(turn), classes="turn-reply", open_links=False)
            reply.set_class(turn.is_error, "-agent-error")
            self.mount(reply)
        else:
            self.mount(Static(Text(reply_markdown_source(turn)), markup=False, classes="turn-error"))


class AgentPromptScreen(BoxdeckScreen):
    COMMAND_SCOPE = "agent"
    ONE_NOTIFICATION = True
    BINDINGS = bindings_for("agent")
    TICK = 0.5

    def __init__(self, deck: Deck, sandbox: str) -> None:
        super().__init__(deck, classes="agent-screen")
        self.profile = deck.main
        self.sandbox = sandbox
        self.frame = 0
        self._unsubscribe: Callable[[], None] | None = None

    # ----------------------------------------------------------------- composition
    def compose(self) -> ComposeResult:
        yield Static("", markup=False, id="agent-header")
        with VerticalScroll(id="conversation"):
            yield Static("No prompts yet. Type one below and press ctrl+s.", markup=False,
                         id="conversation-empty")
        with Vertical(id="composer"):
            with Horizontal(id="agent-options"):
                yield Label("agent", classes="option-label")
                yield Select([(a, a) for a in AGENTS], value=DEFAULT_AGENT, allow_blank=False, id="agent")
                yield Switch(False, id="new-session")
                yield Label("new session", classes="option-label")
                yield Input(placeholder="session id to continue (optional)", id="session-id")
            yield TextArea(id="prompt", soft_wrap=True, show_line_numbers=False)
            yield Static("", markup=False, id="agent-status")
            with Horizontal(id="agent-buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="send")
                yield Button("Cancel send (ctrl+g)", variant="warning", id="cancel-send")
                yield Button("Back (esc)", id="agent-back")
        yield from self.keys()

    def on_mount(self) -> None:
        state = self.profile
        conversations = state.conversations
        if conversations is not None:
            self._unsubscribe = conversations.subscribe(self._listener)
            turns = conversations.history(self.sandbox)
            if turns:
                self.query_one("#conversation-empty").display = False
                conversation = self.query_one("#conversation", VerticalScroll)
                conversation.mount_all(TurnView(t, self.now()) for t in turns)
            draft = state.drafts.get(self.sandbox)
            if draft is None:
                draft = conversations.last_failed_prompt(self.sandbox) or ""
            self.query_one("#prompt", TextArea).text = draft
        self.set_interval(self.TICK, self._tick)
        self.call_after_refresh(self._settle)
        self.query_one("#prompt", TextArea).focus()

    def _settle(self) -> None:
        self._tick()
        self.query_one("#conversation", VerticalScroll).scroll_end(animate=False)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _listener(self, turn: Turn) -> None:
        """Called by `Conversations` on every turn start/finish: only post a message."""
        if turn.sandbox == self.sandbox:
            self.post_message(TurnChanged(turn))

    # ----------------------------------------------------------------- live state
    def _in_flight(self) -> bool:
        conversations = self.profile.conversations
        return bool(conversations and conversations.in_flight(self.sandbox))

    def _sandbox_ready(self) -> bool:
        box = self.profile.box_by_ref(Backend.AMIKA, self.sandbox)
        return box is not None and box.kind is StateKind.READY and not box.pending

    def _header(self) -> Text:
        box = self.profile.box_by_ref(Backend.AMIKA, self.sandbox)
        out = Text()
        out.append(" Agent prompt ", style="bold reverse")
        out.append("  sandbox ")
        out.append(shown(self.sandbox), style="bold")
        state = shown(box.display_state) if box is not None else "unknown"
        out.append(f"  ({state})")
        conversations = self.profile.conversations
        if conversations is not None:
            latest = conversations.latest_session_id(self.sandbox)
            count = len(conversations.history(self.sandbox))
            out.append(f"   {count} turn{'s' if count != 1 else ''}")
            if latest:
                out.append(f" · latest session {short_id(latest, 36)}")
        return out

    def _tick(self) -> None:
        self.frame += 1
        now = self.now()
        self.query_one("#agent-header", Static).update(self._header())
        for view in self.query(TurnView):
            if view.turn.in_flight or not view._answered:
                view.show(view.turn, now, self.frame)
        self.query_one("#send", Button).disabled = not self.check_action("send_prompt", ())
        self.query_one("#cancel-send", Button).disabled = not self._in_flight()
        if not self._status_pinned:
            self._set_status(self._idle_status(), error=False)

    _status_pinned = False

    def _idle_status(self) -> str:
        state = self.profile
        if state.conversations is None:
            return "Amika is not configured."
        if state.read_only:
            return "Read-only mode: sending prompts is turned off."
        if self._in_flight():
            return "Waiting for the agent… you can leave this view; the prompt keeps running."
        if not self._sandbox_ready():
            return "The sandbox is not active: prompts can be sent to an active sandbox only."
        latest = state.conversations.latest_session_id(self.sandbox)
        if latest:
            return f"Continues session {short_id(latest, 36)} unless you ask for a new one or give an id."
        return "Continues the sandbox's latest session unless you ask for a new one or give an id."

    def _set_status(self, message: str, *, error: bool) -> None:
        status = self.query_one("#agent-status", Static)
        status.update(Text(message))
        status.set_class(error, "-error")

    # ----------------------------------------------------------------- messages
    @on(TurnChanged)
    def _turn_changed(self, message: TurnChanged) -> None:
        turn = message.turn
        conversation = self.query_one("#conversation", VerticalScroll)
        self.query_one("#conversation-empty").display = False
        views = conversation.query(f"#turn-{turn.id}")
        now = self.now()
        if views:
            view = views.first(TurnView)
            view.show(turn, now, self.frame)
        else:
            conversation.mount(TurnView(turn, self.now()))
        if turn.failed:
            editor = self.query_one("#prompt", TextArea)
            if not editor.text.strip():
                editor.text = self.profile.drafts.get(self.sandbox) or turn.prompt
            self._status_pinned = True
            why = shown(turn.error or "", keep_newlines=False)
            if turn.answer_lost:  # the message already says what the latest session shows and that it is kept
                self._set_status(why, error=True)
            else:
                prefix = "Cancelled" if turn.cancelled else "Send failed"
                self._set_status(f"{prefix}: {why}  Your prompt is back in the editor.",
                                 error=not turn.cancelled)
        elif not turn.in_flight:
            self._status_pinned = False
        self.call_after_refresh(conversation.scroll_end, animate=False)
        self.refresh_bindings()
        self._tick()

    @on(PromptRefused)
    def _prompt_refused(self, message: PromptRefused) -> None:
        if message.sandbox != self.sandbox:
            return
        editor = self.query_one("#prompt", TextArea)
        if not editor.text.strip():
            editor.text = message.prompt
        self._status_pinned = True
        self._set_status(message.message, error=True)

    @on(TextArea.Changed, "#prompt")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        self.profile.drafts[self.sandbox] = event.text_area.text

    @on(Switch.Changed, "#new-session")
    def _new_session_changed(self, event: Switch.Changed) -> None:
        session_input = self.query_one("#session-id", Input)
        session_input.disabled = event.value

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        if self.check_action("send_prompt", ()):  # as ctrl+s would: not while read-only
            self.action_send_prompt()

    @on(Button.Pressed, "#cancel-send")
    def _cancel_pressed(self) -> None:
        self.action_cancel_prompt()

    @on(Button.Pressed, "#agent-back")
    def _back_pressed(self) -> None:
        self.action_close_agent()

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        command = BY_ACTION.get(action)
        if command is None or command.scope != "agent":
            return True
        state = self.profile
        if command.mutating and state.read_only:
            return None
        if action == "send_prompt" and (
            state.conversations is None or self._in_flight() or not self._sandbox_ready()
        ):
            return None
        if action == "cancel_prompt" and not self._in_flight():
            return None
        return True

    def action_send_prompt(self) -> None:
        state = self.profile
        if state.conversations is None or not self.check_action("send_prompt", ()):
            return
        editor = self.query_one("#prompt", TextArea)
        prompt = editor.text
        if not prompt.strip():
            self._status_pinned = True
            self._set_status("Type a prompt first: it is empty.", error=True)
            return
        agent = str(self.query_one("#agent", Select).value)
        new_session = self.query_one("#new-session", Switch).value
        session_id = None if new_session else (self.query_one("#session-id", Input).value.strip() or None)
        self._status_pinned = False
        editor.text = ""
        state.drafts[self.sandbox] = ""
        self.app.run_worker(
            send_prompt(
                self.app, state, self, self.sandbox, prompt,
                agent=agent, new_session=new_session, session_id=session_id,
            ),
            name=f"agent prompt to {self.sandbox}",
            group=worker_group(self.sandbox),
            exit_on_error=False,
        )

    def action_cancel_prompt(self) -> None:
        self.app.workers.cancel_group(self.app, worker_group(self.sandbox))

    def action_close_agent(self) -> None:
        self.dismiss(None)
