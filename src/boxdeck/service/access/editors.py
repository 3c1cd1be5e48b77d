"""Open a box in a desktop editor over Remote-SSH: which command, which folder, and what to say when the
editor's shell command is missing.

The editor reaches the box through its ``Host`` alias in ``~/.ssh/boxdeck.conf``
(:mod:`boxdeck.service.access.ssh_config`), so the command line holds no token: ``cursor`` / ``code
--remote ssh-remote+ALIAS PATH`` or ``zed ssh://ALIAS/PATH``. The folder defaults to where the box's work
is (the repository of a sandbox, a devbox's workspace); a server-named folder is used only when it passes a
strict path grammar, and every folder is absolute, so none can be read as an option.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from boxdeck.service.boxes import Backend, Box

__all__ = [
    "AMIKA_HOME",
    "EDITORS",
    "Editor",
    "EditorError",
    "editor_argv",
    "launch",
    "remote_path",
]

AMIKA_HOME: Final = "/home/amika"
#: A folder on the box: absolute, printable, no `..`, nothing a shell or URL parser would treat specially
#: beyond spaces.
_PATH: Final = re.compile(r"/[A-Za-z0-9._@+=,:~/ -]*")
_REPO_DIR: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
#: How long an editor's shell command may take to hand the folder to the editor.
LAUNCH_TIMEOUT: Final = 60.0


class EditorError(Exception):
    """The editor cannot be launched; ``str(e)`` says what to do."""


@dataclass(frozen=True)
class Editor:
    key: str
    title: str
    command: str
    install: str

    def argv(self, alias: str, path: str) -> list[str]:
        return editor_argv(self, alias, path)


EDITORS: Final = {
    "cursor": Editor(
        "cursor", "Cursor", "cursor",
        "In Cursor, open the command palette and run “Shell Command: Install 'cursor' command in PATH”.",
    ),
    "vscode": Editor(
        "vscode", "VS Code", "code",
        "In VS Code, open the command palette and run “Shell Command: Install 'code' command in PATH” "
        "(it needs the Remote - SSH extension too).",
    ),
    "zed": Editor(
        "zed", "Zed", "zed",
        "In Zed, open the command palette and run “cli: install” (it installs the `zed` command).",
    ),
}


def _clean(path: str) -> str | None:
    normal = posixpath.normpath(path)
    if not _PATH.fullmatch(normal) or ".." in normal.split("/") or normal.startswith("//"):
        return None
    return normal


def _default(box: Box, workspace: str | None) -> tuple[str, str]:
    """(the default folder, the base a relative --path joins onto)."""
    if box.backend is Backend.AMIKA:
        repo = box.sandbox.repo_name if box.sandbox is not None else None
        workspace_dir = f"{AMIKA_HOME}/workspace"
        if repo and _REPO_DIR.fullmatch(repo) and repo not in (".", ".."):
            return f"{workspace_dir}/{repo}", AMIKA_HOME
        return workspace_dir, AMIKA_HOME
    folder = _clean(workspace) if workspace else None
    return (folder or "/"), (folder or "/")


def remote_path(box: Box, path: str | None, workspace: str | None = None) -> str:
    """The folder to open on the box. ``path``: the user's (a relative one joins onto the sandbox's home or
    the devbox's workspace); without it, the box's repository or workspace. ``workspace``: the devbox
    workspace the server named (``SshCommand.workspace``). Raises :class:`EditorError` for a folder outside
    the grammar."""
    default, base = _default(box, workspace)
    if not path:
        return default
    joined = path if path.startswith("/") else posixpath.join(base, path)
    clean = _clean(joined)
    if clean is None:
        raise EditorError(f"not a folder boxdeck opens: {path[:100]!r} (absolute or relative, letters, "
                          "digits, spaces and ._@+=,:~/- only, no ..)")
    return clean


def editor_argv(editor: Editor, alias: str, path: str) -> list[str]:
    if editor.key == "zed":
        return [editor.command, f"ssh://{alias}{quote(path, safe='/')}"]
    return [editor.command, "--remote", f"ssh-remote+{alias}", path]


def launch(
    editor: Editor,
    alias: str,
    path: str,
    *,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[Sequence[str]], int] | None = None,
) -> list[str]:
    """Run the editor's shell command (it hands the folder to the editor and returns); the argv it ran.
    :class:`EditorError` when the command is not on PATH (with how to install it) or fails."""
    found = which(editor.command)
    if found is None:
        raise EditorError(f"{editor.title}'s `{editor.command}` command is not on PATH. {editor.install}")
    argv = editor_argv(editor, alias, path)
    status = (run or _run)([found, *argv[1:]])
    if status != 0:
        raise EditorError(f"`{editor.command}` exited with status {status}")
    return argv


def _run(argv: Sequence[str]) -> int:
    try:
        return subprocess.run(list(argv), stdin=subprocess.DEVNULL, timeout=LAUNCH_TIMEOUT,
                              check=False).returncode
    except subprocess.TimeoutExpired:
        return 0  # still running: it has the folder; the editor goes on without us
    except OSError as exc:
        raise EditorError(f"could not run `{argv[0]}`: {exc.strerror or exc}") from None
