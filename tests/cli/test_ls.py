"""`boxdeck ls` end to end against the simulator: text and JSON, filters, a failing backend, sanitizing."""

from __future__ import annotations

import json
import re

import pytest

from boxdeck.sim import SimServer

HEADER = ["BACKEND", "NAME", "STATE", "AGE", "DETAIL"]


def rows(out: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]


def test_text_table_has_both_backends(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ls")
    assert result.code == 0, result.err
    assert result.err == ""
    table = rows(result.out)
    assert table[0] == HEADER
    by_name = {r[1]: r for r in table[1:]}
    assert {r[0] for r in table[1:]} == {"amika", "devbox"}
    assert by_name["acme/platform"][:3] == ["amika", "acme/platform", "started"]
    assert by_name["acme/platform"][4] == "acme-labs/platform@main"
    assert "out of capacity" in " ".join(next(r for r in table if r[2] == "failed" and r[0] == "amika"))
    assert by_name["api-dev"][4].startswith("https://api-dev-")
    # A provisioning devbox says which step it is on, like the dashboard.
    assert re.fullmatch(r"\d/4 \w+", by_name["feature-payments"][4])
    assert re.fullmatch(r"\d+[smhd]", by_name["api-dev"][3])


def test_json_is_one_array_with_both_backends(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ls", "--json")
    assert result.code == 0, result.err
    boxes = json.loads(result.out)
    assert {b["backend"] for b in boxes} == {"amika", "devbox"}
    amika = next(b for b in boxes if b["name"] == "acme/platform")
    expected = {"backend", "id", "name", "state", "created_at", "repo_url", "branch", "error_message"}
    assert expected <= set(amika)
    assert amika["id"].startswith("sb_") and amika["repo_url"].endswith("platform.git")
    devbox = next(b for b in boxes if b["name"] == "api-dev")
    assert {"backend", "id", "name", "state", "created_at", "access_url"} <= set(devbox)
    assert devbox["state"] == "ready" and devbox["kind"] == "ready"
    failed = [b for b in boxes if b["backend"] == "amika" and b["state"] == "failed"]
    assert failed and failed[0]["error_message"] == "out of capacity"


def test_failing_backend_reports_and_keeps_the_other_rows(sim_env: SimServer, run_cli) -> None:
    result = run_cli("ls", "--amika-token", "amk_not_the_right_token")
    assert result.code == 1
    assert "amika: HTTP 401" in result.err
    assert "amk_not_the_right_token" not in result.err
    names = {r[1] for r in rows(result.out)[1:]}
    assert "api-dev" in names and "acme/platform" not in names
    assert "Traceback" not in result.err

    as_json = run_cli("ls", "--json", "--amika-url", "http://127.0.0.1:1")  # connection refused
    assert as_json.code == 1
    assert {b["backend"] for b in json.loads(as_json.out)} == {"devbox"}
    assert "amika:" in as_json.err and "Traceback" not in as_json.err


def test_backend_and_state_filters(sim_env: SimServer, run_cli) -> None:
    only_devbox = json.loads(run_cli("ls", "--json", "--backend", "devbox").out)
    assert only_devbox and {b["backend"] for b in only_devbox} == {"devbox"}

    # A kind matches every backend's and provider's wording of it: Amika "started" (Daytona) and "active"
    # (the others), Devbox "ready".
    ready = json.loads(run_cli("ls", "--json", "--state", "ready").out)
    assert {b["state"] for b in ready} == {"started", "active", "ready"}
    several = json.loads(run_cli("ls", "--json", "--state", "failed,stopped").out)
    assert {b["state"] for b in several} == {"failed", "stopped"}
    exact = json.loads(run_cli("ls", "--json", "--state", "initializing").out)
    assert [b["backend"] for b in exact] == ["amika"]


def test_backend_filter_on_an_unconfigured_backend(sim_env: SimServer, run_cli,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVBOX_SPRITES_TOKEN")
    result = run_cli("ls", "--backend", "devbox")
    assert result.code == 2
    assert "devbox is not configured" in result.err


def test_names_are_sanitized_in_text_but_exact_in_json(sim_env: SimServer, run_cli) -> None:
    evil = "evil\x1b]52;c;aGVsbG8=\x07name\x1b[31m"
    sim_env.world.amika.create({"name": evil})
    text = run_cli("ls", "--backend", "amika")
    assert text.code == 0
    assert "\x1b" not in text.out and "\x07" not in text.out
    assert "evilname" in text.out
    as_json = run_cli("ls", "--json", "--backend", "amika")
    assert "\x1b" not in as_json.out  # JSON escapes it
    assert evil in {b["name"] for b in json.loads(as_json.out)}


def test_empty_world(empty_env: SimServer, run_cli) -> None:
    result = run_cli("ls")
    assert (result.code, result.out) == (0, "No boxes found.\n")
    assert json.loads(run_cli("ls", "--json").out) == []


def test_no_backend_configured_is_a_usage_error(cli_timing, run_cli) -> None:
    result = run_cli("ls")
    assert result.code == 2
    assert "no backend configured" in result.err
    assert result.out == ""


def test_config_error_is_one_line_and_exit_2(cli_timing, run_cli) -> None:
    result = run_cli("ls", "--amika-token", "amk_abcdefgh", "--amika-url", "http://example.com")
    assert result.code == 2
    assert "refusing plain http://" in result.err
    assert "Traceback" not in result.err


def test_bad_usage_exits_2(run_cli) -> None:
    assert run_cli("ls", "--backend", "nope").code == 2
    assert run_cli("ls", "--help").code == 0


def from_column(line: str, column: int) -> str | None:
    """What `line` shows from terminal column `column` on (None when a wide character straddles it)."""
    from rich.cells import cell_len

    cells = 0
    for index, char in enumerate(line):
        if cells == column:
            return line[index:]
        if cells > column:
            return None
        cells += cell_len(char)
    return None


def test_columns_line_up_by_display_width(sim_env: SimServer, run_cli) -> None:
    """A CJK name takes two terminal columns a character: padded by characters, its row's later columns
    would start further right than everyone else's."""
    from rich.cells import cell_len

    from boxdeck.service.boxes import known_states

    sim_env.world.amika.create({"name": "開発環境"})
    result = run_cli("ls", "--backend", "amika")
    assert result.code == 0, result.err
    header, *lines = result.out.splitlines()
    state = cell_len(header[: header.index("STATE")])
    assert any("開発環境" in line for line in lines)
    for line in lines:
        rest = from_column(line, state)
        assert rest is not None and rest[:1] != " " and from_column(line, state - 1) == " " + rest, line
        assert rest.split()[0] in known_states(), line
