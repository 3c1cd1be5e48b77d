"""Amika's half of the world: sandboxes and their lifecycle, SSH tokens, agent sessions, secrets, snapshots.

Timings are service seconds at speed 1 (see README in the sim package docstring): provisioning 12-20 s,
start 6-12 s, stop 4-8 s, a deleted sandbox lingers as `deleting` for 3-6 s, SSH tokens live an hour,
agent-send takes 1.5 s plus 20 ms per prompt character, a snapshot captures in 8-15 s.

A ready sandbox reports the state its provider reports: Daytona (the default) says `started`, local Docker
`running`, the others `active`. Boxes the demo world made itself (`demo`) are the only ones churn touches.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boxdeck.sim.boxfs import BoxTarget, RepoStub, scrub_env_names
from boxdeck.sim.names import generate_name
from boxdeck.sim.world import Conflict, InvalidInput, NotFound, RawError, iso_ms, locked

if TYPE_CHECKING:
    from boxdeck.sim.world import World

ORG_ID = "org_sim_boxdeck"
USER_ID = "usr_sim_0001"
ME = {"name": "Sim User", "email": "sim.user@boxdeck.local"}
SSH_HOST = "ssh.sim.boxdeck.local"
SSH_TOKEN_TTL = 3600.0
HOME = "/home/amika"
#: Every state a ready sandbox may report; which one depends on the provider.
READY_STATES = frozenset({"active", "running", "started"})
READY_BY_PROVIDER = {"daytona": "started", "local-docker": "running"}
DELETE_LINGER = (3.0, 6.0)
SNAPSHOT_MODES = ("scrub_and_delete", "full")
SNAPSHOT_CAPTURE = (8.0, 15.0)
SNAPSHOT_FAILURE = "capture failed: disk full"
SNAPSHOT_SOURCE_GONE = "capture failed: the source sandbox changed or went away"
DAYTONA_SNAPSHOT_STATES = {"capturing": "building", "active": "active", "failed": "error"}
PROVIDERS = ("claude", "codex", "github")
FAILURE_MESSAGES = (
    "out of capacity",
    "provider error: daytona did not answer within 300s",
    "git clone failed: repository not found or access denied",
    "setup script exited with status 1",
)
TRANSIENT = {"_json"}
#: Where the real images keep the agents' credentials (relative to the home directory).
CREDENTIAL_FILES = (("claude", ".claude/.credentials.json"), ("codex", ".codex/auth.json"))


@dataclass
class AgentSession:
    id: str
    sandbox_id: str
    agent_name: str
    status: str
    started_at: float
    ended_at: float | None
    metadata: dict[str, Any]
    created_at: float
    updated_at: float
    agent_session_id: str
    turns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sandbox:
    id: str
    name: str
    state: str
    created_at: float
    updated_at: float
    provider: str
    repo_url: str | None = None
    branch: str | None = None
    snapshot: str | None = None
    preset: str = "coder"
    size: str = "m"
    error_message: str | None = None
    provider_sandbox_id: str | None = None
    commit_hash: str | None = None
    current_session_id: str | None = None
    secret_names: list[str] = field(default_factory=list)
    creds: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_by: dict[str, Any] | None = None
    status: str = "creating"
    gen: int = 0
    session_ids: list[str] = field(default_factory=list)
    ssh_tokens: dict[str, float] = field(default_factory=dict)
    #: A test's own `ssh_destination` (`{token}` stands for the minted token); None: the usual one.
    ssh_destination: str | None = None
    demo: bool = False
    env_names: list[str] = field(default_factory=list)
    secret_env: list[str] = field(default_factory=list)
    _json: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def repo_name(self) -> str | None:
        if not self.repo_url:
            return None
        tail = self.repo_url.rstrip("/").rsplit("/", 1)[-1]
        return tail.removesuffix(".git") or None


@dataclass
class SandboxSnapshot:
    id: str
    slug: str
    provider: str
    description: str | None
    source_sandbox_id: str | None
    source_sandbox_name: str | None
    repository_url: str | None
    base_snapshot: str | None
    preset: str
    size: str
    mode: str
    state: str
    error_message: str | None
    created_at: float
    updated_at: float


def ready_state(provider: str) -> str:
    return READY_BY_PROVIDER.get(provider, "active")


def repo_id(repo_url: str | None) -> str | None:
    return f"repo_{zlib.crc32(repo_url.encode()):08x}" if repo_url else None


@dataclass
class Secret:
    id: str
    name: str
    value: str
    scope: str
    description: str | None
    created_at: float
    updated_at: float


@dataclass
class ProviderSecret:
    id: str
    provider: str
    name: str
    value: str
    type: str
    scope: str
    created_at: float


class AmikaState:
    def __init__(self, world: World) -> None:
        self.world = world
        self.sandboxes: dict[str, Sandbox] = {}
        self.by_id: dict[str, Sandbox] = {}
        self.sessions: dict[str, AgentSession] = {}
        self.secrets: dict[str, Secret] = {}
        self.provider_secrets: dict[str, ProviderSecret] = {}
        self.snapshots: dict[str, SandboxSnapshot] = {}
        world.on("sbx.ready", self._on_ready)
        world.on("sbx.failed", self._on_failed)
        world.on("sbx.stopped", self._on_stopped)
        world.on("sbx.gone", self._on_gone)
        world.on("snap.done", self._on_snapshot_done)

    # -- helpers ---------------------------------------------------------------------------------------------
    def _touch(self, sb: Sandbox) -> None:
        sb.updated_at = self.world.now()
        sb._json = None
        self.world.changed()

    def _find(self, ref: str) -> Sandbox:
        sb = self.sandboxes.get(ref) or self.by_id.get(ref)
        if sb is None:
            raise NotFound(f'sandbox "{ref}" not found')
        return sb

    def _invalid_state(self, sb: Sandbox, action: str) -> Conflict:
        return Conflict(f'cannot {action} sandbox "{sb.name}" in state "{sb.state}"', code="invalid_state")

    def wire(self, sb: Sandbox) -> dict[str, Any]:
        psid = sb.provider_sandbox_id
        active = sb.state in READY_STATES
        repo_name = sb.repo_name
        services: list[dict[str, Any]] = []
        if active and psid:
            services = [
                {
                    "name": "Coding Agent",
                    "url": f"https://4096-{psid}.proxy.sim.boxdeck.local",
                    "hostPort": 4096,
                    "containerPort": 4096,
                    "protocol": "tcp",
                }
            ]
        return {
            "id": sb.id,
            "user_id": USER_ID if sb.created_by else None,
            "org_id": ORG_ID,
            "name": sb.name,
            "provider": sb.provider,
            "provider_sandbox_id": psid,
            "provider_url": f"https://app.daytona.sim.boxdeck.local/sandboxes/{psid}" if psid else None,
            "amika_opencode_web": None,
            "repo_name": repo_name,
            "repo_provider": "github" if sb.repo_url and "github.com" in sb.repo_url else None,
            "repo_id": repo_id(sb.repo_url),
            "repo_url": sb.repo_url,
            "branch": sb.branch,
            "commit_hash": sb.commit_hash,
            "snapshot": sb.snapshot,
            "current_session_id": sb.current_session_id,
            "services": services,
            "created_at": iso_ms(sb.created_at),
            "updated_at": iso_ms(sb.updated_at),
            "snapshot_name": sb.snapshot,
            "sandbox_preset": sb.preset,
            "sandbox_size": sb.size,
            "error_message": sb.error_message,
            "state": sb.state,
            "status": sb.status,
            "setup_status": "ok" if active else None,
            "urls_expire_at": None,
            "secret_names": list(sb.secret_names),
            "has_workflow": False,
            "resolved_agent_credentials": None,
            "created_by": dict(sb.created_by) if sb.created_by else None,
            "origin": "api",
        }

    def wire_json(self, sb: Sandbox) -> bytes:
        """Cached per sandbox and dropped on every change: listing 10,000 is one join of ready-made bytes."""
        if sb._json is None:
            sb._json = json.dumps(self.wire(sb), separators=(",", ":")).encode()
        return sb._json

    # -- sandboxes -------------------------------------------------------------------------------------------
    @locked
    def list_json(self) -> bytes:
        return b"[" + b",".join(self.wire_json(sb) for sb in self.sandboxes.values()) + b"]"

    @locked
    def get(self, ref: str) -> dict[str, Any]:
        return self.wire(self._find(ref))

    @locked
    def create(self, req: dict[str, Any], *, created_by: dict[str, Any] | None = ME) -> dict[str, Any]:
        return self._create(req, created_by=created_by)

    def _create(
        self,
        req: dict[str, Any],
        *,
        created_by: dict[str, Any] | None = ME,
        fail: str | None = None,
        demo: bool = False,
    ) -> dict[str, Any]:
        w = self.world
        name = req.get("name") or generate_name(w.rng, self.sandboxes)
        if name in self.sandboxes:
            raise Conflict(f'sandbox "{name}" already exists')
        base = self._boot_snapshot(req.get("snapshot"))
        creds, report = self._resolve_credentials(req.get("agent_credentials") or [])
        secret_names = sorted(set((req.get("secret_env_vars") or {}).values()))
        known = {s.name for s in self.secrets.values()}
        missing = [n for n in secret_names if n not in known]
        if missing:
            raise InvalidInput(f"secret_env_vars refers to unknown secrets: {', '.join(missing)}")
        now = w.now()
        sb = Sandbox(
            id="sb_" + w.hex(12),
            name=name,
            state="initializing",
            created_at=now,
            updated_at=now,
            provider=req.get("provider") or (base.provider if base else "daytona"),
            repo_url=req.get("repo_url"),
            branch=req.get("new_branch_name")
            or req.get("branch")
            or ("main" if req.get("repo_url") else None),
            snapshot=req.get("snapshot"),
            preset=req.get("preset") or "coder",
            size=req.get("size") or "m",
            secret_names=secret_names,
            creds=creds,
            created_by=dict(created_by) if created_by else None,
            status="creating",
            demo=demo,
            env_names=sorted((req.get("env_vars") or {}).keys()),
            secret_env=sorted((req.get("secret_env_vars") or {}).keys()),
        )
        self.sandboxes[name] = sb
        self.by_id[sb.id] = sb
        w.changed()
        if base is not None and w.files is not None:
            w.files.restore(base.id, "amika", sb.id)
        delay = w.rng.uniform(12, 20)
        if fail is None and w.fails(demo):
            fail = w.rng.choice(FAILURE_MESSAGES)
        if fail:
            w.schedule(delay * 0.6, "sbx.failed", id=sb.id, gen=sb.gen, message=fail)
        else:
            w.schedule(delay, "sbx.ready", id=sb.id, gen=sb.gen)
        out = self.wire(sb)
        out["resolved_agent_credentials"] = report
        return out

    def _resolve_credentials(
        self, refs: list[dict[str, Any]]
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """The server's precedence: none > name (+type must match) > type > default (oauth, then api_key).

        An omitted array means no credential for any kind, which is what later makes agent-send fail with the
        provider-auth envelope.
        """
        creds: dict[str, dict[str, Any]] = {}
        report: list[dict[str, Any]] = []
        seen: set[str] = set()
        for ref in refs:
            kind = ref["kind"]
            if kind in seen:
                raise InvalidInput(f"agent_credentials: at most one entry per kind ({kind} repeated)")
            seen.add(kind)
            if ref.get("none"):
                if ref.get("name") or ref.get("type"):
                    raise InvalidInput("agent_credentials: none cannot be combined with name or type")
                report.append({"kind": kind, "outcome": "skipped", "reason": "request:none"})
                continue
            mine = [p for p in self.provider_secrets.values() if p.provider == kind]
            source = "user_default"
            if ref.get("name"):
                mine = [p for p in mine if p.name == ref["name"]]
                if not mine:
                    raise InvalidInput(f'agent_credentials: no {kind} credential named "{ref["name"]}"')
                if ref.get("type") and mine[0].type != ref["type"]:
                    raise InvalidInput(
                        f'agent_credentials: {kind} credential "{ref["name"]}" is not {ref["type"]}'
                    )
                source = "request:name"
            elif ref.get("type"):
                mine = [p for p in mine if p.type == ref["type"]]
                if len(mine) != 1:
                    raise InvalidInput(f"agent_credentials: need exactly one {kind} {ref['type']} credential")
                source = "request:type"
            else:
                mine.sort(key=lambda p: (p.type != "oauth", p.scope != "user", p.created_at))
                if mine:
                    source = f"default:{mine[0].type}"
            if not mine:
                report.append({"kind": kind, "outcome": "skipped", "reason": "no_user_credential"})
                continue
            chosen = mine[0]
            entry = {
                "kind": kind,
                "outcome": "resolved",
                "name": chosen.name,
                "type": chosen.type,
                "source": source,
            }
            creds[kind] = entry
            report.append(entry)
        return creds, report

    def _on_ready(self, id: str, gen: int) -> None:
        sb = self.by_id.get(id)
        if sb is None or sb.gen != gen or sb.state != "initializing":
            return
        w = self.world
        sb.state, sb.status, sb.error_message = ready_state(sb.provider), "running", None
        sb.provider_sandbox_id = sb.provider_sandbox_id or w.uuid()
        if sb.repo_url and not sb.commit_hash:
            sb.commit_hash = w.hex(20)
        self._touch(sb)

    def _on_failed(self, id: str, gen: int, message: str) -> None:
        sb = self.by_id.get(id)
        if sb is None or sb.gen != gen or sb.state != "initializing":
            return
        sb.state, sb.status, sb.error_message = "failed", "failed", message
        self._touch(sb)

    def _on_stopped(self, id: str, gen: int) -> None:
        sb = self.by_id.get(id)
        if sb is None or sb.gen != gen or sb.state != "stopping":
            return
        sb.state, sb.status = "stopped", "suspended"
        self._touch(sb)

    @locked
    def start(self, ref: str) -> None:
        sb = self._find(ref)
        if sb.state not in ("stopped", "failed"):
            raise self._invalid_state(sb, "start")
        sb.gen += 1
        sb.state, sb.status, sb.error_message = "initializing", "starting", None
        self._touch(sb)
        self.world.schedule(self.world.rng.uniform(6, 12), "sbx.ready", id=sb.id, gen=sb.gen)

    @locked
    def stop(self, ref: str) -> None:
        sb = self._find(ref)
        if sb.state not in READY_STATES:
            raise self._invalid_state(sb, "stop")
        sb.gen += 1
        sb.state, sb.status = "stopping", "stopping"
        sb.ssh_tokens.clear()
        self._touch(sb)
        self.world.schedule(self.world.rng.uniform(4, 8), "sbx.stopped", id=sb.id, gen=sb.gen)

    @locked
    def delete(self, ref: str) -> None:
        """The record lingers as `deleting` for a few seconds, as the real service's does, then goes."""
        sb = self._find(ref)
        if sb.state == "deleting":
            return
        sb.gen += 1
        sb.state, sb.status, sb.error_message = "deleting", "stopping", None
        sb.ssh_tokens.clear()
        self._touch(sb)
        self.world.schedule(self.world.rng.uniform(*DELETE_LINGER), "sbx.gone", id=sb.id, gen=sb.gen)

    def _on_gone(self, id: str, gen: int) -> None:
        sb = self.by_id.get(id)
        if sb is None or sb.gen != gen:
            return
        del self.sandboxes[sb.name]
        del self.by_id[sb.id]
        for sid in sb.session_ids:
            self.sessions.pop(sid, None)
        if self.world.files is not None:
            self.world.files.remove_box("amika", sb.id)
        self.world.changed()

    @locked
    def force_state(self, ref: str, state: str, error_message: str | None = None) -> dict[str, Any]:
        """For benchmarks: flip a state at a known instant; pending transitions of the box are cancelled."""
        sb = self._find(ref)
        sb.gen += 1
        sb.state = state
        sb.status = {"stopped": "suspended", "failed": "failed"}.get(state, state)
        if state in READY_STATES:
            sb.status = "running"
        sb.error_message = (error_message or "forced failure") if state == "failed" else None
        if state in READY_STATES:
            sb.provider_sandbox_id = sb.provider_sandbox_id or self.world.uuid()
        self._touch(sb)
        return self.wire(sb)

    # -- ssh -------------------------------------------------------------------------------------------------
    @locked
    def ssh(self, ref: str) -> dict[str, Any]:
        sb = self._find(ref)
        if sb.state not in READY_STATES:
            raise self._invalid_state(sb, "open SSH to")
        w = self.world
        now = w.now()
        sb.ssh_tokens = {t: exp for t, exp in sb.ssh_tokens.items() if exp > now}
        token = w.hex(16)
        expires = now + w.dur(SSH_TOKEN_TTL)
        sb.ssh_tokens[token] = expires
        w.changed()
        if sb.ssh_destination is not None:
            destination = sb.ssh_destination.replace("{token}", token)
        elif w.ssh is not None:
            destination = w.ssh.destination(token)
        else:
            destination = f"-p 2222 {token}@{SSH_HOST}"
        return {
            "ssh_destination": destination,
            "token": token,
            "expires_at": iso_ms(expires),
            "repo_name": sb.repo_name,
            "sandbox_id": sb.id,
            "sandbox_name": sb.name,
        }

    @locked
    def set_ssh_answer(self, ref: str, ssh_destination: str | None) -> None:
        """For tests: what `POST /ssh` answers for this sandbox from now on (None: the usual answer)."""
        self._find(ref).ssh_destination = ssh_destination

    @locked
    def revoke_ssh(self, ref: str, token: str) -> None:
        sb = self._find(ref)
        expires = sb.ssh_tokens.pop(token, None)
        if expires is None or expires <= self.world.now():
            raise NotFound("ssh token not found")
        self.world.changed()

    @locked
    def login(self, token: str) -> BoxTarget | None:
        """The box an SSH login with this user name opens: an unexpired, unrevoked grant of a ready box."""
        now = self.world.now()
        for sb in self.by_id.values():
            expires = sb.ssh_tokens.get(token)
            if expires is not None:
                if expires <= now or sb.state not in READY_STATES:
                    return None
                return self.target(sb)
        return None

    @locked
    def alive(self, box_id: str, gen: int) -> bool:
        """Whether a login into this box (at this generation) may go on: still there, still ready."""
        sb = self.by_id.get(box_id)
        return sb is not None and sb.gen == gen and sb.state in READY_STATES

    @staticmethod
    def target(sb: Sandbox) -> BoxTarget:
        """The real box's layout: the home directory is the box's own, the repository under `workspace/`."""
        repos: tuple[RepoStub, ...] = ()
        if sb.repo_name:
            url = sb.repo_url or ""
            full = "/".join(url.removesuffix(".git").rstrip("/").split("/")[-2:])
            repos = (RepoStub(f"{HOME}/workspace/{sb.repo_name}", full, sb.branch or "main", sb.repo_url),)
        creds = tuple(path for kind, path in CREDENTIAL_FILES if kind in sb.creds)
        return BoxTarget(
            backend="amika",
            box_id=sb.id,
            name=sb.name,
            gen=sb.gen,
            user="amika",
            home=HOME,
            cwd=HOME,
            mounts=((HOME, "."),),
            repos=repos,
            credential_files=creds,
            dirs=(f"{HOME}/workspace",),
        )

    # -- snapshots -------------------------------------------------------------------------------------------
    def _boot_snapshot(self, slug: str | None) -> SandboxSnapshot | None:
        """The sandbox snapshot a create boots from; other slugs are provider images and only recorded."""
        if not slug:
            return None
        snap = next((s for s in self.snapshots.values() if s.slug == slug), None)
        if snap is not None and snap.state != "active":
            raise Conflict(f'snapshot "{slug}" is {snap.state}, not active', code="invalid_state")
        return snap

    def _find_by(self, ref: str, by: str) -> Sandbox:
        if by == "id":
            sb = self.by_id.get(ref)
        elif by == "name":
            sb = self.sandboxes.get(ref)
        else:
            sb = self.sandboxes.get(ref) or self.by_id.get(ref)
        if sb is None:
            raise NotFound(f'sandbox "{ref}" not found')
        return sb

    def _snapshot(self, ref: str, by: str = "ref") -> SandboxSnapshot:
        snap = None
        if by in ("id", "ref", "name_or_id"):
            snap = self.snapshots.get(ref)
        if snap is None and by != "id":
            snap = next((s for s in self.snapshots.values() if s.slug == ref), None)
        if snap is None:
            raise NotFound(f'sandbox snapshot "{ref}" not found')
        return snap

    @staticmethod
    def snapshot_wire(s: SandboxSnapshot) -> dict[str, Any]:
        daytona = None
        if s.provider == "daytona":
            daytona = {
                "name": s.slug,
                "state": DAYTONA_SNAPSHOT_STATES.get(s.state, s.state),
                "imageName": f"registry.sim.boxdeck.local/snapshots/{s.id}:latest",
                "cpu": 2,
                "memory": 4,
                "disk": 10,
                "createdAt": iso_ms(s.created_at),
                "updatedAt": iso_ms(s.updated_at),
            }
        return {
            "id": s.id,
            "snapshot": s.slug,
            "provider": s.provider,
            "description": s.description,
            "source_sandbox_id": s.source_sandbox_id,
            "source_sandbox_name": s.source_sandbox_name,
            "repository_id": repo_id(s.repository_url),
            "repository_url": s.repository_url,
            "base_snapshot": s.base_snapshot,
            "sandbox_preset": s.preset,
            "sandbox_size": s.size,
            "capture_mode": s.mode,
            "state": s.state,
            "error_message": s.error_message,
            "created_at": iso_ms(s.created_at),
            "updated_at": iso_ms(s.updated_at),
            "daytona": daytona,
        }

    @locked
    def list_snapshots(self, repository_id: str | None = None, source_sandbox_id: str | None = None) -> list[
        dict[str, Any]
    ]:
        items = sorted(self.snapshots.values(), key=lambda s: (-s.created_at, s.id))
        if repository_id is not None:
            items = [s for s in items if repo_id(s.repository_url) == repository_id]
        if source_sandbox_id is not None:
            items = [s for s in items if s.source_sandbox_id == source_sandbox_id]
        return [self.snapshot_wire(s) for s in items]

    @locked
    def get_snapshot(self, ref: str, by: str = "ref") -> dict[str, Any]:
        return self.snapshot_wire(self._snapshot(ref, by))

    @locked
    def scrub_preview(self, ref: str, by: str = "ref") -> dict[str, Any]:
        """What a `scrub_and_delete` snapshot would leave out: files by their path in the box, and the names
        of the environment variables whose values are dropped."""
        sb = self._find_by(ref, by)
        target = self.target(sb)
        files = self.world.files
        if files is not None:
            paths = files.scrub_preview(target)
        else:
            paths = sorted(f"{HOME}/{rel}" for rel in target.credential_files)
        env = sorted(set(sb.secret_env) | set(scrub_env_names(sb.env_names)))
        return {"files": paths, "env_vars": env}

    @locked
    def create_snapshot(self, req: dict[str, Any]) -> dict[str, Any]:
        ref = req.get("sandbox_ref") or req.get("sandbox_id") or req.get("sandbox_name")
        if not ref:
            raise InvalidInput("sandbox_ref is required")
        by = "id" if ref == req.get("sandbox_id") and not req.get("sandbox_ref") else "ref"
        sb = self._find_by(ref, by)
        if sb.state not in READY_STATES:
            raise self._invalid_state(sb, "snapshot")
        slug = snapshot_slug(req["name"])
        if any(s.slug == slug for s in self.snapshots.values()):
            raise Conflict(f'snapshot "{slug}" already exists')
        mode = req.get("mode") or "scrub_and_delete"
        w = self.world
        now = w.now()
        snap = SandboxSnapshot(
            id="snap_" + w.hex(10),
            slug=slug,
            provider=sb.provider,
            description=req.get("description"),
            source_sandbox_id=sb.id,
            source_sandbox_name=sb.name,
            repository_url=sb.repo_url,
            base_snapshot=sb.snapshot,
            preset=sb.preset,
            size=sb.size,
            mode=mode,
            state="capturing",
            error_message=None,
            created_at=now,
            updated_at=now,
        )
        self.snapshots[snap.id] = snap
        if mode == "scrub_and_delete":
            # The source is being taken apart: its sessions end and it cannot be used until it goes.
            sb.gen += 1
            sb.state, sb.status = "snapshotting", "snapshotting"
            sb.ssh_tokens.clear()
            self._touch(sb)
        w.changed()
        fail = w.fails(False)
        w.schedule(w.rng.uniform(*SNAPSHOT_CAPTURE), "snap.done", id=snap.id, gen=sb.gen, fail=fail)
        return self.snapshot_wire(snap)

    def _on_snapshot_done(self, id: str, gen: int, fail: bool) -> None:
        snap = self.snapshots.get(id)
        if snap is None or snap.state != "capturing":
            return
        w = self.world
        sb = self.by_id.get(snap.source_sandbox_id or "")
        scrub = snap.mode == "scrub_and_delete"
        snap.updated_at = w.now()
        if sb is None or sb.gen != gen:
            snap.state, snap.error_message = "failed", SNAPSHOT_SOURCE_GONE
        elif fail:
            snap.state, snap.error_message = "failed", SNAPSHOT_FAILURE
        else:
            if w.files is not None:
                w.files.capture(self.target(sb), snap.id, scrub=scrub)
            snap.state = "active"
        if sb is not None and sb.gen == gen and scrub:
            if snap.state == "active":
                self.delete(sb.name)
            else:  # a failed capture gives the source back
                sb.gen += 1
                sb.state, sb.status = ready_state(sb.provider), "running"
                self._touch(sb)
        w.changed()

    @locked
    def delete_snapshot(self, ref: str, by: str = "ref") -> None:
        snap = self._snapshot(ref, by)
        del self.snapshots[snap.id]
        if self.world.files is not None:
            self.world.files.remove_snapshot(snap.id)
        self.world.changed()

    # -- agent-send ------------------------------------------------------------------------------------------
    @staticmethod
    def agent_duration(message: str) -> float:
        """A pure function of the prompt, so replies and their timing are reproducible."""
        return min(12.0, 1.5 + 0.02 * len(message) + (zlib.crc32(message.encode()) % 100) / 100)

    @locked
    def agent_check(self, ref: str, req: dict[str, Any]) -> float:
        """Everything that fails fast, before the agent "runs"; returns the service duration of the run."""
        sb = self._find(ref)
        if sb.state not in READY_STATES:
            raise self._invalid_state(sb, "send a message to the agent of")
        agent = req.get("agent") or "claude"
        if req.get("session_id"):
            self._session(sb, req["session_id"])
        if agent not in sb.creds:
            detail = {
                "type": "result",
                "subtype": "success",
                "is_error": True,
                "duration_ms": 412,
                "result": (
                    "Failed to authenticate. API Error: 401 "
                    '{"type":"error","error":{"type":"authentication_error",'
                    '"message":"Invalid authentication credentials"}}'
                ),
            }
            raise RawError(500, {"error": "Agent command failed", "details": json.dumps(detail)})
        return self.agent_duration(req["message"])

    @locked
    def agent_finish(self, ref: str, req: dict[str, Any]) -> dict[str, Any]:
        sb = self._find(ref)
        if sb.state not in READY_STATES:
            raise self._invalid_state(sb, "send a message to the agent of")
        w = self.world
        now = w.now()
        agent = req.get("agent") or "claude"
        message: str = req["message"]
        session: AgentSession | None = None
        if req.get("session_id"):
            session = self._session(sb, req["session_id"])
        elif not req.get("new_session") and sb.current_session_id in self.sessions:
            session = self.sessions[sb.current_session_id]
        is_new = session is None
        if session is None:
            session = self._new_session(sb, agent, {})
        turn = len([t for t in session.turns if t["role"] == "user"]) + 1
        reply = reply_for(message, agent, turn)
        duration = self.agent_duration(message)
        session.turns.append({"role": "user", "content": message, "timestamp": iso_ms(now - w.dur(duration))})
        session.turns.append({"role": "assistant", "content": reply, "timestamp": iso_ms(now)})
        session.status, session.ended_at, session.updated_at = "active", None, now
        sb.current_session_id = session.id
        self._touch(sb)
        return {
            "session_id": session.id,
            "response": reply,
            "is_error": False,
            "is_new_session": is_new,
            "agent_session_id": session.agent_session_id,
            "cost_usd": round(0.0015 + 0.00002 * len(message) + 0.004 * turn, 6),
        }

    # -- sessions --------------------------------------------------------------------------------------------
    def _session(self, sb: Sandbox, session_id: str) -> AgentSession:
        session = self.sessions.get(session_id)
        if session is None or session.sandbox_id != sb.id:
            raise NotFound(f'session "{session_id}" not found in sandbox "{sb.name}"')
        return session

    def _new_session(self, sb: Sandbox, agent_name: str, metadata: dict[str, Any]) -> AgentSession:
        w = self.world
        now = w.now()
        session = AgentSession(
            id=w.uuid(),
            sandbox_id=sb.id,
            agent_name=agent_name,
            status="active",
            started_at=now,
            ended_at=None,
            metadata=dict(metadata),
            created_at=now,
            updated_at=now,
            agent_session_id=w.uuid(),
        )
        self.sessions[session.id] = session
        sb.session_ids.append(session.id)
        sb.current_session_id = session.id
        self._touch(sb)
        return session

    @staticmethod
    def session_wire(s: AgentSession) -> dict[str, Any]:
        return {
            "id": s.id,
            "sandbox_id": s.sandbox_id,
            "org_id": ORG_ID,
            "agent_name": s.agent_name,
            "status": s.status,
            "started_at": iso_ms(s.started_at),
            "ended_at": iso_ms(s.ended_at) if s.ended_at is not None else None,
            "metadata": s.metadata,
            "created_at": iso_ms(s.created_at),
            "updated_at": iso_ms(s.updated_at),
        }

    @locked
    def create_session(self, ref: str, agent_name: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
        return self.session_wire(self._new_session(self._find(ref), agent_name, metadata or {}))

    @locked
    def list_sessions(
        self, ref: str, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> dict[str, Any]:
        sb = self._find(ref)
        items = [self.sessions[sid] for sid in reversed(sb.session_ids)]
        if status:
            items = [s for s in items if s.status == status]
        total = len(items)
        items = items[offset : offset + limit if limit is not None else None]
        return {"sessions": [self.session_wire(s) for s in items], "total": total}

    @locked
    def latest_session(self, ref: str) -> dict[str, Any]:
        sb = self._find(ref)
        if sb.current_session_id in self.sessions:
            return self.session_wire(self.sessions[sb.current_session_id])
        if not sb.session_ids:
            raise NotFound(f'sandbox "{sb.name}" has no sessions')
        return self.session_wire(self.sessions[sb.session_ids[-1]])

    @locked
    def get_session(self, ref: str, session_id: str) -> dict[str, Any]:
        return self.session_wire(self._session(self._find(ref), session_id))

    @locked
    def update_session(
        self, ref: str, session_id: str, status: str | None, metadata: dict[str, Any] | None
    ) -> dict[str, Any]:
        session = self._session(self._find(ref), session_id)
        now = self.world.now()
        if status is not None:
            session.status = status
            session.ended_at = None if status == "active" else (session.ended_at or now)
        if metadata is not None:
            session.metadata = dict(metadata)
        session.updated_at = now
        self.world.changed()
        return self.session_wire(session)

    # -- secrets ---------------------------------------------------------------------------------------------
    @staticmethod
    def secret_wire(s: Secret) -> dict[str, Any]:
        return {
            "id": s.id,
            "org_id": ORG_ID,
            "user_id": USER_ID,
            "name": s.name,
            "description": s.description,
            "scope": s.scope,
            "created_at": iso_ms(s.created_at),
            "updated_at": iso_ms(s.updated_at),
        }

    @locked
    def list_secrets(self) -> list[dict[str, Any]]:
        return [self.secret_wire(s) for s in self.secrets.values()]

    @locked
    def create_secret(
        self, name: str, value: str, scope: str, description: str | None = None
    ) -> dict[str, Any]:
        if any(s.name == name for s in self.secrets.values()):
            raise Conflict(f'secret "{name}" already exists')
        now = self.world.now()
        secret = Secret("sec_" + self.world.hex(10), name, value, scope, description, now, now)
        self.secrets[secret.id] = secret
        self.world.changed()
        return self.secret_wire(secret)

    @locked
    def update_secret(self, secret_id: str, fields: dict[str, Any]) -> None:
        secret = self.secrets.get(secret_id)
        if secret is None:
            raise NotFound(f'secret "{secret_id}" not found')
        new_name = fields.get("name")
        if new_name and new_name != secret.name and any(s.name == new_name for s in self.secrets.values()):
            raise Conflict(f'secret "{new_name}" already exists')
        for key in ("name", "value", "scope", "description"):
            if fields.get(key) is not None:
                setattr(secret, key, fields[key])
        secret.updated_at = self.world.now()
        self.world.changed()

    def _provider(self, provider: str) -> str:
        if provider not in PROVIDERS:
            raise NotFound(f'unknown provider "{provider}" (expected one of: {", ".join(PROVIDERS)})')
        return provider

    @staticmethod
    def provider_secret_wire(p: ProviderSecret) -> dict[str, Any]:
        return {"id": p.id, "name": p.name, "type": p.type, "scope": p.scope}

    @locked
    def list_provider_secrets(self, provider: str) -> list[dict[str, Any]]:
        self._provider(provider)
        return [
            self.provider_secret_wire(p) for p in self.provider_secrets.values() if p.provider == provider
        ]

    @locked
    def create_provider_secret(
        self, provider: str, name: str, value: str, type: str, scope: str = "user"
    ) -> dict[str, Any]:
        self._provider(provider)
        mine = [p for p in self.provider_secrets.values() if p.provider == provider]
        if scope == "org" and any(p.scope == "org" for p in mine):
            raise Conflict(f"an org-scoped {provider} credential already exists")
        if any(p.name == name and p.scope == scope for p in mine):
            raise Conflict(f'{provider} credential "{name}" already exists')
        p = ProviderSecret("cred_" + self.world.hex(10), provider, name, value, type, scope, self.world.now())
        self.provider_secrets[p.id] = p
        self.world.changed()
        return self.provider_secret_wire(p)

    @locked
    def delete_provider_secret(self, provider: str, secret_id: str) -> None:
        self._provider(provider)
        p = self.provider_secrets.get(secret_id)
        if p is None or p.provider != provider:
            raise NotFound(f'{provider} credential "{secret_id}" not found')
        del self.provider_secrets[secret_id]
        self.world.changed()


REPLY_BODIES = (
    "I read through the repository and the change looks straightforward. I updated the relevant module, "
    "ran the test suite (all green) and left a short summary in the commit message.",
    "Done. I traced the issue to a missing null check, added a regression test, and the build passes.",
    "I looked into it: nothing needed changing in the code, but I documented the behaviour in the README.",
    "Here is my plan: 1) reproduce, 2) write a failing test, 3) fix, 4) clean up. Steps 1-3 are complete.",
)


def snapshot_slug(name: str) -> str:
    """The slug a snapshot is known by (what `snapshot: slug` boots from): its name, lowercased, with runs of
    other characters turned into `-`."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-.")
    return slug[:80] or "snapshot"


def reply_for(message: str, agent: str, turn: int) -> str:
    """Deterministic, and it quotes the prompt so a test (or a person) can see which message it answers."""
    body = REPLY_BODIES[zlib.crc32(message.encode()) % len(REPLY_BODIES)]
    quoted = message if len(message) <= 400 else message[:400] + "…"
    return f'[{agent} · turn {turn}] You asked: "{quoted}"\n\n{body}'
