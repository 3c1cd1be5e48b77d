"""Bad user input into every form and prompt of the running app, against the simulator.

Forms: new sandbox, new devbox (full form), generic secret, provider credential, session create and metadata
edit, SSH key paste; prompts: the agent prompt and the filter. Each is fed empty, 1 MB (pasted as a terminal
paste, or set programmatically — never typed key by key), unicode, control-character and malformed input
(names, SSH keys, OAuth JSON, env vars, metadata). For each refusal:

- a clear message shows inline (non-empty, short, no control characters, not the 1 MB echoed back);
- nothing reached the server that it would reject when the client can know: the clients' ``on_request``
  hook counts every request, and no mutating request is made for a refused input;
- the app stays responsive (a key press is handled within a bounded time) and alive;
- nothing the user typed is lost: the field still holds the input after the error (the one deliberate
  exception — a pasted *private* SSH key is wiped at once — is checked too).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.screen import ModalScreen
from textual.widgets import Input, Static, Switch, TextArea

from boxdeck.service.text.sanitize import sanitize
from boxdeck.tui.modals.new_devbox_full import NewDevboxFullModal
from boxdeck.tui.modals.new_sandbox import NewSandboxModal
from boxdeck.tui.modals.provider_secret_form import NewProviderSecretModal
from boxdeck.tui.modals.secret_form import NewSecretModal, SecretInput
from boxdeck.tui.modals.session_form import SessionFormModal
from boxdeck.tui.modals.ssh_key_picker import SshKeyPickerModal
from boxdeck.tui.screens.account import AccountScreen
from boxdeck.tui.screens.agent_prompt import AgentPromptScreen
from boxdeck.tui.screens.devboxes import DevboxesScreen
from boxdeck.tui.screens.sandbox_sessions import SandboxSessionsScreen
from boxdeck.tui.screens.sandboxes import SandboxesScreen
from boxdeck.tui.screens.secrets import SecretsScreen
from boxdeck.tui.widgets.box_table import BoxTable
from support.hostile_data import has_terminal_control
from support.tui import SIZE, plain, until
from support.ui import (
    Requests,
    app_alive,
    assert_terminal_safe,
    failed_workers,
    literal,
    paste,
    screen_capture,
    set_text,
    sim_app,
)

MB = 1_000_000
HUGE = "x" * MB
#: Far over every field's limit (255-character names, 16 KB keys), yet cheap for an input widget to hold; the
#: full 1 MB goes in test_one_megabyte_pastes_keep_the_app_responsive.
BIG = "y" * 50_000
#: Over the 100 KB prompt limit, small enough that a soft-wrapping editor takes it in well under a second
#: (a 1 MB paste into one is test_one_megabyte_pastes_keep_the_editors_responsive's subject).
OVER_PROMPT_LIMIT = "word " * 30_000
OVER_PROMPT_LINES = "line of text\n" * 12_000
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
CONTROL = f"bad\x1b[2J{OSC52}\x00\x07name"
UNICODE = "\u202eevil\u202c 名前 e\u0301 \U0001f680"
MAX_MESSAGE = 600
#: Wall-time budget for one key press, forms and 1 MB fields included (the loaded CI machine needs < 0.5 s).
KEY_BUDGET = 3.0


# --------------------------------------------------------------------------------------------- helpers


def message_of(screen: Any, selector: str = "#form-error") -> str:
    widget = screen.query_one(selector, Static)
    return plain(widget.content, width=200).strip() if widget.display else ""


def value_of(widget: Any) -> str:
    return widget.text if isinstance(widget, TextArea) else widget.value


def check_message(message: str, *, wants: str | None = None) -> None:
    assert message, "a refusal must say why"
    assert len(message) <= MAX_MESSAGE, f"message of {len(message)} characters: {message[:120]!r}…"
    assert not has_terminal_control(message, allow_newlines=True), repr(message)
    if wants is not None:
        assert wants.casefold() in message.casefold(), message


async def responsive(pilot: Any, key: str = "end") -> None:
    """One (harmless) key press is handled within the budget, and the app is alive with no dead worker."""
    started = time.monotonic()
    await pilot.press(key)
    await pilot.pause()
    took = time.monotonic() - started
    assert took < KEY_BUDGET, f"a key press took {took:.1f}s"
    assert app_alive(pilot.app), "the app exited"
    assert not failed_workers(pilot.app), failed_workers(pilot.app)


async def refused(
    pilot: Any,
    requests: Requests,
    field: Any,
    value: str,
    *,
    how: str = "set",
    wants: str | None = None,
    status: str = "#form-error",
    submit: str = "ctrl+s",
    check_screen: bool = True,
) -> str:
    """Put `value` into `field` (a paste, or set programmatically), submit, and check the refusal: a message,
    nothing sent, the field unchanged. Returns the message."""
    app = pilot.app
    screen = app.screen
    if how == "paste":
        set_text(field, "")
        await paste(pilot, field, value)
    else:
        set_text(field, value)
        await pilot.pause()
    held = value_of(field)
    if how == "set" or isinstance(field, TextArea):
        assert held == value, "the field did not take the input whole"
    elif not isinstance(field, SecretInput):
        assert held == (value.splitlines() or [""])[0]  # an Input takes a paste's first line
    sent_before = requests.mutations()
    await pilot.press(submit)
    # A form checks on submit (the message is there once the key is handled); the sandbox name is checked
    # by the create worker (a few message cycles later).
    await until(pilot, lambda: app.screen is not screen or bool(message_of(screen, status)), timeout=10)
    await pilot.pause()
    assert app.screen is screen, f"{type(screen).__name__} closed on invalid input {value[:40]!r}"
    message = message_of(screen, status)
    check_message(message, wants=wants)
    assert requests.mutations() == sent_before, f"sent {requests.mutations()[len(sent_before):]}"
    assert value_of(field) == held, "the input was lost after the error"
    assert not requests.rejected(), requests.rejected()
    if check_screen and not has_terminal_control(value, allow_newlines=True):
        # (An input widget echoes its own content raw: control characters the *user* pasted are the subject
        # of tests/security/test_ui_escapes.py::test_pasted_escape_sequences_never_reach_the_terminal.)
        assert_terminal_safe(screen_capture(app))
    return message


def table_of(app: Any) -> BoxTable:
    return app.screen.query_one(BoxTable)


async def on_screen(pilot: Any, app: Any, key: str, kind: type, ready=lambda: True) -> Any:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, kind) and ready(), timeout=10)
    await pilot.pause()
    return app.screen


async def open_modal(pilot: Any, app: Any, key: str, kind: type) -> Any:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, kind), timeout=10)
    await pilot.pause()
    return app.screen


async def select_name(pilot: Any, app: Any, name: str) -> None:
    key = next(k for k, b in app.screen.boxes.items() if b.name == name)
    table_of(app).select_key(key)
    await pilot.pause()
    await pilot.pause()


def active_sandbox(sim: Any) -> str:
    return next(sb.name for sb in sim.world.amika.sandboxes.values() if sb.state == "active" and sb.creds)


# ------------------------------------------------------------------------------------- screen 1: sandboxes


async def test_new_sandbox_form_refuses_bad_names_and_keeps_them(world):
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        form = await open_modal(pilot, app, "n", NewSandboxModal)
        name = form.query_one("#name", Input)
        await refused(pilot, requests, name, "", wants="name")
        await refused(pilot, requests, name, "   \t ", wants="name")
        await refused(pilot, requests, name, "bad\x1b[2Jname", wants="control")
        await refused(pilot, requests, name, "[bold]x[/]", wants="letters")
        await refused(pilot, requests, name, "\u202eevil\u202c", wants="letters")
        await refused(pilot, requests, name, "a//b", wants="between slashes")
        # The other fields keep what was typed across the refusals.
        repo = form.query_one("#repo_url", Input)
        set_text(repo, "https://github.com/acme/" + "\u200b" * 3)
        # (The repository input echoes the zero-width characters typed into it, as any input does.)
        await refused(pilot, requests, name, "bad name", wants="letters", check_screen=False)
        assert repo.value == "https://github.com/acme/" + "\u200b" * 3
        await responsive(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))
        assert not requests.mutations()


async def test_pasting_a_too_long_name_is_kept_and_explained_not_dropped(world):
    """The name inputs carry `max_length`, and Textual's Input then refuses a longer paste *entirely*: the
    user's paste vanishes without a word (a bell at most), and the form's own "at most 40 characters" message
    can never show. A pasted name must stay in the field with the message next to it."""
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        form = await open_modal(pilot, app, "n", NewSandboxModal)
        name = form.query_one("#name", Input)
        long_name = "release-candidate-for-the-q3-platform-rollout"  # 45 characters: a plausible paste
        await paste(pilot, name, long_name)
        assert name.value == long_name, f"the pasted name was dropped (field holds {name.value!r})"
        await refused(pilot, requests, name, long_name, how="paste", wants="40")
        await refused(pilot, requests, name, BIG, how="paste", wants="40")
        await responsive(pilot)
        await pilot.press("escape")
        # The full devbox form has the same trap (max_length=63).
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, DevboxesScreen) and table_of(app).row_count > 0)
        form = await open_modal(pilot, app, "n", NewDevboxFullModal)
        name = form.query_one("#name", Input)
        await paste(pilot, name, "d" * 64)
        assert name.value == "d" * 64, f"the pasted name was dropped (field holds {name.value!r})"


async def test_filter_takes_huge_unicode_markup_and_control_input(world):
    """The filter accepts anything (it only narrows the table), and what the screen echoes of it — the
    table's subtitle and the "no match" line — is literal and clean."""
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        screen = app.screen
        await pilot.press("slash")
        field = screen.query_one("#filter", Input)
        for text in (BIG, "[/", "[@click=app.quit]x[/]", UNICODE, CONTROL):
            set_text(field, "")
            await paste(pilot, field, text)
            # Kept whole (a paste filter may drop the control characters themselves, nothing else).
            assert field.value in (text, sanitize(text)), "the filter lost what was pasted"
            assert table_of(app).row_count == 0  # nothing matches: the "no match" line shows instead
            empty = literal(screen.query_one("#empty", Static).content)
            assert text[:20] in empty or has_terminal_control(text)  # markup kept as typed
            # Everything the screen draws around the input (subtitle, "no match" line) is clean; the input
            # itself echoes the paste raw (test_ui_escapes' subject).
            drawn = screen_capture(app).text_outside(field.region)
            assert text[:20] in "".join(drawn) or has_terminal_control(text)
            bad = [row for row in drawn if has_terminal_control(row)]
            assert not bad, bad[:3]
            await responsive(pilot)
        set_text(field, "")
        await pilot.press("escape")
        await pilot.pause()
        assert table_of(app).row_count > 0
        assert not requests.mutations()


async def test_agent_prompt_and_session_forms_refuse_bad_input_and_keep_it(world):
    """The agent prompt (empty, over the 100 KB limit, a session id with controls) and the session forms
    (agent name, malformed metadata JSON: syntax errors, non-objects, NaN, deep nesting, raw controls)."""
    requests = Requests()
    app = sim_app(world, requests)
    name = active_sandbox(world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        await select_name(pilot, app, name)
        screen = await open_modal(pilot, app, "a", AgentPromptScreen)
        editor = screen.query_one("#prompt", TextArea)

        async def refused_prompt(text: str, *, how: str = "set", wants: str) -> None:
            await refused(pilot, requests, editor, text, how=how, wants=wants, status="#agent-status")

        await refused_prompt("", wants="empty")
        await refused_prompt(" \n\t\n ", wants="empty")
        await refused_prompt(OVER_PROMPT_LIMIT, how="paste", wants="too long")
        await refused_prompt(OVER_PROMPT_LINES, how="paste", wants="too long")
        session = screen.query_one("#session-id", Input)
        set_text(session, f"abc{OSC52}")
        await refused(pilot, requests, editor, "hello", wants="session id", status="#agent-status",
                      check_screen=False)  # the session id input echoes its OSC 52 (see test_ui_escapes)
        assert session.value == f"abc{OSC52}"
        set_text(session, "")
        await pilot.pause()
        assert_terminal_safe(screen_capture(app))
        await responsive(pilot, "end")
        assert "agent-send" not in " ".join(requests.mutations())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen))

        sessions = await open_modal(pilot, app, "v", SandboxSessionsScreen)
        await until(pilot, lambda: sessions.loaded, timeout=10)
        form = await open_modal(pilot, app, "n", SessionFormModal)
        agent = form.query_one("#agent-name", Input)
        metadata = form.query_one("#metadata", TextArea)
        await refused(pilot, requests, agent, "", wants="agent name")
        await refused(pilot, requests, agent, "  ", wants="agent name")
        set_text(agent, "claude")
        for text, wants in (
            ("{", "line 1"),
            ('{"a": 1,}', "json"),
            ("[1, 2]", "list"),
            ("null", "object"),
            ('{"a": NaN}', "nan"),
            ("[" * 100_000, None),
            ('{"k": "' + "v" * 150_000 + '"', "json"),
            (f'{{"a": "{OSC52}"}}', None),  # raw control characters inside a JSON string are invalid JSON
        ):
            how = "paste" if len(text) > 1000 else "set"
            await refused(pilot, requests, metadata, text, how=how, wants=wants)
        assert agent.value == "claude"
        await responsive(pilot, "end")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SandboxSessionsScreen))
        # Edit the metadata of an existing session: same checks, the text stays.
        if sessions.selected is not None:
            form = await open_modal(pilot, app, "m", SessionFormModal)
            metadata = form.query_one("#metadata", TextArea)
            await refused(pilot, requests, metadata, '{"ticket": ', wants="json")
            await refused(pilot, requests, metadata, OVER_PROMPT_LIMIT, how="paste", wants="json")
            await responsive(pilot, "end")
        assert not requests.mutations()


#: Bounds for a 1 MB paste: generous (the machine is loaded and Textual lays out a huge value in full), so
#: they catch a hang or a quadratic blow-up, not the few seconds a soft-wrapping editor needs (see below).
PASTE_BOUND = 20.0
KEY_AFTER_PASTE_BOUND = 5.0


async def test_one_megabyte_pastes_are_kept_and_the_app_survives(world):
    """A 1 MB paste into the filter input and the agent prompt editor: kept whole (nothing
    the user pasted is lost; the prompt's 100 KB limit is enforced on send, as tested above), the app alive
    and still taking keys.

    Measured on the 2-core CI machine: the paste into the soft-wrapping prompt editor takes 2–9 s (Textual
    wraps the 1 MB line into ~8,000 screen lines) and each cursor key afterwards about 1.2 s; the inputs take
    it in under 2 s. Those costs are Textual's; boxdeck could avoid them by refusing, with a message, a paste
    far over every field's limit (see the report)."""
    requests = Requests()
    app = sim_app(world, requests)
    name = active_sandbox(world)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SandboxesScreen) and table_of(app).row_count > 0)
        await pilot.press("slash")
        targets = [app.screen.query_one("#filter", Input)]
        timings: dict[str, list[float]] = {}
        for phase in ("filter", "agent"):
            if phase == "agent":
                await pilot.press("escape")
                await select_name(pilot, app, name)
                screen = await open_modal(pilot, app, "a", AgentPromptScreen)
                targets = [screen.query_one("#prompt", TextArea)]
            for widget in targets:
                set_text(widget, "")
                started = time.monotonic()
                await paste(pilot, widget, HUGE)
                took = [time.monotonic() - started]
                for key in ("home", "end"):
                    started = time.monotonic()
                    await pilot.press(key)
                    await pilot.pause()
                    took.append(time.monotonic() - started)
                timings[str(widget.id)] = [round(t, 2) for t in took]
                assert value_of(widget) == HUGE, f"#{widget.id} lost the paste"
                assert app_alive(app) and not failed_workers(app)
                assert took[0] < PASTE_BOUND and max(took[1:]) < KEY_AFTER_PASTE_BOUND, timings
                set_text(widget, "")
                await pilot.pause()
        await responsive(pilot)
        assert not requests.mutations()


# ---------------------------------------------------------------------------------- screen 2: devboxes


async def test_full_devbox_form_refuses_bad_fields_and_keeps_every_one(world):
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table_of(app).row_count > 0)
        await on_screen(pilot, app, "2", DevboxesScreen, lambda: table_of(app).row_count > 0)
        form = await open_modal(pilot, app, "n", NewDevboxFullModal)
        name = form.query_one("#name", Input)
        env = form.query_one("#env", TextArea)
        setup = form.query_one("#setup", TextArea)
        timeout = form.query_one("#setup-timeout", Input)
        claude = form.query_one("#claude-token", Input)
        await refused(pilot, requests, name, "", wants="name")
        await refused(pilot, requests, name, f"box{OSC52}", wants="one line")
        set_text(name, "fuzz-box")
        for text, wants in (
            ("NO_EQUALS_SIGN", "KEY=VALUE"),
            ("1BAD=x", "valid variable name"),
            ("A=1\nA=2", "twice"),
            (f"A={OSC52}", "control"),
            (BIG, "KEY=VALUE"),
            (UNICODE + "=x", "variable name"),
        ):
            await refused(pilot, requests, env, text, how="paste" if len(text) > 1000 else "set", wants=wants)
        set_text(env, "GOOD=1\n# comment\nOTHER=a=b")
        await refused(pilot, requests, setup, f"echo hi\necho {OSC52}", wants="control")
        set_text(setup, "make setup")
        await refused(pilot, requests, timeout, "-5", wants="timeout")
        set_text(timeout, "600")
        form.query_one("#inject-claude", Switch).value = True
        await pilot.pause()
        await refused(pilot, requests, claude, "", wants="claude")
        await refused(pilot, requests, claude, "tok en", wants="one word")
        await refused(pilot, requests, claude, "tok\x1b[2Jen", wants="one word")
        # Every other field still holds what was typed.
        assert (name.value, env.text, setup.text, timeout.value) == (
            "fuzz-box", "GOOD=1\n# comment\nOTHER=a=b", "make setup", "600")
        await responsive(pilot, "end")
        assert not requests.mutations()


# ------------------------------------------------------------------------------ screens 3 and 4: secrets, key


async def test_secret_forms_refuse_bad_names_values_and_oauth_json(world):
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table_of(app).row_count > 0)
        screen = await on_screen(pilot, app, "3", SecretsScreen, lambda: app.screen.loaded_at is not None)
        form = await open_modal(pilot, app, "n", NewSecretModal)
        name = form.query_one("#name", Input)
        value = form.query_one("#value", SecretInput)
        set_text(value, "a-valid-value")
        await refused(pilot, requests, name, "", wants="name")
        await refused(pilot, requests, name, BIG, how="paste", wants="too long")
        await refused(pilot, requests, name, "A\x1b[2JB", wants="control")
        assert value.value == "a-valid-value"  # refused before sending: the value stays too
        set_text(name, "GOOD_NAME")
        await refused(pilot, requests, value, "", wants="empty")
        await refused(pilot, requests, value, " \t ", wants="empty")
        assert name.value == "GOOD_NAME"
        await responsive(pilot, "end")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        form = await open_modal(pilot, app, "N", NewProviderSecretModal)
        name = form.query_one("#name", Input)
        value = form.query_one("#value", SecretInput)
        set_text(name, "claude-oauth")
        from textual.widgets import Select

        form.query_one("#type", Select).value = "oauth"
        await pilot.pause()
        for text, wants in (
            ("", None),
            ("{", "JSON"),
            ("[]", "object"),
            ('"just a string"', "object"),
            ("{" * 50_000, None),
            ('{"claudeAiOauth": {"accessToken": "' + BIG + '"', "JSON"),
        ):
            how = "paste" if len(text) > 1000 else "set"
            await refused(pilot, requests, value, text, how=how, wants=wants)
        assert name.value == "claude-oauth"
        await responsive(pilot, "end")
        assert not requests.mutations()


async def test_multi_line_api_key_paste_is_refused_not_sent_as_one_spaced_key(world):
    """An API key is one word. A paste of two lines (two keys, or a key and a stray line) must be refused
    before sending; the masked input turns the line breaks into spaces, so the service's "a single line"
    check never sees them and "key-one key-two" goes to the server as the credential."""
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table_of(app).row_count > 0)
        await on_screen(pilot, app, "3", SecretsScreen, lambda: app.screen.loaded_at is not None)
        form = await open_modal(pilot, app, "N", NewProviderSecretModal)
        set_text(form.query_one("#name", Input), "two-lines")
        value = form.query_one("#value", SecretInput)
        await refused(pilot, requests, value, "sk-ant-api03-first\nsk-ant-api03-second", how="paste")


async def test_ssh_key_paste_refuses_malformed_keys(world):
    requests = Requests()
    app = sim_app(world, requests)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: table_of(app).row_count > 0)
        await on_screen(pilot, app, "4", AccountScreen, lambda: app.screen.loaded_at is not None)
        form = await open_modal(pilot, app, "K", SshKeyPickerModal)
        pasted = form.query_one("#pasted", TextArea)
        if form.keys:  # a key file in the (isolated) ~/.ssh would win over an empty paste
            pytest.skip("unexpected key files in the isolated home")
        for text, wants in (
            ("", "paste"),
            ("ssh-ed25519", None),
            ("ssh-ed25519 not*base64!! me@box", None),
            ("ssh-rsa AAAA", None),
            ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA me\x1b]52;c;AAAA\x07", None),
            ("ssh-ed25519 AAAAC3Nza\nssh-ed25519 AAAAC3Nzb", None),
            ("ssh-ed25519 " + "A" * 150_000, None),
            (UNICODE, None),
        ):
            how = "paste" if len(text) > 1000 else "set"
            await refused(pilot, requests, pasted, text, how=how, wants=wants)
        # A private key is the one input that is *not* kept: it is wiped at once, with a message.
        private = (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----\n"
        )
        set_text(pasted, private)
        await pilot.press("ctrl+s")
        for _ in range(3):
            await pilot.pause()
        assert isinstance(app.screen, SshKeyPickerModal)
        check_message(message_of(form), wants="private")
        assert pasted.text == ""
        assert "PRIVATE KEY" not in screen_capture(app).text
        await responsive(pilot, "end")
        assert not requests.mutations()
        assert isinstance(app.screen, ModalScreen)
