"""Bad user input into the service-level validators: a clear, short error and nothing sent.

Every form value a user can type (SSH public keys, secret names and values, OAuth credential JSON, env vars,
setup commands, devbox form fields, session metadata, agent prompts) is fed empty, 1 MB, unicode,
control-character and malformed input. Each refusal must be the validator's own error type (a ``ValueError``
or ``ServiceError`` subclass) with a non-empty message that neither echoes the 1 MB back nor carries a raw
control character, and the request counter on the ``httpx.MockTransport`` must stay at zero.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxdeck.api import AmikaClient, DevboxClient, GitHubRepo
from boxdeck.service.access.devbox_access import (
    DevboxFormError,
    RepoChoice,
    build_devbox_request,
    parse_env_text,
    parse_setup_commands,
)
from boxdeck.service.actions.account import Account, AccountError
from boxdeck.service.actions.actions import ActionError, Actions
from boxdeck.service.actions.agent_prompts import Conversations, PromptError
from boxdeck.service.actions.errors import ServiceError
from boxdeck.service.actions.sandbox_sessions import (
    MetadataError,
    SandboxSessions,
    SessionError,
    parse_metadata_text,
    validate_metadata,
)
from boxdeck.service.actions.secret_store import (
    SecretStore,
    SecretValidationError,
    validate_oauth_value,
    validate_secret_name,
    validate_secret_value,
)
from boxdeck.service.actions.ssh_keys import PublicKeyError, validate_public_key
from boxdeck.service.actions.validation import SandboxNameError, validate_sandbox_name
from boxdeck.service.monitoring.monitor import Monitor
from support.hostile_data import HOSTILE_STRINGS, has_terminal_control

MB = 1_000_000
#: A refusal may quote a little of the input, never a lot.
MAX_MESSAGE = 1_000
HUGE = "x" * MB
HUGE_UNICODE = "\u202e\u0301é\U0001f4a5" * (MB // 4)
HUGE_CONTROL = "\x1b[2J\x00\x07" * (MB // 6)
DEEP_JSON = "[" * 100_000
DEEP_OBJECT = '{"a":' * 100_000

FUZZ = settings(max_examples=40, deadline=None)
#: Lone surrogates are left to dedicated tests (test_lone_surrogates_are_refused_before_sending), so a
#: hypothesis run never fails on them by chance.
_TYPABLE = [s for s in HOSTILE_STRINGS if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]
user_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(_TYPABLE),
    st.lists(st.sampled_from(_TYPABLE), max_size=5).map("\n".join),
)


def _s(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


VALID_ED25519 = "ssh-ed25519 " + base64.b64encode(_s(b"ssh-ed25519") + _s(b"\x07" * 32)).decode() + " me@box"


def check_refusal(exc: BaseException, *, echo: str | None = None) -> None:
    """A refusal a user can read: non-empty, short, one that does not carry controls or the input."""
    message = str(exc)
    assert message.strip(), f"empty message from {type(exc).__name__}"
    assert len(message) <= MAX_MESSAGE, f"{type(exc).__name__} message is {len(message)} chars"
    assert not has_terminal_control(message, allow_newlines=True), repr(message[:200])
    if echo is not None and len(echo) >= 12:
        assert echo not in message


class Counter:
    """A MockTransport that counts (and would accept) every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={})


def _run(factory: Callable[[Counter], Awaitable[Any]]) -> tuple[BaseException | None, int]:
    """Run one service call on counting clients; return (the error it raised, requests sent)."""
    counter = Counter()

    async def go() -> BaseException | None:
        try:
            await factory(counter)
        except Exception as exc:
            return exc
        return None

    return asyncio.run(go()), len(counter.requests)


def _amika(counter: Counter) -> AmikaClient:
    return AmikaClient("https://amika.test", access_token="amk_input_token_123", transport=counter.transport)


def _devbox(counter: Counter) -> DevboxClient:
    return DevboxClient(
        "https://devbox.test",
        sprites_token="spr_input_token_123",
        user_token="usr_tok_12345",
        transport=counter.transport,
    )


# ----------------------------------------------------------------------------------------------- SSH keys

BAD_KEYS = {
    "empty": "",
    "blank": "   \n\t ",
    "1MB": "ssh-ed25519 " + "A" * MB,
    "1MB-garbage": HUGE,
    "1MB-unicode": HUGE_UNICODE,
    "1MB-control": HUGE_CONTROL,
    "escape": "ssh-ed25519 AAAA\x1b]52;c;QUFB\x07",
    "nul": VALID_ED25519.replace(" me", "\x00me"),
    "bidi": "\u202essh-ed25519 AAAA",
    "private": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----",
    "two-lines": VALID_ED25519 + "\n" + VALID_ED25519,
    "not-base64": "ssh-ed25519 !!!not*base64!!!",
    "truncated": VALID_ED25519[:40],
    "wrong-embedded-type": "ssh-ed25519 " + base64.b64encode(_s(b"ssh-rsa") + _s(b"\x01" * 32)).decode(),
    "trailing-bytes": "ssh-ed25519 "
    + base64.b64encode(_s(b"ssh-ed25519") + _s(b"\x01" * 32) + b"xx").decode(),
    "dsa": "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
    "certificate": "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQ=",
    "unknown-type": "ssh-nope AAAA",
    "unicode-type": "ssh-éd25519 AAAA",
    "rfc4716": "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3Nza\n---- END SSH2 PUBLIC KEY ----",
    "type-only": "ssh-ed25519",
    "markup": "[bold]ssh-ed25519[/] AAAA",
}


@pytest.mark.parametrize("text", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_bad_ssh_keys_are_refused_before_sending(text: str) -> None:
    with pytest.raises(PublicKeyError) as info:
        validate_public_key(text)
    check_refusal(info.value, echo=text)

    error, sent = _run(lambda c: Account(_devbox(c), has_user_token=True).set_ssh_key(text))
    assert isinstance(error, AccountError) and error.reason == "invalid-key", repr(error)
    check_refusal(error, echo=text)
    assert sent == 0


def test_a_valid_ssh_key_is_sent_once() -> None:
    error, sent = _run(lambda c: Account(_devbox(c), has_user_token=True).set_ssh_key(f"  {VALID_ED25519}\n"))
    assert error is None and sent == 1


@FUZZ
@given(text=st.one_of(user_text, st.builds(lambda s: "ssh-ed25519 " + s, user_text)))
def test_any_text_is_a_key_or_a_public_key_error(text: str) -> None:
    try:
        line = validate_public_key(text)
    except PublicKeyError as exc:
        check_refusal(exc)
    else:
        assert "\n" not in line and not has_terminal_control(line)


# ------------------------------------------------------------------------------------------------ secrets

BAD_NAMES = {
    "empty": "",
    "blank": "  ",
    "1MB": HUGE,
    "256": "n" * 256,
    "newline": "a\nb",
    "escape": "a\x1b[2Jb",
    "osc52": "\x1b]52;c;QUFB\x07",
    "nul": "a\x00b",
    "c1": "a\x9bb",
    "1MB-unicode": HUGE_UNICODE,
}
BAD_VALUES = {"empty": "", "blank": " \n\t "}


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_bad_secret_names_are_refused_before_sending(name: str) -> None:
    with pytest.raises(SecretValidationError) as info:
        validate_secret_name(name)
    check_refusal(info.value, echo=name)
    for call in (
        lambda c: SecretStore(_amika(c)).create(name, "value-1234"),
        lambda c: SecretStore(_amika(c)).create_provider("claude", name, "api_key", "sk-ant-123456"),
    ):
        error, sent = _run(call)
        assert isinstance(error, SecretValidationError) and error.field == "name", repr(error)
        check_refusal(error, echo=name)
        assert sent == 0


@pytest.mark.parametrize("value", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_empty_secret_values_are_refused_before_sending(value: str) -> None:
    with pytest.raises(SecretValidationError):
        validate_secret_value(value)
    for call in (
        lambda c: SecretStore(_amika(c)).create("NAME", value),
        lambda c: SecretStore(_amika(c)).update("sec_1", value),
        lambda c: SecretStore(_amika(c)).create_provider("codex", "n", "api_key", value),
        lambda c: SecretStore(_amika(c)).create_provider("codex", "n", "oauth", value),
    ):
        error, sent = _run(call)
        assert isinstance(error, SecretValidationError) and error.field == "value", repr(error)
        check_refusal(error)
        assert sent == 0


BAD_OAUTH = {
    "1MB-garbage": HUGE,
    "1MB-control": HUGE_CONTROL,
    "truncated": '{"claudeAiOauth": {"accessToken": "sk-ant-oat01-secretsecret"',
    "list": '["sk-ant-oat01-secretsecret"]',
    "string": '"sk-ant-oat01-secretsecret"',
    "number": "12345678901234",
    "api-key-pasted": "sk-ant-api03-secretsecretsecret",
    "trailing-comma": '{"tokens": {"access_token": "tok-secretsecret",}}',
    "deep-array": DEEP_JSON,
    "deep-object": DEEP_OBJECT,
    "escape": '\x1b]52;c;QUFB\x07{"a": 1}',
}


@pytest.mark.parametrize("value", list(BAD_OAUTH.values()), ids=list(BAD_OAUTH))
def test_malformed_oauth_json_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(SecretValidationError) as info:
        validate_oauth_value("claude", value)
    check_refusal(info.value, echo=value)
    error, sent = _run(lambda c: SecretStore(_amika(c)).create_provider("claude", "work", "oauth", value))
    assert isinstance(error, SecretValidationError) and error.field == "value", repr(error)
    check_refusal(error, echo=value)
    assert sent == 0


@pytest.mark.parametrize(
    ("provider", "type_", "scope"),
    [
        ("", "api_key", "user"),
        ("gemini", "api_key", "user"),
        ("\x1b]52;c;QUFB\x07", "api_key", "user"),
        ("claude", "", "user"),
        ("claude", "password", "user"),
        ("claude", "[bold]oauth", "user"),
    ],
)
def test_bad_provider_or_type_is_refused_before_sending(provider: str, type_: str, scope: str) -> None:
    error, sent = _run(
        lambda c: SecretStore(_amika(c)).create_provider(provider, "name", type_, "sk-123456789")
    )
    assert isinstance(error, SecretValidationError), repr(error)
    check_refusal(error)
    assert sent == 0


@pytest.mark.parametrize(
    "scope", ["", "global", "USER", "\x1b[2Juser", HUGE], ids=["empty", "global", "upper", "escape", "1MB"]
)
def test_bad_scope_is_refused_before_sending(scope: str) -> None:
    error, sent = _run(lambda c: SecretStore(_amika(c)).create("NAME", "value-123", scope))
    assert isinstance(error, SecretValidationError) and error.field == "scope", repr(error)
    check_refusal(error, echo=scope)
    assert sent == 0


def test_multi_line_api_key_is_refused_before_sending() -> None:
    error, sent = _run(
        lambda c: SecretStore(_amika(c)).create_provider("claude", "n", "api_key", "sk-ant-1234\nsk-ant-5678")
    )
    assert isinstance(error, SecretValidationError)
    check_refusal(error, echo="sk-ant-1234\nsk-ant-5678")
    assert sent == 0


@FUZZ
@given(name=user_text, value=user_text, oauth=st.booleans())
def test_any_secret_input_is_sent_or_refused_cleanly(name: str, value: str, oauth: bool) -> None:
    error, sent = _run(
        lambda c: SecretStore(_amika(c)).create_provider(
            "claude", name, "oauth" if oauth else "api_key", value
        )
    )
    if error is not None:
        assert isinstance(error, SecretValidationError), repr(error)
        check_refusal(error, echo=value)
        assert sent == 0
    else:
        assert sent == 1


@pytest.mark.parametrize("where", ["name", "value", "api_key", "oauth"])
def test_lone_surrogates_are_refused_before_sending(where: str) -> None:
    """A lone surrogate (pasted from a broken clipboard, decoded with surrogateescape) cannot be encoded as
    UTF-8: the request body fails to serialise with a bare UnicodeEncodeError from inside the client. The
    validators should refuse it with their own error, as they do control characters."""
    bad = "sk-\udcff-123456"
    calls = {
        "name": lambda c: SecretStore(_amika(c)).create(bad, "value-123456"),
        "value": lambda c: SecretStore(_amika(c)).create("NAME", bad),
        "api_key": lambda c: SecretStore(_amika(c)).create_provider("claude", "n", "api_key", bad),
        "oauth": lambda c: SecretStore(_amika(c)).create_provider(
            "claude", "n", "oauth", f'{{"k": "{bad}"}}'
        ),
    }
    error, sent = _run(calls[where])
    assert isinstance(error, SecretValidationError), repr(error)
    check_refusal(error, echo=bad)
    assert sent == 0


# ------------------------------------------------------------------------------------- devbox create form

BAD_ENV = {
    "no-equals": "JUST_A_WORD",
    "digit-key": "1BAD=x",
    "dash-key": "BAD-KEY=x",
    "unicode-key": "CLÉ=x",
    "empty-key": "=value",
    "duplicate": "A=1\nA=2",
    "escape-value": "A=\x1b]52;c;QUFB\x07",
    "nul-value": "A=a\x00b",
    "c1-value": "A=a\x9bb",
    "1MB-no-equals": HUGE,
    "1MB-unicode-key": HUGE_UNICODE + "=1",
    "1MB-control-value": "A=" + HUGE_CONTROL,
    "escape-key": "\x1b[2J=1",
}


@pytest.mark.parametrize("text", list(BAD_ENV.values()), ids=list(BAD_ENV))
def test_bad_env_lines_are_refused(text: str) -> None:
    with pytest.raises(DevboxFormError) as info:
        parse_env_text(text)
    check_refusal(info.value, echo=text)
    assert info.value.field == "env"
    with pytest.raises(DevboxFormError) as info:
        build_devbox_request("dev", env_text=text)
    assert info.value.field == "env"


def test_env_values_are_kept_verbatim() -> None:
    """Nothing the user typed is lost: '=' inside values, spaces, unicode and comments around them."""
    text = "# comment\n\n  A=b=c \nPATH_2=/usr/bin:/bin\nUNI=é😀 x\nEMPTY=\n"
    assert parse_env_text(text) == {"A": "b=c ", "PATH_2": "/usr/bin:/bin", "UNI": "é😀 x", "EMPTY": ""}


@pytest.mark.parametrize(
    "text",
    ["ok\n\x1b[2Jrm -rf /", "echo \x00", "a\x9bb", "x\x07", HUGE_CONTROL],
    ids=["escape", "nul", "c1", "bell", "1MB-control"],
)
def test_setup_commands_with_controls_are_refused(text: str) -> None:
    with pytest.raises(DevboxFormError) as info:
        parse_setup_commands(text)
    check_refusal(info.value, echo=text)


REPO = GitHubRepo(repo_id=7, full_name="acme/app", default_branch="main")
BAD_FORMS: dict[str, tuple[dict[str, Any], str]] = {
    "empty-name": ({"name": ""}, "name"),
    "blank-name": ({"name": " \t "}, "name"),
    "1MB-name": ({"name": HUGE}, "name"),
    "1MB-unicode-name": ({"name": HUGE_UNICODE}, "name"),
    "escape-name": ({"name": "dev\x1b]52;c;QUFB\x07"}, "name"),
    "newline-name": ({"name": "dev\nbox"}, "name"),
    "bidi-name": ({"name": "\u202edev"}, "name"),
    "inject-without-token": ({"name": "d", "inject_claude": True}, "claude_token"),
    "token-with-space": ({"name": "d", "inject_codex": True, "codex_token": "abc def"}, "codex_token"),
    "token-with-escape": ({"name": "d", "inject_claude": True, "claude_token": "abc\x1b[2J"}, "claude_token"),
    "timeout-text": ({"name": "d", "setup_timeout": "soon"}, "setup_timeout"),
    "timeout-zero": ({"name": "d", "setup_timeout": "0"}, "setup_timeout"),
    "timeout-huge": ({"name": "d", "setup_timeout": "9" * 5000}, "setup_timeout"),
    "timeout-inf": ({"name": "d", "setup_timeout": "inf"}, "setup_timeout"),
    "timeout-fraction": ({"name": "d", "setup_timeout": 1.5}, "setup_timeout"),
    "repo-ref-space": ({"name": "d", "repos": [RepoChoice(REPO, ref="main branch")]}, "repos"),
    "repo-ref-escape": ({"name": "d", "repos": [RepoChoice(REPO, ref="m\x1b[2J")]}, "repos"),
    "repo-relative-target": ({"name": "d", "repos": [RepoChoice(REPO, target_path="work/app")]}, "repos"),
    "repo-duplicate-target": ({"name": "d", "repos": [RepoChoice(REPO), RepoChoice(REPO)]}, "repos"),
    "repo-without-id": ({"name": "d", "repos": [RepoChoice(GitHubRepo(full_name="x/y"))]}, "repos"),
}


@pytest.mark.parametrize(("form", "field"), list(BAD_FORMS.values()), ids=list(BAD_FORMS))
def test_bad_devbox_forms_name_the_field_to_fix(form: dict[str, Any], field: str) -> None:
    args = dict(form)
    name = args.pop("name")
    with pytest.raises(DevboxFormError) as info:
        build_devbox_request(name, **args)
    assert info.value.field == field
    check_refusal(info.value, echo=name)


@FUZZ
@given(name=user_text, env=user_text, commands=user_text, timeout=st.one_of(user_text, st.integers()))
def test_any_devbox_form_is_built_or_refused_with_a_field(
    name: str, env: str, commands: str, timeout: Any
) -> None:
    try:
        kwargs = build_devbox_request(name, env_text=env, setup_commands_text=commands, setup_timeout=timeout)
    except DevboxFormError as exc:
        check_refusal(exc)
        assert exc.field
    else:
        assert kwargs["name"] == name.strip()
        json.dumps(kwargs)  # what would be sent is plain JSON


# -------------------------------------------------------------------------------------- session metadata

BAD_METADATA_TEXT = {
    "list": "[1, 2]",
    "string": '"ticket"',
    "number": "42",
    "truncated": '{"ticket": "ABC-1"',
    "nan": '{"x": NaN}',
    "infinity": '{"x": Infinity}',
    "1MB-object": json.dumps({"blob": HUGE}),
    "1MB-garbage": HUGE,
    "1MB-control": HUGE_CONTROL,
    "deep-array": DEEP_JSON,
    "deep-object": DEEP_OBJECT,
    "escape": '{"a": 1}\x1b]52;c;QUFB\x07',
}


@pytest.mark.parametrize("text", list(BAD_METADATA_TEXT.values()), ids=list(BAD_METADATA_TEXT))
def test_bad_metadata_text_is_refused(text: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_metadata_text(text)
    check_refusal(info.value, echo=text)


def _deep_dict(depth: int) -> dict[str, Any]:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return {"root": value}


BAD_METADATA = {
    "list": [1, 2],
    "non-string-key": {1: "a"},
    "set-value": {"a": {1, 2}},
    "nan": {"a": float("nan")},
    "bytes": {"a": b"raw"},
    "1MB": {"blob": HUGE},
    "deep": _deep_dict(100_000),
}


@pytest.mark.parametrize("metadata", list(BAD_METADATA.values()), ids=list(BAD_METADATA))
def test_bad_metadata_is_refused_before_sending(metadata: Any) -> None:
    with pytest.raises(MetadataError) as info:
        validate_metadata(metadata)
    check_refusal(info.value)
    for call in (
        lambda c: SandboxSessions(_amika(c)).create("dev", "claude", metadata),
        lambda c: SandboxSessions(_amika(c)).update_metadata("dev", "s1", metadata),
    ):
        error, sent = _run(call)
        assert isinstance(error, ValueError | ServiceError), repr(error)
        check_refusal(error)
        assert sent == 0


@pytest.mark.parametrize(
    "agent",
    ["", "  ", "claude\x1b[2J", "a\nb", HUGE, "x" * 101, "claude\udcff"],
    ids=["empty", "blank", "escape", "newline", "1MB", "101-chars", "surrogate"],
)
def test_bad_session_agent_names_are_refused_before_sending(agent: str) -> None:
    error, sent = _run(lambda c: SandboxSessions(_amika(c)).create("dev", agent))
    assert isinstance(error, SessionError), repr(error)
    check_refusal(error, echo=agent)
    assert sent == 0


@FUZZ
@given(text=user_text)
def test_any_metadata_text_is_an_object_or_a_metadata_error(text: str) -> None:
    try:
        value = parse_metadata_text(text)
    except MetadataError as exc:
        check_refusal(exc)
    else:
        assert isinstance(value, dict)


# ------------------------------------------------------------------------------------------------ prompts

BAD_PROMPTS: dict[str, dict[str, Any]] = {
    "empty": {"message": ""},
    "blank": {"message": " \n\t "},
    "1MB": {"message": HUGE},
    "1MB-unicode": {"message": HUGE_UNICODE},
    "unknown-agent": {"message": "hi", "agent": "gpt\x1b[2J"},
    "both-session-options": {"message": "hi", "new_session": True, "session_id": "s1"},
    "session-id-escape": {"message": "hi", "session_id": "s1\x1b]52;c;QUFB\x07"},
    "session-id-blank": {"message": "hi", "session_id": "  "},
}


@pytest.mark.parametrize("kwargs", list(BAD_PROMPTS.values()), ids=list(BAD_PROMPTS))
def test_bad_prompts_are_refused_before_sending(kwargs: dict[str, Any]) -> None:
    conversations: list[Conversations] = []

    async def send(c: Counter) -> None:
        conv = Conversations(_amika(c))
        conversations.append(conv)
        await conv.send("dev", **kwargs)

    error, sent = _run(send)
    assert isinstance(error, PromptError), repr(error)
    check_refusal(error, echo=kwargs["message"])
    assert sent == 0
    assert conversations[0].history("dev") == ()


@pytest.mark.parametrize("where", ["message", "session_id"])
def test_lone_surrogates_in_prompts_are_refused_before_sending(where: str) -> None:
    """Same for prompts: today the UnicodeEncodeError escapes ``Conversations.send`` as a bare exception
    (it is neither an AmikaError nor a PromptError), so the UI gets no readable message."""
    bad = "hello \udcff"
    kwargs = {"message": bad} if where == "message" else {"message": "hi", "session_id": bad}
    error, sent = _run(lambda c: Conversations(_amika(c)).send("dev", **kwargs))
    assert isinstance(error, PromptError), repr(error)
    check_refusal(error, echo=bad)
    assert sent == 0


# ------------------------------------------------------------------------------------------ sandbox names

BAD_SANDBOX_NAMES = {
    "1MB": HUGE,
    "1MB-unicode": HUGE_UNICODE,
    "1MB-control": HUGE_CONTROL,
    "41": "n" * 41,
    "escape": "dev\x1b[2J",
    "osc52": "\x1b]52;c;QUFB\x07",
    "nul": "a\x00b",
    "c1": "a\x9bb",
    "newline": "dev\nbox",
    "bidi": "\u202edev",
    "surrogate": "dev-\udcff-box",
    "space": "my sandbox",
    "markup": "[bold]dev[/]",
    "leading-slash": "/acme/dev",
    "trailing-slash": "acme/dev/",
    "dot-dot": "acme/../dev",
    "empty-segment": "acme//dev",
}


@pytest.mark.parametrize("name", list(BAD_SANDBOX_NAMES.values()), ids=list(BAD_SANDBOX_NAMES))
def test_bad_sandbox_names_are_refused_before_sending(name: str) -> None:
    with pytest.raises(SandboxNameError) as info:
        validate_sandbox_name(name)
    check_refusal(info.value, echo=name)

    async def create(c: Counter) -> None:
        monitor = Monitor(amika=_amika(c), devbox=None)
        try:
            await Actions(monitor).create_sandbox(name=name, repo_url="https://github.com/acme/app")
        finally:
            await monitor.aclose()

    error, sent = _run(create)
    assert isinstance(error, ActionError), repr(error)
    check_refusal(error, echo=name)
    assert sent == 0


@FUZZ
@given(name=user_text)
def test_any_sandbox_name_is_sendable_or_refused_cleanly(name: str) -> None:
    try:
        checked = validate_sandbox_name(name)
    except SandboxNameError as exc:
        check_refusal(exc, echo=name)
    else:
        assert checked == name.strip() and len(checked) <= 40
        assert not has_terminal_control(checked)
        checked.encode("utf-8")  # what would be sent can be sent
