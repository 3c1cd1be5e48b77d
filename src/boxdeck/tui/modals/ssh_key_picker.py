"""Set the Devbox user's SSH public key: pick one of ``~/.ssh/*.pub`` or paste one.

The key is validated as an OpenSSH public key before anything is sent; a refusal is shown inline and the
pasted text stays to be fixed (except a private key, which is cleared at once: it must not sit on screen).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from boxdeck.service.actions.account import Account, AccountError
from boxdeck.service.actions.ssh_keys import (
    KeyFile,
    PublicKeyError,
    discover_public_keys,
    validate_public_key,
)
from boxdeck.service.text.sanitize import shown
from boxdeck.tui.modals.secret_form import Request, WriteOnlyForm
from boxdeck.tui.widgets.lists import NavOptionList

PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File")


def tilde(path: Path) -> str:
    """`path` with the home directory shown as ~."""
    with contextlib.suppress(ValueError, RuntimeError):
        return "~/" + str(path.relative_to(Path.home()))
    return str(path)


def key_prompt(key: KeyFile) -> Text:
    """One option: type, comment and fingerprint, with the file on a second line."""
    path = tilde(key.path)
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(shown(key.type), style="bold")
    out.append("  ")
    out.append(shown(key.comment) or "(no comment)")
    out.append("\n")
    out.append(f"{key.fingerprint}  {shown(path)}", style="dim")
    return out


class SshKeyPickerModal(WriteOnlyForm):
    TITLE_TEXT = "Set your SSH public key"
    SUBMIT_LABEL = "Set key"
    BUSY_LABEL = "Setting…"
    VALUE_IDS = ()  # a public key is not a secret

    def __init__(self, account: Account, *, ssh_dir: Path | None = None) -> None:
        super().__init__(classes="ssh-key-picker")
        self.account = account
        self.ssh_dir = ssh_dir if ssh_dir is not None else Path.home() / ".ssh"
        self.keys = discover_public_keys(self.ssh_dir)
        self._picked: KeyFile | None = None

    def compose_fields(self) -> ComposeResult:
        if self.keys:
            options = [Option(key_prompt(k), id=str(i)) for i, k in enumerate(self.keys)]
            yield from self.field(
                f"Your public keys ({tilde(self.ssh_dir)}/*.pub)",
                NavOptionList(*options, id="keys"),
                "Enter sets the highlighted key.",
            )
        else:
            missing = f"No public keys found in {tilde(self.ssh_dir)}/*.pub: paste one below."
            yield Static(missing, markup=False, id="no-keys", classes="hint")
        yield from self.field(
            "…or paste a public key",
            TextArea("", id="pasted", soft_wrap=True, show_line_numbers=False),
            "One line: ssh-ed25519 AAAA… comment. Pasted text wins over the highlighted key (ctrl+s).",
        )

    def first_focus(self) -> Widget:
        return self.query_one("#keys" if self.keys else "#pasted")

    @property
    def highlighted(self) -> KeyFile | None:
        if not self.keys:
            return None
        index = self.query_one("#keys", OptionList).highlighted
        return self.keys[index] if index is not None and 0 <= index < len(self.keys) else None

    @on(OptionList.OptionSelected, "#keys")
    def _key_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._picked = self.keys[event.option_index]
        try:
            self.action_submit()
        finally:
            self._picked = None

    def build_request(self) -> Request:
        pasted = self.query_one("#pasted", TextArea)
        text = pasted.text
        if self._picked is not None:
            chosen, source = self._picked.public_key, str(self._picked.path.name)
        elif text.strip():
            chosen, source = text, "pasted key"
        elif (key := self.highlighted) is not None:
            chosen, source = key.public_key, str(key.path.name)
        else:
            raise AccountError("Paste an OpenSSH public key (the one line of a .pub file).",
                               reason="invalid-key")
        try:
            key_line = validate_public_key(chosen)
        except PublicKeyError as error:
            if any(marker in chosen for marker in PRIVATE_MARKERS):
                pasted.clear()
            if chosen is text:
                pasted.focus()
            raise AccountError(str(error), reason="invalid-key") from None
        account = self.account

        async def request() -> str:
            await account.set_ssh_key(key_line)
            return f"SSH key set ({shown(source)})."

        return request
