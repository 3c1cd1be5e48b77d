"""The SSH server's own rules that no loopback test can reach: who may connect at all."""

from __future__ import annotations

from typing import Any

from boxdeck.sim.sshd import _Login


class FakeServer:
    def __init__(self, allow_remote: bool) -> None:
        self.allow_remote = allow_remote
        self.connections: set[Any] = set()


class FakeConnection:
    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return (self.peer, 40000) if name == "peername" else None

    def close(self) -> None:
        self.closed = True


def test_connections_from_other_machines_are_closed_unless_allowed() -> None:
    for peer, allow, closed in (
        ("10.1.2.3", False, True),
        ("::ffff:192.168.0.9", False, True),
        ("127.0.0.1", False, False),
        ("::1", False, False),
        ("10.1.2.3", True, False),
    ):
        server = FakeServer(allow)
        conn = FakeConnection(peer)
        _Login(server).connection_made(conn)  # type: ignore[arg-type]
        assert conn.closed is closed, (peer, allow)
        assert (conn in server.connections) is not closed
