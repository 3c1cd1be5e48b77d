"""The boxes' own directories: what a login sees, made once, and never outside the state dir whatever a client
named its repository, branch or URL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from boxdeck.sim.boxfs import BoxFiles, BoxTarget, RepoStub


def amika_target(*repos: RepoStub, creds: tuple[str, ...] = ()) -> BoxTarget:
    return BoxTarget(
        backend="amika",
        box_id="sb_1",
        name="dev\x1b[31m",
        gen=0,
        user="amika",
        home="/home/amika",
        cwd="/home/amika",
        mounts=(("/home/amika", "."),),
        repos=repos,
        credential_files=creds,
        dirs=("/home/amika/workspace",),
    )


def test_a_box_is_made_once_with_stub_repositories(tmp_path: Path) -> None:
    files = BoxFiles(tmp_path)
    repo = RepoStub("/home/amika/workspace/web", "acme-labs/web", "develop", "https://github.com/acme-labs/web.git")
    box = files.ensure(amika_target(repo, creds=(".claude/.credentials.json",)))
    assert box == tmp_path / "boxes" / "amika" / "sb_1"
    web = box / "workspace" / "web"
    assert (web / ".git" / "HEAD").read_text() == "ref: refs/heads/develop\n"
    assert "url = https://github.com/acme-labs/web.git" in (web / ".git" / "config").read_text()
    assert "acme-labs/web" in (web / "README.md").read_text()
    assert (box / ".claude" / ".credentials.json").stat().st_mode & 0o777 == 0o600
    assert "\x1b" not in (box / ".bashrc").read_text()  # a box name never writes an escape into a prompt
    (web / "mine.txt").write_text("x")
    assert files.ensure(amika_target(repo)) == box and (web / "mine.txt").exists()  # kept as the user left it
    git = shutil.which("git")
    if git:
        status = subprocess.run([git, "-C", str(web), "status", "--short", "--branch"], capture_output=True,
                                text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert status.returncode == 0 and "develop" in status.stdout


@pytest.mark.parametrize(
    "repo",
    [
        RepoStub("/home/amika/workspace/../../../escape", "x/y"),
        RepoStub("/etc/passwd-dir", "x/y"),
        RepoStub("/home/amika/workspace/a b", "x/y"),
    ],
)
def test_hostile_repository_paths_stay_out(tmp_path: Path, repo: RepoStub) -> None:
    box = BoxFiles(tmp_path / "state").ensure(amika_target(repo))
    made = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert all(str(p).startswith("state") for p in made)
    assert sorted(p.name for p in (box / "workspace").iterdir()) == []


def test_hostile_branch_and_url_are_not_written_into_git_config(tmp_path: Path) -> None:
    url = 'https://x"\n[core]\n\tsshCommand = evil'
    repo = RepoStub("/home/amika/workspace/r", "x/r", "main\n[core]", url)
    box = BoxFiles(tmp_path).ensure(amika_target(repo))
    git = box / "workspace" / "r" / ".git"
    assert (git / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert "sshCommand" not in (git / "config").read_text() and "url" not in (git / "config").read_text()


def test_ids_that_are_not_the_simulators_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BoxFiles(tmp_path).box_dir("amika", "../x")


def test_capture_scrubs_and_restore_brings_the_files_back(tmp_path: Path) -> None:
    files = BoxFiles(tmp_path)
    target = amika_target(RepoStub("/home/amika/workspace/r", "x/r"), creds=(".claude/.credentials.json",))
    box = files.ensure(target)
    (box / "workspace" / "r" / ".env").write_text("SECRET=1")
    (box / "workspace" / "r" / "app.py").write_text("print(1)")
    assert files.scrub_preview(target) == [
        "/home/amika/.claude/.credentials.json",
        "/home/amika/workspace/r/.env",
    ]
    files.capture(target, "snap_1", scrub=True)
    files.capture(target, "snap_2", scrub=False)
    assert files.restore("snap_1", "amika", "sb_2")
    copy = files.box_dir("amika", "sb_2")
    assert (copy / "workspace" / "r" / "app.py").read_text() == "print(1)"
    assert not (copy / "workspace" / "r" / ".env").exists()
    assert not (copy / ".claude" / ".credentials.json").exists()
    assert (files.snapshot_dir("snap_2") / ".claude" / ".credentials.json").exists()
    files.remove_snapshot("snap_1")
    assert not files.restore("snap_1", "amika", "sb_3")
