"""The Devbox account: SSH key (validated before sending), GitHub connect flow, repos, orgs and org grants."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from boxdeck.api import DevboxClient
from boxdeck.service.actions.account import (
    DEFAULT_RETURN_URL,
    DEVBOX_NOT_CONFIGURED,
    USER_TOKEN_REQUIRED,
    Account,
    AccountError,
)
from boxdeck.service.actions.actions import ActionError

BASE = "http://127.0.0.1:9"
V1 = "/api/v1"


def _ed25519(comment: str = "me@laptop") -> str:
    def s(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    blob = s(b"ssh-ed25519") + s(bytes(range(32)))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


KEY = _ed25519()


class Recorder:
    def __init__(
        self, routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response] | httpx.Response]
    ):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.raw_path.decode()))
        if answer is None:
            return httpx.Response(404, json={"detail": "Not Found"})
        return answer(request) if callable(answer) else answer

    def client(self, user_token: str | None = "usr_test_0123456789") -> DevboxClient:
        return DevboxClient(
            BASE,
            sprites_token="spr_test_0123456789",
            user_token=user_token,
            transport=httpx.MockTransport(self),
        )


CONNECTED = {"github_login": "octocat", "github_user_id": 1, "connected_at": "2026-01-01T00:00:00Z"}


# ------------------------------------------------------------------------------------------- user token


async def test_without_a_user_token_nothing_is_sent() -> None:
    rec = Recorder({})
    account = Account(rec.client(user_token=None), has_user_token=False)
    assert not account.available and account.unavailable_reason == USER_TOKEN_REQUIRED
    calls = [
        account.profile(),
        account.set_ssh_key(KEY),
        account.delete_ssh_key(),
        account.connection(),
        account.start_connect(),
        account.disconnect(),
        account.repos(),
        account.orgs(),
        account.save_org_grants(["acme"]),
    ]
    for call in calls:
        with pytest.raises(AccountError) as info:
            await call
        assert str(info.value) == USER_TOKEN_REQUIRED and info.value.reason == "user-token"
    assert rec.requests == []
    assert "--user-token-file or DEVBOX_USER_TOKEN" in USER_TOKEN_REQUIRED


async def test_without_devbox_configured() -> None:
    account = Account(None)
    assert not account.available and account.unavailable_reason == DEVBOX_NOT_CONFIGURED
    with pytest.raises(AccountError, match="Devbox API is not configured"):
        await account.profile()


async def test_a_401_is_explained_as_a_missing_user_token() -> None:
    rec = Recorder({("GET", f"{V1}/users/me"): httpx.Response(401, json={"detail": "User token required"})})
    account = Account(rec.client(user_token=None))
    assert account.available and account.unavailable_reason is None
    with pytest.raises(AccountError) as info:
        await account.profile()
    err = info.value
    assert err.status == 401 and err.reason == "user-token" and isinstance(err, ActionError)
    assert (
        str(err)
        == f"Could not load your Devbox profile: HTTP 401: User token required. {USER_TOKEN_REQUIRED}"
    )


# ------------------------------------------------------------------------------------------- SSH key


async def test_set_ssh_key_validates_then_sends_the_normalised_key() -> None:
    rec = Recorder(
        {
            ("PUT", f"{V1}/users/me/ssh-key"): httpx.Response(204),
            ("GET", f"{V1}/users/me"): httpx.Response(200, json={"has_ssh_key": True}),
            ("DELETE", f"{V1}/users/me/ssh-key"): httpx.Response(204),
        }
    )
    account = Account(rec.client(), has_user_token=True)
    sent = await account.set_ssh_key(f"  {KEY}  \n")
    assert sent == KEY
    assert json.loads(rec.requests[0].content) == {"public_key": KEY}
    assert (await account.profile()).has_ssh_key
    await account.delete_ssh_key()
    assert [(r.method, r.url.path) for r in rec.requests] == [
        ("PUT", f"{V1}/users/me/ssh-key"),
        ("GET", f"{V1}/users/me"),
        ("DELETE", f"{V1}/users/me/ssh-key"),
    ]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "Paste an OpenSSH public key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", "private key"),
        ("ssh-ed25519 AAAA!!", "base64"),
        (KEY + "\n" + KEY, "single line"),
    ],
)
async def test_an_invalid_key_sends_nothing(text: str, match: str) -> None:
    rec = Recorder({("PUT", f"{V1}/users/me/ssh-key"): httpx.Response(204)})
    with pytest.raises(AccountError, match=match) as info:
        await Account(rec.client()).set_ssh_key(text)
    assert info.value.reason == "invalid-key"
    assert len(rec.requests) == 0


async def test_server_refusing_the_key_is_explained() -> None:
    rec = Recorder(
        {
            ("PUT", f"{V1}/users/me/ssh-key"): httpx.Response(
                422,
                json={
                    "detail": [
                        {"loc": ["body", "public_key"], "msg": "Invalid OpenSSH public key", "type": "x"}
                    ]
                },
            )
        }
    )
    with pytest.raises(
        AccountError, match="Could not set your SSH key: HTTP 422: Invalid OpenSSH public key"
    ):
        await Account(rec.client()).set_ssh_key(KEY)


# -------------------------------------------------------------------------------------------- GitHub


async def test_connection_none_when_not_connected_and_start_connect() -> None:
    rec = Recorder(
        {
            ("GET", f"{V1}/integrations/github/connection"): httpx.Response(
                404, json={"detail": "not connected"}
            ),
            ("POST", f"{V1}/integrations/github/connect"): httpx.Response(
                200,
                json={
                    "authorize_url": "https://github.example/login/oauth/authorize?state=abc",
                    "state": "abc",
                    "expires_at": "2026-01-01T00:10:00Z",
                },
            ),
        }
    )
    account = Account(rec.client())
    assert await account.connection() is None
    url = await account.start_connect()
    assert url == "https://github.example/login/oauth/authorize?state=abc"
    assert json.loads(rec.requests[1].content) == {"return_url": DEFAULT_RETURN_URL}
    assert account.pending_connect is not None and account.pending_connect.authorize_url == url
    assert account.pending_connect.expires_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "",
        "file:///etc/passwd",
        "https://ok.example/\x1b]52;c;x\x07",
        "https:///nohost",
    ],
)
async def test_start_connect_refuses_unusable_urls(url: str) -> None:
    rec = Recorder(
        {
            ("POST", f"{V1}/integrations/github/connect"): httpx.Response(
                200, json={"authorize_url": url, "state": "s"}
            )
        }
    )
    account = Account(rec.client())
    with pytest.raises(AccountError, match="not a usable http"):
        await account.start_connect("https://me.example/cb")
    assert account.pending_connect is None


async def test_wait_for_connection_polls_until_connected() -> None:
    answers = iter([httpx.Response(404, json={"detail": "no"})] * 2 + [httpx.Response(200, json=CONNECTED)])
    rec = Recorder({("GET", f"{V1}/integrations/github/connection"): lambda r: next(answers)})
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    account = Account(rec.client())
    connection = await account.wait_for_connection(timeout=60, interval=2.5, sleep=sleep)
    assert connection.github_login == "octocat"
    assert slept == [2.5, 2.5] and len(rec.requests) == 3


async def test_wait_for_connection_times_out_in_counted_intervals() -> None:
    rec = Recorder(
        {("GET", f"{V1}/integrations/github/connection"): httpx.Response(404, json={"detail": "no"})}
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    with pytest.raises(AccountError, match="still not connected after 5s") as info:
        await Account(rec.client()).wait_for_connection(timeout=5, interval=2, sleep=sleep)
    assert info.value.reason == "timeout"
    assert slept == [2, 2, 1] and len(rec.requests) == 4
    with pytest.raises(ValueError):
        await Account(rec.client()).wait_for_connection(interval=0, sleep=sleep)


async def test_wait_for_connection_stops_on_an_error() -> None:
    rec = Recorder(
        {("GET", f"{V1}/integrations/github/connection"): httpx.Response(500, json={"detail": "down"})}
    )

    async def sleep(seconds: float) -> None:
        raise AssertionError("must not sleep after an error")

    with pytest.raises(AccountError, match="Could not check the GitHub connection: HTTP 500: down"):
        await Account(rec.client()).wait_for_connection(sleep=sleep)


async def test_repos_orgs_and_grants() -> None:
    rec = Recorder(
        {
            ("GET", f"{V1}/integrations/github/repos"): httpx.Response(
                200,
                json={
                    "data": [
                        {
                            "repo_id": 2,
                            "full_name": "zeta/b",
                            "default_branch": "main",
                            "private": True,
                            "granted": False,
                        },
                        {
                            "repo_id": 1,
                            "full_name": "Alpha/a",
                            "default_branch": "dev",
                            "private": False,
                            "granted": True,
                        },
                    ]
                },
            ),
            ("GET", f"{V1}/integrations/github/orgs"): httpx.Response(
                200,
                json={
                    "data": [
                        {"org_login": "northwind", "granted": False},
                        {"org_login": "acme", "granted": True},
                    ]
                },
            ),
            ("PUT", f"{V1}/integrations/github/org-grants"): lambda r: httpx.Response(
                200, json={"selected_count": len(json.loads(r.content)["org_logins"])}
            ),
            ("DELETE", f"{V1}/integrations/github/connection"): httpx.Response(204),
        }
    )
    account = Account(rec.client())
    assert [r.full_name for r in await account.repos()] == ["Alpha/a", "zeta/b"]
    assert [(o.org_login, o.granted) for o in await account.orgs()] == [("acme", True), ("northwind", False)]
    assert await account.save_org_grants(["acme", " northwind ", "acme"]) == 2
    assert json.loads(rec.requests[-1].content) == {"org_logins": ["acme", "northwind"]}
    assert await account.save_org_grants([]) == 0
    await account.disconnect()
    with pytest.raises(AccountError, match="non-empty"):
        await account.save_org_grants(["ok", ""])
    assert len(rec.requests) == 5


# ----------------------------------------------------------------------------------------- simulator


async def test_sim_ssh_key_set_and_delete(sim: Any, devbox_client: DevboxClient) -> None:
    account = Account(devbox_client, has_user_token=True)
    await account.delete_ssh_key()
    assert not (await account.profile()).has_ssh_key
    with pytest.raises(AccountError, match="private key"):
        await account.set_ssh_key("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----")
    assert not (await account.profile()).has_ssh_key
    await account.set_ssh_key(KEY)
    assert (await account.profile()).has_ssh_key
    await account.delete_ssh_key()
    assert not (await account.profile()).has_ssh_key


async def test_sim_without_user_token_explains_what_to_configure(sim: Any) -> None:
    sim.reset(strict_user_token=True)  # a server that requires the (optional, per the seed) user token
    async with DevboxClient(sim.base_url, sprites_token=sim.sprites_token) as client:
        with pytest.raises(AccountError) as info:
            await Account(client).profile()
    assert info.value.status == 401 and USER_TOKEN_REQUIRED in str(info.value)


async def test_sim_github_connect_flow_and_org_grants(sim: Any, devbox_client: DevboxClient) -> None:
    account = Account(devbox_client, has_user_token=True)
    await account.disconnect()
    assert await account.connection() is None

    url = await account.start_connect()
    assert url.startswith(sim.base_url)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:  # the user finishes in the browser while we poll
            async with httpx.AsyncClient() as browser:
                response = await browser.get(url)
                assert response.status_code < 400

    connection = await account.wait_for_connection(timeout=30, interval=1, sleep=sleep)
    assert connection.github_login and connection.connected_at is not None
    assert len(sleeps) == 2 and account.pending_connect is None

    repos = await account.repos()
    orgs = await account.orgs()
    assert repos and orgs
    logins = [o.org_login for o in orgs]
    assert await account.save_org_grants(logins[:1]) == 1
    granted = {o.org_login: o.granted for o in await account.orgs()}
    assert granted == {login: login == logins[0] for login in logins}
    org_repos = [
        r for r in await account.repos() if "/" in r.full_name and r.full_name.split("/")[0] in granted
    ]
    assert all(r.granted == granted[r.full_name.split("/")[0]] for r in org_repos)

    await account.disconnect()
    assert await account.connection() is None
    with pytest.raises(AccountError) as info:
        await account.repos()
    assert info.value.status == 404
