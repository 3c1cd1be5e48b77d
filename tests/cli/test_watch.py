"""`boxdeck watch` end to end on the simulator's manual clock: ready, failed, deleted, timeout, JSON lines."""

from __future__ import annotations

import json

import pytest

from boxdeck.api.devbox_models import Devbox
from boxdeck.cli import progress, watch
from boxdeck.service.boxes import Box
from boxdeck.service.history.eta import EtaHistory, EtaKey, box_group
from boxdeck.sim import SimServer
from support.cli_terminal import screen


def test_devbox_to_ready_shows_each_step(sim_env: SimServer, cli_timing, run_cli) -> None:
    result = run_cli("watch", "feature-payments")
    assert result.code == 0, result.err
    err = result.err
    for step in ("provision", "inject_credentials", "clone_repositories", "publish_access"):
        assert f"✓ {step} success" in err
    assert "repo acme-labs/web: cloned" in err and "repo acme-labs/platform: cloned" in err
    assert "provisioning → ready" in err
    assert "'feature-payments' is ready after" in err
    assert result.out == ""
    # Not a log of carriage returns: stderr is not a terminal here, so one line per change.
    assert "\r" not in err and "\x1b" not in err
    # The monitor's busy cadence while the box moves.
    assert cli_timing.sleeps and set(cli_timing.sleeps) <= {1.0}


def test_amika_state_transitions(sim_env: SimServer, run_cli) -> None:
    initializing = next(s.name for s in sim_env.world.amika.sandboxes.values() if s.state == "initializing")
    result = run_cli("watch", f"amika:{initializing}")
    assert result.code == 0, result.err
    assert f"{initializing} (amika, id sb_" in result.err
    assert "initializing → started" in result.err


def test_already_failed_devbox(sim_env: SimServer, run_cli) -> None:
    result = run_cli("watch", "data-pipeline")
    assert result.code == 1
    assert "✗ clone_repositories failed" in result.err
    assert "repo northwind/api: failed" in result.err
    last = result.err.rstrip().splitlines()[-1]
    assert last.startswith("boxdeck: 'data-pipeline' failed: Cloning northwind/api")


def test_devbox_failing_while_watched(empty_env: SimServer, run_cli) -> None:
    empty_env.reset(demo_world=False, client_failure_rate=1.0)
    empty_env.world.devbox.create({"name": "doomed"})
    result = run_cli("watch", "doomed")
    assert result.code == 1
    assert "requested → " in result.err or "provisioning → failed" in result.err
    last = result.err.rstrip().splitlines()[-1]
    assert last.startswith("boxdeck: 'doomed' failed: ") and len(last) > len("boxdeck: 'doomed' failed: ")


def test_amika_failure_message(empty_env: SimServer, run_cli) -> None:
    empty_env.reset(demo_world=False, client_failure_rate=1.0)
    empty_env.world.amika.create({"name": "unlucky"})
    result = run_cli("watch", "unlucky")
    assert result.code == 1
    assert "initializing → failed" in result.err
    assert "boxdeck: 'unlucky' failed: " in result.err


def test_deleted_while_watched(sim_env: SimServer, cli_timing, run_cli) -> None:
    dv = next(d for d in sim_env.world.devbox.devboxes.values() if d.name == "feature-payments")
    cli_timing.hooks.append(lambda elapsed: sim_env.world.devbox.delete(dv.id) if elapsed >= 2 else None)
    result = run_cli("watch", "feature-payments")
    assert result.code == 1
    assert "destroyed" in result.err and "deleted" in result.err


def test_timeout_exits_124(sim_env: SimServer, cli_timing, run_cli) -> None:
    result = run_cli("watch", "feature-payments", "--timeout", "3")
    assert result.code == 124
    assert "gave up on 'feature-payments' after 3.0s" in result.err
    assert sum(cli_timing.sleeps) == pytest.approx(3.0)


def test_json_lines(sim_env: SimServer, run_cli) -> None:
    result = run_cli("watch", "feature-payments", "--json")
    assert result.code == 0
    events = [json.loads(line) for line in result.out.splitlines()]
    assert events[0]["event"] == "state" and events[0]["state"] == "provisioning"
    assert events[-1]["event"] == "ready"
    steps = [(e["step"], e["status"]) for e in events if e["event"] == "step"]
    assert ("publish_access", "success") in steps
    assert all({"backend", "id", "name", "at", "elapsed_s"} <= set(e) for e in events)
    injected = [e for e in events if e["event"] == "step" and e["step"] == "inject_credentials"
                and e["status"] == "success"]
    assert injected and injected[0]["duration_s"] > 0
    assert result.err == ""  # JSON mode: no progress display


def test_transient_errors_are_retried(sim_env: SimServer, cli_timing, run_cli) -> None:
    def flaky(elapsed: float) -> None:
        sim_env.set_faults(1.0 if 2 <= elapsed < 4 else 0.0, ["503"])

    cli_timing.hooks.append(flaky)
    result = run_cli("watch", "feature-payments")
    assert result.code == 0, result.err
    assert "devbox: HTTP 503" in result.err and "(retrying)" in result.err
    assert "devbox: reachable again" in result.err


def test_an_auth_failure_stops_at_once(sim_env: SimServer, cli_timing, run_cli) -> None:
    """A 401 will not heal by polling again: the watch ends with the server's error (read from the health's
    `last_status`, not parsed out of the message) instead of retrying forever."""
    revoked: list[float] = []

    def revoke(elapsed: float) -> None:
        if elapsed >= 2 and not revoked:
            revoked.append(elapsed)
            sim_env.reset(sprites_token="spr_sim_revoked_token_000")

    cli_timing.hooks.append(revoke)
    result = run_cli("watch", "feature-payments", "--timeout", "600")
    assert revoked
    assert result.code == 1, result.err
    assert "devbox: HTTP 401" in result.err and "(retrying)" not in result.err


def test_ctrl_c_exits_130_quietly(sim_env: SimServer, cli_timing, run_cli) -> None:
    fired: list[float] = []

    def interrupt(elapsed: float) -> None:
        if not fired:  # once, like one Ctrl-C: raised again from clean-up it would escape into a GC callback
            fired.append(elapsed)
            raise KeyboardInterrupt

    cli_timing.hooks.append(interrupt)
    result = run_cli("watch", "feature-payments")
    assert result.code == 130
    assert "Traceback" not in result.err and "KeyboardInterrupt" not in result.err


def test_live_display_with_eta(sim_env: SimServer, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal: a redrawn status line with the ETA learned from history; no colour under NO_COLOR."""
    sim_devbox = next(d for d in sim_env.world.devbox.devboxes.values() if d.name == "feature-payments")
    devbox = Devbox.model_validate(sim_env.world.devbox.wire(sim_devbox))
    history = EtaHistory()  # the user's state dir (an isolated temp dir in tests), shared with the dashboard
    for seconds in (40.0, 45.0, 50.0):
        history.record(EtaKey("devbox", box_group(Box.from_devbox(devbox)), "provision"), seconds)
    monkeypatch.setattr(progress, "_isatty", lambda stream: True)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("watch", "feature-payments")
    assert result.code == 0, result.err
    assert "ready in ~" in result.err  # the status line showed the ETA while it ran
    assert "\x1b[3" not in result.err  # NO_COLOR
    assert "2/4 inject_credentials" in result.err or "3/4 clone_repositories" in result.err
    # Redrawn in place: what stays on the terminal is the events, without a status line left behind.
    shown = screen(result.err, columns=200, lines=60)
    assert shown[0].startswith("feature-payments (devbox, id ") and "✓ publish_access success" in shown[-2]
    assert shown[-1].startswith("✓ 'feature-payments' is ready after")
    assert not any("ready in ~" in row or "·" in row for row in shown)


def test_each_cycle_costs_one_list_and_the_one_devbox_details(sim_env: SimServer, cli_timing, run_cli,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Other devboxes are provisioning too (new-devbox), yet each cycle fetches one devbox's details at most,
    and almost always the followed one's. (The monitor ranks a devbox that *just settled* level with the
    watched one, so in the cycle where new-devbox becomes ready it takes the single slot; see the report.)"""
    requests: list[str] = []
    original = watch.build_service

    def recording(settings, timing, **options):  # type: ignore[no-untyped-def]
        def record(r):  # type: ignore[no-untyped-def]
            requests.append(f"{r.method} {r.path}")

        return original(settings, timing, on_request=record, **options)

    monkeypatch.setattr(watch, "build_service", recording)
    cli_timing.hooks.append(lambda elapsed: requests.append("--sleep--"))
    dv = next(d for d in sim_env.world.devbox.devboxes.values() if d.name == "feature-payments")
    result = run_cli("watch", "feature-payments")
    assert result.code == 0, result.err
    cycles = "\n".join(requests).split("--sleep--")
    assert "GET /sandboxes" in cycles[0]  # resolving NAME looks at both backends, once
    ours = 0
    for cycle in cycles[1:]:
        calls = [c for c in cycle.split("\n") if c]
        assert calls[0] == "GET /devboxes"  # this backend only: no Amika request while following a devbox
        assert len(calls) <= 3
        assert len({c.split("/")[2] for c in calls[1:]}) <= 1
        ours += any(dv.id in c for c in calls[1:])
    assert ours >= len(cycles[1:]) - 1


def test_negative_timeout_is_a_usage_error(run_cli) -> None:
    assert run_cli("watch", "x", "--timeout", "-1").code == 2
    assert run_cli("ssh", "x", "--wait", "--timeout", "nan").code == 2


def test_notify_sends_a_desktop_notification_when_the_watch_ends(
    sim_env: SimServer, cli_timing, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(watch, "write_to_terminal", sent.append)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("TMUX", raising=False)
    assert run_cli("watch", "feature-payments").code == 0
    assert sent == []  # only when asked
    result = run_cli("watch", "data-pipeline", "--notify")
    assert result.code == 1
    (escape,) = sent
    assert escape.startswith("\x1b]9;boxdeck: not ready: ") and "Cloning northwind/api failed" in escape
    assert escape.endswith("\x07") and escape.count("\x1b") == 1
