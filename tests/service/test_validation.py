"""Sandbox names are checked before anything is sent: the wire reference's rules, permissively."""

import json

import httpx
import pytest

from boxdeck.service.actions.actions import ActionError, Actions
from boxdeck.service.actions.validation import (
    MAX_SANDBOX_NAME,
    RepoUrlError,
    SandboxNameError,
    validate_repo_url,
    validate_sandbox_name,
)
from boxdeck.service.boxes import Backend
from support.service_fakes import FakeApis, sandbox


@pytest.mark.parametrize(
    "name",
    ["dev", "teal-tokyo", "acme/platform", "dylan/release-test", "release-test.v2", "a", "x" * 40,
     "under_score", "org/team/proj", ".hidden", "café-1", "v1..2"],
)
def test_names_the_server_takes_are_accepted(name: str) -> None:
    assert validate_sandbox_name(name) == name


def test_surrounding_whitespace_is_dropped_and_blank_means_let_the_server_pick() -> None:
    assert validate_sandbox_name("  dev \n") == "dev"
    assert validate_sandbox_name("") == ""
    assert validate_sandbox_name(" \t ") == ""


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("x" * (MAX_SANDBOX_NAME + 1), "too long"),
        ("x" * 1_000_000, "too long"),
        ("dev\x1b[2J", "control"),
        ("dev\nbox", "control"),
        ("dev\x9bbox", "control"),
        ("dev\x00", "control"),
        ("dev\udcff", "lone surrogate"),
        ("my box", "a space"),
        ("dev#1", '"#"'),
        ("dev\u202e", "U+202E"),
        ("[bold]x", '"["'),
        ("/dev", "start or end"),
        ("dev/", "start or end"),
        ("org//proj", "empty"),
        ("org/../proj", '".."'),
        ("..", '".."'),
        (".", '"."'),
    ],
)
def test_bad_names_are_refused_with_a_reason(name: str, why: str) -> None:
    with pytest.raises(SandboxNameError) as info:
        validate_sandbox_name(name)
    message = str(info.value)
    assert why in message
    assert len(message) < 200
    assert message.isprintable()


def test_a_non_string_name_is_refused() -> None:
    with pytest.raises(SandboxNameError):
        validate_sandbox_name(42)  # type: ignore[arg-type]


@pytest.fixture
async def world():
    apis = FakeApis()
    apis.sandboxes = [sandbox("web-1", "stopped")]
    monitor = apis.monitor()
    await monitor.poll(Backend.AMIKA)
    apis.clear()
    diffs: list = []
    monitor.subscribe(diffs.append)
    yield apis, monitor, Actions(monitor), diffs
    await monitor.aclose()


@pytest.mark.parametrize(
    "name", ["x" * 1_000_000, "dev\x1b]52;c;QUFB\x07", "dev\udcff", "a b", "/root", "a/../b"]
)
async def test_create_sandbox_refuses_a_bad_name_before_sending_anything(world, name: str) -> None:
    apis, monitor, actions, diffs = world
    with pytest.raises(ActionError) as info:
        await actions.create_sandbox(name=name, repo_url="https://github.com/o/r")
    assert str(info.value).startswith("Couldn't create the sandbox: ")
    assert name not in str(info.value) and len(str(info.value)) < 300
    assert apis.requests == [] and diffs == []
    assert set(monitor.snapshot(Backend.AMIKA).boxes) == {"amika:sb_web-1"}


async def test_create_sandbox_sends_the_stripped_name(world) -> None:
    apis, _, actions, _ = world
    await actions.create_sandbox(name="  acme/platform ")
    assert json.loads(apis.requests[0].content) == {"name": "acme/platform"}


async def test_create_sandbox_without_a_name_lets_the_server_pick_one(world) -> None:
    apis, _, actions, _ = world
    created = sandbox("teal-tokyo", "initializing")
    apis.answers["POST /sandboxes"] = lambda r: httpx.Response(201, json=created)
    new = await actions.create_sandbox(name="   ", repo_url="https://github.com/o/r")
    assert json.loads(apis.requests[0].content) == {"repo_url": "https://github.com/o/r"}
    assert new.name == "teal-tokyo"


@pytest.mark.parametrize(
    "url",
    ["https://github.com/acme-labs/platform.git", "https://gitlab.example.com/group/sub/proj",
     "http://git.internal:8080/repo", "ssh://git@github.com/owner/repo.git", "git://example.org/repo",
     "git@github.com:owner/repo.git", "github.com:owner/repo", "  https://github.com/o/r  "],
)
def test_repository_urls_git_clones_are_accepted(url: str) -> None:
    assert validate_repo_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("owner/repo", "give the whole URL"),
        ("platform", "give the whole URL"),
        ("https://github.com", "give the whole URL"),
        ("https:///owner/repo", "give the whole URL"),
        ("ftp://example.org/repo", "not ftp://"),
        ("https://github.com/o/r extra", "one word"),
        ("https://github.com/\u202eo/r", "invisible or control character"),
        ("https://github.com/o/r\u200b", "invisible or control character"),
    ],
)
def test_what_is_not_a_repository_url_is_refused_with_an_example(url: str, why: str) -> None:
    with pytest.raises(RepoUrlError) as refused:
        validate_repo_url(url)
    assert why in str(refused.value)


def test_a_blank_repository_url_means_none() -> None:
    assert validate_repo_url("  ") == ""
