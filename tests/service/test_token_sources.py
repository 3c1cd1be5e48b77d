"""Token sources: inline, environment, command (run without a shell, cached, errors without the output)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from boxdeck.api import TokenSource
from boxdeck.api.tokens import resolve_token
from boxdeck.service.configuration.token_sources import (
    CommandTokenSource,
    EnvTokenSource,
    TokenSourceError,
    ValueTokenSource,
    parse_token_spec,
)


def py_cmd(code: str) -> list[str]:
    return [sys.executable, "-c", code]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_value_source_hides_the_value() -> None:
    src = ValueTokenSource("amk_inline_secret")
    assert src.token() == "amk_inline_secret"
    assert "amk_inline_secret" not in repr(src)
    assert isinstance(src, TokenSource)
    with pytest.raises(TokenSourceError):
        ValueTokenSource("")


def test_env_source_reads_at_call_time() -> None:
    env = {"MY_TOKEN": "  tok_one  "}
    src = EnvTokenSource("MY_TOKEN", env)
    assert src.token() == "tok_one"
    env["MY_TOKEN"] = "tok_two"
    assert src.token() == "tok_two"
    del env["MY_TOKEN"]
    with pytest.raises(TokenSourceError, match="MY_TOKEN is not set"):
        src.token()


def test_command_source_runs_without_shell_and_strips() -> None:
    src = CommandTokenSource(py_cmd("print('  tok_from_cmd  ')"))
    assert src.token() == "tok_from_cmd"
    assert isinstance(src, TokenSource)


def test_command_string_is_shlex_split_not_shell() -> None:
    # With a shell, `;` would run a second command; split without a shell it is just an argument.
    src = CommandTokenSource(f"{sys.executable} -c \"import sys; print(sys.argv[1])\" 'a;b'")
    assert src.token() == "a;b"


def test_command_takes_first_line_like_pass() -> None:
    src = CommandTokenSource(py_cmd("print('tok_first'); print('login: me')"))
    assert src.token() == "tok_first"


def test_command_is_cached_until_ttl_or_invalidate() -> None:
    calls: list[list[str]] = []

    def runner(argv: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, f"tok_{len(calls)}\n".encode(), b"")

    clock = FakeClock()
    src = CommandTokenSource("pass show amika", ttl=300, clock=clock, runner=runner)
    assert src.token() == "tok_1"
    assert calls == [["pass", "show", "amika"]]
    clock.now += 299
    assert src.token() == "tok_1"
    clock.now += 2
    assert src.token() == "tok_2"
    src.invalidate()
    assert src.token() == "tok_3"


def test_command_failure_does_not_leak_output() -> None:
    src = CommandTokenSource(
        py_cmd("import sys; print('half_secret_abc'); sys.stderr.write('err_secret_def'); sys.exit(3)")
    )
    with pytest.raises(TokenSourceError) as info:
        src.token()
    msg = str(info.value)
    assert "exit status 3" in msg
    assert "half_secret_abc" not in msg and "err_secret_def" not in msg


def test_command_empty_output_is_an_error() -> None:
    with pytest.raises(TokenSourceError, match="printed nothing"):
        CommandTokenSource(py_cmd("print('   ')")).token()


def test_command_not_found() -> None:
    with pytest.raises(TokenSourceError, match="not found"):
        CommandTokenSource("/definitely/not/here --x").token()


def test_command_timeout() -> None:
    src = CommandTokenSource(py_cmd("import time; time.sleep(5)"), timeout=0.3)
    with pytest.raises(TokenSourceError, match="timed out"):
        src.token()


async def test_async_use_through_the_api_helper() -> None:
    src = CommandTokenSource(py_cmd("print('tok_async')"))
    assert await src.atoken() == "tok_async"
    assert await resolve_token(src) == "tok_async"


def test_parse_spec_forms() -> None:
    assert parse_token_spec("abc_secret", "k").kind == "value"
    assert parse_token_spec({"env": "X"}, "k").env == "X"
    spec = parse_token_spec({"command": "pass show x", "ttl": 60}, "k")
    assert spec.kind == "command" and spec.ttl == 60
    for bad in ({}, {"value": "a", "env": "B"}, {"env": ""}, {"value": "v", "ttl": 3}, 42, {"command": "'"}):
        with pytest.raises(TokenSourceError):
            parse_token_spec(bad, "profiles.a.amika_token")
    assert "abc_secret" not in repr(parse_token_spec("abc_secret", "k"))


async def test_client_accepts_a_command_source() -> None:
    import httpx

    from boxdeck.api import AmikaClient

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=[])

    src = CommandTokenSource(py_cmd("print('amk_from_password_manager')"))
    async with AmikaClient(
        "https://amika.example", token_source=src, transport=httpx.MockTransport(handler)
    ) as client:
        await client.list_sandboxes()
    assert seen == ["Bearer amk_from_password_manager"]


def test_a_command_printing_forever_is_stopped_at_the_cap() -> None:
    """An endless output ends in a clear error at once (not at the timeout), without keeping it all."""
    import time
    import tracemalloc

    src = CommandTokenSource(py_cmd("import sys\nwhile True: sys.stdout.write('x' * 65536)"), timeout=30)
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(TokenSourceError, match="printed more than 64 KiB") as info:
            src.token()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 10
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
    assert "xxxx" not in str(info.value)


def test_a_token_within_the_cap_after_a_long_pass_entry_is_read() -> None:
    src = CommandTokenSource(py_cmd("print('tok_long_entry'); print('note: ' + 'y' * 60000)"))
    assert src.token() == "tok_long_entry"


def test_a_command_that_keeps_its_output_open_times_out() -> None:
    code = "import sys, time; print('tok', flush=True); time.sleep(30)"
    src = CommandTokenSource(py_cmd(code), timeout=0.5)
    with pytest.raises(TokenSourceError, match="timed out"):
        src.token()


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
def test_a_helper_the_command_started_cannot_hold_the_pipe_past_the_timeout() -> None:
    import time

    code = "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])"
    src = CommandTokenSource(py_cmd(code), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TokenSourceError, match="timed out"):
        src.token()
    assert time.monotonic() - started < 10
