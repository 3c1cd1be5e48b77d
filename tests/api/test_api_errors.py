"""Error message rules (TS SDK errors.test.ts 38-45, devbox reference §4)."""

from __future__ import annotations

import json

import pytest

from boxdeck.api import (
    AmikaError,
    AmikaHTTPError,
    DevboxApiError,
    DevboxError,
    DevboxTimeoutError,
    extract_agent_auth_error,
)
from boxdeck.api.errors import amika_user_message, devbox_error_detail


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"code":"INVALID_INPUT","message":"name is required"}', "INVALID_INPUT: name is required"),
        ('{"error_code":"LEGACY","message":"boom"}', "LEGACY: boom"),
        ('{"code":"NEW","error_code":"OLD","message":"m"}', "NEW: m"),
        ('{"code":"","error_code":"OLD","message":"m"}', "OLD: m"),
        ('{"message":"nope"}', "nope"),
        ('{"type":"error","code":"X","message":""}', '{"type":"error","code":"X","message":""}'),
        ("<html>oops</html>", "<html>oops</html>"),
        ("", ""),
        ('["a"]', '["a"]'),
    ],
)
def test_amika_user_message(body: str, message: str) -> None:
    assert amika_user_message(body) == message
    err = AmikaHTTPError(400, body)
    assert err.user_message == message
    assert str(err) == f"HTTP 400: {message}"
    assert err.body == body
    assert isinstance(err, AmikaError)


def test_amika_message_is_capped_but_body_kept() -> None:
    body = "x" * 5000
    err = AmikaHTTPError(502, body)
    assert len(str(err)) < 520 and str(err).startswith("HTTP 502: xxx") and str(err).endswith("…")
    assert err.body == body and err.user_message == body


def auth_body(result: str, *, is_error: object = True, details: object = None) -> str:
    inner = json.dumps({"type": "result", "is_error": is_error, "result": result})
    return json.dumps({"error": "Agent command failed", "details": inner if details is None else details})


@pytest.mark.parametrize(
    "result",
    [
        'API Error: 401 {"type":"error","error":{"type":"authentication_error"}}',
        "Invalid authentication credentials",
        "Failed to authenticate. whatever",
    ],
)
def test_extract_agent_auth_error_detects_markers(result: str) -> None:
    assert extract_agent_auth_error(500, auth_body(result)) == result


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, auth_body("rate limited")),
        (500, auth_body("authentication_error", is_error=False)),
        (500, auth_body("authentication_error", is_error="true")),
        (500, auth_body("")),
        (500, auth_body("x", details="")),
        (500, auth_body("x", details="not json")),
        (500, json.dumps({"error": "x", "details": {"is_error": True, "result": "authentication_error"}})),
        (500, "<html>authentication_error</html>"),
        (200, auth_body("authentication_error")),
    ],
)
def test_extract_agent_auth_error_rejects(status: int, body: str) -> None:
    assert extract_agent_auth_error(status, body) == ""


def test_devbox_api_error_shape() -> None:
    err = DevboxApiError(409, "Devbox reached terminal state: failed")
    assert str(err) == "409: Devbox reached terminal state: failed"
    assert err.status == 409 and err.detail == "Devbox reached terminal state: failed"
    assert err.retry_after is None
    assert isinstance(err, DevboxError)


def test_devbox_timeout_error_shape() -> None:
    err = DevboxTimeoutError("db-1", "provisioning")
    assert str(err) == "Devbox db-1 did not reach ready state within timeout (last state: provisioning)"
    assert err.devbox_id == "db-1" and err.last_state == "provisioning"
    assert isinstance(err, DevboxError) and not isinstance(err, DevboxApiError)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"detail":"Devbox not found"}', "Devbox not found"),
        ('{"detail":[{"msg":"Field required"},{"msg":"bad plan"}]}', "Field required, bad plan"),
        ('{"detail":[{"loc":["body"]},"plain"]}', '{"loc": ["body"]}, plain'),
        ('{"detail":[]}', "Bad Request"),
        ('{"detail":{"a":1}}', "Bad Request"),
        ('{"detail":""}', "Bad Request"),
        ("not json", "Bad Request"),
        ("", "Bad Request"),
    ],
)
def test_devbox_error_detail(body: str, detail: str) -> None:
    assert devbox_error_detail(body, "Bad Request") == detail
