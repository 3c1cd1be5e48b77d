"""Hostile server data through ``boxdeck.service``: the monitor never crashes, and nothing it hands the UI
carries a terminal control sequence once it has been through ``sanitize`` (messages it builds itself —
health errors, notices, action errors — come out clean without help).

Every check walks *all* text reachable from what the service produced: box fields, the api models inside
them (wire fields and extra fields), devbox details, activity entries, notices and error messages.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from boxdeck.api import AmikaClient, DevboxClient
from boxdeck.service.actions.actions import ActionError, Actions
from boxdeck.service.actions.agent_prompts import AgentSendError, Conversations, reply_markdown_source
from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.monitoring.snapshot import Diff
from boxdeck.service.text.redact import Redactor
from boxdeck.service.text.sanitize import sanitize
from support.hostile_data import (
    HOSTILE_STRINGS,
    any_text,
    has_terminal_control,
    json_values,
    record,
    statuses,
)

FUZZ = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

AMIKA_TOKEN = "amk_fuzz_service_token_7f3a9c"
SPRITES_TOKEN = "spr_fuzz_service_token_51be0d"
USER_TOKEN = "usr_fuzz_service_token_c08e44"
TOKENS = (AMIKA_TOKEN, SPRITES_TOKEN, USER_TOKEN)


def strings_in(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string reachable from a service value (dataclasses, pydantic models with extras, containers)."""
    if depth > 60:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from strings_in(getattr(value, name), depth + 1)
        for key, item in (value.__pydantic_extra__ or {}).items():
            yield key
            yield from strings_in(item, depth + 1)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from strings_in(getattr(value, f.name), depth + 1)
    elif isinstance(value, dict) or hasattr(value, "items"):
        for key, item in value.items():
            yield from strings_in(key, depth + 1)
            yield from strings_in(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings_in(item, depth + 1)


def assert_sanitizes_clean(value: Any) -> None:
    for text in set(strings_in(value)):
        one_line = sanitize(text)
        assert not has_terminal_control(one_line), repr(one_line[:200])
        multi = sanitize(text, keep_newlines=True)
        assert not has_terminal_control(multi, allow_newlines=True), repr(multi[:200])
        assert "\x1b" not in multi and "\x9b" not in multi and "\x07" not in multi


def assert_clean_message(text: str | None, *, limit: int = 2_000) -> None:
    """A message the service built for the user: already sanitized, bounded, no token."""
    if text is None:
        return
    assert not has_terminal_control(text), repr(text[:200])
    assert len(text) <= limit, len(text)
    for token in TOKENS:
        assert token not in text


class World:
    """What the fake servers answer this round; the handler reads it on every request."""

    def __init__(self) -> None:
        self.status = 200
        self.amika: bytes = b"[]"
        self.devbox: bytes = b"[]"
        self.operations: bytes = b"[]"
        self.repositories: bytes = b"[]"
        self.action_status = 500
        self.action_body: bytes = b""

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method != "GET":
            return httpx.Response(self.action_status, content=self.action_body)
        if path.endswith("/operations"):
            body = self.operations
        elif path.endswith("/repositories"):
            body = self.repositories
        elif path.startswith("/api/v0beta1"):
            body = self.amika
        else:
            body = self.devbox
        return httpx.Response(self.status, content=body)


def _monitor(world: World) -> Monitor:
    transport = httpx.MockTransport(world.handler)
    amika = AmikaClient("https://amika.test", access_token=AMIKA_TOKEN, transport=transport)
    devbox = DevboxClient(
        "https://devbox.test", sprites_token=SPRITES_TOKEN, user_token=USER_TOKEN, transport=transport
    )
    clock = iter(range(10**9))
    return Monitor(
        amika=amika,
        devbox=devbox,
        redactor=Redactor(TOKENS),
        clock=lambda: float(next(clock)),
        rng=lambda: 0.5,
    )


def _check_monitor(monitor: Monitor, diffs: list[Diff]) -> None:
    for backend in (Backend.AMIKA, Backend.DEVBOX):
        health = monitor.health(backend)
        assert_clean_message(health.last_error, limit=300)
        snap = monitor.snapshot(backend)
        if snap is not None:
            assert_sanitizes_clean(dict(snap.boxes))
            assert_sanitizes_clean(dict(snap.details))
            for box in snap.boxes.values():
                assert not has_terminal_control(sanitize(box.display_state))
                box.kind  # noqa: B018 - computing the kind of any state must not raise
    for diff in diffs:
        assert_sanitizes_clean(
            [diff.added, diff.removed, [(c.old, c.new, sorted(c.fields)) for c in diff.changed]]
        )
        for notice in monitor.notices(diff):
            assert_clean_message(notice.title)
            assert_clean_message(notice.message)
    assert_sanitizes_clean(list(monitor.activity))
    for entry in monitor.activity:
        assert not has_terminal_control(sanitize(entry.text))


#: The wire fields the service reads (plus a few it only carries), so generation stays cheap.
SANDBOX_FIELDS = ("id", "name", "state", "error_message", "created_at", "provider", "branch", "created_by")
DEVBOX_LIST_FIELDS = ("id", "name", "state", "created_at", "access_url")
DETAIL_FIELDS = ("id", "step", "status", "message", "full_name", "clone_status", "clone_error", "created_at")

amika_lists = st.lists(record(SANDBOX_FIELDS), max_size=4).map(lambda d: json.dumps(d).encode())
devbox_lists = st.lists(record(DEVBOX_LIST_FIELDS), max_size=4).map(lambda d: json.dumps(d).encode())
detail_bodies = st.one_of(
    st.lists(record(DETAIL_FIELDS), max_size=4).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda d: json.dumps(d).encode()),
    st.sampled_from([b"", b"nope", b"[" * 50_000]),
)
#: A round: the list answers (sometimes an error status or a non-list body) and the detail answers.
rounds = st.fixed_dictionaries(
    {
        "status": st.one_of(st.just(200), st.just(200), st.just(200), statuses),
        "amika": st.one_of(
            amika_lists, amika_lists, amika_lists, json_values.map(lambda d: json.dumps(d).encode())
        ),
        "devbox": st.one_of(
            devbox_lists, devbox_lists, devbox_lists, json_values.map(lambda d: json.dumps(d).encode())
        ),
        "operations": detail_bodies,
        "repositories": detail_bodies,
    }
)


#: Bodies that keep the same ids across rounds while everything else changes, so diffs see *changes*.
def _same_ids(ids: list[str], fields_: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    return st.tuples(*[record(fields_) for _ in ids]).map(
        lambda docs: json.dumps(
            [{**d, "id": i, "name": d.get("name", i)} for d, i in zip(docs, ids, strict=True)]
        ).encode()
    )


async def _poll_rounds(world: World, plan: list[dict[str, Any]]) -> None:
    monitor = _monitor(world)
    diffs: list[Diff] = []
    monitor.subscribe(diffs.append)
    try:
        for n, answer in enumerate(plan):
            for key, value in answer.items():
                setattr(world, key, value)
            for backend in (Backend.AMIKA, Backend.DEVBOX):
                snap = monitor.snapshot(backend)
                if snap is not None:
                    monitor.watch(list(snap.boxes))
                    for key in snap.boxes:
                        monitor.record_action(key)
                        if n == 1:
                            monitor.mark_pending(key, "stop")
                diff = await monitor.poll(backend)  # must never raise
                diffs.append(diff)
                monitor.next_delay(backend)
            _check_monitor(monitor, diffs)
    finally:
        await monitor.aclose()


@FUZZ
@given(plan=st.lists(rounds, min_size=1, max_size=3))
def test_monitor_survives_hostile_lists_and_details(plan: list[dict[str, Any]]) -> None:
    asyncio.run(_poll_rounds(World(), plan))


@FUZZ
@given(
    amika=st.lists(_same_ids(["sb_1", "sb_2"], SANDBOX_FIELDS), min_size=2, max_size=3),
    devbox=st.lists(_same_ids(["db_1", "db_2"], DEVBOX_LIST_FIELDS), min_size=2, max_size=3),
    ops=st.lists(detail_bodies, min_size=2, max_size=3),
)
def test_changes_of_hostile_boxes_diff_and_notify_cleanly(
    amika: list[bytes], devbox: list[bytes], ops: list[bytes]
) -> None:
    """The same boxes come back with hostile, changing fields: changed-field diffs, transition notices and
    the activity log must all hold."""
    plan = [
        {"amika": a, "devbox": d, "operations": o, "repositories": o}
        for a, d, o in zip(amika, devbox, ops, strict=False)
    ]
    asyncio.run(_poll_rounds(World(), plan))


@FUZZ
@given(text=st.one_of(any_text, st.text(), st.sampled_from(HOSTILE_STRINGS)))
def test_sanitize_leaves_no_control_sequences(text: str) -> None:
    one = sanitize(text)
    assert not has_terminal_control(one)
    multi = sanitize(text, keep_newlines=True)
    assert not has_terminal_control(multi, allow_newlines=True)
    assert "\r" not in multi
    assert sanitize(one) == one and sanitize(multi, keep_newlines=True) == multi  # idempotent


@given(
    text=st.text(
        st.characters(
            blacklist_categories=("Cc", "Cs"),
            blacklist_characters="\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
        )
    )
)
@settings(max_examples=50, deadline=None)
def test_sanitize_keeps_plain_text_and_markup_literally(text: str) -> None:
    """Text without controls is untouched: Rich markup like ``[bold]`` is shown as typed, not stripped."""
    assert sanitize(text) == text
    assert sanitize(f"[bold]{text}[/") == f"[bold]{text}[/"


@FUZZ
@given(
    body=st.one_of(
        st.sampled_from(HOSTILE_STRINGS).map(
            lambda m: json.dumps({"type": "error", "code": m, "message": m})
        ),
        st.sampled_from(HOSTILE_STRINGS).map(lambda m: json.dumps({"detail": [{"msg": m}, m]})),
        st.sampled_from(HOSTILE_STRINGS).map(
            lambda m: json.dumps({"detail": m + AMIKA_TOKEN + SPRITES_TOKEN})
        ),
        any_text,
    ),
    status=st.integers(min_value=400, max_value=599),
)
def test_action_errors_are_clean_and_token_free(body: str, status: int) -> None:
    """Start, stop, delete, create and SSH failing with hostile error bodies (that even echo the tokens):
    every ActionError is one clean line with no token, and the row's pending mark is dropped unless the server
    may have acted."""

    async def run() -> None:
        world = World()
        world.amika = json.dumps(
            [
                {"id": "sb_1", "name": "\x1b]52;c;QUFB\x07dev", "state": "stopped"},
                {"id": "sb_2", "name": "[bold]web", "state": "active"},
            ]
        ).encode()
        world.devbox = json.dumps([{"id": "db_1", "name": "\u202ebox", "state": "ready"}]).encode()
        world.action_status = status
        world.action_body = body.encode("utf-8", "surrogatepass")
        monitor = _monitor(world)
        actions = Actions(monitor)
        try:
            await monitor.poll(Backend.AMIKA)
            await monitor.poll(Backend.DEVBOX)
            boxes = {**monitor.snapshot(Backend.AMIKA).boxes, **monitor.snapshot(Backend.DEVBOX).boxes}
            attempts = [
                lambda: actions.start(boxes["amika:sb_1"]),
                lambda: actions.stop(boxes["amika:sb_2"]),
                lambda: actions.delete(boxes["amika:sb_2"]),
                lambda: actions.delete(boxes["devbox:db_1"]),
                lambda: actions.ssh_command(boxes["amika:sb_2"]),
                lambda: actions.ssh_command(boxes["devbox:db_1"]),
                lambda: actions.create_sandbox(name="n\x1b[2J"),
                lambda: actions.create_devbox("d", claude_token="cl_secret_token_123456"),
            ]
            for attempt in attempts:
                try:
                    await attempt()
                except ActionError as exc:
                    assert_clean_message(str(exc))
                    assert "cl_secret_token_123456" not in str(exc)
                else:
                    assert status == 404  # delete treats "already gone" as done
            for key in boxes:
                # 504: a gateway gave up waiting, so the server may have acted: the row stays pending
                # rather than inviting a second press (see `may_have_applied`).
                assert monitor.pending(key) is None or status in (404, 504)
        finally:
            await monitor.aclose()

    asyncio.run(run())


@FUZZ
@given(
    reply=st.one_of(any_text, st.sampled_from(HOSTILE_STRINGS)),
    status=st.sampled_from([200, 200, 200, 401, 500]),
    shape=st.sampled_from(["ok", "auth"]),
)
def test_agent_replies_reach_the_screen_without_escapes(reply: str, status: int, shape: str) -> None:
    """An OSC 52 sequence in an agent reply (or in an agent-auth failure) must not reach the terminal."""
    if status == 200:
        doc: Any = {"response": reply, "session_id": reply[:50], "is_error": False}
    elif shape == "auth":
        doc = {
            "error": reply,
            "details": json.dumps({"is_error": True, "result": "authentication_error " + reply}),
        }
    else:
        doc = {"type": "error", "code": "agent_failed", "message": reply}
    body = json.dumps(doc).encode()

    async def run() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
        async with AmikaClient("https://amika.test", access_token=AMIKA_TOKEN, transport=transport) as amika:
            conversations = Conversations(amika)
            try:
                turn = await conversations.send("dev", "hello")
            except AgentSendError as exc:
                assert_clean_message(str(exc))
                turn = exc.turn
            assert turn is not None
            shown = reply_markdown_source(turn)
            assert not has_terminal_control(shown, allow_newlines=True)
            assert "\x1b" not in shown and "\x9d" not in shown

    asyncio.run(run())
