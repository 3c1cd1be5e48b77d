"""The JSON scripts rely on: docs/cli.md documents the models' schema, and what `ls --json` and
`watch --json` really print against the simulator validates against the documented schema."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from boxdeck.sim import SimServer

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_schema", ROOT / "scripts" / "cli_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented(name: str) -> dict[str, Any]:
    """The schema docs/cli.md shows for a command."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    block = _script().section(text, name)
    match = re.fullmatch(r"```json\n(.*)\n```", block, re.S)
    assert match, block[:200]
    schema: dict[str, Any] = json.loads(match.group(1))
    return schema


@pytest.mark.parametrize("name", ["ls", "watch"])
def test_the_document_shows_the_models_schema(name: str) -> None:
    script = _script()
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert script.section(text, name) == script.block(name), "regenerate: scripts/cli_schema.py --write"


def test_ls_rows_have_one_shape_for_both_backends(sim_env: SimServer, run_cli) -> None:
    sim_env.advance(5)  # some devboxes are provisioning: their rows carry a step
    result = run_cli("ls", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    schema = documented("ls")
    jsonschema.validate(rows, schema)
    properties = set(schema["$defs"]["BoxRecord"]["properties"])
    assert {b["backend"] for b in rows} == {"amika", "devbox"}
    assert all(set(row) == properties for row in rows)  # every key in every row, null where it does not apply
    amika = next(b for b in rows if b["name"] == "acme/platform")
    assert amika["access_url"] is None and amika["step"] is None and amika["branch"] == "main"
    devbox = next(b for b in rows if b["name"] == "api-dev")
    assert devbox["repo_url"] is None and devbox["access_url"].startswith("https://")
    assert any(b["step"] for b in rows if b["backend"] == "devbox" and b["kind"] == "transitional")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", amika["created_at"])


@pytest.mark.parametrize("name", ["feature-payments", "data-pipeline", "amika:initializing"])
def test_watch_events_validate_against_the_schema(sim_env: SimServer, run_cli, name: str) -> None:
    if name == "amika:initializing":
        box = next(s.name for s in sim_env.world.amika.sandboxes.values() if s.state == "initializing")
        name = f"amika:{box}"
    result = run_cli("watch", name, "--json")
    assert result.code in (0, 1), result.err
    events = [json.loads(line) for line in result.out.splitlines()]
    validator = jsonschema.Draft202012Validator(documented("watch"))
    for event in events:
        validator.validate(event)
    kinds = {e["event"] for e in events}
    assert events[0]["event"] == "state" and events[-1]["event"] in ("ready", "failed")
    if name == "feature-payments":
        assert {"step", "repo"} <= kinds


def test_an_error_event_validates_too(sim_env: SimServer, cli_timing, run_cli) -> None:
    cli_timing.hooks.append(lambda elapsed: sim_env.set_faults(1.0 if 2 <= elapsed < 4 else 0.0, ["503"]))
    result = run_cli("watch", "feature-payments", "--json")
    assert result.code == 0, result.err
    events = [json.loads(line) for line in result.out.splitlines()]
    errors = [e for e in events if e["event"] == "error"]
    assert errors and "503" in errors[0]["message"]
    for event in events:
        jsonschema.validate(event, documented("watch"))


def test_non_ascii_and_control_characters_are_escaped(sim_env: SimServer, run_cli) -> None:
    name = "開発\x1b[31m\u009b\u2028box"
    sim_env.world.amika.create({"name": name})
    result = run_cli("ls", "--json", "--backend", "amika")
    assert result.out.isascii()  # nothing a terminal could act on reaches it raw
    assert name in {b["name"] for b in json.loads(result.out)}
