"""Installing Convene into a new workspace through Slack's OAuth flow, end to end over real HTTP: the install
page, Slack's authorize URL and its state, the redirect back with the code, the installation kept in Convene's
own database, and then that workspace's slash command answered with the bot token it installed."""

from __future__ import annotations

import asyncio
import html
import re
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import build
from bot.settings import SettingsError
from bot.slack.app import INSTALL_PATH, OAUTH_STATE_SECONDS, REDIRECT_PATH, SCOPES
from bot.web import make_app
from storage.db import Database
from storage.models import bots, installations, oauth_states
from tests.fakes.slack_api import FakeSlack, slack_api  # noqa: F401  (the fixture)
from tests.slack.conftest import Workspace, settings_for, sign, texts

CLIENT_ID = "4071.5082"
pytestmark = pytest.mark.clock  # Convene's app on the wall clock; the OAuth state expires by it
CLIENT_SECRET = "3c0f1f5e9d0a4b7c8e2d6a1b5f9c0e3d"
NEW_TEAM = "T0RIVER"
INSTALLER = "U0RITA"
COOKIE = "slack-app-oauth-state"


@pytest.fixture
async def site(db_url: str, slack_api: FakeSlack) -> AsyncIterator[Workspace]:  # noqa: F811
    """Convene serving with only the OAuth app's credentials: no bot token of its own, so the only tokens it
    can use are those its installations stored."""
    settings = settings_for(
        db_url,
        slack_api,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        convene_admins=f"slack:{NEW_TEAM}:U0STEER",
    )
    parts = await build(settings, {}, migrate=False)
    # No cookie jar: each request below carries exactly the state cookie the test gives it (a browser's).
    client = TestClient(TestServer(make_app(parts), host="127.0.0.1"), cookie_jar=aiohttp.DummyCookieJar())
    try:
        await client.start_server()
        yield Workspace(client, slack_api, parts, team=NEW_TEAM)
    finally:
        await client.close()


async def _redirect(client: TestClient[Any, Any], query: dict[str, str], cookie: str | None) -> aiohttp.ClientResponse:
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
    return await client.get(REDIRECT_PATH, params=query, headers=headers, allow_redirects=False)


async def _rows(db_url: str, table: Any) -> list[Any]:
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            return list((await conn.execute(select(table))).mappings())
    finally:
        await db.dispose()


async def test_a_workspace_installs_convene_and_its_command_is_answered_with_the_stored_token(
    site: Workspace, db_url: str
) -> None:
    ws, api = site, site.api
    async with asyncio.timeout(30):
        token = await _install(ws, db_url)

        # Now the new workspace's slash command is answered, in Block Kit, using the token that was stored.
        before = len(api.calls)
        answer = await ws.command(INSTALLER, "help")
    assert answer["response_type"] == "ephemeral"
    assert "/convene help &lt;command&gt;" in texts(answer["blocks"])
    assert "For the steering group" not in texts(answer["blocks"])
    [asked] = api.attempts("users.info")
    assert asked.args["user"] == INSTALLER and asked.token == token
    made = api.calls[before:]
    assert {c.method for c in made} >= {"auth.test", "users.info"}
    assert all(c.token == token for c in made), [(c.method, c.token) for c in made]
    # And what the outbox sends to that workspace goes with the same stored token.
    slack = ws.parts.slack
    assert slack is not None
    assert (await slack.clients.for_team(NEW_TEAM)).token == token


async def _install(ws: Workspace, db_url: str) -> str:
    """Install Convene in a new workspace through the OAuth flow, checking each step; the stored bot token."""
    client, api = ws.client, ws.api
    api.person(INSTALLER, "Rita")
    api.users[INSTALLER]["team_id"] = NEW_TEAM

    # Before anyone installs it, the new workspace's command gets Bolt's "not installed" (by its response URL),
    # not Convene's help.
    body = ws.command_body(INSTALLER, "help")
    status, text = await ws.post(body, "application/x-www-form-urlencoded", sign(body))
    assert (status, text) == (200, "")
    refused = await api.wait_for_response()
    assert "reinstall this app" in refused["text"] and "blocks" not in refused
    assert api.to("users.info") == []

    # The install page: an "Add to Slack" link to Slack's authorize URL, and the same state in a cookie.
    page = await client.get(INSTALL_PATH, allow_redirects=False)
    assert page.status == 200, await page.text()
    link = re.search(r'<a href="([^"]+)"><img alt="Add to Slack"', await page.text())
    assert link is not None
    authorize = urllib.parse.urlsplit(html.unescape(link.group(1)))
    assert (authorize.scheme, authorize.netloc, authorize.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = urllib.parse.parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(SCOPES)
    state = query["state"][0]
    assert len(state) >= 32
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={state};") and "HttpOnly" in cookie and "Secure" in cookie
    # The state is kept in Convene's database, for about OAUTH_STATE_SECONDS (naive UTC, as slack_sdk compares).
    [issued] = await _rows(db_url, oauth_states)
    assert issued["state"] == state
    left = issued["expire_at"] - datetime.now(UTC).replace(tzinfo=None)
    assert timedelta(seconds=OAUTH_STATE_SECONDS - 60) < left <= timedelta(seconds=OAUTH_STATE_SECONDS)

    # Someone in the new workspace approves; Slack sends their browser back with a code.
    api.grant(
        "code-rita-1", team=NEW_TEAM, team_name="Riverside Libraries", installer=INSTALLER, scope=query["scope"][0]
    )

    # A state Convene never issued is refused, even with a matching cookie; so is the real state from a browser
    # without its cookie. Neither spends the code or the state.
    forged = await _redirect(client, {"code": "code-rita-1", "state": "f" * 36}, "f" * 36)
    assert forged.status == 401, await forged.text()
    elsewhere = await _redirect(client, {"code": "code-rita-1", "state": state}, None)
    assert elsewhere.status == 400, await elsewhere.text()
    assert api.attempts("oauth.v2.access") == []
    assert await _rows(db_url, installations) == [] and await _rows(db_url, bots) == []

    # The real redirect: Convene exchanges the code with its client credentials and stores the installation.
    done = await _redirect(client, {"code": "code-rita-1", "state": state}, state)
    shown = await done.text()
    assert done.status == 200, shown
    assert "Thank you!" in shown and html.escape(f"slack://app?team={NEW_TEAM}&id=A0CONVENE") in shown
    assert done.headers["Set-Cookie"].startswith(f"{COOKIE}=deleted;")
    [exchange] = api.to("oauth.v2.access")
    assert (exchange["code"], exchange["client_id"], exchange["client_secret"]) == (
        "code-rita-1",
        CLIENT_ID,
        CLIENT_SECRET,
    )
    token = api.attempts("auth.test")[-1].token
    assert token is not None and token in api.installed and api.installed[token]["team_id"] == NEW_TEAM

    now = datetime.now(UTC).replace(tzinfo=None)
    [installation] = await _rows(db_url, installations)
    assert {k: installation[k] for k in ("client_id", "app_id", "team_id", "team_name", "user_id")} == {
        "client_id": CLIENT_ID,
        "app_id": "A0CONVENE",
        "team_id": NEW_TEAM,
        "team_name": "Riverside Libraries",
        "user_id": INSTALLER,
    }
    assert installation["bot_token"] == token and installation["token_type"] == "bot"
    assert installation["enterprise_id"] is None and installation["is_enterprise_install"] is False
    assert abs(installation["installed_at"] - now) < timedelta(minutes=1)
    [bot] = await _rows(db_url, bots)
    assert (bot["team_id"], bot["bot_token"], bot["bot_user_id"], bot["bot_id"]) == (
        NEW_TEAM,
        token,
        api.installed[token]["user_id"],
        api.installed[token]["bot_id"],
    )
    assert bot["bot_scopes"].split(",") == list(SCOPES)
    assert await _rows(db_url, oauth_states) == []  # the state is spent

    # The same redirect again (a reload, or a replay) is refused: the state is gone, the code not sent again.
    again = await _redirect(client, {"code": "code-rita-1", "state": state}, state)
    assert again.status == 401
    assert len(api.attempts("oauth.v2.access")) == 1
    return token


async def test_oauth_needs_admins_named_with_their_workspace(db_url: str, slack_api: FakeSlack) -> None:  # noqa: F811
    settings = settings_for(db_url, slack_api, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret="s")
    with pytest.raises(SettingsError, match="slack:U0ADA names no workspace"):
        await build(settings, {}, migrate=False)
