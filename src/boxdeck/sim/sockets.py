"""The simulator's listening socket, in a module of its own: the demo's parent process makes it without
importing the web stack."""

from __future__ import annotations

import socket

__all__ = ["bind_listener"]


def bind_listener(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket bound to `host`:`port` (0: any free port), listening unless told not to (uvicorn calls
    `listen` itself; a socket handed to another process must listen before it is handed over, so that
    connections made before that process serves wait in the backlog)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets whose proto says TCP, and
    # without it every answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        if listen:
            sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock
