"""Issue-6 keys of the box screens, as a mixin (it goes before `BoxesScreen` in the class bases, like
`SandboxViews`, so its `check_action` sees the base's answer):

- `enter`/`S` connect: SSH right there on a ready box; on a box on its way up, "connect when ready" (asks
  first; the box is pinned: ⏵ in its row, sorted first); on a stopped sandbox, "start and connect when
  ready"; on a pinned box, offers to stop waiting. `i` shows the detail pane (it used to be `enter`).
- `R` renews SSH access to the selected box (a new grant / access session, copied).
- `space` selects the highlighted row (● in its name), `*` selects every row shown, `escape` clears the
  selection; with a selection, `x` and `d` act on every selected box after one confirmation.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import work

from boxdeck.service.actions.actions import ActionError, AlreadyInFlight
from boxdeck.service.boxes import Box, StateKind
from boxdeck.service.text.sanitize import sanitize, single_line
from boxdeck.tui.bulk import SELECT_MARK, BulkFinished, BulkPlan, plan
from boxdeck.tui.connect import PIN_MARK, PinsChanged, coming_up, quoted, startable
from boxdeck.tui.format import Cell
from boxdeck.tui.modals.confirm import ConfirmModal
from boxdeck.tui.modals.delete_confirm import DeleteConfirmModal

if TYPE_CHECKING:
    from boxdeck.tui.screens.base import BoxesScreen

    _Base = BoxesScreen
else:
    _Base = object

OWN_ACTIONS = frozenset({"connect", "renew", "toggle_mark", "mark_all"})


class MarkedCell(Cell):
    """A name cell with a mark in front; `sort_first` rows (pinned) sort before the others."""

    __slots__ = ("sort_first",)

    def __init__(
        self, value: str, style: str = "", sort_key: Any = None, *, sort_first: bool = False
    ) -> None:
        super().__init__(value, style=style, sort_key=sort_key)
        self.sort_first = sort_first


class BoxKeys(_Base):
    # ----------------------------------------------------------------- selection state
    @property
    def marks(self) -> set[str]:
        marks: set[str] | None = self.__dict__.get("_box_marks")
        if marks is None:
            marks = self.__dict__["_box_marks"] = set()
        return marks

    def live_marks(self) -> set[str]:
        """The selection, minus rows that disappeared."""
        marks = self.marks
        marks &= set(self.boxes)
        return marks

    def decorate_rows(self, rows: dict[str, dict[str, Cell]]) -> dict[str, dict[str, Cell]]:
        marks = self.live_marks()
        pinned = getattr(self.app, "connect_waits", {})
        accent = f"bold {self.palette.accent}"
        for key, cells in rows.items():
            prefix = (SELECT_MARK if key in marks else "") + (PIN_MARK if key in pinned else "")
            old = cells.get("name")
            if not prefix or old is None:
                continue
            cell = MarkedCell(f"{prefix} {old.plain}", style=str(old.style), sort_key=old.sort_key,
                              sort_first=key in pinned)
            cell.stylize(accent, 0, len(prefix))
            cells["name"] = cell
        return rows

    def _marks_changed(self) -> None:
        if self.configured:
            self._refresh_rows()
            self.refresh_bindings()

    def on_pins_changed(self, _message: PinsChanged) -> None:
        if not self.configured or not self.is_mounted:
            return
        self._refresh_rows()
        table = self.table
        table.set_sort(table.sort_column, table.sort_reverse)  # pinned rows first
        self.refresh_bindings()
        for strip in self.query("WatchStrip"):
            strip.update_strip()  # type: ignore[attr-defined]

    # ----------------------------------------------------------------- check_action
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("stop", "delete") and self.configured and self.live_marks():
            if self.read_only:
                return None
            return True if self.bulk_plan(action).apply else None
        result = super().check_action(action, parameters)
        if action not in OWN_ACTIONS or not result:
            return result
        if action in ("toggle_mark", "mark_all"):
            return True if self.table.row_count else None
        box = self.selected_box
        if box is None:
            return None
        if action == "renew":
            if box.kind is not StateKind.READY or self.actions_for(box).refusal("ssh", box) is not None:
                return None
            return True if self.actions_for(box) is self.actions else None  # the main profile's boxes
        # connect
        if self._pinned(box):
            return True
        if box.kind is StateKind.READY or coming_up(box):
            return True
        if startable(box) and self.actions_for(box).refusal("start", box) is None:
            return True
        return None

    # ----------------------------------------------------------------- connect
    def _pinned(self, box: Box) -> bool:
        return box.key in getattr(self.app, "connect_waits", {})

    def action_connect(self) -> None:
        box = self.selected_box
        if box is None:
            return
        app: Any = self.app
        name = quoted(box.name)
        state = single_line(sanitize(box.display_state), limit=40)
        if app.is_pinned(box.key):
            self._offer_stop_waiting(box)
        elif box.kind is StateKind.READY:
            app.connect_box(box, self.actions_for(box))
        elif self.actions_for(box) is not self.actions:
            self.notify(f"{name} is {state}: connect when ready waits for the current profile's boxes only.",
                        severity="warning", markup=False)
        elif coming_up(box):
            self._ask(
                f"Connect to {self.NOUN} {single_line(sanitize(box.name), limit=60)} when it is ready?",
                f"{name} is {state}. boxdeck pins it to the top, shows its progress, and the moment it is "
                "ready rings the bell and opens SSH here. Enter on it again (or Esc) stops waiting.",
                "Wait and connect",
                lambda: app.pin_box(box),
            )
        elif startable(box):
            refusal = self.actions_for(box).refusal("start", box)
            if refusal:
                self.notify(f"Can't start {name}: {refusal}", severity="warning", markup=False)
                return
            self._ask(
                f"Start sandbox {single_line(sanitize(box.name), limit=60)} and connect when ready?",
                f"{name} is stopped. boxdeck starts it, pins it to the top, and opens SSH here the moment it "
                "is ready (with a bell).",
                "Start and connect",
                lambda: app.pin_box(box, start=True),
            )
        else:
            self.notify(f"Nothing to connect to: {name} is {state}.", severity="warning", markup=False)

    def _offer_stop_waiting(self, box: Box) -> None:
        app: Any = self.app

        def stop() -> None:
            if app.unpin_box(box.key) is not None:
                self.notify(f"Stopped waiting for {quoted(box.name)}.", markup=False, timeout=5)

        self._ask(
            f"Stop waiting for {single_line(sanitize(box.name), limit=60)}?",
            f"boxdeck will no longer connect to {quoted(box.name)} when it is ready. The box itself is not "
            "changed.",
            "Stop waiting",
            stop,
        )

    def _ask(self, title: str, body: str, label: str, then: Any) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmModal(title, body, confirm_label=label), answered)

    def action_renew(self) -> None:
        box = self.selected_box
        if box is not None:
            self.app.renew_access(box)  # type: ignore[attr-defined]

    # ----------------------------------------------------------------- selection
    def action_toggle_mark(self) -> None:
        key = self.selected_key
        if key is None:
            return
        self.marks.symmetric_difference_update({key})
        self._marks_changed()

    def action_mark_all(self) -> None:
        shown = set(self.table.keys)
        if shown <= self.marks:
            self.marks.difference_update(shown)  # all shown already selected: `*` again unselects them
        else:
            self.marks.update(shown)
        self._marks_changed()

    def action_back(self) -> None:
        if not self.configured:
            return
        if self.has_class("-detail"):
            super().action_back()
        elif self.live_marks():
            self.marks.clear()
            self._marks_changed()
        elif self.filter_text or self.query_one("#filter").has_class("-active"):
            super().action_back()
        elif (box := self.selected_box) is not None and self._pinned(box):
            self._offer_stop_waiting(box)

    # ----------------------------------------------------------------- bulk stop / delete
    def bulk_plan(self, verb: str, keys: set[str] | None = None) -> BulkPlan:
        chosen = self.marks if keys is None else keys
        boxes = sorted((self.boxes[k] for k in chosen if k in self.boxes), key=lambda b: b.name.casefold())

        def applies(box: Box) -> bool:
            if box.pending is not None or self.actions_for(box).refusal(verb, box) is not None:
                return False
            return bool(self.can(verb, box))

        return plan(verb, boxes, applies)

    def action_stop(self) -> None:
        if self.live_marks():
            self._bulk("stop")
        else:
            super().action_stop()

    def action_delete(self) -> None:
        if self.live_marks():
            self._bulk("delete")
        else:
            super().action_delete()

    def _bulk(self, verb: str) -> None:
        chosen = self.bulk_plan(verb)
        summary = chosen.summary()
        if not chosen.apply:
            self.notify(f"Nothing to do: {summary}.", severity="warning", markup=False)
            return
        keys = {box.key for box in chosen.apply}
        skipped = ""
        if chosen.skip:
            skipped = "Skipped: " + ", ".join(
                f"{single_line(sanitize(b.name), limit=40)} ({why})" for b, why in chosen.skip
            )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            fresh = self.bulk_plan(verb, keys)  # only what still applies now: nothing twice
            self.marks.clear()  # used up (skipped ones too): the next key acts on the highlighted row
            self._marks_changed()
            if fresh.apply:
                self._run_bulk(verb, fresh.apply)

        if verb == "delete":
            self.app.push_screen(DeleteConfirmModal(chosen.apply, noun=self.NOUN, skipped=skipped), confirmed)
            return
        names = "\n".join(f"  • {single_line(sanitize(b.name), limit=60)}" for b in chosen.apply)
        body = f"{names}\n{skipped}".rstrip()
        title = f"{summary[0].upper()}{summary[1:]}?"
        self.app.push_screen(ConfirmModal(title, body, confirm_label=verb.capitalize()), confirmed)

    @work(exclusive=False, exit_on_error=False, group="bulk")
    async def _run_bulk(self, verb: str, boxes: list[Box]) -> None:
        async def one(box: Box) -> str | None:
            try:
                await getattr(self.actions_for(box), verb)(box)
            except AlreadyInFlight:  # already on its way from an earlier key: counted as done, not sent
                return None
            except ActionError as error:
                return str(error)
            return None

        results = await asyncio.gather(*(one(box) for box in boxes))
        done = [box.name for box, error in zip(boxes, results, strict=True) if error is None]
        failed = [(box.name, error) for box, error in zip(boxes, results, strict=True) if error is not None]
        self.post_message(BulkFinished(verb, done, failed))
        for box in boxes:
            self.poll_after_action(box)

    def on_bulk_finished(self, message: BulkFinished) -> None:
        for _name, error in message.failed:
            self.notify(error, title=f"Bulk {message.verb}", severity="error", markup=False, timeout=10)
        total = len(message.done) + len(message.failed)
        verb = {"stop": "Stopping", "delete": "Deleting"}.get(message.verb, message.verb)
        text = f"{verb} {len(message.done)} of {total} {self.plural}"
        if message.failed:
            text += f"; {len(message.failed)} failed"
        severity = "warning" if message.failed else "information"
        self.notify(text + ".", title=f"Bulk {message.verb}", severity=severity, markup=False, timeout=8)
