"""What counts as a loopback host: the one rule behind "plain http:// only to loopback".

Both clients' base-URL check and the service's config check use :func:`is_loopback_host`, so a URL is never
accepted by one door and refused by the other. The rule is strict on purpose: a host that only *looks*
loopback (``localhost.evil.com``, ``127.0.0.1.nip.io``, ``x.localhost``, ``127.1``) is not loopback.
"""

from __future__ import annotations

import ipaddress

__all__ = ["canonical_loopback_host", "is_loopback_host"]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP literal ``host`` spells (brackets allowed around IPv6), or None for a name."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(text)  # strict: no "127.1", "0x7f000001", octal or trailing dot
    except ValueError:
        return None


def is_loopback_host(host: str | None) -> bool:
    """True for a host a connection to which never leaves the machine.

    Loopback is: ``localhost`` (any case, with at most one trailing dot), any IPv4 literal in 127.0.0.0/8,
    ``::1`` (brackets optional), and an IPv4-mapped IPv6 literal only when it maps into 127.0.0.0/8.
    Subdomains of ``localhost`` are *not* accepted: their resolution depends on the resolver.
    """
    return canonical_loopback_host(host) is not None


def canonical_loopback_host(host: str | None) -> str | None:
    """The plain spelling of a loopback host (``localhost``, ``127.x.y.z`` or ``::1``), or None when ``host``
    is not loopback (see :func:`is_loopback_host`). ``LOCALHOST.`` becomes ``localhost`` and
    ``::ffff:127.0.0.1`` becomes ``127.0.0.1``: the same destination, spelled the way every checker agrees on.
    """
    if not isinstance(host, str) or not host:
        return None
    name = host.lower()
    if name in ("localhost", "localhost."):
        return "localhost"
    address = _address(host)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped) if mapped.is_loopback else None
        return str(address) if address.is_loopback else None
    return str(address) if address.is_loopback else None
