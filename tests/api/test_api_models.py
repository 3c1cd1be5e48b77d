"""Models: forgiving parsing (missing, null, mistyped, extra fields), timestamps, constants, immutability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import boxdeck.api as api
from boxdeck.api import (
    OPERATION_STEPS,
    READY_STATES,
    TERMINAL_STATES,
    AccessSession,
    AgentSendResult,
    Devbox,
    DevboxState,
    ExecSession,
    Sandbox,
    SandboxState,
    Session,
    SSHInfo,
    is_deleted_state,
    parse_timestamp,
)

CONTRACT_NAMES = [
    "AmikaClient",
    "DevboxClient",
    "AmikaError",
    "AmikaHTTPError",
    "DevboxApiError",
    "DevboxTimeoutError",
    "TokenSource",
    "StaticTokenSource",
    "AmikaTransportError",
    "AmikaTimeoutError",
    "DevboxError",
    "DevboxTransportError",
    "RequestRecord",
    "extract_agent_auth_error",
    "Sandbox",
    "CreatedBy",
    "SandboxState",
    "READY_STATES",
    "SSHInfo",
    "AgentSendResult",
    "Session",
    "Secret",
    "ProviderSecret",
    "Devbox",
    "DevboxState",
    "Operation",
    "OPERATION_STEPS",
    "DevboxRepository",
    "AccessSession",
    "SshAccess",
    "ExecSession",
    "UserProfile",
    "OAuthStart",
    "GitHubConnection",
    "GitHubRepo",
    "GitHubOrg",
    "OrgGrantsResult",
]

RESPONSE_MODELS: list[type[BaseModel]] = [
    getattr(api, name)
    for name in api.__all__
    if isinstance(getattr(api, name), type)
    and issubclass(getattr(api, name), BaseModel)
    and name not in ("DevboxRepositoryRequest", "CredentialProfile")
]


def test_contract_names_are_exported() -> None:
    missing = [name for name in CONTRACT_NAMES if not hasattr(api, name)]
    assert missing == []
    assert set(CONTRACT_NAMES) <= set(api.__all__)


def test_contract_model_fields_exist() -> None:
    fields = {
        "Sandbox": "id name state provider repo_url repo_name branch error_message created_at updated_at "
        "created_by services current_session_id",
        "SSHInfo": "ssh_destination token expires_at repo_name",
        "AgentSendResult": "response session_id is_error is_new_session agent_session_id cost_usd",
        "Session": "id sandbox_id org_id agent_name status started_at ended_at metadata created_at "
        "updated_at",
        "Secret": "id org_id user_id name description scope created_at updated_at",
        "ProviderSecret": "id name type scope",
        "CreatedBy": "name email",
        "Devbox": "id name state created_at access_url",
        "Operation": "id step status message created_at",
        "DevboxRepository": "installation_id repo_id full_name ref target_path clone_status clone_error",
        "AccessSession": "session_id expires_at command ssh",
        "SshAccess": "host port username workspace_path host_key_fingerprint proxy_command ssh_port "
        "proxy_host",
        "ExecSession": "id command workdir created is_active tty last_activity bytes_per_second",
        "UserProfile": "has_ssh_key",
        "OAuthStart": "authorize_url state expires_at",
        "GitHubConnection": "github_login github_user_id connected_at",
        "GitHubRepo": "repo_id full_name default_branch private granted",
        "GitHubOrg": "org_login granted",
        "OrgGrantsResult": "selected_count",
    }
    for model, names in fields.items():
        assert set(names.split()) <= set(getattr(api, model).model_fields), model


def test_state_constants() -> None:
    assert {"active", "running", "started"} == READY_STATES
    assert {s.value for s in SandboxState} == {
        "initializing", "active", "running", "started", "stopping", "stopped", "failed", "deleting",
        "deleted", "snapshotting",
    }  # fmt: skip
    assert {s.value for s in DevboxState} == {
        "requested",
        "provisioning",
        "ready",
        "stopped",
        "destroyed",
        "failed",
    }
    assert {"failed", "destroyed", "stopped"} == TERMINAL_STATES
    assert OPERATION_STEPS == ("provision", "inject_credentials", "clone_repositories", "publish_access")
    assert SandboxState.ACTIVE == "active" and Sandbox(state=SandboxState.ACTIVE).state == "active"
    assert is_deleted_state("Deleting") and is_deleted_state("deleted") and not is_deleted_state("stopped")


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda m: m.__name__)
def test_every_model_builds_from_nothing(model: type[BaseModel]) -> None:
    instance = model.model_validate({})
    assert instance == model()


def test_nulls_and_wrong_types_degrade() -> None:
    sandbox = Sandbox.model_validate(
        {
            "id": 17,
            "name": None,
            "state": None,
            "services": "nope",
            "secret_names": [None, "A", 3],
            "created_by": "someone",
            "created_at": 12345,
            "has_workflow": "yes",
            "resolved_agent_credentials": [
                {"kind": "claude", "outcome": "skipped", "reason": "request:none"},
                5,
            ],
        }
    )
    assert sandbox.id == "17" and sandbox.name == "" and sandbox.state == ""
    assert sandbox.services == () and sandbox.secret_names == ("A", "3") and sandbox.created_by is None
    assert sandbox.created_at is None and sandbox.has_workflow is True
    assert [c.reason for c in sandbox.resolved_agent_credentials] == ["request:none"]
    devbox = Devbox.model_validate({"state": ["x"], "created_at": "yesterday"})
    assert devbox.state == "" and devbox.created_at is None
    session = AccessSession.model_validate({"ssh": None, "command": "ssh a@b"})
    assert session.ssh.port == 0 and session.command == "ssh a@b"
    exec_session = ExecSession.model_validate({"bytes_per_second": "1.5", "tty": 1, "is_active": "false"})
    assert (
        exec_session.bytes_per_second == 1.5 and exec_session.tty is True and exec_session.is_active is False
    )
    result = AgentSendResult.model_validate({"cost_usd": "n/a", "is_error": None})
    assert result.cost_usd is None and result.is_error is False


def test_models_are_frozen_and_comparable() -> None:
    a = Sandbox.model_validate({"id": "sb", "state": "active", "brand_new": 1})
    b = Sandbox.model_validate({"id": "sb", "state": "active", "brand_new": 1})
    assert a == b and hash(a) == hash(b)
    assert a != a.model_copy(update={"state": "stopped"})
    with pytest.raises(ValidationError):
        a.state = "stopped"
    assert isinstance(a.services, tuple)


def test_session_metadata_and_nullable_end() -> None:
    session = Session.model_validate(
        {"metadata": None, "ended_at": None, "started_at": "2026-01-01T00:00:00Z"}
    )
    assert session.metadata == {} and session.ended_at is None
    assert session.started_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_ssh_info_repr_hides_secrets() -> None:
    info = SSHInfo(ssh_destination="-p 2222 tok_secret@host", token="tok_secret")
    assert "tok_secret" not in repr(info) and "tok_secret" not in str(info)
    assert info.token == "tok_secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00+00:00", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.123456Z", datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2024-01-15T10:30:00.123Z", datetime(2024, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)),
        ("2024-01-15T10:30:00.123456789Z", datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2024-01-15T12:30:00+02:00", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15 10:30:00Z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("", None),
        ("  ", None),
        ("yesterday", None),
        ("2024-13-45T99:00:00Z", None),
        (None, None),
        (1705314600, None),
        ({"at": 1}, None),
    ],
)
def test_parse_timestamp(text: Any, expected: datetime | None) -> None:
    result = parse_timestamp(text)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


def test_parse_timestamp_normalises_datetimes() -> None:
    aware = datetime(2024, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert parse_timestamp(aware) == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    naive = parse_timestamp(datetime(2024, 1, 15, 10, 30))
    assert naive is not None and naive.tzinfo is UTC


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_json_object_validates(model: type[BaseModel], data: st.DataObject) -> None:
    field_names = list(model.model_fields) + ["hostPort", "containerPort"]
    keys = st.sampled_from(field_names) | st.text(max_size=8)
    payload = data.draw(st.dictionaries(keys, json_values, max_size=8))
    model.model_validate(payload)  # must never raise
