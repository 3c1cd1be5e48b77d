"""The credentials the dashboard warns about before they expire: the access sessions minted in this run are
found for their devboxes however large the fleet (the deck asks the access service which devboxes have one,
not every devbox in the snapshot)."""

from __future__ import annotations

from boxdeck.service.boxes import Backend, StateKind
from boxdeck.sim import SimServer
from boxdeck.tui.context import Deck
from support.sim_service import sim_service


async def test_an_access_session_minted_here_is_a_credential_of_its_devbox(sim: SimServer) -> None:
    service, _records, _clock = sim_service(sim)
    deck = Deck(service, spinner_interval=None, owns_services=True)
    try:
        await service.monitor.poll(Backend.DEVBOX)
        snapshot = service.monitor.snapshot(Backend.DEVBOX)
        assert snapshot is not None
        ready = [b for b in snapshot.boxes.values() if b.state_kind is StateKind.READY]
        assert len(ready) >= 2
        assert not [c for c in deck.credentials() if c.key.startswith("access:")]
        access = deck.main.access
        assert access is not None
        session, _command = await access.create(ready[1].ref)
        (credential,) = [c for c in deck.credentials() if c.key.startswith("access:")]
        assert credential.key == f"access:{ready[1].ref}:{session.session_id}"
        assert credential.box_key == ready[1].key and credential.expires_at == session.expires_at
        assert ready[1].name in credential.label
    finally:
        await deck.aclose()
