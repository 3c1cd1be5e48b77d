"""The delete confirmation that says what is lost: active sessions, agent prompts in flight, the repo state.

It opens at once with "checking what would be lost…" while a worker asks the servers; then it lists, per
box, what goes with it. When any box has active sessions or prompts in flight, Delete stays off (its label
says why) until the user types the box's name, or a short phrase when the name cannot be read in full or
typed as read, or for several boxes (`service.actions.confirmation`). Enter before that says what is missing.
A check that fails is shown and does not block. `y` pressed while checking confirms as soon as the check
shows no typing is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Static

from boxdeck.service.actions.confirmation import delete_phrase, plural, titled
from boxdeck.service.actions.losses import Losses, LossSources, gather_all
from boxdeck.service.boxes import Box
from boxdeck.service.text.sanitize import sanitize, single_line
from boxdeck.tui.context import Deck, Profile
from boxdeck.tui.format import Palette
from boxdeck.tui.modals.confirm import ConfirmModal


@dataclass
class LossesChecked(Message, bubble=False):
    losses: list[Losses]


def _name(box: Box) -> str:
    return single_line(sanitize(box.name), limit=80)


class DeleteConfirmModal(ConfirmModal):
    """Dismisses with True to delete. `boxes`: one box, or every box of a bulk delete, of `profile`."""

    def __init__(self, boxes: Sequence[Box], deck: Deck, profile: Profile, *, noun: str = "box",
                 skipped: str = "", question: tuple[str, str] | None = None, preview: Text | None = None,
                 confirm_label: str = "Delete") -> None:
        """`question`: (title, body) for an action that deletes the box on the way (a scrub-and-delete
        snapshot); `preview`: what else it does, shown above what is lost."""
        self.boxes = list(boxes)
        self.deck = deck
        self.sources = LossSources(profile.conversations, profile.sessions, profile.grants, profile.access,
                                   profile.monitor)
        count = len(self.boxes)
        if count == 1:
            box = self.boxes[0]
            title = f"Delete {noun} {_name(box)}?"
            body = f"The {noun} “{_name(box)}” and everything on it will be deleted. This cannot be undone."
        else:
            title = titled("delete", noun, [_name(box) for box in self.boxes])
            body = (f"These {plural(noun, count)} and everything on them will be deleted. "
                    "This cannot be undone.")
        self.phrase = delete_phrase([box.name for box in self.boxes], noun)
        #: What the Delete button asks for while the phrase is not typed yet.
        self.wanted = "name" if count == 1 and self.phrase == self.boxes[0].name else "phrase"
        if skipped:
            body += f"\n{skipped}"
        if question is not None:
            title, body = question
        super().__init__(title, body, confirm_label=confirm_label)
        self.add_class("delete-confirm")
        self.preview = preview
        self.losses: list[Losses] | None = None
        self.typing_required = False
        self._confirm_when_checked = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, markup=False, id="title")
            with VerticalScroll(classes="body"):
                yield Static(self._body, markup=False, id="body")
                if self.preview is not None:
                    yield Static(self.preview, markup=False, id="preview")
                yield Static(Text("checking what would be lost…", style="italic"), markup=False, id="losses")
                yield Static("", markup=False, id="typed-hint")
                # No placeholder: the name in grey would look as if it were typed already.
                yield Input(id="typed")
            with Vertical(id="foot"):
                yield Static("", markup=False, id="typed-why")
                with Horizontal(id="buttons"):
                    yield Button(f"{self._confirm_label} (y)", variant="error", id="confirm", disabled=True)
                    yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#typed", Input).display = False
        self.query_one("#typed-hint", Static).display = False
        self.query_one("#typed-why", Static).display = False
        self.query_one("#cancel", Button).focus()
        self._check()

    @work(exclusive=True, exit_on_error=False, group="delete-losses")
    async def _check(self) -> None:
        self.post_message(LossesChecked(await gather_all(self.sources, self.boxes, self.deck.now())))

    @on(LossesChecked)
    def _checked(self, message: LossesChecked) -> None:
        self.losses = message.losses
        self.typing_required = any(loss.blocking for loss in message.losses)
        self.query_one("#losses", Static).update(self.render_losses(message.losses))
        if self.typing_required:
            hint = self.query_one("#typed-hint", Static)
            hint.update(Text.assemble("Work in progress would be lost. Type ", (f"“{self.phrase}”", "bold"),
                                      f" to enable {self._confirm_label}:"))
            hint.display = True
            typed = self.query_one("#typed", Input)
            typed.display = True
            typed.focus()
            self._confirm_label_to(f"Type the {self.wanted} to delete")
            self.query_one("#cancel", Button).label = "Cancel (Esc)"  # n and y are typed now
            self._confirm_when_checked = False
        else:
            self.query_one("#confirm", Button).disabled = False
            if self._confirm_when_checked:
                self.dismiss(True)

    def render_losses(self, all_losses: list[Losses]) -> Text:
        error = f"bold {Palette.from_variables(self.app.theme_variables).error}"
        out = Text()
        several = len(all_losses) > 1
        for losses in all_losses:
            if several:
                out.append(f"{_name(losses.box)}\n", style="bold")
            indent = "  " if several else ""
            if losses.empty:
                out.append(f"{indent}nothing in progress found\n", style="italic")
            for line in losses.sessions:
                out.append(f"{indent}● {line}\n", style=error)
            for line in losses.prompts:
                out.append(f"{indent}● {line}\n", style=error)
            for line in losses.access:
                out.append(f"{indent}· {line}\n")
            for line in losses.repo:
                out.append(f"{indent}· {line}\n")
            for line in losses.errors:
                out.append(f"{indent}? couldn't check {line}\n", style="italic")
        out.rstrip()
        if not several and not all_losses[0].empty:
            out = Text.assemble(("What is lost:\n", "bold"), out)
        return out

    def _typed_ok(self) -> bool:
        return self.query_one("#typed", Input).value.strip() == self.phrase

    @on(Input.Changed, "#typed")
    def _typed_changed(self, _event: Input.Changed) -> None:
        ok = self._typed_ok()
        self.query_one("#confirm", Button).disabled = not ok
        wanted = f"{self._confirm_label} (enter)" if ok else f"Type the {self.wanted} to delete"
        self._confirm_label_to(wanted)
        self.query_one("#typed-why", Static).display = False

    @on(Input.Submitted, "#typed")
    def _typed_submitted(self, _event: Input.Submitted) -> None:
        if self._typed_ok():
            self.dismiss(True)
        else:
            self._say_why()

    def _confirm_label_to(self, label: str) -> None:
        button = self.query_one("#confirm", Button)
        if str(button.label) != label:
            button.label = label
            button.refresh(layout=True)  # a label change alone keeps the button's old width, cutting it

    def _say_why(self) -> None:
        """One line on what is missing: the typed text is not yet what Delete wants."""
        why = self.query_one("#typed-why", Static)
        why.update(Text.assemble("Not deleted: type ", (f"“{self.phrase}”", "bold"),
                                 " exactly first (Esc cancels)."))
        why.display = True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.dismiss(False)

    def action_confirm(self) -> None:
        if self.losses is None:
            self._confirm_when_checked = True  # decided once the check is back (typing may be needed)
            self.query_one("#losses", Static).update(
                Text("checking what would be lost… (deletes once checked, unless work would be lost)",
                     style="italic")
            )
            return
        if not self.typing_required or self._typed_ok():
            self.dismiss(True)
        else:
            self._say_why()
