"""Every Slack listener, in one table. Each translates, delegates to the adapter, and says nothing of its own."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.adapter import Ack, SlackAdapter
from bot.slack.blocks import FORM_CALLBACK

ANY_ACTION = re.compile(r".+")


def register(app: AsyncApp, slack: SlackAdapter, command: str) -> None:
    """Add Convene's listeners to the Bolt app. `context["delivery"]` names the delivery (the adapter's
    `first_time` middleware sets it), so that a repeat does nothing twice."""

    async def on_command(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> BoltResponse | None:
        return await slack.command(body, client, ack, context.get("delivery"))  # Bolt sends what is returned

    async def on_action(ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await slack.press(body, client, ack, context.get("delivery"))

    async def on_submit(ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await slack.submit(body, client, ack, context.get("delivery"))

    async def on_home(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await slack.home_opened(event, body, client, context.get("delivery"))

    async def on_account(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        await slack.account_event(event, body, context.get("delivery"))

    app.command(command)(on_command)
    app.action(ANY_ACTION)(on_action)
    app.view(FORM_CALLBACK)(on_submit)
    app.event("app_home_opened")(on_home)
    app.event("user_change")(on_account)
    app.event("team_join")(on_account)
