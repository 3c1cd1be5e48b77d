"""Devbox's half of the world: devboxes and their provisioning pipeline, access and exec sessions, the user's
profile and the GitHub connection.

Pipeline at speed 1 (service seconds): requested for 2 s; `provision` 8-14 s; `inject_credentials` 1.5 s;
`clone_repositories` 3-8 s per repository plus the setup commands (`sleep N` takes N s, `false`/`exit N` fail,
anything else 3-10 s; the total is cut at `setup_timeout_seconds`); `publish_access` 2-3 s. A devbox without
repositories is ready in about 15-20 s. Access sessions live 30 minutes; destroyed devboxes stay listed 60 s.

With the simulator's SSH server running, an access session is a real login: `ssh -p PORT SESSION@127.0.0.1`
(the session id is the user name, so it identifies the devbox and proves the session), plus the user's
registered SSH key when there is one. Without it (an app built without a server), the answers name made-up
hosts, some behind a made-up relay, as before. A devbox created with the user's bearer token belongs to that
user, and a listing made with the token shows only the user's devboxes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boxdeck.sim.boxfs import BoxTarget, RepoStub
from boxdeck.sim.world import SimError, iso_us, locked

if TYPE_CHECKING:
    from boxdeck.sim.world import World

ACCESS_TTL = 1800.0
DESTROYED_LINGER = 60.0
OAUTH_TTL = 600.0
SSH_USER = "dev"
USER_ID = "dbx_user_0001"
WORKSPACE = "/workspace"
USER_HOME = f"/home/{SSH_USER}"
GITHUB_LOGIN = "sim-octocat"
GITHUB_USER_ID = 583231
CLONE_ERRORS = (
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    "fatal: repository not found",
    "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly",
)
PROVISION_ERRORS = ("no capacity for plan in region", "machine failed health check after boot")
EXEC_COMMANDS = (
    ("bash -l", True),
    ("npm run dev", False),
    ("claude", True),
    ("tail -f /var/log/app.log", False),
    ("python -m http.server 8000", False),
)
SLEEP_RE = re.compile(r"^\s*sleep\s+(\d+(?:\.\d+)?)\s*$")
FAIL_RE = re.compile(r"^\s*(?:false|exit\s+(\d+))\s*$")


def http(status: int, detail: str) -> SimError:
    return SimError(status, "error", detail)


@dataclass
class Operation:
    id: str
    step: str
    status: str
    message: str
    created_at: float


@dataclass
class Repository:
    installation_id: int
    repo_id: int
    full_name: str
    ref: str
    target_path: str
    clone_status: str = "pending"
    clone_error: str | None = None


@dataclass
class AccessSession:
    session_id: str
    created_at: float
    expires_at: float
    exec_id: str


@dataclass
class ExecSession:
    id: str
    command: str
    workdir: str
    created: float
    tty: bool


@dataclass
class Devbox:
    id: str
    name: str
    state: str
    created_at: float
    plan: str = "small"
    branch: str = "main"
    access_url: str | None = None
    inject: dict[str, bool] = field(default_factory=dict)
    tokens_given: dict[str, bool] = field(default_factory=dict)
    env_keys: list[str] = field(default_factory=list)
    setup_commands: list[str] = field(default_factory=list)
    setup_timeout: int = 900
    operations: list[Operation] = field(default_factory=list)
    repositories: list[Repository] = field(default_factory=list)
    proxied: bool = False
    listed: bool = True
    demo: bool = False
    owner: str | None = None
    fail_step: str | None = None
    fail_message: str | None = None
    gen: int = 0
    access_sessions: dict[str, AccessSession] = field(default_factory=dict)
    exec_sessions: list[ExecSession] = field(default_factory=list)
    #: A test's own access-session `command` and `ssh.proxy_command` (None: the usual ones).
    answer_command: str | None = None
    answer_proxy_command: str | None = None
    _json: bytes | None = field(default=None, repr=False, compare=False)


@dataclass
class GitHubRepo:
    repo_id: int
    full_name: str
    default_branch: str
    private: bool
    org: str | None


def valid_openssh_key(text: str) -> bool:
    """type + base64 blob that decodes and embeds the same type string (what `ssh-keygen -l` would accept)."""
    parts = text.strip().split()
    if len(parts) < 2 or "\n" in text.strip():
        return False
    key_type, blob = parts[0], parts[1]
    known = key_type in (
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    )
    if not known:
        return False
    try:
        raw = base64.b64decode(blob, validate=True)
    except ValueError:
        return False
    if len(raw) < 4:
        return False
    n = int.from_bytes(raw[:4], "big")
    return raw[4 : 4 + n] == key_type.encode() and len(raw) > 4 + n


class DevboxState:
    def __init__(self, world: World) -> None:
        self.world = world
        self.devboxes: dict[str, Devbox] = {}
        self.ssh_key: str | None = None
        self.github: dict[str, Any] | None = None
        self.oauth_states: dict[str, dict[str, Any]] = {}
        self.orgs: dict[str, bool] = {"acme-labs": False, "northwind": False, "boxdeck-sim": False}
        self.repos: list[GitHubRepo] = default_repos()
        world.on("dbx.phase", self._on_phase)
        world.on("dbx.unlist", self._on_unlist)

    # -- helpers ---------------------------------------------------------------------------------------------
    def _touch(self, d: Devbox) -> None:
        d._json = None
        self.world.changed()

    def _find(self, devbox_id: str) -> Devbox:
        d = self.devboxes.get(devbox_id)
        if d is None:
            raise http(404, "Devbox not found")
        return d

    @staticmethod
    def wire(d: Devbox) -> dict[str, Any]:
        return {
            "id": d.id,
            "name": d.name,
            "state": d.state,
            "created_at": iso_us(d.created_at),
            "access_url": d.access_url,
        }

    def wire_json(self, d: Devbox) -> bytes:
        if d._json is None:
            d._json = json.dumps(self.wire(d), separators=(",", ":")).encode()
        return d._json

    # -- devboxes --------------------------------------------------------------------------------------------
    @locked
    def list_json(self, owner: str | None = None) -> bytes:
        """Every listed devbox, or (with the user's token) only that user's."""
        rows = (d for d in self.devboxes.values() if d.listed and (owner is None or d.owner == owner))
        return b"[" + b",".join(self.wire_json(d) for d in rows) + b"]"

    @locked
    def get(self, devbox_id: str) -> dict[str, Any]:
        return self.wire(self._find(devbox_id))

    @locked
    def create(
        self,
        req: dict[str, Any],
        *,
        claude_token: bool = False,
        codex_token: bool = False,
        owner: str | None = USER_ID,
    ) -> dict[str, Any]:
        """`owner`: the user whose token made the request (None: made with the service token alone)."""
        d = self._create(req, claude_token=claude_token, codex_token=codex_token, owner=owner)
        return self.wire(d)

    def _create(
        self,
        req: dict[str, Any],
        *,
        claude_token: bool = False,
        codex_token: bool = False,
        fail_step: str | None = None,
        fail_message: str | None = None,
        proxied: bool | None = None,
        demo: bool = False,
        owner: str | None = None,
    ) -> Devbox:
        w = self.world
        profile = req.get("credential_profile") or {}
        repos: list[Repository] = []
        installation = 41_000_000 + GITHUB_USER_ID
        for r in req.get("repositories") or []:
            repos.append(
                Repository(
                    installation, int(r["repo_id"]), r["full_name"], r.get("ref") or "main", r["target_path"]
                )
            )
        legacy = (req.get("repository") or "").strip()
        if legacy:
            full = "/".join(legacy.removesuffix(".git").rstrip("/").split("/")[-2:])
            repos.append(
                Repository(
                    installation,
                    zlib.crc32(full.encode()),
                    full,
                    req.get("branch") or "main",
                    f"/workspace/{full.rsplit('/', 1)[-1]}",
                )
            )
        d = Devbox(
            id=w.uuid(),
            name=req["name"],
            state="requested",
            created_at=w.now(),
            plan=req.get("plan") or "small",
            branch=req.get("branch") or "main",
            inject={
                "claude": bool(profile.get("inject_claude_token")),
                "codex": bool(profile.get("inject_codex_token")),
            },
            tokens_given={"claude": claude_token, "codex": codex_token},
            env_keys=sorted((req.get("env") or {}).keys()),
            setup_commands=list(req.get("setup_commands") or []),
            setup_timeout=int(req.get("setup_timeout_seconds") or 900),
            repositories=repos,
            proxied=w.chance(0.3) if proxied is None else proxied,
            demo=demo,
            owner=owner,
        )
        if fail_step is None and w.fails(demo):
            steps = ["provision", "publish_access"] + (["clone_repositories"] if repos else [])
            fail_step = w.rng.choice(steps)
        if fail_step:
            d.fail_step = fail_step
            d.fail_message = fail_message or (
                w.rng.choice(CLONE_ERRORS)
                if fail_step == "clone_repositories"
                else w.rng.choice(PROVISION_ERRORS)
            )
        self.devboxes[d.id] = d
        w.changed()
        self._next(d, 2.0, "provision_begin")
        return d

    def _next(self, d: Devbox, delay: float, phase: str, **extra: Any) -> None:
        self.world.schedule(delay, "dbx.phase", id=d.id, gen=d.gen, phase=phase, **extra)

    def _op(self, d: Devbox, step: str, message: str) -> Operation:
        op = Operation(self.world.uuid(), step, "pending", message, self.world.now())
        d.operations.append(op)
        return op

    def _fail(self, d: Devbox, op: Operation, message: str) -> None:
        op.status, op.message = "failed", message
        d.state = "failed"
        self._touch(d)

    def _on_phase(self, id: str, gen: int, phase: str, **extra: Any) -> None:
        d = self.devboxes.get(id)
        if d is None or d.gen != gen or d.state not in ("requested", "provisioning"):
            return
        w = self.world
        op = d.operations[-1] if d.operations else None
        self.world.changed()
        if phase == "provision_begin":
            d.state = "provisioning"
            self._touch(d)
            self._op(d, "provision", f"Allocating a {d.plan} machine")
            self._next(d, w.rng.uniform(8, 14), "provision_end")
        elif phase == "provision_end" and op:
            if d.fail_step == "provision":
                return self._fail(d, op, f"Provisioning failed: {d.fail_message}")
            op.status, op.message = "success", f"Machine allocated ({d.plan})"
            kinds = [k for k in ("claude", "codex") if d.inject.get(k)]
            self._op(
                d,
                "inject_credentials",
                f"Injecting {', '.join(kinds)} token(s)" if kinds else "No credentials requested",
            )
            self._next(d, 1.5, "inject_end")
        elif phase == "inject_end" and op:
            missing = [k for k in ("claude", "codex") if d.inject.get(k) and not d.tokens_given.get(k)]
            if missing:
                header = f"X-{missing[0].capitalize()}-Token"
                return self._fail(d, op, f"inject_{missing[0]}_token is set but no {header} header was sent")
            kinds = [k for k in ("claude", "codex") if d.inject.get(k)]
            op.status, op.message = (
                "success",
                (f"Injected {', '.join(kinds)}" if kinds else "Nothing to inject"),
            )
            n = len(d.repositories)
            self._op(
                d,
                "clone_repositories",
                f"Cloning {n} repositor{'y' if n == 1 else 'ies'}" if n else "No repositories to clone",
            )
            self._next(d, 0.5, "repo_begin", index=0)
        elif phase == "repo_begin" and op:
            index = int(extra["index"])
            if index >= len(d.repositories):
                return self._next(d, 0.0, "setup", index=0, elapsed=0.0)
            repo = d.repositories[index]
            repo.clone_status = "cloning"
            op.message = f"Cloning {repo.full_name} into {repo.target_path}"
            self._next(d, w.rng.uniform(3, 8), "repo_end", index=index)
        elif phase == "repo_end" and op:
            index = int(extra["index"])
            repo = d.repositories[index]
            if d.fail_step == "clone_repositories" and index == len(d.repositories) - 1:
                repo.clone_status, repo.clone_error = "failed", d.fail_message
                return self._fail(d, op, f"Cloning {repo.full_name} failed: {d.fail_message}")
            repo.clone_status = "cloned"
            self._next(d, 0.0, "repo_begin", index=index + 1)
        elif phase == "setup" and op:
            self._setup(d, op, int(extra["index"]), float(extra["elapsed"]))
        elif phase == "setup_failed" and op:
            self._fail(d, op, str(extra["message"]))
        elif phase == "publish_begin" and op:
            n = len(d.repositories)
            cmds = len(d.setup_commands)
            op.status = "success"
            op.message = f"Cloned {n} repositor{'y' if n == 1 else 'ies'}" + (
                f", ran {cmds} setup command{'s' if cmds != 1 else ''}" if cmds else ""
            )
            self._op(d, "publish_access", "Publishing SSH access")
            self._next(d, w.rng.uniform(2, 3), "publish_end")
        elif phase == "publish_end" and op:
            if d.fail_step == "publish_access":
                return self._fail(d, op, f"Publishing access failed: {d.fail_message}")
            slug = re.sub(r"[^a-z0-9]+", "-", d.name.lower()).strip("-")[:30] or "devbox"
            d.access_url = f"https://{slug}-{d.id[:6]}.sprites.sim.boxdeck.local"
            op.status, op.message = "success", f"Access published at {d.access_url}"
            d.state = "ready"
            self._seed_exec_sessions(d)
            self._touch(d)

    def _setup(self, d: Devbox, op: Operation, index: int, elapsed: float) -> None:
        """Setup commands run inside the clone step (they have no step of their own), against one budget."""
        if index >= len(d.setup_commands):
            return self._next(d, 0.0, "publish_begin")
        cmd = d.setup_commands[index]
        op.message = f"Running setup command {index + 1}/{len(d.setup_commands)}: {cmd}"
        m = SLEEP_RE.match(cmd)
        took = float(m.group(1)) if m else 3.0 + zlib.crc32(cmd.encode()) % 8
        if elapsed + took > d.setup_timeout:
            message = (
                f"Setup commands exceeded setup_timeout_seconds ({d.setup_timeout}s) while running: {cmd}"
            )
            return self._next(d, max(0.0, d.setup_timeout - elapsed), "setup_failed", message=message)
        if m := FAIL_RE.match(cmd):
            code = m.group(1) or "1"
            return self._next(
                d, took, "setup_failed", message=f"Setup command failed with exit code {code}: {cmd}"
            )
        self._next(d, took, "setup", index=index + 1, elapsed=elapsed + took)

    def _seed_exec_sessions(self, d: Devbox) -> None:
        w = self.world
        workdir = d.repositories[0].target_path if d.repositories else "/workspace"
        for cmd, tty in w.rng.sample(EXEC_COMMANDS, w.rng.randint(0, 3)):
            d.exec_sessions.append(ExecSession(w.hex(6), cmd, workdir, w.now(), tty))

    def _on_unlist(self, id: str) -> None:
        d = self.devboxes.get(id)
        if d is not None and d.state == "destroyed":
            d.listed = False
            self.world.changed()

    @locked
    def delete(self, devbox_id: str) -> None:
        d = self._find(devbox_id)
        if d.state == "destroyed":
            return
        d.gen += 1
        d.state = "destroyed"
        for op in d.operations:
            if op.status == "pending":
                op.status = "deleted"
        d.access_sessions.clear()
        d.exec_sessions.clear()
        self._touch(d)
        if self.world.files is not None:
            self.world.files.remove_box("devbox", d.id)
        self.world.schedule(DESTROYED_LINGER, "dbx.unlist", id=d.id)

    @locked
    def force_state(self, devbox_id: str, state: str) -> dict[str, Any]:
        d = self._find(devbox_id)
        d.gen += 1
        d.state = state
        if state == "ready" and not d.access_url:
            d.access_url = f"https://devbox-{d.id[:6]}.sprites.sim.boxdeck.local"
        self._touch(d)
        return self.wire(d)

    @locked
    def operations(self, devbox_id: str) -> list[dict[str, Any]]:
        d = self._find(devbox_id)
        return [
            {
                "id": o.id,
                "step": o.step,
                "status": o.status,
                "message": o.message,
                "created_at": iso_us(o.created_at),
            }
            for o in d.operations
        ]

    @locked
    def repositories(self, devbox_id: str) -> list[dict[str, Any]]:
        d = self._find(devbox_id)
        return [
            {
                "installation_id": r.installation_id,
                "repo_id": r.repo_id,
                "full_name": r.full_name,
                "ref": r.ref,
                "target_path": r.target_path,
                "clone_status": r.clone_status,
                "clone_error": r.clone_error,
            }
            for r in d.repositories
        ]

    # -- access ----------------------------------------------------------------------------------------------
    def _prune(self, d: Devbox) -> None:
        now = self.world.now()
        expired = [s for s in d.access_sessions.values() if s.expires_at <= now]
        for s in expired:
            del d.access_sessions[s.session_id]
            d.exec_sessions = [e for e in d.exec_sessions if e.id != s.exec_id]

    def create_access(self, devbox_id: str) -> dict[str, Any]:
        if self.world.ssh is not None:
            # The answer carries the host key's fingerprint: wait for a just-started SSH server's key here,
            # not while holding the world lock every other request needs.
            self.world.ssh.public_key()
        return self._create_access(devbox_id)

    @locked
    def _create_access(self, devbox_id: str) -> dict[str, Any]:
        d = self._find(devbox_id)
        if d.state != "ready":
            raise http(409, f"Devbox is not ready (state: {d.state})")
        self._prune(d)
        w = self.world
        now = w.now()
        s = AccessSession(w.uuid(), now, now + w.dur(ACCESS_TTL), w.hex(6))
        d.access_sessions[s.session_id] = s
        d.exec_sessions.append(ExecSession(s.exec_id, "bash -l", self._workdir(d), now, True))
        w.changed()
        ssh = self.ssh_object(d, s.session_id)
        if d.answer_proxy_command is not None:
            ssh["proxy_command"] = d.answer_proxy_command
        real = w.ssh is not None
        command = d.answer_command if d.answer_command is not None else ssh_command(ssh, real=real)
        return {
            "session_id": s.session_id,
            "expires_at": iso_us(s.expires_at),
            "command": command,
            "ssh": ssh,
        }

    @locked
    def set_ssh_answer(self, devbox_id: str, command: str | None, proxy_command: str | None) -> None:
        """For tests: what new access sessions of this devbox carry (None: the usual values)."""
        d = self._find(devbox_id)
        d.answer_command, d.answer_proxy_command = command, proxy_command

    @staticmethod
    def _workdir(d: Devbox) -> str:
        return d.repositories[0].target_path if d.repositories else WORKSPACE

    def ssh_object(self, d: Devbox, session_id: str = "") -> dict[str, Any]:
        endpoint = self.world.ssh
        if endpoint is not None:
            return {
                "host": endpoint.host,
                "port": endpoint.port,
                "username": session_id,
                "workspace_path": WORKSPACE,
                "host_key_fingerprint": endpoint.fingerprint(),
                "proxy_command": None,
                "ssh_port": None,
                "proxy_host": None,
            }
        digest = base64.b64encode(hashlib.sha256(d.id.encode()).digest()).decode().rstrip("=")
        host = f"{d.id[:8]}.ssh.sim.boxdeck.local"
        ssh: dict[str, Any] = {
            "host": host,
            "port": 2222,
            "username": SSH_USER,
            "workspace_path": WORKSPACE,
            "host_key_fingerprint": f"SHA256:{digest}",
            "proxy_command": None,
            "ssh_port": None,
            "proxy_host": None,
        }
        if d.proxied:
            ssh.update(
                host=f"{d.id[:8]}.devbox.internal",
                port=22,
                proxy_command=f"devbox-proxy --relay proxy.sim.boxdeck.local --devbox {d.id} %h %p",
                ssh_port=22,
                proxy_host="proxy.sim.boxdeck.local",
            )
        return ssh

    @locked
    def revoke_access(self, devbox_id: str, session_id: str) -> None:
        d = self._find(devbox_id)
        self._prune(d)
        s = d.access_sessions.pop(session_id, None)
        if s is None:
            raise http(404, "Access session not found")
        d.exec_sessions = [e for e in d.exec_sessions if e.id != s.exec_id]
        self.world.changed()

    @locked
    def login(self, session_id: str) -> BoxTarget | None:
        """The devbox an SSH login with this user name opens: an active access session of a ready devbox."""
        for d in self.devboxes.values():
            if session_id in d.access_sessions:
                self._prune(d)
                if session_id not in d.access_sessions or d.state != "ready":
                    return None
                return self.target(d, session_id)
        return None

    @locked
    def alive(self, box_id: str, gen: int) -> bool:
        d = self.devboxes.get(box_id)
        return d is not None and d.gen == gen and d.state == "ready"

    @locked
    def session_alive(self, box_id: str, gen: int, session_id: str | None) -> bool:
        """Like `alive`, and the access session is still there (not revoked, not expired)."""
        d = self.devboxes.get(box_id)
        if d is None or d.gen != gen or d.state != "ready":
            return False
        self._prune(d)
        return session_id is None or session_id in d.access_sessions

    def target(self, d: Devbox, session_id: str | None = None) -> BoxTarget:
        """The workspace (`workspace_path`, holding the cloned repositories) and the user's home."""
        repos = tuple(
            RepoStub(r.target_path, r.full_name, r.ref, f"https://github.com/{r.full_name}.git")
            for r in d.repositories
            if r.clone_status == "cloned"
        )
        creds = tuple(
            path
            for kind, path in (("claude", ".claude/.credentials.json"), ("codex", ".codex/auth.json"))
            if d.inject.get(kind) and d.tokens_given.get(kind)
        )
        return BoxTarget(
            backend="devbox",
            box_id=d.id,
            name=d.name,
            gen=d.gen,
            user=SSH_USER,
            home=USER_HOME,
            cwd=WORKSPACE,
            mounts=((WORKSPACE, "workspace"), (USER_HOME, "home")),
            repos=repos,
            credential_files=creds,
            required_key=self.ssh_key,
            grant=session_id,
        )

    @locked
    def exec_sessions(self, devbox_id: str) -> list[dict[str, Any]]:
        """Activity is a pure function of (session, time bucket): it changes as time passes, costs nothing to
        store, and is the same for two worlds with the same seed."""
        d = self._find(devbox_id)
        self._prune(d)
        now = self.world.now()
        period = self.world.dur(10.0)
        out = []
        for e in d.exec_sessions:
            bucket = int(max(0.0, now - e.created) // period)
            h = zlib.crc32(f"{e.id}:{bucket}".encode())
            active = h % 4 != 0
            last = e.created + bucket * period - (0 if active else period / 2)
            out.append(
                {
                    "id": e.id,
                    "command": e.command,
                    "workdir": e.workdir,
                    "created": iso_us(e.created),
                    "is_active": active,
                    "tty": e.tty,
                    "last_activity": iso_us(max(e.created, last)) if bucket or active else None,
                    "bytes_per_second": round((h % 250_000) / 10, 1) if active else 0.0,
                }
            )
        return out

    # -- users -----------------------------------------------------------------------------------------------
    @locked
    def profile(self) -> dict[str, Any]:
        return {"has_ssh_key": self.ssh_key is not None}

    @locked
    def set_ssh_key(self, key: str) -> None:
        self.ssh_key = key.strip()
        self.world.changed()

    @locked
    def delete_ssh_key(self) -> None:
        self.ssh_key = None
        self.world.changed()

    # -- github ----------------------------------------------------------------------------------------------
    @locked
    def start_oauth(self, return_url: str, base_url: str) -> dict[str, Any]:
        w = self.world
        state = w.hex(16)
        expires = w.now() + w.dur(OAUTH_TTL)
        self.oauth_states[state] = {"return_url": return_url, "expires_at": expires}
        w.changed()
        return {
            "authorize_url": f"{base_url}/_sim/github/authorize?state={state}",
            "state": state,
            "expires_at": iso_us(expires),
        }

    @locked
    def complete_oauth(self, state: str) -> str:
        """Returns the return_url; raises for an unknown or expired state, as a real callback would."""
        entry = self.oauth_states.pop(state, None)
        if entry is None or entry["expires_at"] <= self.world.now():
            raise http(400, "Unknown or expired OAuth state")
        self.connect_github()
        return str(entry["return_url"])

    def connect_github(self) -> None:
        self.github = {
            "github_login": GITHUB_LOGIN,
            "github_user_id": GITHUB_USER_ID,
            "connected_at": self.world.now(),
        }
        self.world.changed()

    def _connection(self) -> dict[str, Any]:
        if self.github is None:
            raise http(404, "GitHub is not connected")
        return self.github

    @locked
    def connection(self) -> dict[str, Any] | None:
        """The connection, or None when GitHub is not connected (the seed: "or null if not connected")."""
        c = self.github
        return None if c is None else {**c, "connected_at": iso_us(c["connected_at"])}

    @locked
    def disconnect(self) -> None:
        self.github = None
        self.world.changed()

    @locked
    def list_repos(self) -> list[dict[str, Any]]:
        self._connection()
        return [
            {
                "repo_id": r.repo_id,
                "full_name": r.full_name,
                "default_branch": r.default_branch,
                "private": r.private,
                "granted": r.org is None or self.orgs.get(r.org, False),
            }
            for r in self.repos
        ]

    @locked
    def list_orgs(self) -> list[dict[str, Any]]:
        self._connection()
        return [{"org_login": login, "granted": granted} for login, granted in self.orgs.items()]

    @locked
    def update_org_grants(self, org_logins: list[str]) -> dict[str, Any]:
        """A PUT of the whole selection: orgs not named lose their grant; unknown logins are ignored."""
        self._connection()
        wanted = set(org_logins)
        for login in self.orgs:
            self.orgs[login] = login in wanted
        self.world.changed()
        return {"selected_count": sum(self.orgs.values())}


def ssh_command(ssh: dict[str, Any], *, real: bool = False) -> str:
    """A real login's command is `ssh -p PORT user@host`. The made-up ones keep the seed's example shape
    (`ssh user@host -p port`); a box behind a relay gets `-o ProxyCommand=…` as one shell word."""
    target = f"{ssh['username']}@{ssh['host']}"
    port = ssh.get("ssh_port") or ssh["port"]
    if ssh.get("proxy_command"):
        return f"ssh -o {shlex.quote('ProxyCommand=' + ssh['proxy_command'])} {target} -p {port}"
    if real:
        return f"ssh -p {port} {target}"
    return f"ssh {target} -p {port}"


def default_repos() -> list[GitHubRepo]:
    return [
        GitHubRepo(700_101, f"{GITHUB_LOGIN}/dotfiles", "main", False, None),
        GitHubRepo(700_102, f"{GITHUB_LOGIN}/side-project", "main", True, None),
        GitHubRepo(700_201, "acme-labs/platform", "main", True, "acme-labs"),
        GitHubRepo(700_202, "acme-labs/web", "develop", True, "acme-labs"),
        GitHubRepo(700_301, "northwind/api", "main", True, "northwind"),
        GitHubRepo(700_302, "northwind/infra", "main", True, "northwind"),
        GitHubRepo(700_401, "boxdeck-sim/hello-world", "main", False, "boxdeck-sim"),
    ]
