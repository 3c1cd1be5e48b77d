"""Helpers of the UI-level fuzz and security tests (``test_ui_*.py`` in tests/fuzz and tests/security), on top
of the app fixtures of :mod:`support.tui_fixtures`:

- ``screen_capture(app)``: what the terminal driver would be given for the current screen, both as the text
  of every rendered segment and as the raw byte stream (Textual's own control sequences included);
- ``assert_terminal_safe(...)``: no ESC / CSI / OSC / BEL / C0 / C1 control a server sent survives in it;
- ``MockServer``: both APIs behind one ``httpx.MockTransport`` whose answers a test sets per path, with a
  request counter, for a ``Service.from_settings(..., transport=...)`` built app;
- ``app_alive(app)``: the app did not exit and no worker died with an unhandled error.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from rich.console import Console
from rich.segment import Segment
from textual.worker import WorkerState

# ------------------------------------------------------------------------------------- the rendered screen

#: Anything a terminal would act on rather than print: C0 (tab and newline too: a rendered cell never holds
#: one), DEL, C1 (8-bit CSI 0x9b, OSC 0x9d, ST 0x9c, ...), the bidi controls and the zero-width characters
#: (drawn as nothing by one terminal and as a cell by another: they shift the columns after them).
_RENDERED_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
#: In the raw stream Textual writes its own CSI (colours, cursor moves) and OSC 8 links; nothing else.
_FOREIGN_RAW = re.compile(
    r"\x1b(?!\[[0-9;:?<=>]*[ -/]*[@-~])(?!\]8;[^\x07\x1b]*\x1b\\)"  # ESC not starting Textual's CSI / OSC 8
    r"|[\x00-\x07\x0b-\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]"  # any other C0 (not \t \n \r), DEL, C1
)


class ScreenCapture:
    """One full render of the current screen (modal screens over their background, as the driver sees it)."""

    def __init__(self, segments: list[Segment], lines: list[str], raw: str,
                 rows: list[list[Segment]] | None = None) -> None:
        self.segments = segments
        self.lines = lines
        self.raw = raw
        self.rows = rows or []

    def text_outside(self, *regions: Any) -> list[str]:
        """Each row's text without the cells inside `regions` (e.g. an input widget echoing what the user
        typed), for checking what the *app* drew around it."""
        out = []
        for y, row in enumerate(self.rows):
            x = 0
            kept = []
            for seg in row:
                width = seg.cell_length
                inside = any(r.y <= y < r.y + r.height and r.x <= x and x + width <= r.x + r.width
                             for r in regions)
                if not inside and not seg.control:
                    kept.append(seg.text)
                x += width
            out.append("".join(kept))
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def links(self) -> list[str]:
        return [seg.style.link for seg in self.segments if seg.style is not None and seg.style.link]

    def click_metas(self) -> list[str]:
        out = []
        for seg in self.segments:
            meta = seg.style.meta if seg.style is not None else None
            if meta and "@click" in meta:
                out.append(str(meta["@click"]))
        return out

    def find(self, needle: str) -> tuple[int, int] | None:
        """(x, y) of the first cell showing `needle` (x counted in characters, good enough for ASCII)."""
        for y, line in enumerate(self.lines):
            x = line.find(needle)
            if x >= 0:
                return x, y
        return None


def screen_capture(app: Any) -> ScreenCapture:
    width, height = app.size
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    segments: list[Segment] = []
    lines: list[str] = []
    rows: list[list[Segment]] = []
    for line in update.strips:
        texts = []
        row: list[Segment] = []
        for strip in line:
            for segment in strip:
                segments.append(segment)
                row.append(segment)
                texts.append(segment.text)
        lines.append("".join(texts))
        rows.append(row)
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
        legacy_windows=False, safe_box=False,
    )
    raw = update.render_segments(console)
    app.screen.refresh()  # the full render above cleared the dirty regions: let the app repaint as usual
    return ScreenCapture(segments, lines, raw, rows)


def foreign_controls(capture: ScreenCapture) -> list[str]:
    """Every control character or foreign escape in the capture, with a little context."""
    found = []
    for seg in capture.segments:
        if seg.control:
            continue  # Textual's own cursor moves (not text)
        for match in _RENDERED_CONTROL.finditer(seg.text):
            at = match.start()
            found.append(f"segment {seg.text[max(0, at - 20) : at + 20]!r}")
    for match in _FOREIGN_RAW.finditer(capture.raw):
        at = match.start()
        found.append(f"raw {capture.raw[max(0, at - 20) : at + 30]!r}")
    return found


def assert_terminal_safe(
    capture: ScreenCapture, *, hostile_links: Iterable[str] = ("evil.example", "/etc/")
) -> None:
    problems = foreign_controls(capture)
    assert not problems, problems[:10]
    assert "\x1b]52" not in capture.raw and "\x9d" not in capture.raw  # no clipboard write, 7- or 8-bit
    for link in capture.links():
        assert not any(h in link for h in hostile_links), link
    for action in capture.click_metas():
        assert "quit" not in action, action  # server text never becomes a clickable action


def literal(content: Any) -> str:
    """A Static's content as the characters it holds (a `str` content of a `markup=False` Static is literal;
    printing it through Rich would parse it as markup)."""
    if isinstance(content, str):
        return content
    text = getattr(content, "plain", None)
    return text if isinstance(text, str) else str(content)


def svg_text(svg: str) -> str:
    """The visible text of an SVG screenshot (HTML entities decoded)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", svg))


# --------------------------------------------------------------------------------------------- app health


def app_alive(app: Any) -> bool:
    return app.is_running and app.return_code is None and app._exit_renderables == []


def failed_workers(app: Any) -> list[str]:
    """Workers (anywhere in the app) that ended in ERROR."""
    return [f"{w.name}: {w.error!r}" for w in app.workers if w.state is WorkerState.ERROR]


def notification_texts(app: Any) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def error_notifications(app: Any) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications if n.severity == "error"]


# ---------------------------------------------------------------------------------------- a fake API server


class MockServer:
    """Both APIs behind one MockTransport. Answers are set per (method, path regex); the last match wins.

    A `None` status in an answer means "200". Unknown paths answer 404 with a JSON body. Every request is
    recorded (method, path, body), so a test can count what reached the "server".
    """

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Callable[[httpx.Request], httpx.Response]]] = []
        self.requests: list[tuple[str, str, bytes]] = []

    def answer(self, method: str, path: str, body: Any = None, status: int = 200, *, raw: bytes | None = None
               ) -> None:
        # ASCII JSON: a lone surrogate travels as an escape, as a real server would send it.
        content = raw if raw is not None else json.dumps(body).encode()

        def respond(_request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, content=content, headers={"content-type": "application/json"})

        self.routes.append((method.upper(), re.compile(path + r"$"), respond))

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append((request.method, path, request.content))
        for method, pattern, respond in reversed(self.routes):
            if method in (request.method, "*") and pattern.search(path):
                return respond(request)
        return httpx.Response(404, json={"error": "not found", "message": f"no route {path}"})

    def count(self, method: str | None = None, path: str = "") -> int:
        return sum(1 for m, p, _ in self.requests if (method is None or m == method) and path in p)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def empty_world(self) -> None:
        """Empty lists everywhere the app looks, so a test adds only what it is about."""
        self.answer("GET", "/api/v0beta1/sandboxes", [])
        self.answer("GET", "/api/v0beta1/sandboxes/[^/]+/sessions/latest", {"error": "none"}, 404)
        self.answer("GET", "/api/v0beta1/sandboxes/[^/]+/sessions", {"sessions": [], "total": 0})
        self.answer("GET", "/api/v0beta1/secrets", [])
        self.answer("GET", "/api/v0beta1/secrets/(claude|codex)", [])
        self.answer("GET", "/api/v1/devboxes", [])
        self.answer("GET", "/api/v1/devboxes/[^/]+/operations", [])
        self.answer("GET", "/api/v1/devboxes/[^/]+/repositories", [])
        self.answer("GET", "/api/v1/users/me", {"has_ssh_key": False})
        self.answer("GET", "/api/v1/integrations/github/connection", {"error": "not connected"}, 404)


def mock_app(server: MockServer, *, now: Any = None, interval: float = 1.0, **app_options: Any) -> Any:
    """A BoxdeckApp whose two clients talk to `server` (the real clients, the real monitor). Polls every
    `interval` seconds: the tests call `app.deck.poller.poll_now()` when they change the answers, and slower
    polling
    leaves the (loaded) machine idle sooner, which is what every `pilot.pause()` waits for."""
    from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
    from boxdeck.tui.app import BoxdeckApp
    from boxdeck.tui.context import Deck

    settings = Settings(
        amika=AmikaSettings("https://amika.test", "amk_ui_fuzz_token_5c1e9a"),
        devbox=DevboxSettings("https://devbox.test", "spr_ui_fuzz_token_a77d02", "usr_ui_fuzz_token_3b0c6f"),
        steady_interval=interval,
        busy_interval=interval,
    )
    service = Service.from_settings(settings, transport=server.transport, rng=lambda: 0.0, max_backoff=0.2,
                                    **({"now": now} if now is not None else {}))
    app_options.setdefault("spinner_interval", None)
    if now is not None:
        app_options.setdefault("now", now)
    initial_mode = app_options.pop("initial_mode", None)
    return BoxdeckApp(Deck(service, owns_services=True, **app_options), initial_mode=initial_mode)


# ------------------------------------------------------------------- one app for many hypothesis examples


class AppThread:
    """One headless app, running in its own thread and event loop, that many synchronous hypothesis examples
    drive in turn: ``thread.call(lambda pilot: coroutine)`` runs the coroutine inside the app's run_test()
    task and returns its result (or raises its exception). Starting an app per example would cost a second
    each; this costs one start per test module.
    """

    def __init__(self, app: Any, size: tuple[int, int] = (140, 40)) -> None:
        import asyncio
        import threading

        self.app = app
        self._size = size
        self._loop = asyncio.new_event_loop()
        self._jobs: asyncio.Queue[Any] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="ui-fuzz-app", daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the app did not start")
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._session())
        except BaseException as exc:  # reported to the caller of call()/close()
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _session(self) -> None:
        import asyncio

        self._jobs = asyncio.Queue()
        async with self.app.run_test(size=self._size) as pilot:
            self._ready.set()
            while True:
                job = await self._jobs.get()
                if job is None:
                    break
                fn, future = job
                try:
                    future.set_result(await fn(pilot))
                except BaseException as exc:
                    future.set_exception(exc)

    def call(self, fn: Callable[[Any], Any], timeout: float = 30) -> Any:
        import concurrent.futures

        if self._error is not None:
            raise self._error
        import time

        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        assert self._jobs is not None
        if not self._thread.is_alive():
            raise RuntimeError("the app thread has ended")
        self._loop.call_soon_threadsafe(self._jobs.put_nowait, (fn, future))
        deadline = time.monotonic() + timeout
        while True:
            try:
                return future.result(0.2)
            except concurrent.futures.TimeoutError:
                if not self._thread.is_alive():
                    raise RuntimeError(f"the app thread ended: {self._error!r}") from None
                if time.monotonic() > deadline:
                    raise

    def close(self) -> None:
        if self._thread.is_alive() and self._jobs is not None:
            self._loop.call_soon_threadsafe(self._jobs.put_nowait, None)
            self._thread.join(30)
        if self._error is not None:
            raise self._error


# ------------------------------------------------------------------------ the simulator, requests counted


class Requests(list):  # type: ignore[type-arg]
    """Every request the app's clients made (their `on_request` hook): method, path, status."""

    def mutations(self) -> list[str]:
        return [f"{r.method} {r.path} {r.status}" for r in self if r.method != "GET"]

    def rejected(self) -> list[str]:
        """Requests the server refused as invalid (what the client could have known before sending)."""
        return [f"{r.method} {r.path} {r.status}" for r in self if r.status in (400, 422)]


def sim_app(
    sim: Any, requests: Requests | None = None, *, read_only: bool = False, interval: float = 2.0,
    **app_options: Any,
) -> Any:
    """Like the TUI ``make_app`` fixture (same settings and clock), plus a request counter; polls every
    `interval` seconds (the forms under test need no live updates, and a quieter app settles faster)."""
    from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Service, Settings
    from boxdeck.tui.app import BoxdeckApp
    from support.tui_fixtures import sim_now

    settings = Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token),
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token),
        read_only=read_only,
        steady_interval=interval,
        busy_interval=interval,
    )
    extra = {"on_request": requests.append} if requests is not None else {}
    service = Service.from_settings(settings, now=sim_now(sim), rng=lambda: 0.0, max_backoff=0.2, **extra)
    app_options.setdefault("spinner_interval", None)
    initial_mode = app_options.pop("initial_mode", None)
    from boxdeck.tui.context import Deck

    deck = Deck(service, now=sim_now(sim), owns_services=True, **app_options)
    return BoxdeckApp(deck, initial_mode=initial_mode)


async def paste(pilot: Any, widget: Any, text: str) -> None:
    """Paste `text` into `widget` the way a terminal does, not key by key: the driver hands the app a
    bracketed-paste event and the app forwards it to the focused widget. (Posting it to the widget directly
    would deliver it twice: it bubbles back up to the app, which forwards it again.)"""
    from textual import events

    widget.focus()
    await pilot.pause()
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.pause()


def set_text(widget: Any, text: str) -> None:
    """Replace a field's whole content (Input.value / TextArea.text)."""
    if hasattr(widget, "load_text"):
        widget.load_text(text)
    else:
        widget.value = text
