"""With SLACK_APP_TOKEN set, Convene takes Slack's requests over Socket Mode: started as `convene serve` starts
it, it opens a connection with the app-level token, answers slash commands on the WebSocket with the same
envelope_id, and what they change is really stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Parts, build
from bot.settings import SettingsError
from bot.slack import app as slack_app
from bot.web import make_app
from scheduler.pacing import Pacer
from storage.models import Group
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import ADMIN, PEOPLE, settings_for, texts

pytestmark = pytest.mark.clock  # Convene's app on the wall clock (bot.app.utc_now)
APP_TOKEN = "xapp-1-A0CONVENE-1234567890-socketmodetoken"
BOT_TOKEN = "xoxb-test-token"  # what settings_for gives


@dataclass
class SocketWorkspace:
    """People in one Slack workspace, reaching Convene over its Socket Mode connection to the fake."""

    client: TestClient[Any, Any]
    api: FakeSlack
    parts: Parts
    team: str = "T0LIBS"
    _n: int = field(default=0)

    async def command(self, user: str, text: str) -> tuple[str, dict[str, Any]]:
        """Push a slash_commands envelope; (its envelope_id, the app's acknowledgement of it)."""
        self._n += 1
        envelope_id = f"env-{self._n}-{user}"
        await self.api.push(
            {
                "envelope_id": envelope_id,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "token": "deprecated-verification-token",
                    "team_id": self.team,
                    "team_domain": "libraries",
                    "channel_id": "C0GENERAL",
                    "channel_name": "general",
                    "user_id": user,
                    "user_name": PEOPLE.get(user, user).lower(),
                    "command": "/convene",
                    "text": text,
                    "api_app_id": "A0CONVENE",
                    "is_enterprise_install": "false",
                    "response_url": self.api.response_url(f"sock{self._n}"),
                    "trigger_id": f"{self._n}.1234567890.socket",
                },
            }
        )
        return envelope_id, await self.api.wait_for_ack(envelope_id, within=5.0)


@pytest.fixture
async def socket_workspace(db_url: str, slack_api: FakeSlack) -> AsyncIterator[SocketWorkspace]:
    for user, name in PEOPLE.items():
        slack_api.person(user, name)
    settings = settings_for(db_url, slack_api, slack_app_token=APP_TOKEN)
    parts = await build(settings, {}, migrate=False)
    parts.dispatcher.pacers["slack"] = Pacer(1000.0, channel_interval=0.0)
    # As `convene serve` runs it (bot/web.py): the web app, whose start-up connects to Slack over Socket Mode.
    client = TestClient(TestServer(make_app(parts), host="127.0.0.1"))
    await client.start_server()
    try:
        yield SocketWorkspace(client, slack_api, parts)
    finally:
        await client.close()  # closes the Socket Mode connection and Convene's parts


async def test_slash_commands_arrive_and_are_answered_over_socket_mode(socket_workspace: SocketWorkspace) -> None:
    ws, api = socket_workspace, socket_workspace.api
    assert ws.parts.slack is not None and ws.parts.slack.socket_mode

    # Connected at start-up, with the app-level token, to the URL apps.connections.open gave.
    socket = await api.wait_for_socket(within=5.0)
    assert not socket.closed
    opened = api.attempts("apps.connections.open")
    assert [c.token for c in opened] == [APP_TOKEN]
    assert len(api.sockets) == 1
    # Over Socket Mode there is no HTTP endpoint for Slack's requests.
    assert (await ws.client.post("/slack/events", data=b"{}")).status == 404

    # help: acknowledged on the socket with the envelope's id, the answer in Block Kit in the acknowledgement.
    envelope_id, ack = await ws.command("U0BEA", "help")
    assert ack["envelope_id"] == envelope_id
    payload = ack["payload"]
    assert payload["response_type"] == "ephemeral"
    assert payload["blocks"] and all("type" in b for b in payload["blocks"])
    shown = texts(payload["blocks"])
    assert "/convene help &lt;command&gt;" in shown
    assert "For the steering group" not in shown  # Bea is not an admin

    # A write from an admin named in CONVENE_ADMINS is acknowledged and really stored.
    envelope_id, ack = await ws.command(ADMIN, 'group new "Socket Group" kind:community')
    assert ack["envelope_id"] == envelope_id
    assert "Created the community of practice Socket Group" in ack["payload"]["text"], ack
    async with ws.parts.db.read() as session:
        stored = (await session.scalars(select(Group).where(Group.name == "Socket Group"))).all()
    assert [(g.slug, g.kind) for g in stored] == [("socket-group", "community")]
    # ... and what it asked of Slack went out through the Web API: the group's channel.
    created = await api.wait_for("conversations.create", lambda a: a.get("name") == "socket-group", within=5.0)
    assert created["name"] == "socket-group"

    # A later read over the socket sees it.
    envelope_id, ack = await ws.command("U0BEA", "groups")
    assert ack["envelope_id"] == envelope_id
    assert "*Socket Group* (`socket-group`)" in texts(ack["payload"]["blocks"])

    # Every envelope was acknowledged exactly once, and nothing but acknowledgements went over the socket.
    assert [m["envelope_id"] for m in api.socket_received] == ["env-1-U0BEA", f"env-2-{ADMIN}", "env-3-U0BEA"]
    # The Web API calls other than apps.connections.open carried the bot token, never the app-level token.
    others = [c for c in api.calls if c.method != "apps.connections.open"]
    assert others and all(c.token == BOT_TOKEN for c in others)


async def test_an_app_token_slack_refuses_stops_start_up_with_its_name(
    db_url: str, slack_api: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_app, "SOCKET_CONNECT_WITHIN", 1.0)
    slack_api.handlers["apps.connections.open"] = lambda args: {"ok": False, "error": "invalid_auth"}
    parts = await build(settings_for(db_url, slack_api, slack_app_token=APP_TOKEN), {}, migrate=False)
    server = TestServer(make_app(parts), host="127.0.0.1")
    try:
        with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
            await asyncio.wait_for(server.start_server(), 10)
    finally:
        await server.close()
        await parts.close()
    assert [c.method for c in slack_api.calls].count("apps.connections.open") >= 1
