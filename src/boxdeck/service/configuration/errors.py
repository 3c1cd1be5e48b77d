"""The one exception every configuration problem raises.

Its own module, free of the clients, so the command line's parser can import the token-file flags (which
raise it) without loading httpx and pydantic just to print `--help`.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to change."""
