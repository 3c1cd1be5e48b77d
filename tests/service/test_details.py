"""The detail pane's fields read as words: labelled, formatted, empty ones left out."""

from __future__ import annotations

from datetime import UTC, datetime

from boxdeck.api.amika_models import Sandbox
from boxdeck.api.devbox_models import Devbox
from boxdeck.service.text.details import devbox_fields, raw_fields, sandbox_fields

T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_sandbox_reads_as_labelled_words() -> None:
    sandbox = Sandbox.model_validate({
        "id": "sb_1", "name": "web", "state": "started", "repo_url": "https://github.com/acme/web",
        "branch": "main", "commit_hash": "0123456789abcdef", "sandbox_size": "m", "sandbox_preset": "coder",
        "created_at": T.isoformat(), "created_by": {"name": "Dana", "email": "dana@acme.dev"},
        "services": [{"name": "web", "url": "https://web.example", "hostPort": 30001, "containerPort": 3000}],
        "has_workflow": False, "secret_names": ["A", "B"],
    })
    fields = {f.label: f for f in sandbox_fields(sandbox)}
    repository = fields["Repository"]
    assert repository.value == "https://github.com/acme/web" and repository.kind == "token"
    assert fields["Commit"].value == "0123456789ab"
    assert fields["Size"].value == "m · coder"
    assert fields["Created"].at == T and fields["Created"].kind == "time"
    assert fields["Created by"].value == "Dana <dana@acme.dev>"
    assert fields["Service web :3000"].value == "https://web.example"
    assert fields["Secrets"].value == "A, B"
    assert "Workflow" not in fields and "Snapshot" not in fields  # False and empty say nothing
    assert list(fields)[-1] == "ID"


def test_raw_fields_keep_the_wire_names_and_extra_fields() -> None:
    devbox = Devbox.model_validate({"id": "d1", "name": "x", "state": "ready", "region": "fra"})
    assert ("region", "fra") in raw_fields(devbox)
    assert [f.label for f in devbox_fields(devbox)] == ["ID"]
