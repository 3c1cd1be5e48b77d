"""The config file's ``[settings.keymap]``, checked against the real bindings before ``App.set_keymap``.

Entries name a binding id, with or without the ``boxdeck.`` prefix (``delete = "D"`` or
``"boxdeck.delete" = "D"``). An entry is dropped, with a warning, and its binding keeps its default key when:
the id is unknown; a key is empty or malformed; a destructive command would sit on a bare ctrl chord; or a key
is already taken by another command that is active at the same time (Textual would silently drop one of them).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping

from textual.screen import Screen

from boxdeck.service.configuration.profiles import DESTRUCTIVE_IDS, validate_keymap
from boxdeck.tui.commands import COMMANDS, Command

PREFIX = "boxdeck."
#: Words that make a mutating command destructive (it removes, stops, overwrites or ends something).
_DESTRUCTIVE_WORDS = ("delete", "stop", "revoke", "disconnect", "update", "fail", "complete", "remove")
#: Modal bindings that confirm something destructive.
_DESTRUCTIVE_MODAL_IDS = frozenset({"boxdeck.confirm.yes"})


def full_id(binding_id: str) -> str:
    binding_id = binding_id.strip()
    return binding_id if binding_id.startswith(PREFIX) else PREFIX + binding_id


def is_destructive(command: Command) -> bool:
    return command.mutating and (
        command.name in DESTRUCTIVE_IDS or any(word in command.name for word in _DESTRUCTIVE_WORDS)
    )


def destructive_ids() -> frozenset[str]:
    """Binding ids (``boxdeck.…``) that no keymap may put on a bare ctrl chord."""
    ids = {c.id for c in COMMANDS if is_destructive(c)}
    ids |= {PREFIX + name for name in DESTRUCTIVE_IDS}
    return frozenset(ids | _DESTRUCTIVE_MODAL_IDS)


def _screen_classes() -> Iterable[type[Screen[object]]]:
    seen: set[type] = set()
    todo: list[type] = list(Screen.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        yield cls


def _import_every_screen() -> None:
    """Every screen and dialog module, so that their classes and bindings are known: the app imports most of
    them only when they are first shown."""
    import boxdeck.tui.modals
    import boxdeck.tui.screens

    for package in (boxdeck.tui.screens, boxdeck.tui.modals):
        for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)


def known_ids() -> frozenset[str]:
    """Every binding id: the command list plus the ids of the modals' own bindings (confirm, forms…)."""
    _import_every_screen()
    ids = {c.id for c in COMMANDS}
    for cls in _screen_classes():
        for binding in getattr(cls, "BINDINGS", ()) or ():
            binding_id = getattr(binding, "id", None)
            if isinstance(binding_id, str) and binding_id.startswith(PREFIX):
                ids.add(binding_id)
    return frozenset(ids)


def _keys(value: str) -> list[str]:
    return [k.strip() for k in value.split(",") if k.strip()]


def _clash(command: Command, keys: list[str], effective: Mapping[str, list[str]]) -> str | None:
    """Another command active at the same time as `command` already on one of `keys`."""
    for other in COMMANDS:
        if other.id == command.id:
            continue
        together = other.scope == command.scope or "app" in (other.scope, command.scope)
        if not together:
            continue
        taken = set(effective[other.id])  # keys are case-sensitive: "S" is shift+s
        for key in keys:
            if key in taken:
                return f"{key!r} is already the key of {other.id} ({other.title})"
    return None


def resolve_keymap(raw: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """(the keymap for ``App.set_keymap`` with full ids, one warning per dropped entry)."""
    destructive = destructive_ids()
    known = known_ids()
    by_id = {c.id: c for c in COMMANDS}
    warnings: list[str] = []
    normalised: dict[str, object] = {}
    for binding_id, keys in raw.items():
        normalised[full_id(str(binding_id))] = keys
    # Keys as they will be once the keymap is applied; filled in as entries are accepted.
    effective: dict[str, list[str]] = {c.id: _keys(c.key) for c in COMMANDS}
    accepted: dict[str, str] = {}
    for binding_id, keys in normalised.items():
        problems = validate_keymap({binding_id: keys}, destructive, known_ids=known)
        if not problems and isinstance(keys, str):
            # Also: the same key given to two entries of this keymap.
            problems = [
                p for p in validate_keymap({**accepted, binding_id: keys}, destructive)
                if p not in validate_keymap(accepted, destructive)
            ]
        command = by_id.get(binding_id)
        if not problems and command is not None and isinstance(keys, str):
            clash = _clash(command, _keys(keys), effective)
            if clash:
                problems = [f"{binding_id} = {keys!r}: {clash}"]
        if problems:
            warnings.extend(f"keymap: {p}; the default key is kept" for p in problems)
            continue
        assert isinstance(keys, str)
        accepted[binding_id] = ",".join(_keys(keys))
        if command is not None:
            effective[binding_id] = _keys(keys)
    return accepted, warnings
