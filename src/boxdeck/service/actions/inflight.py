"""One request of each kind at a time: a second identical request while the first is still out is not sent.

A user who presses `s` three times, confirms a delete twice or submits a form twice means it once; so does a
screen that re-runs an action while the first request is still waiting for its answer. Each service that
changes something claims a key naming what the request would do (``("start", box key)``,
``("prompt", sandbox, text, …)``) for as long as the request is out; an identical claim meanwhile raises
:class:`~boxdeck.service.actions.errors.AlreadyInFlight`, whose one line says what is already happening
("already starting "web-1"").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from boxdeck.service.actions.errors import AlreadyInFlight

__all__ = ["InFlight"]


class InFlight:
    """The keys of the requests out now, each with the words for what it is doing."""

    __slots__ = ("_doing",)

    def __init__(self) -> None:
        self._doing: dict[Hashable, str] = {}

    def doing(self, key: Hashable) -> str | None:
        """What the request claimed under ``key`` is doing ("starting "web-1""), or None when none is out."""
        return self._doing.get(key)

    @contextmanager
    def claim(self, key: Hashable, doing: str, *, subject: str | None = None,
              box_key: str | None = None) -> Iterator[None]:
        """Hold ``key`` while the block runs; raise :class:`AlreadyInFlight` at once if it is held already."""
        held = self._doing.get(key)
        if held is not None:
            raise AlreadyInFlight(f"already {held}", subject=subject, box_key=box_key)
        self._doing[key] = doing
        try:
            yield
        finally:
            self._doing.pop(key, None)
