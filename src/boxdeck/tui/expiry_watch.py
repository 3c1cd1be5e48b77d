"""Credentials counting down: warn once when one has 5 minutes left (and once when it expired); `R` renews.

Watched: the SSH grants minted in this run (Amika, `SshGrants`), the access sessions opened in this run
(Devbox, `DevboxAccess`) and SSH commands copied for a box (`ConnectApp.copied_credentials`). The rule of when
to warn is `boxdeck.service.access.expiry.ExpiryWarnings`; this mixin of `BoxdeckApp` only lists the
credentials
once a second and shows what it says. `expiring_now()` feeds the live countdown in the box screens' strip.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from boxdeck.service.access.expiry import Credential, ExpiryWarnings
from boxdeck.service.boxes import Backend
from boxdeck.service.text.sanitize import sanitize, single_line

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object

CHECK_INTERVAL = 1.0


def _q(name: str) -> str:
    return f"“{single_line(sanitize(name), limit=60)}”"


def credentials(app: Any) -> list[Credential]:
    """Everything with an expiry the app knows about now."""
    from boxdeck.tui.state import ATTRIBUTE

    out: list[Credential] = []
    monitor = app.monitor
    state = getattr(app, ATTRIBUTE, None)  # created by the first view that needs it; nothing minted before
    if state is not None and state.grants is not None:
        amika = monitor.snapshot(Backend.AMIKA)
        by_ref = {b.ref: b for b in amika.boxes.values()} if amika is not None else {}
        for grant in state.grants.all():
            box = by_ref.get(grant.sandbox)
            out.append(Credential(f"grant:{grant.sandbox}", f"The SSH grant of sandbox {_q(grant.sandbox)}",
                                  grant.expires_at, box.key if box else None))
    if state is not None and state.access is not None:
        devbox = monitor.snapshot(Backend.DEVBOX)
        for box in devbox.boxes.values() if devbox is not None else ():
            for known in state.access.known(box.ref, include_expired=True):
                out.append(Credential(f"access:{box.ref}:{known.session_id}",
                                      f"The SSH access session of devbox {_q(box.name)}", known.expires_at,
                                      box.key))
    out.extend(getattr(app, "copied_credentials", {}).values())
    return out


class ExpiryApp(_Base):
    """Mixed into `BoxdeckApp`: a 1 s timer, started on mount."""

    expiry_warn_before: float = 300.0

    @property
    def expiry_warnings(self) -> ExpiryWarnings:
        warnings: ExpiryWarnings | None = self.__dict__.get("_expiry_warnings")
        if warnings is None:
            warnings = self.__dict__["_expiry_warnings"] = ExpiryWarnings(self.expiry_warn_before)
        return warnings

    def on_mount(self) -> None:
        """Runs with `BoxdeckApp.on_mount` (Textual calls every class's handler along the MRO)."""
        self.set_interval(CHECK_INTERVAL, self.check_expiry)

    def check_expiry(self) -> None:
        now: datetime = self.now()  # type: ignore[attr-defined]
        for event in self.expiry_warnings.check(credentials(self), now):
            hint = " Press R on the box to renew it." if event.credential.box_key else ""
            self.notify(
                event.message + hint,
                title="SSH access expiring" if event.kind == "expiring" else "SSH access expired",
                severity="warning",
                markup=False,
                timeout=15,
            )

    def expiring_now(self) -> list[tuple[Credential, float]]:
        return self.expiry_warnings.expiring(credentials(self), self.now())  # type: ignore[attr-defined]
