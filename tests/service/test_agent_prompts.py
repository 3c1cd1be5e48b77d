"""Agent prompts: the conversation kept per sandbox, in-flight turns, failures that keep the prompt.

Unit tests run the real ``AmikaClient`` over ``httpx.MockTransport`` to pin the exact request; integration
tests run it against the simulator over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from boxdeck.api import AmikaClient
from boxdeck.service.actions.agent_prompts import (
    AGENTS,
    MAX_PROMPT_BYTES,
    AgentSendError,
    Conversations,
    PromptError,
    Turn,
    reply_markdown_source,
)
from boxdeck.service.actions.errors import AlreadyInFlight

BASE = "http://127.0.0.1:9"
TOKEN = "amk_test_token_0123456789"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _client(handler: Callable[[httpx.Request], Any], **kwargs: Any) -> AmikaClient:
    return AmikaClient(BASE, access_token=TOKEN, transport=httpx.MockTransport(handler), **kwargs)


def _reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "response": f"you said: {body['message']}",
            "session_id": "ses_1",
            "is_error": False,
            "is_new_session": True,
            "cost_usd": 0.01,
        },
    )


AUTH_FAILURE = {
    "error": "Agent command failed",
    "details": json.dumps(
        {
            "type": "result",
            "is_error": True,
            "result": 'Failed to authenticate. API Error: 401 {"type":"error","error":'
            '{"type":"authentication_error","message":"Invalid authentication credentials"}}',
        }
    ),
}


# ------------------------------------------------------------------------------------------------ unit


async def test_send_records_the_turn_and_pins_the_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _reply(request)

    clock = FakeClock()
    conversations = Conversations(_client(handler), clock=clock)
    turn = await conversations.send("dev box", "  hello agent \n")

    request = seen[0]
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/v0beta1/sandboxes/dev%20box/agent-send"
    # continue the latest session by default: no session flags at all, just the agent
    assert json.loads(request.content) == {"message": "hello agent", "agent": "claude"}
    assert turn.reply == "you said: hello agent"
    assert turn.session_id == "ses_1" and turn.is_new_session and not turn.is_error
    assert turn.prompt == "  hello agent \n"  # kept exactly as typed
    assert turn.status == "replied" and not turn.in_flight and turn.error is None
    assert conversations.history("dev box") == (turn,)
    assert conversations.latest_session_id("dev box") == "ses_1"
    assert conversations.last_failed_prompt("dev box") is None


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"new_session": True}, {"message": "hi", "new_session": True, "agent": "claude"}),
        (
            {"session_id": "ses_9", "agent": "codex"},
            {"message": "hi", "session_id": "ses_9", "agent": "codex"},
        ),
    ],
)
async def test_session_options_are_sent(kwargs: dict[str, Any], body: dict[str, Any]) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return _reply(request)

    turn = await Conversations(_client(handler)).send("dev", "hi", **kwargs)
    assert seen == [body]
    assert turn.agent == body["agent"]


@pytest.mark.parametrize(
    ("message", "kwargs", "match"),
    [
        ("", {}, "empty"),
        ("   \n\t", {}, "empty"),
        ("x" * (MAX_PROMPT_BYTES + 1), {}, "too long"),
        ("hi", {"agent": "gpt"}, 'Unknown agent "gpt"'),
        ("hi", {"new_session": True, "session_id": "ses_1"}, "not both"),
        ("hi", {"session_id": "ses\x1b[31m"}, "one line"),
    ],
)
async def test_invalid_prompts_are_refused_before_anything_is_sent(
    message: str, kwargs: dict[str, Any], match: str
) -> None:
    calls: list[httpx.Request] = []
    conversations = Conversations(_client(lambda r: calls.append(r) or httpx.Response(500)))
    with pytest.raises(PromptError, match=match):
        await conversations.send("dev", message, **kwargs)
    assert calls == []
    assert conversations.history("dev") == ()
    assert set(AGENTS) == {"claude", "codex"}


async def test_exactly_100_kb_is_allowed() -> None:
    turn = await Conversations(_client(lambda r: httpx.Response(200, json={"response": "ok"}))).send(
        "dev", "é" * (MAX_PROMPT_BYTES // 2)
    )
    assert turn.reply == "ok"


async def test_credentials_failure_keeps_the_prompt_and_says_why() -> None:
    conversations = Conversations(_client(lambda r: httpx.Response(500, json=AUTH_FAILURE)))
    with pytest.raises(AgentSendError) as info:
        await conversations.send("dev", "fix the bug")
    err = info.value
    assert err.reason == "credentials" and err.status == 500 and err.subject == "dev"
    assert 'Prompt to sandbox "dev" failed' in str(err)
    assert "failed to authenticate with its AI provider" in str(err)
    assert "expired or been revoked" in str(err)
    assert "\n" not in str(err)
    turn = conversations.history("dev")[-1]
    assert err.turn == turn
    assert turn.status == "failed" and turn.reply is None and turn.error == str(err)
    assert conversations.last_failed_prompt("dev") == "fix the bug"
    assert reply_markdown_source(turn) == str(err)


async def test_http_error_names_the_box_and_the_server_message() -> None:
    body = {"type": "error", "code": "sandbox_not_ready", "message": "sandbox is \x1b[31mstopped\x1b[0m"}
    conversations = Conversations(_client(lambda r: httpx.Response(409, json=body)))
    with pytest.raises(AgentSendError) as info:
        await conversations.send("dev", "hi")
    assert (
        str(info.value) == 'Prompt to sandbox "dev" failed: HTTP 409: sandbox_not_ready: sandbox is stopped'
    )
    assert info.value.reason == "http" and info.value.status == 409
    assert conversations.last_failed_prompt("dev") == "hi"


async def test_timeout_keeps_the_prompt() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)

    conversations = Conversations(_client(handler))
    with pytest.raises(AgentSendError) as info:
        await conversations.send("dev", "long job")
    assert info.value.reason == "timeout"
    assert "timed out" in str(info.value) and "prompt is kept" in str(info.value)
    assert TOKEN not in str(info.value)
    assert conversations.last_failed_prompt("dev") == "long job"
    assert conversations.in_flight() == ()


def _lost_then(latest: httpx.Response | None, seen: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """agent-send loses its answer (read timeout: the request went out); /sessions/latest answers `latest`."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/agent-send"):
            raise httpx.ReadTimeout("read timed out", request=request)
        if latest is None:
            raise httpx.ConnectError("connection refused", request=request)
        return latest

    return handler


def _session(updated_at: str) -> httpx.Response:
    return httpx.Response(200, json={"id": "ses_9", "status": "active", "updated_at": updated_at})


@pytest.mark.parametrize(
    ("latest", "words", "after"),
    [
        (_session("2026-01-01T12:00:07Z"), 'Latest session "ses_9": active, updated 7 s after you sent the '
         "prompt: the agent probably received it", True),
        (_session("2026-01-01T11:55:00Z"), 'Latest session "ses_9": active, last updated 5 m before you sent '
         "the prompt: no sign it arrived", False),
        (httpx.Response(404, json={"message": "no sessions"}), "It has no session yet: no sign it arrived",
         None),
        (None, "Could not read its latest session (could not reach the Amika API", None),
    ],
)
async def test_a_lost_answer_shows_the_latest_session_and_keeps_the_prompt(
    latest: httpx.Response | None, words: str, after: bool | None
) -> None:
    seen: list[str] = []
    conversations = Conversations(_client(_lost_then(latest, seen)), clock=FakeClock())
    with pytest.raises(AgentSendError) as info:
        await conversations.send("dev", "deploy it")
    assert seen == [
        "POST /api/v0beta1/sandboxes/dev/agent-send", "GET /api/v0beta1/sandboxes/dev/sessions/latest"
    ]
    error = info.value
    assert error.reason == "answer-lost"
    assert str(error).startswith('Prompt to sandbox "dev": the answer was lost after it was sent (timed out')
    assert "the agent may have received it" in str(error) and words in str(error)
    assert str(error).endswith("Your prompt is kept: send it again only if it did not arrive.")
    turn = error.turn
    assert turn is not None and turn.status == "answer-lost" and turn.error == str(error)
    assert (turn.session_seen.after_prompt if turn.session_seen else None) is after
    assert conversations.last_failed_prompt("dev") == "deploy it"
    assert conversations.latest_session_id("dev") == ("ses_9" if after else None)


async def test_the_same_prompt_is_not_sent_again_while_it_is_out() -> None:
    release, two_sent = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["message"])
        if len(sent) == 2:
            two_sent.set()
        await release.wait()
        return _reply(request)

    conversations = Conversations(_client(handler))
    first = asyncio.create_task(conversations.send("dev", "hello"))
    await asyncio.sleep(0)
    again = asyncio.create_task(conversations.send("dev", "hello  "))  # the same prompt, as sent
    other = asyncio.create_task(conversations.send("dev", "something else"))
    await two_sent.wait()
    release.set()
    results = await asyncio.gather(first, again, other, return_exceptions=True)
    assert sent == ["hello", "something else"]
    assert isinstance(results[1], AlreadyInFlight)
    assert str(results[1]) == 'already sending this prompt to sandbox "dev"'
    assert [t.prompt for t in conversations.history("dev")] == ["hello", "something else"]
    await conversations.send("dev", "hello")  # answered: it may be sent again on purpose
    assert sent[-1] == "hello"


async def test_transport_failure_is_explained() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    conversations = Conversations(_client(handler))
    with pytest.raises(AgentSendError, match="could not reach the Amika API") as info:
        await conversations.send("dev", "hi")
    assert info.value.reason == "transport"


async def test_in_flight_turn_is_visible_at_once_and_cancellation_marks_it() -> None:
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    clock = FakeClock()
    conversations = Conversations(_client(handler), clock=clock)
    events: list[str] = []
    conversations.subscribe(lambda t: events.append(t.status))
    task = asyncio.create_task(conversations.send("dev", "slow prompt"))
    await started.wait()

    (turn,) = conversations.in_flight("dev")
    assert turn.status == "sending" and turn.prompt == "slow prompt"
    clock.tick(42)
    assert turn.elapsed(clock()) == 42

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (done,) = conversations.history("dev")
    assert done.id == turn.id and done.cancelled and done.status == "cancelled"
    assert conversations.in_flight() == ()
    assert conversations.last_failed_prompt("dev") == "slow prompt"
    assert events == ["sending", "cancelled"]


async def test_two_sandboxes_in_flight_at_once() -> None:
    gates = {"alpha": asyncio.Event(), "beta": asyncio.Event()}
    arrived: list[str] = []
    both_arrived = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.path.split("/")[-2]
        arrived.append(name)
        if len(arrived) == 2:
            both_arrived.set()
        await gates[name].wait()
        return _reply(request)

    conversations = Conversations(_client(handler))
    a = asyncio.create_task(conversations.send("alpha", "one"))
    b = asyncio.create_task(conversations.send("beta", "two"))
    await both_arrived.wait()
    assert {t.sandbox for t in conversations.in_flight()} == {"alpha", "beta"}
    gates["beta"].set()
    turn_b = await b
    assert turn_b.reply == "you said: two"
    assert [t.sandbox for t in conversations.in_flight()] == ["alpha"]
    gates["alpha"].set()
    assert (await a).reply == "you said: one"
    assert conversations.in_flight() == ()
    assert conversations.sandboxes() == ("alpha", "beta")


async def test_history_is_bounded_per_sandbox_and_clearable() -> None:
    conversations = Conversations(_client(_reply), max_turns=3)
    for i in range(5):
        await conversations.send("dev", f"p{i}")
    await conversations.send("other", "x")
    assert [t.prompt for t in conversations.history("dev")] == ["p2", "p3", "p4"]
    assert len(conversations.history("other")) == 1
    conversations.clear("dev")
    assert conversations.history("dev") == ()
    assert len(conversations.history("other")) == 1


async def test_a_later_success_clears_last_failed_prompt() -> None:
    answers = iter([httpx.Response(502, text="bad gateway"), None])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers) or _reply(request)

    conversations = Conversations(_client(handler))
    with pytest.raises(AgentSendError, match="HTTP 502: bad gateway"):
        await conversations.send("dev", "first")
    assert conversations.last_failed_prompt("dev") == "first"
    await conversations.send("dev", "first")
    assert conversations.last_failed_prompt("dev") is None
    assert [t.status for t in conversations.history("dev")] == ["failed", "replied"]


async def test_agent_error_flag_is_a_reply_not_a_failure() -> None:
    conversations = Conversations(
        _client(
            lambda r: httpx.Response(
                200, json={"response": "I could not run the tests", "session_id": "s", "is_error": True}
            )
        )
    )
    turn = await conversations.send("dev", "run tests")
    assert turn.is_error and turn.status == "agent-error" and turn.error is None
    assert conversations.last_failed_prompt("dev") is None


def test_reply_markdown_source_strips_escapes_and_keeps_text_literal() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    reply = (
        "# Title\n[bold red]not markup[/]\x1b]52;c;ZXZpbA==\x07 done\x1b[31m red\x1b[0m\r\n\tindented\x9b2J"
    )
    turn = Turn(id=1, sandbox="dev", prompt="p", agent="claude", started_at=now, finished_at=now, reply=reply)
    assert turn.reply == reply  # kept literal
    assert reply_markdown_source(turn) == "# Title\n[bold red]not markup[/] done red\n\tindented"
    in_flight = Turn(id=2, sandbox="dev", prompt="p", agent="claude", started_at=now)
    assert reply_markdown_source(in_flight) == ""


def test_max_turns_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Conversations(_client(_reply), max_turns=0)


# ----------------------------------------------------------------------------------------- simulator


async def test_sim_send_quotes_the_prompt_and_returns_a_session(sim: Any, amika_client: AmikaClient) -> None:
    name = await _ready_sandbox(sim, amika_client)
    conversations = Conversations(amika_client)
    turn = await conversations.send(name, "please list the files")
    assert "please list the files" in (turn.reply or "")
    assert turn.session_id
    again = await conversations.send(name, "and again")
    assert again.session_id == turn.session_id  # the server resumed the latest session
    fresh = await conversations.send(name, "start over", new_session=True)
    assert fresh.session_id and fresh.session_id != turn.session_id


async def test_sim_credentials_failure_keeps_the_prompt(sim: Any, amika_client: AmikaClient) -> None:
    name = await _ready_sandbox(sim, amika_client, with_credentials=False)
    conversations = Conversations(amika_client)
    with pytest.raises(AgentSendError) as info:
        await conversations.send(name, "hello?")
    assert info.value.reason == "credentials"
    assert "failed to authenticate" in str(info.value)
    assert conversations.last_failed_prompt(name) == "hello?"


async def test_sim_two_sandboxes_in_flight_concurrently(sim: Any, amika_client: AmikaClient) -> None:
    first = await _ready_sandbox(sim, amika_client, name="prompt-one")
    second = await _ready_sandbox(sim, amika_client, name="prompt-two", register=False)
    conversations = Conversations(amika_client)
    tasks = [
        asyncio.create_task(conversations.send(first, "hello one")),
        asyncio.create_task(conversations.send(second, "hello two", agent="claude")),
    ]
    await asyncio.sleep(0)  # both turns are recorded before their requests go out
    assert {t.sandbox for t in conversations.in_flight()} == {first, second}
    one, two = await asyncio.gather(*tasks)
    assert "hello one" in (one.reply or "") and "hello two" in (two.reply or "")
    assert one.session_id != two.session_id
    assert conversations.in_flight() == ()


async def test_sim_unknown_sandbox_is_a_404(sim: Any, amika_client: AmikaClient) -> None:
    conversations = Conversations(amika_client)
    with pytest.raises(AgentSendError) as info:
        await conversations.send("no-such-sandbox", "hi")
    assert info.value.status == 404 and "no-such-sandbox" in str(info.value)
    assert conversations.last_failed_prompt("no-such-sandbox") == "hi"


async def _ready_sandbox(
    sim: Any, amika: AmikaClient, *, with_credentials: bool = True, name: str = "", register: bool = True
) -> str:
    """A new sandbox on the simulator, flipped to active through its control API (no waiting, no random
    provisioning failure). With credentials, a claude api_key is registered first and requested at create."""
    name = name or f"prompt-{'creds' if with_credentials else 'nocreds'}"
    fields: dict[str, Any] = {"name": name}
    if with_credentials:
        if register:
            await amika.create_provider_secret("claude", "test-key", "sk-ant-test-0123456789", "api_key")
        fields["agent_credentials"] = [{"kind": "claude"}]
    await amika.create_sandbox(**fields)
    async with httpx.AsyncClient(base_url=sim.base_url) as control:
        response = await control.post(f"/_sim/boxes/amika/{name}/state", json={"state": "active"})
        response.raise_for_status()
    return name
