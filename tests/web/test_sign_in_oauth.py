"""Sign in with Slack and Discord over HTTP against the local fakes: who is let in, who is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.oauth_providers import FakeOAuth
from tests.web.console import Console, oauth_config, open_console


@pytest.fixture
async def fake() -> AsyncIterator[FakeOAuth]:
    provider = FakeOAuth()
    await provider.start()
    try:
        yield provider
    finally:
        await provider.stop()


@pytest.fixture
async def console(tmp_path: Path, fake: FakeOAuth) -> AsyncIterator[Console]:
    config = oauth_config(fake)
    config["slack"]["admins"] = ["U0WEBUSER1"]
    async with open_console(
        tmp_path,
        **config,
    ) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def _sign_in(http: aiohttp.ClientSession, console: Console, provider: str) -> tuple[int, str]:
    async with http.get(f"{console.url}/signin/{provider}") as answer:  # follows every redirect
        return answer.status, await answer.text()


async def test_slack_sign_in_speaks_openid_connect_and_maps_the_user(
    console: Console, fake: FakeOAuth, http
) -> None:
    status, page = await _sign_in(http, console, "slack")
    assert status == 200 and "Nadia Web (slack)" in page
    (authorize,) = [r for r in fake.requests if r[0] == "authorize"]
    assert authorize[2]["scope"] == "openid profile" and authorize[2]["team"] == "T0TEAM0001"
    assert authorize[2]["redirect_uri"] == f"{console.url}/signin/slack/callback"
    (token,) = [r for r in fake.requests if r[0] == "token"]
    assert token[2]["client_secret"] == fake.slack_client_secret
    # a Slack admin of [slack] admins is an admin on the console too
    assert "Only Wirewatch admins" not in await (await http.get(f"{console.url}/sources")).text()


async def test_a_slack_account_of_another_workspace_is_refused(
    console: Console, fake: FakeOAuth, http
) -> None:
    fake.slack_user.team_id = "T0STRANGER"
    status, page = await _sign_in(http, console, "slack")
    assert status == 403 and "belongs to another workspace" in page
    async with http.get(f"{console.url}/", allow_redirects=False) as answer:
        assert answer.headers["Location"] == "/signin"


async def test_discord_sign_in_needs_membership_of_a_configured_server(
    console: Console, fake: FakeOAuth, http
) -> None:
    fake.discord_user.guilds = ["222222222222222222"]
    status, page = await _sign_in(http, console, "discord")
    assert status == 403 and "not a member of a server where Wirewatch runs" in page

    fake.discord_user.guilds = ["222222222222222222", "111111111111111111"]
    status, page = await _sign_in(http, console, "discord")
    assert status == 200 and "Nadia D. (discord)" in page


async def test_a_discord_user_adds_personal_watches_not_channel_watches(
    console: Console, http
) -> None:
    _, page = await _sign_in(http, console, "discord")
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    async with http.post(
        f"{console.url}/watches", data={"csrf": csrf, "query": "Sahel", "to": "123456789012345678"}
    ) as answer:
        assert answer.status == 400
        assert "You cannot add watches to this channel" in await answer.text()
    async with http.post(f"{console.url}/watches", data={"csrf": csrf, "query": "Sahel"}) as answer:
        assert answer.status == 200
    (watch,) = await console.app.store.list_watches()
    assert watch.destination == "discord:@412345678901234567"


async def test_a_user_sees_and_changes_only_their_own_watches(console: Console, http) -> None:
    theirs = await console.app.store.add_watch("Other desk", "discord:999", owner="discord:1")
    _, page = await _sign_in(http, console, "discord")
    assert "Other desk" not in page
    async with http.get(f"{console.url}/watches/{theirs.id}") as answer:
        assert answer.status == 404
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    async with http.post(f"{console.url}/watches/{theirs.id}/remove", data={"csrf": csrf}) as a:
        assert f"There is no watch #{theirs.id} here" in await a.text()
    assert await console.app.store.get_watch(theirs.id) is not None


async def test_a_callback_with_a_foreign_state_or_a_refusal_signs_nobody_in(
    console: Console, fake: FakeOAuth, http
) -> None:
    async with http.get(f"{console.url}/signin/slack/callback?code=x&state=forged") as answer:
        assert answer.status == 400 and "stale or was not started here" in await answer.text()
    fake.deny = True
    status, page = await _sign_in(http, console, "slack")
    assert status == 400 and "Sign in with Slack was cancelled (access_denied)" in page
    async with http.get(f"{console.url}/", allow_redirects=False) as answer:
        assert answer.status == 303
