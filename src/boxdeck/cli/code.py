"""`boxdeck code NAME [--editor cursor|vscode|zed] [--path P]`: open a box in a desktop editor over SSH.

The box's entry is written to ``~/.ssh/boxdeck.conf`` first (as ``ssh-config --write NAME`` does, minting
SSH access), then the editor's shell command is run on its alias: ``cursor``/``code --remote
ssh-remote+ALIAS PATH`` or ``zed ssh://ALIAS/PATH``. The token stays in the 0600 file; the editor's command
line holds only the alias. The folder defaults to the box's repository or workspace
(:func:`boxdeck.service.access.editors.remote_path`); the editor defaults to the config's ``editor``.
"""

from __future__ import annotations

import argparse

from boxdeck.cli import _common
from boxdeck.cli._common import (
    EXIT_OK,
    CliError,
    build_service,
    err,
    poll_backends,
    resolve_config,
    run_main,
    split_query,
)
from boxdeck.cli.ssh_config import entry_for, home, lookup_in, offer_include, ready_boxes
from boxdeck.service.access.editors import EDITORS, EditorError, launch, remote_path
from boxdeck.service.access.ssh_config import SshConfig, SshConfigFile
from boxdeck.service.boxes import Backend
from boxdeck.service.text.sanitize import single_line

__all__ = ["EXIT_NO_EDITOR", "run"]

#: The editor's command is not on PATH (what a shell says for a missing command).
EXIT_NO_EDITOR = 127


def run(args: argparse.Namespace) -> int:
    return run_main(lambda: _run(args))


async def _run(args: argparse.Namespace) -> int:
    timing = _common.TIMING
    backend, _ = split_query(args.name)
    config = resolve_config(args, backends=[backend] if backend else None)
    editor = EDITORS[args.editor or config.editor]
    file = SshConfigFile(home())
    async with build_service(config.settings, timing, max_detail_fetches=0) as service:
        errors = await poll_backends(service, [backend] if backend else list(Backend))
        (box,) = ready_boxes(service, [args.name], errors)
        try:
            path = remote_path(box, args.path)  # a bad --path is refused before any access is minted
        except EditorError as exc:
            raise CliError(str(exc), _common.EXIT_CONFIG) from None
        result = await SshConfig(service.actions, file, now=timing.now).write([box], lookup_in(service))
    entry = entry_for(result.written, box.key)
    if entry is None:
        raise CliError("; ".join(result.problems) or "no SSH access to write")
    path = remote_path(box, args.path, entry.workspace)
    offer_include(file, yes=args.yes)
    try:
        launch(editor, entry.alias, path)
    except EditorError as exc:
        missing = "not on PATH" in str(exc)
        raise CliError(str(exc), EXIT_NO_EDITOR if missing else _common.EXIT_FAILURE) from None
    err(f"opened {single_line(box.name, limit=80)!r} in {editor.title} ({entry.alias}:{path})")
    return EXIT_OK
