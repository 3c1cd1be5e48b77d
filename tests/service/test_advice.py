"""The advice shown where the boxes would be names the failure and the one setting to fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boxdeck.service.boxes import Backend
from boxdeck.service.monitoring.advice import advice_for
from boxdeck.service.monitoring.health import Health

T = datetime(2026, 1, 1, tzinfo=UTC)


def failing(error: str, status: int | None) -> Health:
    return Health(
        Backend.AMIKA,
        True,
        last_attempt=T,
        consecutive_failures=1,
        failing_since=T,
        last_error=error,
        last_status=status,
    )


def test_no_advice_while_the_backend_answers() -> None:
    assert advice_for(Backend.AMIKA, Health(Backend.AMIKA, True, last_success=T), url="https://x") is None


@pytest.mark.parametrize(
    ("backend", "status", "names"),
    [
        (Backend.AMIKA, 401, ("AMIKA_API_KEY", "--amika-token-file", "`amika_token` in profile 'work'")),
        (Backend.AMIKA, 403, ("AMIKA_API_KEY",)),
        (
            Backend.DEVBOX,
            401,
            ("DEVBOX_SPRITES_TOKEN", "--sprites-token-file", "sprites_token", "user_token"),
        ),
    ],
)
def test_a_refused_token_names_the_token_settings(
    backend: Backend, status: int, names: tuple[str, ...]
) -> None:
    advice = advice_for(
        backend, failing("HTTP 401: invalid api key", status), url="https://api.test", profile="work"
    )
    assert advice is not None
    assert f"HTTP {status}" in advice.headline and "api.test" in advice.headline
    assert advice.said == "HTTP 401: invalid api key"
    assert all(name in advice.check for name in names), advice.check
    assert "URL" not in advice.check


@pytest.mark.parametrize(
    ("error", "status", "headline", "check"),
    [
        (
            "GET /sandboxes failed: ConnectError: All connection attempts failed",
            None,
            "accepted the connection",
            "AMIKA_API_URL",
        ),
        (
            "GET /sandboxes failed: ConnectError: [Errno -2] Name or service not known",
            None,
            "not found",
            "--amika-url",
        ),
        (
            "GET /sandboxes failed: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
            None,
            "TLS",
            "SSL_CERT_FILE",
        ),
        ("GET /sandboxes failed: ReadTimeout", None, "in time", "network"),
        ("HTTP 404: not found", 404, "has no Amika API", "amika_url"),
        ("HTTP 503: down", 503, "failing", "recovers by itself"),
    ],
)
def test_each_kind_of_failure_says_what_to_check(
    error: str, status: int | None, headline: str, check: str
) -> None:
    advice = advice_for(Backend.AMIKA, failing(error, status), url="https://api.test")
    assert advice is not None
    assert headline in advice.headline and check in advice.check, advice
