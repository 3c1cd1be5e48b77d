from types import SimpleNamespace

import pytest

from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import (
    DEFAULT_AMIKA_URL,
    DEFAULT_DEVBOX_URL,
    ConfigError,
    Service,
    Settings,
    settings_from,
)

ENV = {
    "AMIKA_API_URL": "https://env.amika.example",
    "AMIKA_API_KEY": "amk_env_token_0001",
    "DEVBOX_API_URL": "https://env.devbox.example",
    "DEVBOX_SPRITES_TOKEN": "spr_env_token_0001",
    "DEVBOX_USER_TOKEN": "usr_env_token_0001",
}


def test_environment_alone_configures_both_backends():
    s = settings_from(SimpleNamespace(), ENV)
    assert s.amika is not None and s.amika.url == "https://env.amika.example"
    assert s.amika.token == "amk_env_token_0001"
    assert s.devbox is not None and s.devbox.url == "https://env.devbox.example"
    assert (s.devbox.sprites_token, s.devbox.user_token) == ("spr_env_token_0001", "usr_env_token_0001")
    assert not s.read_only


def test_flags_win_over_environment():
    args = SimpleNamespace(amika_url="https://flag.amika.example/", amika_token="amk_flag_token",
                           devbox_url=None, sprites_token="spr_flag_token", user_token=None, read_only=True)
    s = settings_from(args, ENV)
    assert s.amika.url == "https://flag.amika.example"
    assert s.amika.token == "amk_flag_token"
    assert s.devbox.url == "https://env.devbox.example"  # flag not given: env value stays
    assert s.devbox.sprites_token == "spr_flag_token"
    assert s.devbox.user_token == "usr_env_token_0001"
    assert s.read_only


def test_missing_attributes_and_empty_env_values_count_as_unset():
    s = settings_from(object(), {"AMIKA_API_KEY": "", "DEVBOX_SPRITES_TOKEN": "  "})
    assert s.amika is None and s.devbox is None


def test_urls_default_when_only_a_token_is_given():
    s = settings_from(SimpleNamespace(amika_token="amk_x_token", sprites_token="spr_x_token"), {})
    assert s.amika.url == DEFAULT_AMIKA_URL
    assert s.devbox.url == DEFAULT_DEVBOX_URL
    assert s.devbox.user_token is None


def test_a_url_without_a_token_configures_nothing():
    s = settings_from(SimpleNamespace(amika_url="https://a.example", devbox_url="https://d.example"), {})
    assert s.amika is None and s.devbox is None


@pytest.mark.parametrize("url", ["http://amika.example.com", "http://10.0.0.5:8000"])
def test_plain_http_to_a_remote_host_is_refused(url):
    with pytest.raises(ConfigError, match="allow-insecure"):
        settings_from(SimpleNamespace(amika_url=url, amika_token="amk_x_token"), {})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8123", "http://localhost:9", "http://[::1]:80"])
def test_plain_http_to_loopback_is_fine(url):
    s = settings_from(SimpleNamespace(devbox_url=url, sprites_token="spr_x_token"), {})
    assert s.devbox.url == url


def test_allow_insecure_lets_plain_http_through():
    s = settings_from(SimpleNamespace(amika_url="http://amika.lan", amika_token="amk_x_token",
                                      allow_insecure=True), {})
    assert s.amika.url == "http://amika.lan" and s.allow_insecure


@pytest.mark.parametrize("url", ["ftp://x.example", "not a url", "https://user:pw@x.example"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(ConfigError):
        settings_from(SimpleNamespace(amika_url=url, amika_token="amk_x_token"), {})


def test_settings_repr_does_not_show_tokens():
    s = settings_from(SimpleNamespace(), ENV)
    assert "token_0001" not in repr(s)


async def test_service_from_settings_wires_clients_monitor_actions_and_redactor():
    s = settings_from(SimpleNamespace(amika_token="amk_x_token_123", read_only=True), {})
    service = Service.from_settings(s)
    try:
        assert service.monitor.backends == (Backend.AMIKA,)
        assert service.monitor.devbox is None
        assert service.actions.read_only and service.read_only
        assert service.redactor.redact("amk_x_token_123") == "amk…"
        assert service.monitor.redactor is service.redactor
    finally:
        await service.aclose()


async def test_service_with_nothing_configured_has_no_backends():
    service = Service.from_settings(Settings(amika=None, devbox=None))
    assert service.monitor.backends == ()
    await service.aclose()
