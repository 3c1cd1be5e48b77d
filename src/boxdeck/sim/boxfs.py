"""The boxes' own directories on this machine: what an SSH login into a simulated box sees.

Each box gets a directory under the simulator's state dir, made on first use (a login or a snapshot), never
for the thousands of boxes a scale world holds: an Amika sandbox's directory is its home (`/home/amika`, with
the repository under `workspace/`), a devbox's holds `workspace/` (its `workspace_path`) and `home/`. "Cloned"
repositories are empty git repositories with a README stub; a sandbox with agent credentials has stand-in
credential files where the real images keep them, so a snapshot's scrub has something to scrub.

A snapshot is a copy of a sandbox's directory (minus the scrubbed files), and a sandbox booted from it starts
with that copy. Every name that becomes a path is checked first: box and snapshot ids are the simulator's
own, but repository names, branches and URLs come from clients.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SCRUB_ENV_PATTERNS",
    "SCRUB_FILE_PATTERNS",
    "BoxFiles",
    "BoxTarget",
    "RepoStub",
]

#: Files a `scrub_and_delete` snapshot leaves out (matched against the path relative to the box directory,
#: and against the file's own name).
SCRUB_FILE_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    ".git-credentials",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".claude/.credentials.json",
    ".codex/auth.json",
    ".aws/credentials",
    ".config/gh/hosts.yml",
)
#: Environment variables whose values a scrub drops, besides the sandbox's secret env vars.
SCRUB_ENV_PATTERNS = ("*TOKEN*", "*SECRET*", "*PASSWORD*", "*API_KEY*")

_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_FULL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}/[A-Za-z0-9._-]{1,100}$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")
_URL = re.compile(r"^[A-Za-z0-9:/._@+~%-]{1,500}$")
_PROMPT_WORD = re.compile(r"[^A-Za-z0-9._-]+")
#: The most files a scrub preview lists (a box full of `node_modules` must not make an answer huge).
PREVIEW_LIMIT = 200


@dataclass(frozen=True)
class RepoStub:
    """A repository as the box shows it: `path` inside the box, and what it was cloned from."""

    path: str
    name: str
    branch: str = "main"
    url: str | None = None


@dataclass(frozen=True)
class BoxTarget:
    """Everything a login needs to know about its box, read from the world once, under its lock.

    `mounts` maps paths inside the box to directories relative to the box's own directory; `cwd` and `home`
    are paths inside the box. `gen` changes when the box stops or starts, which ends its open sessions.
    """

    backend: str
    box_id: str
    name: str
    gen: int
    user: str
    home: str
    cwd: str
    mounts: tuple[tuple[str, str], ...]
    repos: tuple[RepoStub, ...] = ()
    credential_files: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    required_key: str | None = field(default=None, repr=False)
    grant: str | None = field(default=None, repr=False)

    def host_path(self, root: Path, inside: str) -> Path | None:
        """Where a path inside the box lives under the box's directory `root`; None when no mount holds it
        or it is not a plain path (`..`, odd characters)."""
        best: str | None = None
        for mount, _ in self.mounts:
            fits = inside == mount or inside.startswith(mount.rstrip("/") + "/")
            if fits and (best is None or len(mount) > len(best)):
                best = mount
        if best is None:
            return None
        parts = [p for p in inside[len(best) :].split("/") if p]
        if any(p in (".", "..") or not _REPO_NAME.fullmatch(p) for p in parts):
            return None
        return root.joinpath(dict(self.mounts)[best], *parts)


def _safe_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"not a simulator id: {value!r}")
    return value


class BoxFiles:
    """`<root>/boxes/<backend>/<id>/` per box and `<root>/snapshots/<id>/` per snapshot."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()  # two first logins into one box must not both build it

    # -- paths ---------------------------------------------------------------------------------------------
    def box_dir(self, backend: str, box_id: str) -> Path:
        return self.root / "boxes" / _safe_id(backend) / _safe_id(box_id)

    def snapshot_dir(self, snapshot_id: str) -> Path:
        return self.root / "snapshots" / _safe_id(snapshot_id)

    # -- boxes ---------------------------------------------------------------------------------------------
    def ensure(self, target: BoxTarget) -> Path:
        """The box's directory, made with its stub contents the first time (kept as the user leaves it)."""
        with self._lock:
            return self._ensure(target)

    def _ensure(self, target: BoxTarget) -> Path:
        box = self.box_dir(target.backend, target.box_id)
        if box.is_dir():
            return box
        tmp = box.with_name(box.name + ".new")
        shutil.rmtree(tmp, ignore_errors=True)
        for _, rel in target.mounts:
            (tmp / rel).mkdir(parents=True, exist_ok=True)
        for inside in (target.cwd, target.home, *target.dirs):
            where = target.host_path(tmp, inside)
            if where is not None:
                where.mkdir(parents=True, exist_ok=True)
        for repo in target.repos:
            where = target.host_path(tmp, repo.path)
            if where is not None and where != tmp:
                _stub_repo(where, repo)
        home = target.host_path(tmp, target.home)
        if home is not None:
            _write(home / ".bashrc", _bashrc(target))
            for rel in target.credential_files:
                path = home / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                _write(path, '{"note": "a stand-in credential written by the boxdeck simulator"}\n', 0o600)
        box.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(box)
        return box

    def remove_box(self, backend: str, box_id: str) -> None:
        shutil.rmtree(self.box_dir(backend, box_id), ignore_errors=True)

    def wipe(self) -> None:
        """Forget every box and snapshot (a world reset: seeded ids come back and must start clean)."""
        for sub in ("boxes", "snapshots"):
            shutil.rmtree(self.root / sub, ignore_errors=True)

    # -- snapshots -----------------------------------------------------------------------------------------
    def scrub_preview(self, target: BoxTarget) -> list[str]:
        """The files a scrub would leave out, as paths inside the box (sorted, at most PREVIEW_LIMIT)."""
        box = self.ensure(target)
        found: list[str] = []
        for rel in _walk(box):
            if _scrubbed(rel):
                found.append(_inside(target, rel))
                if len(found) >= PREVIEW_LIMIT:
                    break
        return sorted(found)

    def capture(self, target: BoxTarget, snapshot_id: str, *, scrub: bool) -> None:
        """Copy the box's directory into the snapshot (without the scrubbed files when `scrub`)."""
        box = self.ensure(target)
        dest = self.snapshot_dir(snapshot_id)
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)

        def ignore(directory: str, names: list[str]) -> Iterable[str]:
            if not scrub:
                return ()
            base = Path(directory).relative_to(box)
            return [n for n in names if _scrubbed(str(base / n) if str(base) != "." else n)]

        shutil.copytree(box, dest, symlinks=True, ignore=ignore)

    def restore(self, snapshot_id: str, backend: str, box_id: str) -> bool:
        """Start a box with a snapshot's files; False when the snapshot has none on this machine."""
        source = self.snapshot_dir(snapshot_id)
        if not source.is_dir():
            return False
        box = self.box_dir(backend, box_id)
        shutil.rmtree(box, ignore_errors=True)
        box.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, box, symlinks=True)
        return True

    def remove_snapshot(self, snapshot_id: str) -> None:
        shutil.rmtree(self.snapshot_dir(snapshot_id), ignore_errors=True)


def scrub_env_names(names: Iterable[str]) -> list[str]:
    """The environment variables (of those given) whose values a scrub drops."""
    return sorted({n for n in names if any(fnmatch.fnmatchcase(n.upper(), p) for p in SCRUB_ENV_PATTERNS)})


def _scrubbed(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in SCRUB_FILE_PATTERNS)


def _walk(root: Path) -> Iterable[str]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        base = Path(directory).relative_to(root)
        for name in sorted(files):
            yield name if str(base) == "." else f"{base}/{name}"


def _inside(target: BoxTarget, rel: str) -> str:
    """The path inside the box of a file at `rel` in the box's directory."""
    for mount, sub in target.mounts:
        prefix = sub.rstrip("/")
        if not prefix or prefix == ".":
            return f"{mount.rstrip('/')}/{rel}"
        if rel == prefix or rel.startswith(prefix + "/"):
            return f"{mount.rstrip('/')}/{rel[len(prefix) :].lstrip('/')}"
    return rel


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(OSError):
        path.chmod(mode)


def _stub_repo(where: Path, repo: RepoStub) -> None:
    """An empty git repository (no git binary needed) with a README saying what it stands for."""
    git = where / ".git"
    for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
        (git / sub).mkdir(parents=True, exist_ok=True)
    branch = repo.branch if _BRANCH.fullmatch(repo.branch) and ".." not in repo.branch else "main"
    _write(git / "HEAD", f"ref: refs/heads/{branch}\n")
    config = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
    if repo.url and _URL.fullmatch(repo.url):
        config += f'[remote "origin"]\n\turl = {repo.url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
    _write(git / "config", config)
    _write(git / "description", "boxdeck simulator stand-in repository\n")
    name = repo.name if _FULL_NAME.fullmatch(repo.name) or _REPO_NAME.fullmatch(repo.name) else where.name
    _write(
        where / "README.md",
        f"# {name}\n\nA stand-in for the clone of {name} (branch {branch}) the real service would make.\n"
        "This directory lives on the machine running the boxdeck simulator.\n",
    )


def _bashrc(target: BoxTarget) -> str:
    word = _PROMPT_WORD.sub("-", target.name).strip("-")[:40] or target.box_id[:12]
    return (
        "# Written by the boxdeck simulator: this shell runs on the simulator's own machine.\n"
        "[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc\n"
        f"PS1='(sim) {target.user}@{word}:\\w\\$ '\n"
    )
