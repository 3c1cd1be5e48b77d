"""`--state FILE`: the whole world (boxes, pending transitions, RNG state, clock) as one JSON document.

Pending transitions are stored as absolute due times, so a world saved mid-provisioning finishes provisioning
after a restart — immediately, if the wall clock has passed the due time meanwhile.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields, is_dataclass
from typing import Any, get_args, get_origin, get_type_hints

from boxdeck.sim.amika_state import AgentSession, ProviderSecret, Sandbox, SandboxSnapshot, Secret
from boxdeck.sim.clock import ManualClock, RealClock
from boxdeck.sim.config import SimConfig
from boxdeck.sim.devbox_state import Devbox, GitHubRepo
from boxdeck.sim.world import World

FORMAT = 1


def dump(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: dump(getattr(obj, f.name)) for f in fields(obj) if not f.name.startswith("_")}
    if isinstance(obj, list | tuple):
        return [dump(x) for x in obj]
    if isinstance(obj, dict):
        return {k: dump(v) for k, v in obj.items()}
    return obj


def load(cls: type, data: dict[str, Any]) -> Any:
    hints = get_type_hints(cls)
    kwargs = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in fields(cls)
        if not f.name.startswith("_") and f.name in data
    }
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    args = get_args(tp)
    if isinstance(tp, type) and is_dataclass(tp):
        return load(tp, value)
    item: Any = args[-1] if args else None
    if get_origin(tp) is list and isinstance(item, type) and is_dataclass(item):
        return [load(item, v) for v in value]
    if get_origin(tp) is dict and len(args) == 2 and isinstance(item, type) and is_dataclass(item):
        return {k: load(item, v) for k, v in value.items()}
    return value


def world_to_dict(w: World) -> dict[str, Any]:
    with w.lock:
        w.tick()
        version, internal, gauss = w.rng.getstate()
        a, d = w.amika, w.devbox
        return {
            "format": FORMAT,
            "now": w.clock.now(),
            "seed": w.seed,
            "speed": w.speed,
            "failure_rate": w.failure_rate,
            "churn": w.churn,
            "rng": [version, list(internal), gauss],
            "events": w.events_state(),
            "amika": {
                "sandboxes": dump(list(a.sandboxes.values())),
                "sessions": dump(list(a.sessions.values())),
                "secrets": dump(list(a.secrets.values())),
                "provider_secrets": dump(list(a.provider_secrets.values())),
                "snapshots": dump(list(a.snapshots.values())),
            },
            "devbox": {
                "devboxes": dump(list(d.devboxes.values())),
                "ssh_key": d.ssh_key,
                "github": d.github,
                "oauth_states": d.oauth_states,
                "orgs": d.orgs,
                "repos": dump(d.repos),
            },
        }


def world_from_dict(data: dict[str, Any], config: SimConfig) -> World:
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported state file format {data.get('format')!r}")
    clock = ManualClock(float(data["now"])) if config.manual_clock else RealClock()
    w = World(
        clock=clock,
        seed=int(data["seed"]),
        speed=config.speed,
        failure_rate=config.failure_rate,
        churn=config.churn,
        client_failure_rate=config.client_failure_rate,
    )
    version, internal, gauss = data["rng"]
    w.rng.setstate((version, tuple(internal), gauss))
    events = [e for e in data["events"] if config.churn or e[2] != "churn"]
    w.restore_events(events)
    w.pending_churn = any(e[2] == "churn" for e in events)
    a, d = w.amika, w.devbox
    for raw in data["amika"]["sandboxes"]:
        sb = load(Sandbox, raw)
        a.sandboxes[sb.name] = sb
        a.by_id[sb.id] = sb
    a.sessions = {s.id: s for s in (load(AgentSession, raw) for raw in data["amika"]["sessions"])}
    a.secrets = {s.id: s for s in (load(Secret, raw) for raw in data["amika"]["secrets"])}
    a.provider_secrets = {
        p.id: p for p in (load(ProviderSecret, raw) for raw in data["amika"]["provider_secrets"])
    }
    a.snapshots = {
        s.id: s for s in (load(SandboxSnapshot, raw) for raw in data["amika"].get("snapshots", []))
    }
    d.devboxes = {x.id: x for x in (load(Devbox, raw) for raw in data["devbox"]["devboxes"])}
    d.ssh_key = data["devbox"]["ssh_key"]
    d.github = data["devbox"]["github"]
    d.oauth_states = data["devbox"]["oauth_states"]
    d.orgs = data["devbox"]["orgs"]
    d.repos = [load(GitHubRepo, raw) for raw in data["devbox"]["repos"]]
    from boxdeck.sim.demo_world import install_churn

    install_churn(w)
    return w


def save_world(w: World, path: str) -> None:
    """Write-then-rename, so a crash mid-save never leaves a half-written state file behind."""
    data = json.dumps(world_to_dict(w), separators=(",", ":"))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".boxdeck-sim-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_world(path: str, config: SimConfig) -> World:
    with open(path, encoding="utf-8") as fh:
        return world_from_dict(json.load(fh), config)
