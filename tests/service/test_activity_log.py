"""The request/action log: format, redaction (grep the file for every token), file mode, rotation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from boxdeck.api import RequestRecord
from boxdeck.service.configuration.paths import log_file
from boxdeck.service.history.activity_log import RequestLogger, mask_ssh_destinations
from boxdeck.service.text.redact import Redactor

AMIKA_TOKEN = "amk_live_0123456789abcdef"
SPRITES_TOKEN = "spr_live_fedcba9876543210"
SSH_TOKEN = "sshtok_ABCDEFGH12345678"
SECRET_VALUE = "sk-ant-very-secret-value-42"


def all_log_text(path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in path.parent.glob(path.name + "*"))


@pytest.fixture
def logger(tmp_path: Path):
    lg = RequestLogger(tmp_path / "state" / "boxdeck.log", secrets=[AMIKA_TOKEN, SPRITES_TOKEN])
    yield lg
    lg.close()


def test_request_line_format(logger: RequestLogger) -> None:
    logger.on_request(RequestRecord("amika", "get", "/sandboxes/dev-1", 200, 0.1234, None))
    logger.flush()
    text = logger.path.read_text()
    assert "request amika GET /sandboxes/dev-1 200 123ms" in text


def test_query_strings_are_dropped(logger: RequestLogger) -> None:
    logger.on_request(
        RequestRecord("devbox", "GET", "/oauth/callback?code=abc123zz&state=x", 302, 0.01, None)
    )
    logger.flush()
    text = logger.path.read_text()
    assert "/oauth/callback 302" in text and "abc123zz" not in text


def test_tokens_and_secrets_never_reach_the_file(logger: RequestLogger) -> None:
    # Every way a secret could sneak in: an error text, a path, an action detail, an SSH command.
    logger.on_request(
        RequestRecord(
            "amika", "POST", f"/sandboxes/x/{AMIKA_TOKEN}", 401, 0.2, f"HTTP 401: bad token {AMIKA_TOKEN}"
        )
    )
    logger.on_request(
        RequestRecord("devbox", "GET", "/devboxes", None, 1.0, f"Bearer {SPRITES_TOKEN} refused")
    )
    logger.log_action("copy-ssh", "web-1", "amika", "ok", detail=f"ssh -p 22 {SSH_TOKEN}@ssh.amika.dev")
    logger.log_action(
        "create-secret", None, "amika", "ok", detail=f"value {SECRET_VALUE}", secrets=[SECRET_VALUE]
    )
    logger.add_secrets("late_secret_value_77")
    logger.log_event("used late_secret_value_77 and Authorization: Bearer zzzopaque999")
    logger.flush()
    text = all_log_text(logger.path)
    for secret in (
        AMIKA_TOKEN,
        SPRITES_TOKEN,
        SSH_TOKEN,
        SECRET_VALUE,
        "late_secret_value_77",
        "zzzopaque999",
    ):
        assert secret not in text, secret
    assert "…@ssh.amika.dev" in text
    assert "action copy-ssh box=web-1 backend=amika outcome=ok" in text


def test_ssh_destination_masking() -> None:
    assert mask_ssh_destinations(f"ssh {SSH_TOKEN}@host.example -p 2222") == "ssh …@host.example -p 2222"
    assert mask_ssh_destinations("no at sign here") == "no at sign here"
    assert mask_ssh_destinations("ssh -o ProxyCommand=x user@10.0.0.1") == "ssh -o ProxyCommand=x …@10.0.0.1"


def test_control_characters_cannot_forge_lines(logger: RequestLogger) -> None:
    logger.log_action("delete", "evil\nFAKE INFO action delete box=prod", "amika", "ok")
    logger.log_action("stop", "\x1b]52;c;aGk=\x07box", "devbox", "failed", detail="HTTP 409")
    logger.flush()
    lines = logger.path.read_text().splitlines()
    assert len(lines) == 2
    assert "\x1b" not in lines[1] and "WARNING" in lines[1]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_log_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "s" / "boxdeck.log"
    path.parent.mkdir()
    path.write_text("old\n")
    os.chmod(path, 0o644)
    with RequestLogger(path) as lg:
        lg.log_event("hello")
    assert path.stat().st_mode & 0o777 == 0o600


def test_rotation_keeps_three_backups(tmp_path: Path) -> None:
    path = tmp_path / "boxdeck.log"
    with RequestLogger(path, secrets=[AMIKA_TOKEN], max_bytes=2_000, backup_count=3) as lg:
        for i in range(200):
            lg.on_request(
                RequestRecord("amika", "GET", f"/sandboxes/box-{i}", 200, 0.01, f"tok {AMIKA_TOKEN}")
            )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["boxdeck.log", "boxdeck.log.1", "boxdeck.log.2", "boxdeck.log.3"]
    assert all(p.stat().st_size <= 2_200 for p in tmp_path.iterdir())
    assert AMIKA_TOKEN not in all_log_text(path)
    if os.name == "posix":
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in tmp_path.iterdir())


def test_default_location_is_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    with RequestLogger() as lg:
        lg.log_event("x")
        assert lg.path == log_file()
    assert log_file().exists()


def test_lines_do_not_propagate_to_root(logger: RequestLogger, caplog: pytest.LogCaptureFixture) -> None:
    logger.on_request(RequestRecord("amika", "GET", "/sandboxes", 200, 0.01, None))
    assert not [r for r in caplog.records if "request amika" in r.getMessage()]


def test_hook_never_raises(logger: RequestLogger) -> None:
    logger.on_request(object())  # type: ignore[arg-type]
    logger(RequestRecord("amika", "GET", "/x", 500, 0.5, "HTTP 500"))
    logger.flush()
    assert "WARNING request amika GET /x 500 500ms error=HTTP 500" in logger.path.read_text()


def test_shared_redactor_masks_secrets_learned_later(logger: RequestLogger) -> None:
    shared = Redactor(["amk_other_service_token"])
    logger.use_redactor(shared)
    assert AMIKA_TOKEN in shared.secrets  # what the log knew is now known to the service too
    shared.add("runtime_ssh_token_4242")
    logger.log_event("saw runtime_ssh_token_4242 and amk_other_service_token and " + AMIKA_TOKEN)
    logger.flush()
    text = logger.path.read_text()
    for secret in ("runtime_ssh_token_4242", "amk_other_service_token", AMIKA_TOKEN):
        assert secret not in text


async def test_real_client_hook_end_to_end(logger: RequestLogger) -> None:
    """The Amika client's on_request feeds the log; the bearer token it sends never lands in the file."""
    httpx = pytest.importorskip("httpx")
    from boxdeck.api import AmikaClient

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {AMIKA_TOKEN}"
        return httpx.Response(200, json=[])

    async with AmikaClient(
        "https://amika.example",
        access_token=AMIKA_TOKEN,
        transport=httpx.MockTransport(handler),
        on_request=logger.on_request,
    ) as client:
        assert await client.list_sandboxes() == []
    logger.flush()
    text = logger.path.read_text()
    assert "request amika GET /sandboxes 200" in text
    assert AMIKA_TOKEN not in text and "authorization" not in text.lower()
