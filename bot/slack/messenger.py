"""Slack's side of the outbox: posts, edits, ephemerals and DMs through the Web API, on one aiohttp session, with
slack_sdk's retry handlers for 429 (after Retry-After) and 5xx. The dispatcher paces what it sends (about one
post a second per channel, and a rate per workspace: scheduler/pacing.py); a 429 that outlasts the retries
goes back to it with Slack's Retry-After."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from handlers.command.messages import Reply
from scheduler.outbox import Delivery, DeliveryError

log = logging.getLogger("convene.slack")
METADATA_EVENT = "convene_outbox"  # the metadata event type of every post, its payload the outbox row's key
HISTORY_PAGES = 5  # pages of 200 messages read back at most, looking for a post interrupted by a crash

# Errors that another attempt will not mend: the outbox gives up on the row at once and says why, in a sentence
# that tells the steering group what to do where there is one ({where}: the channel's or the person's name).
_PRIVATE = "Convene is not in {where}, a private channel: invite @Convene to it (`/invite @Convene` in the channel)."
_FAULT = "Slack refused the message ({what}): this is a fault in Convene, tell its maintainers."
PERMANENT: dict[str, str | None] = {
    "not_in_channel": _PRIVATE,
    "method_not_supported_for_channel_type": _PRIVATE,
    "channel_not_found": "Slack has no channel {where} that Convene can see: if it is private, invite @Convene to it.",
    "is_archived": "{where} is archived: unarchive it in Slack for Convene to post there.",
    "user_not_found": "{where} is not in this Slack workspace any more.",
    "user_disabled": "The Slack account of {where} is deactivated.",
    "cannot_dm_bot": "{where} is a bot: Convene does not write to bots.",
    "missing_scope": "Convene's Slack app lacks a permission it needs: reinstall it from slack/manifest.yaml.",
    "msg_too_long": _FAULT.format(what="too long"),
    "no_text": _FAULT.format(what="no text"),
    "invalid_blocks": _FAULT.format(what="its layout"),
    "invalid_blocks_format": _FAULT.format(what="its layout"),
    "message_not_found": "The message to change in {where} has been deleted.",
    "cant_update_message": "The message to change in {where} can no longer be changed.",
    "edit_window_closed": "The message to change in {where} is too old to be changed.",
    "not_allowed_token_type": None,
    "restricted_action": "The workspace's settings do not let Convene do this in {where}.",
    "team_access_not_granted": "Convene is not allowed into this Slack workspace any more: reinstall it.",
    "name_taken": None,
}


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(
            max_retry_count=2, interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.5)
        ),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
    ]


class Clients:
    """Web API clients, one per workspace, all on one aiohttp session: a single workspace's bot token from
    the settings, or each installed workspace's from the installation store (OAuth)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        token: str | None = None,
        installations: AsyncInstallationStore | None = None,
        token_ttl: float = 300.0,
    ) -> None:
        self.session = session
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.token = token
        self.installations = installations
        self.token_ttl = token_ttl
        self.base = self._client(token)
        self._by_team: dict[str, tuple[float, AsyncWebClient]] = {}

    def _client(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token, base_url=self.base_url, session=self.session, retry_handlers=retry_handlers(), timeout=10
        )

    async def for_team(self, team: str) -> AsyncWebClient:
        if self.installations is None:
            return self.base
        cached = self._by_team.get(team)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise DeliveryError(f"Convene is not installed in the Slack workspace {team}", permanent=True)
        client = self._client(bot.bot_token)
        self._by_team[team] = (time.monotonic() + self.token_ttl, client)
        return client


class SlackMessenger:
    def __init__(
        self,
        clients: Clients,
        *,
        create_channels: bool = True,
        on_direct: Callable[[str, str], None] | None = None,
    ) -> None:
        self.clients = clients
        self.create_channels = create_channels
        self.on_direct = on_direct  # told (workspace, user) after a DM, so their Home can be refreshed
        self._channels: dict[tuple[str, str], str] = {}  # (workspace, "#name") -> channel id
        self._dms: dict[tuple[str, str], str] = {}  # (workspace, "U1,U2") -> DM channel id

    # -- the outbox's Messenger ---------------------------------------------------------------------------

    async def send(self, delivery: Delivery) -> str | None:
        team = delivery.workspace
        client = await self.clients.for_team(team)
        try:
            if delivery.target_kind == "channel":
                channel = await self.channel_id(client, team, delivery.target)
            else:
                channel = await self.dm(client, team, delivery.target)
            if delivery.reply.invite and delivery.target_kind == "channel":
                await self._invite(client, channel, delivery.reply.invite)
            message = blocks.message(delivery.reply, ref=f"row:{delivery.id}")
            response: Any
            if delivery.edit_ref:
                response = await client.chat_update(channel=channel, ts=delivery.edit_ref, **message)
            else:
                arrived = await self._arrived(client, channel, delivery) if delivery.recovering else None
                if arrived is not None:
                    log.info("outbox row %s had arrived before its lease ran out: not sent again", delivery.id)
                    return arrived
                metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": delivery.key}}
                if delivery.reply.files:
                    response = await self._upload(client, channel, delivery)
                else:
                    response = await self._post(client, channel, {**message, "metadata": metadata})
        except SlackApiError as err:
            raise failure(err, delivery) from None
        except SlackRequestError as err:  # the file's bytes were refused by the upload URL
            raise DeliveryError(f"Slack did not take the file: {err}") from None
        except (TimeoutError, aiohttp.ClientError) as err:
            raise DeliveryError(f"Slack could not be reached: {type(err).__name__}: {err}") from None
        if delivery.target_kind != "channel" and self.on_direct is not None:
            for user in delivery.target.split(","):
                self.on_direct(team, user)
        ts = response.get("ts")
        return str(ts) if ts else None

    # -- answers to one person, outside the outbox ----------------------------------------------------------

    async def ephemeral(self, team: str, channel: str, user: str, reply: Reply) -> None:
        client = await self.clients.for_team(team)
        message = blocks.message(reply)
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        except SlackApiError as err:  # not a channel Convene is in: say it in the personal chat instead
            log.info("chat.postEphemeral in %s failed (%s); sending a DM", channel, err.response.get("error"))
            await self.direct(team, user, reply)

    async def direct(self, team: str, user: str, reply: Reply) -> None:
        client = await self.clients.for_team(team)
        channel = await self.dm(client, team, user)
        await self._post(client, channel, blocks.message(reply))

    # -- where to -----------------------------------------------------------------------------------------

    async def channel_id(self, client: AsyncWebClient, team: str, target: str) -> str:
        """A channel id as given, or the id of the channel named `#name`: found, or created if Convene may."""
        if not target.startswith("#"):
            return target
        name = target[1:].lower()
        key = (team, name)
        if key in self._channels:
            return self._channels[key]
        cursor = None
        while True:
            page = await client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
            )
            found: list[dict[str, Any]] = page.get("channels", [])
            for c in found:
                self._channels[(team, str(c["name"]).lower())] = c["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if key in self._channels or not cursor:
                break
        if key in self._channels:
            return self._channels[key]
        if not self.create_channels:
            raise DeliveryError(f"There is no channel #{name}: create it and invite Convene.", permanent=True)
        try:
            created = await client.conversations_create(name=name)
        except SlackApiError as err:
            if err.response.get("error") == "missing_scope":
                raise DeliveryError(
                    f"Convene may not create #{name} (it lacks the channels:manage scope): "
                    "create the channel and invite Convene to it.",
                    permanent=True,
                ) from None
            raise
        channel_id = str(created["channel"]["id"])
        self._channels[key] = channel_id
        log.info("created the channel #%s (%s) in %s", name, channel_id, team)
        return channel_id

    async def dm(self, client: AsyncWebClient, team: str, users: str) -> str:
        key = (team, users)
        if key not in self._dms:
            opened = await client.conversations_open(users=users)
            self._dms[key] = str(opened["channel"]["id"])
        return self._dms[key]

    async def _arrived(self, client: AsyncWebClient, channel: str, delivery: Delivery) -> str | None:
        """The ts of a message carrying this delivery's key in its metadata, posted to the channel since the
        delivery was due (so a post Slack took before a crash, and Convene never recorded, is not made twice);
        None if it is not there. Reads at most `HISTORY_PAGES` pages of the channel's history."""
        oldest = f"{(delivery.since.timestamp() - 60):.6f}" if delivery.since else "0"
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = await client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in page.get("messages") or []:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == (
                    delivery.key
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def _post(self, client: AsyncWebClient, channel: str, message: dict[str, Any]) -> Any:
        """Post; in a public channel Convene is not yet in, join it and post. A private channel cannot be joined
        (Slack says `method_not_supported_for_channel_type`): that error is raised for the outbox to explain."""
        try:
            return await client.chat_postMessage(channel=channel, **message)
        except SlackApiError as err:
            if err.response.get("error") != "not_in_channel":
                raise
            await client.conversations_join(channel=channel)
            return await client.chat_postMessage(channel=channel, **message)

    async def _upload(self, client: AsyncWebClient, channel: str, delivery: Delivery) -> dict[str, Any]:
        """Share the message's files into the channel, the text as the first file's comment: Slack's external
        upload (files.getUploadURLExternal, the bytes to the URL it gives, files.completeUploadExternal), as
        slack_sdk's `files_upload_v2` does it. A file message is not edited later: no ts is kept."""
        text = blocks.message(delivery.reply)["text"]
        for n, file in enumerate(delivery.reply.files):
            await client.files_upload_v2(
                channel=channel,
                content=file.data,
                filename=file.name,
                title=file.title,
                alt_txt=file.alt[:1000] or None,  # Slack's limit for an image's alt text
                initial_comment=text if n == 0 else None,
            )
        return {}

    async def _invite(self, client: AsyncWebClient, channel: str, users: tuple[str, ...]) -> None:
        try:
            await client.conversations_invite(channel=channel, users=",".join(users))
        except SlackApiError as err:
            error = err.response.get("error")
            if error == "not_in_channel":
                await client.conversations_join(channel=channel)
                await client.conversations_invite(channel=channel, users=",".join(users))
            elif error not in ("already_in_channel", "cant_invite_self"):
                log.warning("could not invite %s to %s: %s", ",".join(users), channel, error)


def failure(err: SlackApiError, delivery: Delivery | None = None) -> DeliveryError:
    """What a Web API error means for an outbox row: a 429 waits for Slack's Retry-After and a 5xx is tried again;
    an error another attempt will not mend (`PERMANENT`) fails the row at once, with a sentence saying what the
    steering group can do about it (what `deliveries` shows), and Slack's own error code after it."""
    response = err.response
    error = str(response.get("error") or "error")
    status = getattr(response, "status_code", 200)
    if status == 429:
        headers = getattr(response, "headers", {}) or {}
        retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        if isinstance(retry_after, list):
            retry_after = retry_after[0] if retry_after else None
        return DeliveryError("rate limited by Slack", retry_after=float(retry_after) if retry_after else 30.0)
    if status >= 500:
        return DeliveryError(f"Slack answered {status}")
    sentence = PERMANENT.get(error)
    if sentence is None:
        return DeliveryError(f"Slack said {error}", permanent=error in PERMANENT)
    where = delivery.target_label if delivery is not None else "the conversation"
    needed = f": {response.get('needed')}" if error == "missing_scope" and response.get("needed") else ""
    return DeliveryError(f"{sentence.format(where=where)} (Slack said {error}{needed})", permanent=True)
