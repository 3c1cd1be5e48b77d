"""Plain ``http://`` only to loopback, unless the user explicitly opts in.

Checked at every door a URL comes through: both clients' constructors, ``service.config.settings_from``
(flags and environment), profiles, and ``Service.from_settings``. Loopback spellings are accepted; hosts that
merely *look* loopback (``127.0.0.1.evil.com``, ``localhost.evil.com``, userinfo tricks, IPv4-mapped IPv6 of
a public address) are refused. Finally, for any URL a client does accept without the flag, the request really
goes to a loopback host as httpx parses it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from argparse import Namespace
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxdeck.api import AmikaClient, AmikaTransportError, DevboxClient, DevboxTransportError
from boxdeck.service.configuration.config import ConfigError, Service, settings_from
from boxdeck.service.configuration.profiles import resolve_settings

LOOPBACK = [
    "http://127.0.0.1",
    "http://127.0.0.1:8080",
    "http://127.5.5.5:1",
    "http://127.255.255.254/",
    "http://localhost",
    "http://LOCALHOST:9000/",
    "http://[::1]",
    "http://[::1]:8080",
]
REFUSED = [
    "http://example.com",
    "http://10.0.0.1",
    "http://192.168.1.10:8080",
    "http://0.0.0.0:8080",
    "http://8.8.8.8",
    "http://127.0.0.1.evil.com",
    "http://127.0.0.1.nip.io",
    "http://localhost.evil.com",
    "http://evil.com/127.0.0.1",
    "http://evil.com?127.0.0.1",
    "http://[::ffff:8.8.8.8]",
    "http://[::ffff:808:808]",
    "http://[2001:db8::1]",
    "http://127.0.0.1@evil.com",
    "http://localhost:80@evil.com",
    "http://user:pass@127.0.0.1.evil.com",
    "http://evil.com#@127.0.0.1",
    "http://evil.com\\@127.0.0.1",
    "http://127.1",
    "http://2130706433",
    "http://0x7f000001",
    "http://017700000001",
    "http://[::]",
]
HTTPS = ["https://app.amika.dev", "https://api.devbox-sdk.dev/", "https://10.0.0.1:8443"]


def _amika(url: str, **kw: object) -> AmikaClient:
    return AmikaClient(url, access_token="amk_url_token_123456", **kw)  # type: ignore[arg-type]


def _devbox(url: str, **kw: object) -> DevboxClient:
    return DevboxClient(url, sprites_token="spr_url_token_123456", **kw)  # type: ignore[arg-type]


def _flags(url: str, *, allow_insecure: bool = False) -> Namespace:
    return Namespace(
        amika_url=url,
        amika_token="amk_t_123456",
        devbox_url=url,
        sprites_token="spr_t_123456",
        user_token=None,
        read_only=False,
        allow_insecure=allow_insecure,
    )


@pytest.mark.parametrize("url", LOOPBACK)
def test_plain_http_to_loopback_is_accepted(url: str) -> None:
    assert _amika(url).base_url.endswith("/api/v0beta1")
    assert _devbox(url).base_url.endswith("/api/v1")
    s = settings_from(_flags(url), {})
    assert s.amika is not None and s.devbox is not None
    env = settings_from(
        Namespace(),
        {
            "AMIKA_API_URL": url,
            "AMIKA_API_KEY": "k_123456",
            "DEVBOX_API_URL": url,
            "DEVBOX_SPRITES_TOKEN": "s_123456",
        },
    )
    assert env.amika is not None and env.devbox is not None
    Service.from_settings(s)


@pytest.mark.parametrize("url", REFUSED)
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        _amika(url)
    with pytest.raises(ValueError):
        _devbox(url)
    with pytest.raises(ConfigError):
        settings_from(_flags(url), {})
    with pytest.raises(ConfigError):
        settings_from(Namespace(), {"AMIKA_API_URL": url, "AMIKA_API_KEY": "k_123456"})
    with pytest.raises(ConfigError):
        settings_from(Namespace(), {"DEVBOX_API_URL": url, "DEVBOX_SPRITES_TOKEN": "s_123456"})


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8080", "http://127.0.0.1.evil.com"])
def test_the_explicit_insecure_flag_allows_plain_http(url: str) -> None:
    _amika(url, allow_insecure=True)
    _devbox(url, allow_insecure=True)
    s = settings_from(_flags(url, allow_insecure=True), {})
    assert s.allow_insecure
    Service.from_settings(s)


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8080"])
def test_the_insecure_flag_is_not_taken_from_the_environment(url: str) -> None:
    """Only the explicit flag (or profile key) opts in: no environment variable silently turns it on."""
    env = {
        "AMIKA_API_URL": url,
        "AMIKA_API_KEY": "k_123456",
        "BOXDECK_ALLOW_INSECURE": "1",
        "ALLOW_INSECURE": "1",
    }
    with pytest.raises(ConfigError):
        settings_from(Namespace(), env)


@pytest.mark.parametrize("url", HTTPS)
def test_https_is_always_accepted(url: str) -> None:
    _amika(url)
    _devbox(url)
    settings_from(_flags(url), {})


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1:80",
        "//127.0.0.1",
        "",
        "   ",
        "http://",
        "https://user:pw@app.amika.dev",
    ],
)
def test_malformed_or_credentialed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        _amika(url)
    with pytest.raises(ValueError):
        _devbox(url)
    if url.strip():
        with pytest.raises(ConfigError):
            settings_from(_flags(url), {})


def _write_profile(tmp_path: Path, url: str, insecure: bool | None) -> Path:
    flag = "" if insecure is None else f"allow_insecure = {'true' if insecure else 'false'}\n"
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.p]\namika_url = "{url}"\namika_token = {{ env = "PROFILE_TOKEN" }}\n{flag}')
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "url", ["http://example.com", "http://127.0.0.1.evil.com", "http://[::ffff:8.8.8.8]"]
)
def test_profile_urls_obey_the_same_rule(tmp_path: Path, url: str) -> None:
    env = {"PROFILE_TOKEN": "amk_profile_123456"}
    with pytest.raises(ConfigError):
        resolve_settings(Namespace(), env, _write_profile(tmp_path, url, None))
    allowed = resolve_settings(Namespace(), env, _write_profile(tmp_path, url, True))
    assert allowed.allow_insecure and allowed.amika is not None


_HOSTS = st.one_of(
    st.sampled_from(
        [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "127.9.9.9",
            "evil.com",
            "127.0.0.1.evil.com",
            "localhost.evil.com",
            "[::ffff:8.8.8.8]",
            "[::ffff:127.0.0.1]",
            "0",
            "LocalHost",
            "xn--lcalhost-y3a",
            "ⓛocalhost",
            "127.0.0.1%2e",
            "localhost.",
        ]
    ),
    st.text(st.sampled_from(list("127.0x:@[]/\\#?%lochstevi.,;")), min_size=1, max_size=24),
)
_JOINERS = st.sampled_from(["", "@", ":", ":80@", "\\", "/", "#@", "?@", "%40", "\t", "\n", " ", "."])


def _requests_from_accepted_clients(url: str) -> tuple[int, list[str]]:
    """Build both clients for `url` (each may refuse it) and list boxes with each that accepted it: (how many
    accepted and sent a request, the host of every request that went out).

    A client that accepted the URL either sends its one request, or (a spelling httpx itself cannot parse)
    fails with a transport error having sent nothing; anything else fails the test.
    """
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(handler)

    async def probe() -> int:
        sent = 0
        for make in (_amika, _devbox):
            try:
                client = make(url, transport=transport)
            except ValueError:
                continue
            before = len(seen)
            async with client:
                try:
                    if isinstance(client, AmikaClient):
                        assert await client.list_sandboxes() == []
                    else:
                        assert await client.devboxes.list() == []
                except (AmikaTransportError, DevboxTransportError) as exc:
                    assert "InvalidURL" in str(exc) and len(seen) == before, (url, exc)
                else:
                    sent += 1
        return sent

    return asyncio.run(probe()), seen


def _is_loopback(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback


@given(a=_HOSTS, joiner=_JOINERS, b=_HOSTS, port=st.sampled_from(["", ":80", ":65535", ":0x50"]))
@settings(max_examples=50, deadline=None)
def test_an_accepted_plain_http_url_really_goes_to_loopback(a: str, joiner: str, b: str, port: str) -> None:
    """Whatever spelling gets past the check, the host httpx actually connects to must be loopback."""
    url = f"http://{a}{joiner}{b}{port}"
    sent, seen = _requests_from_accepted_clients(url)
    assert len(seen) == sent, (url, seen)  # one request from each client that could send
    assert all(_is_loopback(host) for host in seen), (url, seen)


ODD_LOOPBACK = [f"http://{h}:8080" for h in ("LOCALHOST.", "[::ffff:127.0.0.1]", "[0:0:0:0:0:0:0:1]")]


@pytest.mark.parametrize("url", [*LOOPBACK, *ODD_LOOPBACK])
def test_loopback_spellings_are_accepted_and_connect_to_loopback(url: str) -> None:
    """The property above holds vacuously for a refused URL; these are accepted, so it is really tested."""
    sent, seen = _requests_from_accepted_clients(url)
    assert sent == 2 and len(seen) == 2, (url, seen)
    assert all(_is_loopback(host) for host in seen), (url, seen)


# One rule, every door: the clients and the service config use the same `is_loopback_host`.
AGREED_LOOPBACK = [
    "localhost",
    "LocalHost",
    "localhost.",
    "LOCALHOST.",
    "127.0.0.1",
    "127.200.3.4",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:2]",
]
AGREED_REFUSED = [
    "x.localhost",
    "evil.localhost",
    "localhost..",
    "localhost.evil.com",
    "127.0.0.1.",
    "127.1",
    "[::ffff:8.8.8.8]",
    "[::ffff:10.0.0.1]",
    "[::]",
    "0.0.0.0",
    "[2001:db8::1]",
]


@pytest.mark.parametrize("host", AGREED_LOOPBACK)
def test_the_clients_and_the_config_agree_on_loopback(host: str) -> None:
    from urllib.parse import urlsplit

    from boxdeck.api import is_loopback_host

    url = f"http://{host}:8080"
    assert is_loopback_host(urlsplit(url).hostname)
    settings_from(_flags(url), {})
    for client in (_amika(url), _devbox(url)):
        # An odd spelling is sent to the plain spelling of the same place.
        connect = urlsplit(client.base_url).hostname or ""
        assert connect == "localhost" or ipaddress.ip_address(connect).is_loopback, client.base_url
        assert urlsplit(client.base_url).port == 8080


@pytest.mark.parametrize("host", AGREED_REFUSED)
def test_the_clients_and_the_config_agree_on_what_is_not_loopback(host: str) -> None:
    from urllib.parse import urlsplit

    from boxdeck.api import is_loopback_host

    url = f"http://{host}:8080"
    assert not is_loopback_host(urlsplit(url).hostname)
    with pytest.raises(ValueError):
        _amika(url)
    with pytest.raises(ValueError):
        _devbox(url)
    with pytest.raises(ConfigError):
        settings_from(_flags(url), {})


@pytest.mark.parametrize(
    "host", [None, "", "[", "[]", "::1", "127.0.0.1", "localhost", "ⓛocalhost", "127.0.0.1%2e"]
)
def test_is_loopback_host_on_bare_hosts(host: str | None) -> None:
    from boxdeck.api import is_loopback_host

    expected = host in ("::1", "127.0.0.1", "localhost")
    assert is_loopback_host(host) is expected
