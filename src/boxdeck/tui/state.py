"""App-lifetime state of the issue-5 views: one of each service object per app, created on first use.

Conversations, remembered SSH grants and access sessions, and unsent prompt drafts must outlive the screens
that show them (a prompt keeps running after its screen is closed; returning shows it), so they hang off the
app, not a screen. Nothing here touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boxdeck.service.access.devbox_access import DevboxAccess
from boxdeck.service.actions.account import Account
from boxdeck.service.actions.agent_prompts import Conversations
from boxdeck.service.actions.sandbox_sessions import SandboxSessions, SshGrants

if TYPE_CHECKING:
    from textual.app import App

ATTRIBUTE = "_boxdeck_issue5_state"


@dataclass
class SessionState:
    """The issue-5 service objects of one app (None where the backend is not configured)."""

    conversations: Conversations | None
    sessions: SandboxSessions | None
    grants: SshGrants | None
    access: DevboxAccess | None
    account: Account
    service: Any
    drafts: dict[str, str] = field(default_factory=dict)
    """Unsent prompt text per sandbox (also where a failed prompt comes back to be edited)."""

    @property
    def read_only(self) -> bool:
        """Read-only mode (a plain attribute of the actions, so a later write grant can flip it)."""
        return bool(self.service.actions.read_only)


def app_state(app: App[Any]) -> SessionState:
    """The app's `SessionState`, created the first time it is asked for."""
    state: SessionState | None = getattr(app, ATTRIBUTE, None)
    if state is not None:
        return state
    service = app.service  # type: ignore[attr-defined]
    monitor = service.monitor
    amika, devbox = monitor.amika, monitor.devbox
    now = app.now  # type: ignore[attr-defined]
    devbox_settings = service.settings.devbox
    state = SessionState(
        conversations=Conversations(amika, clock=now) if amika is not None else None,
        sessions=SandboxSessions(amika) if amika is not None else None,
        grants=SshGrants(amika, clock=now, known_hosts=service.known_hosts) if amika is not None else None,
        access=DevboxAccess(devbox, clock=now, trust=service.actions.proxy_trust,
                            scrub=service.redactor.redact, known_hosts=service.known_hosts)
        if devbox is not None else None,
        account=Account(devbox, has_user_token=bool(devbox_settings and devbox_settings.user_token)),
        service=service,
    )
    audited = getattr(app, "audited", None)  # issue 6: every action these objects run goes to the log
    if audited is not None:
        for name in ("conversations", "sessions", "grants", "access", "account"):
            setattr(state, name, audited(getattr(state, name)))
    setattr(app, ATTRIBUTE, state)
    return state
