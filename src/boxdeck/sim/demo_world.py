"""The seeded worlds: the lively hand-made demo, N-box worlds for scale, and churn.

Worlds are built by replaying a history through the real state machines (create three hours ago, stop an hour
later, chat with the agent...) rather than by writing final states directly, so every operation list,
timestamp and session is what the API would really have produced — and "provisioning mid-way" is genuinely
mid-way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from boxdeck.sim.amika_state import ME, READY_STATES
from boxdeck.sim.config import SimConfig
from boxdeck.sim.devbox_state import CLONE_ERRORS, USER_ID, Devbox
from boxdeck.sim.names import CITIES
from boxdeck.sim.world import SimError, World, make_clock

HISTORY = 3 * 3600.0
DANA = {"name": "Dana Kim", "email": "dana@acme-labs.dev"}
LEE = {"name": None, "email": "lee@acme-labs.dev"}
GH = "https://github.com/"
Creator = dict[str, Any] | None

# name, final state, repo_url, agent credentials?, creator, conversations (one list of prompts per session)
DEMO_SANDBOXES: list[tuple[str | None, str, str | None, bool, Creator, list[list[str]]]] = [
    (
        "acme/platform",
        "active",
        GH + "acme-labs/platform.git",
        True,
        ME,
        [["Fix the flaky login test", "Now add a regression test for it"], ["Bump the Go toolchain to 1.23"]],
    ),
    (None, "active", GH + "acme-labs/web", True, ME, [["Why is the homepage bundle 2 MB?"]]),
    (None, "active", None, True, DANA, []),
    (None, "active", GH + "northwind/api.git", True, ME, [["Add pagination to GET /orders"]]),
    ("release-test.v2", "active", GH + "acme-labs/platform.git", True, LEE, []),
    (None, "active", None, False, None, []),
    (None, "active", GH + "sim-octocat/dotfiles", True, ME, []),
    (None, "stopped", GH + "northwind/infra", True, ME, [["Plan the terraform 1.9 upgrade"]]),
    (None, "stopped", None, True, DANA, []),
    (None, "initializing", GH + "acme-labs/web", True, ME, []),
    (None, "failed", GH + "acme-labs/platform.git", True, ME, []),
    (None, "stopping", None, True, ME, []),
]
#: Providers other than Daytona (the default) for some demo sandboxes: each reports "ready" its own way.
DEMO_PROVIDERS = {2: "e2b", 6: "freestyle"}
SANDBOX_MIX = (
    "active",
    "active",
    "active",
    "active",
    "active",
    "stopped",
    "stopped",
    "initializing",
    "failed",
    "stopping",
)

REPO = {
    "platform": {
        "repo_id": 700_201,
        "full_name": "acme-labs/platform",
        "ref": "main",
        "target_path": "/workspace/platform",
    },
    "web": {
        "repo_id": 700_202,
        "full_name": "acme-labs/web",
        "ref": "develop",
        "target_path": "/workspace/web",
    },
    "api": {"repo_id": 700_301, "full_name": "northwind/api", "ref": "main", "target_path": "/workspace/api"},
    "infra": {
        "repo_id": 700_302,
        "full_name": "northwind/infra",
        "ref": "main",
        "target_path": "/workspace/infra",
    },
}
# name, final state, repositories, proxied, setup commands
DEMO_DEVBOXES: list[tuple[str, str, list[str], bool, list[str]]] = [
    ("api-dev", "ready", ["platform"], False, ["npm ci"]),
    ("web-preview", "ready", ["web"], True, []),
    ("scratch", "ready", [], False, []),
    ("infra-sandbox", "ready", ["infra"], False, ["terraform init"]),
    ("feature-payments", "provisioning", ["web", "platform"], False, []),
    ("data-pipeline", "failed", ["api"], False, []),
    ("old-experiment", "stopped", [], False, []),
    ("new-devbox", "requested", [], True, []),
]
DEVBOX_MIX = (
    "ready",
    "ready",
    "ready",
    "ready",
    "ready",
    "provisioning",
    "failed",
    "stopped",
    "requested",
    "ready",
)


def build_world(config: SimConfig) -> World:
    world = World(
        clock=make_clock(config.manual_clock, config.start_time),
        seed=config.seed,
        speed=config.speed,
        failure_rate=config.failure_rate,
        churn=config.churn,
        client_failure_rate=config.client_failure_rate,
    )
    demo = len(DEMO_SANDBOXES) if config.demo_world else 0
    n_sandboxes = config.sandboxes if config.sandboxes is not None else demo
    n_devboxes = (
        config.devboxes if config.devboxes is not None else (len(DEMO_DEVBOXES) if config.demo_world else 0)
    )
    if config.demo_world or n_sandboxes or n_devboxes:
        _populate(world, n_sandboxes, n_devboxes, extras=config.demo_world)
    install_churn(world)
    return world


def _populate(w: World, n_sandboxes: int, n_devboxes: int, *, extras: bool) -> None:
    end = w.clock.now()
    start = end - w.dur(HISTORY)
    settled = end - w.dur(1800)
    timeline: list[tuple[float, int, Callable[[], Any]]] = []

    def at(t: float, fn: Callable[[], Any]) -> None:
        timeline.append((t, len(timeline), fn))

    if extras:
        at(start, lambda: _extras(w))
    for i in range(n_sandboxes):
        if i < len(DEMO_SANDBOXES):
            spec = DEMO_SANDBOXES[i]
        else:
            repo = w.rng.choice([None, *(GH + str(r["full_name"]) for r in REPO.values())])
            spec = (None, SANDBOX_MIX[i % len(SANDBOX_MIX)], repo, True, ME, [])
        provider = DEMO_PROVIDERS.get(i) if extras else None
        _plan_sandbox(w, at, spec, w.rng.uniform(start + 1, settled), end, provider)
    for i in range(n_devboxes):
        if i < len(DEMO_DEVBOXES):
            dspec = DEMO_DEVBOXES[i]
        else:
            repos = w.rng.sample(sorted(REPO), w.rng.randint(0, 2))
            dspec = (
                f"devbox-{w.rng.choice(CITIES)}-{i}",
                DEVBOX_MIX[i % len(DEVBOX_MIX)],
                repos,
                w.chance(0.3),
                [],
            )
        _plan_devbox(w, at, dspec, w.rng.uniform(start + 1, settled), end)
    failure_rate, w.failure_rate = w.failure_rate, 0.0
    try:
        for t, _, fn in sorted(timeline, key=lambda e: (e[0], e[1])):
            w.build_at(t)
            fn()
    finally:
        w.failure_rate = failure_rate
        w.build_done()


def _extras(w: World) -> None:
    a, d = w.amika, w.devbox
    a.create_provider_secret("claude", "anthropic-api-key", "sk-ant-sim-0000000000000000", "api_key", "user")
    a.create_provider_secret("codex", "codex-login", '{"tokens":{"access_token":"sim"}}', "oauth", "user")
    a.create_secret("GITHUB_TOKEN", "ghp_sim000000000000000000000000000000", "user", "PAT for private clones")
    a.create_secret("NPM_TOKEN", "npm_sim0000000000000000000000000000", "org", None)
    # No SSH key is registered: a registered key must sign every devbox login, and nobody holds the private
    # half of a made-up one, so the demo's devboxes would refuse their own user.
    d.connect_github()
    d.update_org_grants(["acme-labs"])


def _plan_sandbox(
    w: World,
    at: Callable[[float, Callable[[], Any]], None],
    spec: tuple[str | None, str, str | None, bool, Creator, list[list[str]]],
    t: float,
    end: float,
    provider: str | None = None,
) -> None:
    name, state, repo, creds, creator, chats = spec
    req: dict[str, Any] = {"name": name, "repo_url": repo, "provider": provider}
    if creds:
        req["agent_credentials"] = [{"kind": "claude"}, {"kind": "codex"}]
    ref: dict[str, str] = {}

    def create(fail: str | None = None) -> None:
        ref["name"] = w.amika._create(dict(req), created_by=creator, fail=fail, demo=True)["name"]

    if state == "initializing":
        at(end - w.dur(5), create)
        return
    if state == "failed":
        at(t, lambda: create("out of capacity"))
        return
    if state == "stopping":
        at(end - w.dur(1200), create)
        at(end - w.dur(2), lambda: w.amika.stop(ref["name"]))
        return
    at(t, create)
    for s, prompts in enumerate(chats):
        for k, prompt in enumerate(prompts):
            first = k == 0
            at(t + w.dur(120 + 900 * s + 240 * k), functools.partial(_chat_later, w, ref, prompt, first))
        if s < len(chats) - 1:
            at(t + w.dur(120 + 900 * s + 600), lambda: _finish_session(w, ref["name"]))
    if state == "stopped":
        at(t + w.dur(60 + 900 * len(chats) + 300), lambda: w.amika.stop(ref["name"]))


def _chat_later(w: World, ref: dict[str, str], prompt: str, new_session: bool) -> None:
    _chat(w, ref["name"], prompt, new_session)  # the name is known only once the create has run


def _chat(w: World, name: str, prompt: str, new_session: bool) -> None:
    req = {"message": prompt, "new_session": new_session, "agent": "claude"}
    if req["agent"] not in w.amika.sandboxes[name].creds:
        # No claude credential was registered (a world built without the demo extras, e.g.
        # `demo_world=False, sandboxes=N`): the agent could not have answered, so there is no history.
        return
    w.amika.agent_check(name, req)
    w.amika.agent_finish(name, req)


def _finish_session(w: World, name: str) -> None:
    sb = w.amika.sandboxes[name]
    if sb.current_session_id:
        w.amika.update_session(name, sb.current_session_id, "completed", None)


def _plan_devbox(
    w: World,
    at: Callable[[float, Callable[[], Any]], None],
    spec: tuple[str, str, list[str], bool, list[str]],
    t: float,
    end: float,
) -> None:
    name, state, repos, proxied, setup = spec
    req = {
        "name": name,
        "repositories": [REPO[r] for r in repos],
        "credential_profile": {"inject_claude_token": True},
        "setup_commands": setup,
    }
    box: dict[str, Devbox] = {}

    def create(**kw: Any) -> None:
        box["d"] = w.devbox._create(
            dict(req), claude_token=True, proxied=proxied, demo=True, owner=USER_ID, **kw
        )

    if state == "provisioning":
        at(end - w.dur(15), create)
    elif state == "requested":
        at(end - w.dur(1), create)
    elif state == "failed":
        if not repos:
            at(t, lambda: create(fail_step="provision"))
        else:
            at(t, lambda: create(fail_step="clone_repositories", fail_message=CLONE_ERRORS[0]))
    else:
        at(t, create)
        if state == "stopped":
            at(t + w.dur(900), lambda: w.devbox.force_state(box["d"].id, "stopped"))


# -- churn ---------------------------------------------------------------------------------------------------
def install_churn(w: World) -> None:
    """Now and then something happens on its own, so a demo dashboard is never static. Bounded: the world
    grows by at most a handful of boxes around its starting size."""
    base = (len(w.amika.sandboxes), len(w.devbox.devboxes))
    w.on("churn", lambda: _churn(w, base))
    if w.churn and w.pending_churn is False:
        w.pending_churn = True
        w.schedule(w.rng.uniform(10, 25), "churn")


def _churn(w: World, base: tuple[int, int]) -> None:
    """One random happening, only ever to the demo world's own boxes: a client's boxes are left alone."""
    a, d = w.amika, w.devbox
    rng = w.rng
    action = rng.choice(("create", "create", "stop", "start", "delete", "devbox", "destroy", "chat"))
    boxes = [s for s in a.sandboxes.values() if s.demo and s.state != "deleting"]
    devboxes = [x for x in d.devboxes.values() if x.demo]
    try:
        if action == "create" and len(boxes) < base[0] + 5:
            a._create(
                {"agent_credentials": [{"kind": "claude"}]},
                created_by=DANA if rng.random() < 0.5 else ME,
                demo=True,
            )
        elif action == "stop" and (active := [s for s in boxes if s.state in READY_STATES]):
            a.stop(rng.choice(active).name)
        elif action == "start" and (stopped := [s for s in boxes if s.state == "stopped"]):
            a.start(rng.choice(stopped).name)
        elif action == "delete" and len(boxes) > max(1, base[0] - 2):
            victims = [s for s in boxes if s.state in ("stopped", "failed")] or boxes
            a.delete(rng.choice(victims).name)
        elif action == "devbox" and sum(x.listed for x in devboxes) < base[1] + 4:
            repos = rng.sample(sorted(REPO), rng.randint(0, 2))
            d._create(
                {"name": f"churn-{rng.choice(CITIES)}", "repositories": [REPO[r] for r in repos]},
                demo=True,
                owner=USER_ID,
            )
        elif action == "destroy" and (ready := [x for x in devboxes if x.state in ("ready", "failed")]):
            if sum(x.listed for x in devboxes) > max(1, base[1] - 2):
                d.delete(rng.choice(ready).id)
        elif action == "chat" and (
            chatty := [s for s in boxes if s.state in READY_STATES and "claude" in s.creds]
        ):
            _chat(
                w, rng.choice(chatty).name, rng.choice(("Run the tests", "Summarise today's changes")), False
            )
    except SimError:
        pass
    w.schedule(rng.uniform(15, 40), "churn")
