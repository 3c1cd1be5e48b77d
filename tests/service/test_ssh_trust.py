"""Trusting a ProxyCommand: asked once, remembered per profile in the state dir, pre-set in the config file,
and what `Actions.ssh_command` does with an untrusted one (against the simulator)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from boxdeck.service.access.ssh_trust import ProxyTrust, ProxyTrustRequired, toml_string, trust_file
from boxdeck.service.access.sshcmd import SshCommandError
from boxdeck.service.actions.actions import ActionError
from boxdeck.service.boxes import Backend
from boxdeck.service.configuration.config import DevboxSettings, Service, Settings
from boxdeck.service.configuration.profiles import ConfigFileError, load_profiles, resolve_app_config
from boxdeck.sim import SimServer

PROXY = "devbox-proxy --relay relay.example --devbox d-1 %h %p"


def test_a_yes_is_remembered_per_profile_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "state" / "trusted_proxies.json"
    work = ProxyTrust("work", path=path)
    assert PROXY not in work
    work.trust(PROXY)
    assert PROXY in work
    assert PROXY in ProxyTrust("work", path=path)  # the next run of boxdeck
    assert PROXY not in ProxyTrust("personal", path=path)
    assert PROXY not in ProxyTrust(None, path=path)
    assert PROXY + " " not in ProxyTrust("work", path=path)  # the exact command, nothing like it
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_yes_in_one_boxdeck_is_seen_by_another_running_at_the_same_time(tmp_path: Path) -> None:
    path = tmp_path / "trusted_proxies.json"
    dashboard, cli = ProxyTrust("work", path=path), ProxyTrust("work", path=path)
    dashboard.trust(PROXY)
    assert PROXY in cli


def test_preset_commands_are_trusted_and_memory_only_trust_writes_nothing(tmp_path: Path) -> None:
    trust = ProxyTrust("work", [PROXY])
    assert PROXY in trust and "nc %h %p" not in trust
    trust.trust("nc %h %p")
    assert "nc %h %p" in trust
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_trust_file_others_can_write_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "trusted_proxies.json"
    ProxyTrust("work", path=path).trust(PROXY)
    path.chmod(0o666)
    trust = ProxyTrust("work", path=path)
    assert PROXY not in trust and trust.load_error and "other users" in trust.load_error


def test_an_unreadable_trust_file_trusts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "trusted_proxies.json"
    path.write_text("{not json")
    path.chmod(0o600)
    assert PROXY not in ProxyTrust("work", path=path)


def test_how_to_trust_gives_a_pasteable_config_line(tmp_path: Path) -> None:
    tricky = 'helper --name "a b" --path C:\\relay %h %p'
    message = ProxyTrust("work", config_path=tmp_path / "config.toml").how_to_trust(tricky)
    assert "[profiles.work]" in message and str(tmp_path / "config.toml") in message
    line = next(x.strip() for x in message.splitlines() if x.strip().startswith("trusted_proxy_commands"))
    assert tomllib.loads(line) == {"trusted_proxy_commands": [tricky]}
    assert tomllib.loads(f"x = {toml_string(tricky)}") == {"x": tricky}


# ------------------------------------------------------------------------------------------- the config


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_the_profile_key_is_known_and_reaches_the_service(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", (
        "[profiles.work]\n"
        'sprites_token = { env = "SPR" }\n'
        f'trusted_proxy_commands = ["{PROXY}"]\n'
    ))
    pf = load_profiles(config)
    assert pf.warnings == ()  # not an unknown key
    assert pf.get("work").trusted_proxy_commands == (PROXY,)
    app_config = resolve_app_config(None, {"SPR": "spr_test_0123456789"}, config, "work")
    settings = app_config.settings
    assert settings.profile == "work" and settings.trusted_proxy_commands == (PROXY,)
    assert settings.config_path == config
    service = Service.from_settings(settings, trust_path=tmp_path / "trusted.json")
    assert PROXY in service.proxy_trust and service.proxy_trust.profile == "work"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"nc %h %p"', "expected a list of non-empty strings"),
        ("[1, 2]", "expected a list of non-empty strings"),
        ('[""]', "expected a list of non-empty strings"),
        ('["nc \\u001b[2J %h %p"]', "control or invisible characters"),
        ('["nc \\u202e %h %p"]', "control or invisible characters"),
    ],
)
def test_a_bad_trusted_list_is_an_error(tmp_path: Path, value: str, message: str) -> None:
    config = write(tmp_path / "config.toml", f"[profiles.work]\ntrusted_proxy_commands = {value}\n")
    with pytest.raises(ConfigFileError, match=message):
        load_profiles(config)


# ---------------------------------------------------------------------------------- through the actions


def devbox_service(sim: SimServer, **settings: object) -> Service:
    return Service.from_settings(Settings(
        amika=None, devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token), **settings,
    ))


async def ready_box(service: Service, name: str):
    await service.monitor.poll(Backend.DEVBOX)
    snapshot = service.monitor.snapshot(Backend.DEVBOX)
    assert snapshot is not None
    return next(b for b in snapshot.boxes.values() if b.name == name)


def proxy_of(sim: SimServer, name: str) -> str:
    """Make the devbox `name` answer with a ProxyCommand, as a relayed devbox does; returns it."""
    box = next(d for d in sim.world.devbox.devboxes.values() if d.name == name)
    proxy = f"devbox-proxy --relay proxy.sim.boxdeck.local --devbox {box.id} %h %p"
    sim.answer_ssh("devbox", box.id, proxy_command=proxy)
    return proxy


async def test_an_untrusted_proxy_command_needs_trust_then_connects(sim: SimServer) -> None:
    async with devbox_service(sim, profile="work") as service:
        box = await ready_box(service, "web-preview")
        proxy = proxy_of(sim, "web-preview")
        with pytest.raises(ProxyTrustRequired) as needed:
            await service.actions.ssh_command(box)
        error = needed.value
        assert error.proxy_command == proxy and error.box_key == box.key
        assert "profile 'work' has not trusted it" in str(error) and proxy in str(error)
        with pytest.raises(SshCommandError):
            error.approved()  # no "yes" yet: still nothing to run
        error.trust.trust(proxy)  # what the dashboard does on "yes"
        assert f"ProxyCommand={proxy}" in error.approved().argv
        command = await service.actions.ssh_command(box)  # from now on: no question
        assert f"ProxyCommand={proxy}" in command.argv
        assert proxy in ProxyTrust("work", path=trust_file())  # remembered in the state dir


async def test_a_proxy_command_echoing_a_token_is_shown_masked(sim: SimServer) -> None:
    box_id = next(d.id for d in sim.world.devbox.devboxes.values() if d.name == "scratch")
    echoed = f"relay --auth {sim.sprites_token} %h %p"
    sim.answer_ssh("devbox", box_id, proxy_command=echoed)
    async with devbox_service(sim) as service:
        with pytest.raises(ProxyTrustRequired) as needed:
            await service.actions.ssh_command(await ready_box(service, "scratch"))
        assert needed.value.proxy_command == echoed  # what is trusted is the exact command
        assert sim.sprites_token not in str(needed.value) and sim.sprites_token not in needed.value.shown


async def test_a_refused_devbox_answer_names_the_box(sim: SimServer) -> None:
    box_id = next(d.id for d in sim.world.devbox.devboxes.values() if d.name == "scratch")
    sim.answer_ssh("devbox", box_id, command="rm -rf ~", proxy_command="nc %h %p\nid")
    async with devbox_service(sim) as service:
        with pytest.raises(ActionError) as refused:
            await service.actions.ssh_command(await ready_box(service, "scratch"))
        assert not isinstance(refused.value, ProxyTrustRequired)
        assert str(refused.value).startswith('Refused the SSH access Devbox gave for "scratch"')
        assert "nothing was run" in str(refused.value)
