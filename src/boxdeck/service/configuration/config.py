"""Where boxdeck's settings come from, and the `Service` that wires clients, monitor and actions together.

`Settings` is the merged result; each source (flags, environment) is its own function, so adding a source is
adding one function and one line in `settings_from` — the precedence stays readable in one place: flags >
environment. A profile of the config file (`profiles.py`) ranks below both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from boxdeck.api import is_loopback_host
from boxdeck.service.access.hostkeys import KnownHosts
from boxdeck.service.access.ssh_trust import ProxyTrust, trust_file
from boxdeck.service.actions.actions import Actions
from boxdeck.service.configuration.errors import ConfigError
from boxdeck.service.monitoring.monitor import Monitor
from boxdeck.service.text.redact import Redactor, mask_library_logs

__all__ = [
    "DEFAULT_AMIKA_URL",
    "DEFAULT_DEVBOX_URL",
    "AmikaSettings",
    "ConfigError",
    "DevboxSettings",
    "Service",
    "Settings",
    "check_url",
    "settings_from",
    "values_from_args",
    "values_from_env",
]

DEFAULT_AMIKA_URL = "https://app.amika.dev"
DEFAULT_DEVBOX_URL = "https://api.devbox-sdk.dev"

#: Environment variable for each setting name.
ENV_VARS = {
    "amika_url": "AMIKA_API_URL",
    "amika_token": "AMIKA_API_KEY",
    "devbox_url": "DEVBOX_API_URL",
    "sprites_token": "DEVBOX_SPRITES_TOKEN",
    "user_token": "DEVBOX_USER_TOKEN",
}


@dataclass(frozen=True)
class AmikaSettings:
    url: str
    token: str

    def __repr__(self) -> str:  # settings get logged and printed in tracebacks; tokens must not
        return f"AmikaSettings(url={self.url!r}, token=<set>)"


@dataclass(frozen=True)
class DevboxSettings:
    url: str
    sprites_token: str
    user_token: str | None = None

    def __repr__(self) -> str:
        user = "<set>" if self.user_token else None
        return f"DevboxSettings(url={self.url!r}, sprites_token=<set>, user_token={user})"


@dataclass(frozen=True)
class Settings:
    amika: AmikaSettings | None
    devbox: DevboxSettings | None
    read_only: bool = False
    steady_interval: float = 5.0
    busy_interval: float = 1.0
    allow_insecure: bool = False
    #: The profile these settings came from (None: flags and environment only); SSH trust is kept per profile.
    profile: str | None = None
    #: ProxyCommands the profile's config pre-trusts (``trusted_proxy_commands``).
    trusted_proxy_commands: tuple[str, ...] = ()
    #: The config file consulted, named in "how to trust it" messages.
    config_path: Path | None = None
    #: The largest answer read from a server, once decompressed (None: the clients' default).
    max_response_bytes: int | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured token, for the redactor."""
        out: list[str] = []
        if self.amika:
            out.append(self.amika.token)
        if self.devbox:
            out.append(self.devbox.sprites_token)
            if self.devbox.user_token:
                out.append(self.devbox.user_token)
        return tuple(s for s in out if s)


def values_from_args(args: Any) -> dict[str, Any]:
    """The settings given as flags (an argparse.Namespace or anything with those attributes)."""
    names = (*ENV_VARS, "read_only", "allow_insecure")
    return {name: value for name in names if (value := getattr(args, name, None)) not in (None, "")}


def values_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given in the environment (empty variables count as unset)."""
    return {name: value for name, var in ENV_VARS.items() if (value := environ.get(var, "").strip())}


def check_url(url: str, *, what: str, allow_insecure: bool) -> str:
    """Validate a base URL; plain http is only for loopback unless the user explicitly allows it."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} URL {url!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{what} URL must not contain credentials: pass the token separately")
    if parts.scheme == "http" and not allow_insecure and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// for {what} at {parts.hostname}: the token would travel unencrypted. "
            "Use https://, or pass --allow-insecure if you really mean it"
        )
    return url


def settings_from(args: Any, environ: Mapping[str, str]) -> Settings:
    """Merge flags over the environment. A backend is configured when it has a token (its URL defaults)."""
    merged = {**values_from_env(environ), **values_from_args(args)}
    allow_insecure = bool(merged.get("allow_insecure", False))

    amika = None
    if merged.get("amika_token"):
        url = check_url(str(merged.get("amika_url") or DEFAULT_AMIKA_URL), what="Amika",
                        allow_insecure=allow_insecure)
        amika = AmikaSettings(url=url, token=str(merged["amika_token"]))
    devbox = None
    if merged.get("sprites_token"):
        url = check_url(str(merged.get("devbox_url") or DEFAULT_DEVBOX_URL), what="Devbox",
                        allow_insecure=allow_insecure)
        user_token = merged.get("user_token")
        devbox = DevboxSettings(url=url, sprites_token=str(merged["sprites_token"]),
                                user_token=str(user_token) if user_token else None)
    return Settings(amika=amika, devbox=devbox, read_only=bool(merged.get("read_only", False)),
                    allow_insecure=allow_insecure)


class Service:
    """Everything the UI needs, built from settings: the monitor (with the clients), actions, the redactor."""

    def __init__(self, settings: Settings, monitor: Monitor, actions: Actions, redactor: Redactor) -> None:
        self.settings = settings
        self.monitor = monitor
        self.actions = actions
        self.redactor = redactor

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: Callable[[Any], None] | None = None,
        trust_path: Path | None = None,
        **monitor_options: Any,
    ) -> Service:
        """Build the clients and wire them. `transport` (tests, proxies) and `on_request` (the request log)
        go to both clients; `monitor_options` to the `Monitor` (clock, rng, intervals). `trust_path`: where
        the profile's answers about ProxyCommands are kept (default: the user state dir)."""
        from boxdeck.api import AmikaClient, DevboxClient

        redactor = Redactor(settings.secrets)
        mask_library_logs()
        extra: dict[str, Any] = {"transport": transport, "allow_insecure": settings.allow_insecure}
        if settings.max_response_bytes is not None:
            extra["max_body_bytes"] = settings.max_response_bytes
        if on_request is not None:
            extra["on_request"] = on_request
        try:
            amika = (
                AmikaClient(settings.amika.url, access_token=settings.amika.token, **extra)
                if settings.amika else None
            )
            devbox = (
                DevboxClient(settings.devbox.url, sprites_token=settings.devbox.sprites_token,
                             user_token=settings.devbox.user_token, **extra)
                if settings.devbox else None
            )
        except ValueError as exc:  # the clients' own URL/token checks, phrased for the user already
            raise ConfigError(redactor.redact(str(exc))) from None
        options: dict[str, Any] = {
            "steady_interval": settings.steady_interval,
            "busy_interval": settings.busy_interval,
            **monitor_options,
        }
        monitor = Monitor(amika=amika, devbox=devbox, redactor=redactor, **options)
        proxy_trust = ProxyTrust(settings.profile, settings.trusted_proxy_commands,
                                 path=trust_path or trust_file(), config_path=settings.config_path)
        actions = Actions(monitor, read_only=settings.read_only, redactor=redactor, proxy_trust=proxy_trust,
                          known_hosts=KnownHosts())
        return cls(settings, monitor, actions, redactor)

    @property
    def read_only(self) -> bool:
        return self.actions.read_only

    @property
    def known_hosts(self) -> KnownHosts:
        return self.actions.known_hosts

    @property
    def proxy_trust(self) -> ProxyTrust:
        """The ProxyCommands this profile trusts (asked once, remembered)."""
        return self.actions.proxy_trust

    async def aclose(self) -> None:
        await self.monitor.aclose()

    async def __aenter__(self) -> Service:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
