"""Teams' side of the outbox: proactive posts to channels and chats, messages to people in their personal chat
with Convene, and edits of cards already posted, through the Agents SDK (`continue_conversation` on a stored
conversation reference, the connector's create-conversation for a personal chat not yet opened).

The dispatcher paces what it sends (bot/app.py: Teams allows about 7 messages a second to one conversation and
50 a second to one tenant); a 429, 412 or 502/503/504 goes back to it with Teams' Retry-After or a jittered
wait, and an error another attempt will not mend (403: Convene removed or blocked; 404: the conversation is
gone) fails the row at once with a sentence the steering group can act on (`deliveries failed`)."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ChannelId,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants, ClaimsIdentity
from sqlalchemy import select

from bot.teams import cards, references
from handlers.command.messages import Reply, shown
from scheduler.outbox import Delivery, DeliveryError
from storage.db import Database
from storage.models import TeamsConversation

log = logging.getLogger("convene.teams")

AUDIENCE = AuthenticationConstants.AGENTS_SDK_SCOPE  # the Bot Connector's audience for the outbound token
RETRY_STATUSES = (412, 429, 502, 503, 504)
BACKOFF = (5.0, 15.0)  # seconds, jittered, when Teams asks to wait but does not say how long
NO_LONGER_INSTALLED = (
    "Convene is no longer installed in this team or chat, or it was blocked there: {where}. "
    "Add Convene to it again in Teams for it to post there."
)
GONE = "Teams has no conversation {where} any more: it was deleted, or Convene was removed from it."
EDIT_GONE = "The message to change in {where} has been deleted in Teams."
FAULT = "Teams refused the message ({what}): this is a fault in Convene, tell its maintainers."
CREDENTIALS = (
    "Teams refused Convene's credentials: check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID."
)
UNKNOWN_CHANNEL = (
    "Convene does not know the Teams channel {where}: add Convene to its team (or the chat), "
    "or mention @Convene there once."
)
UNKNOWN_TENANT = "Convene has not been installed in this Microsoft 365 organisation ({tenant}) yet."
UNKNOWN_PERSON = (
    "Convene cannot write to {where} in Teams: they need to add Convene for themselves (Apps, then Convene), "
    "or be in a team Convene is in."
)

PLAIN_TEXT = 4000  # characters of a reply without parts sent as plain text; a longer one is a card (it pages)
Clock = Callable[[], datetime]
T = TypeVar("T")


class TeamsMessenger:
    def __init__(
        self,
        cloud: CloudAdapter,
        clients: ChannelServiceClientFactoryBase,
        db: Database,
        clock: Clock,
        *,
        app_id: str | None,
    ) -> None:
        self.cloud = cloud
        self.clients = clients  # what the CloudAdapter makes its connector clients with
        self.db = db
        self.clock = clock
        self.app_id = app_id  # None in development mode: nothing Convene sends carries a token

    # -- the outbox's Messenger ---------------------------------------------------------------------------

    async def send(self, delivery: Delivery) -> str | None:
        """Post, or edit (`edit_ref`), the delivery's message; the Teams activity id of what was posted.

        `members` (a group DM on Slack): a bot cannot start a group chat in Teams, so each member gets the
        message in their own personal chat with Convene. Once one of them has it, the row counts as sent, and
        those who could not be reached are logged rather than retried (a retry would send it twice to the
        others); its reference is the first member's message, and a later edit of it changes that one only."""
        where = delivery.target_label or delivery.target
        ref = f"row:{delivery.id}"
        activity = as_activity(delivery.reply, ref=ref)
        tenant = delivery.workspace
        try:
            if delivery.target_kind == "channel":
                reference = await self._channel(tenant, delivery.target, where)
                return await self.post(reference, activity, edit_id=delivery.edit_ref)
            if delivery.target_kind == "members" and delivery.edit_ref is None:
                return await self._to_each(tenant, delivery.target.split(","), activity, delivery)
            if delivery.target_kind == "members":  # the message it posted first, to the first member
                reference = await self.personal(tenant, delivery.target.split(",")[0], where)
                return await self.post(reference, activity, edit_id=delivery.edit_ref)
            reference = await self.personal(tenant, delivery.target, where)
            return await self.post(reference, activity, edit_id=delivery.edit_ref)
        except aiohttp.ClientResponseError as err:
            person = delivery.target_kind != "channel"
            edit = delivery.edit_ref is not None
            raise await self._failure(err, tenant, delivery.target, where, edit=edit, person=person) from None
        except (TimeoutError, aiohttp.ClientError) as err:
            raise DeliveryError(f"Teams could not be reached: {type(err).__name__}: {err}") from None

    async def _to_each(self, tenant: str, users: list[str], activity: Activity, delivery: Delivery) -> str | None:
        first: str | None = None
        problems: list[DeliveryError] = []
        for user in users:
            try:
                reference = await self.personal(tenant, user, user)
                sent = await self.post(reference, activity.model_copy(deep=True), edit_id=None)
            except DeliveryError as err:
                problems.append(err)
                continue
            except aiohttp.ClientResponseError as err:
                problems.append(await self._failure(err, tenant, user, user, edit=False, person=True))
                continue
            first = first or sent or ""
        if first is None and problems:
            raise problems[0]
        for problem in problems:
            log.warning("outbox row %s: one member of a group message was not reached: %s", delivery.id, problem)
        return first or None

    # -- where to -----------------------------------------------------------------------------------------

    async def _channel(self, tenant: str, target: str, where: str) -> ConversationReference:
        """The reference of a channel or chat, by its Teams id (`19:…`) or by a name Teams gave Convene."""
        known = (
            await references.channel_named(self.db, tenant, target)
            if target.startswith("#")
            else await references.conversation(self.db, tenant, target.split(";")[0])
        )
        if known is not None:
            if not known.installed:
                raise DeliveryError(NO_LONGER_INSTALLED.format(where=where), permanent=True)
            reference = ConversationReference.model_validate(known.reference)
            reference.activity_id = None
            return reference
        if target.startswith("#"):
            raise DeliveryError(UNKNOWN_CHANNEL.format(where=where), permanent=True)
        # A channel of a team Convene is in, that it has not spoken in yet: the team's service can reach it.
        template = await self._any_reference(tenant)
        reference = template.model_copy(deep=True)
        reference.conversation = ConversationAccount(id=target, tenant_id=tenant, conversation_type="channel")
        reference.activity_id = None
        reference.user = None
        return reference

    async def personal(self, tenant: str, user_id: str, where: str) -> ConversationReference:
        """The reference of a person's personal chat with Convene: the one they use, or a new one (the
        connector's create-conversation, with the tenant), which is kept for next time."""
        person = await references.user(self.db, tenant, user_id)
        if person is not None and person.conversation_id:
            known = await references.conversation(self.db, tenant, person.conversation_id)
            if known is not None:
                reference = ConversationReference.model_validate(known.reference)
                reference.activity_id = None
                return reference
        template = await self._any_reference(tenant)
        service_url = person.service_url if person is not None else str(template.service_url)
        member = person.bot_framework_id if person is not None and person.bot_framework_id else user_id
        agent = template.agent or ChannelAccount(id=f"28:{self.app_id or 'convene'}")
        parameters = ConversationParameters.model_validate(
            {
                "isGroup": False,
                "bot": {"id": agent.id, "name": agent.name},
                "members": [{"id": member}],
                "tenantId": tenant,
                "channelData": {"tenant": {"id": tenant}},
            }
        )
        client = await self.clients.create_connector_client(
            None, self._claims(), service_url, AUDIENCE, use_anonymous=self.app_id is None
        )
        try:
            created = await client.conversations.create_conversation(parameters)
        finally:
            await client.close()
        conversation = ConversationAccount(id=created.id, tenant_id=tenant, conversation_type="personal")
        reference = ConversationReference(
            agent=agent,
            user=ChannelAccount(id=member, aad_object_id=user_id),
            conversation=conversation,
            channel_id=template.channel_id or ChannelId(channel="msteams"),
            service_url=created.service_url or service_url,
        )
        now = self.clock()
        stored = dump(reference)
        async with self.db.write() as session:  # both in one write unit
            await references.remember_conversation(
                self.db,
                tenant=tenant,
                conversation_id=created.id,
                kind="personal",
                service_url=str(reference.service_url),
                reference=stored,
                now=now,
                session=session,
            )
            await references.remember_user(
                self.db,
                tenant=tenant,
                user_id=user_id,
                bot_framework_id=member if member != user_id else None,
                service_url=str(reference.service_url),
                conversation_id=created.id,
                now=now,
                session=session,
            )
        return reference

    async def _any_reference(self, tenant: str) -> ConversationReference:
        """A reference from this tenant (its service URL and Convene's bot account), to start from."""
        async with self.db.read() as session:
            row = await session.scalar(
                select(TeamsConversation)
                .where(TeamsConversation.tenant == tenant)
                .order_by(TeamsConversation.installed.desc(), TeamsConversation.updated_at.desc())
                .limit(1)
            )
        if row is None:
            raise DeliveryError(UNKNOWN_TENANT.format(tenant=tenant), permanent=True)
        return ConversationReference.model_validate(row.reference)

    # -- sending ------------------------------------------------------------------------------------------

    async def post(self, reference: ConversationReference, activity: Activity, *, edit_id: str | None) -> str | None:
        """Send `activity` into the referenced conversation (or replace the activity `edit_id` with it), in a
        proactive turn; the id Teams gave the activity."""

        async def send(context: TurnContext) -> str | None:
            context.activity.id = None  # a new message in the conversation, not a reply to the turn's own event
            if edit_id is not None:
                activity.id = edit_id
                await context.update_activity(activity)
                return edit_id
            sent = await context.send_activity(activity)
            return sent.id if sent is not None else None

        return await self.proactive(reference, send)

    async def proactive(self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[T]]) -> T:
        """Run `work` in a proactive turn of the referenced conversation (`continue_conversation`). What it
        raises is raised here (the SDK's turn would otherwise hand it to its error handler)."""
        outcome: dict[str, Any] = {}

        async def callback(context: TurnContext) -> None:
            try:
                outcome["value"] = await work(context)
            except BaseException as err:  # re-raised below, outside the SDK's pipeline
                outcome["error"] = err

        await self.cloud.continue_conversation_with_claims(
            self._claims(), reference.get_continuation_activity(), callback, AUDIENCE
        )
        if "error" in outcome:
            raise outcome["error"]
        if "value" not in outcome:
            raise DeliveryError("Teams' turn ended before the message was sent")
        value: T = outcome["value"]
        return value

    def _claims(self) -> ClaimsIdentity:
        """Convene's identity for a turn it starts: its app id (the SDK fetches a token for it), or nobody's
        in development mode (nothing is fetched, nothing is sent with a token)."""
        if self.app_id is None:
            return ClaimsIdentity()
        return self.cloud.create_claims_identity(self.app_id)

    async def _failure(
        self, err: aiohttp.ClientResponseError, tenant: str, target: str, where: str, *, edit: bool, person: bool
    ) -> DeliveryError:
        """What an error of the Bot Connector means for an outbox row (see the module's docstring)."""
        status = err.status
        if status in RETRY_STATUSES:
            return DeliveryError(f"Teams answered {status}: try again later", retry_after=retry_after(err.headers))
        if status in (403, 404) and person and not edit:
            return DeliveryError(UNKNOWN_PERSON.format(where=where) + f" (Teams answered {status})", permanent=True)
        if status == 403:
            if not target.startswith("#"):
                await references.uninstalled(self.db, tenant, [target.split(";")[0]], self.clock())
            return DeliveryError(
                NO_LONGER_INSTALLED.format(where=where) + f" (Teams answered {status})", permanent=True
            )
        if status == 404:
            sentence = EDIT_GONE if edit else GONE
            return DeliveryError(sentence.format(where=where) + " (Teams answered 404)", permanent=True)
        if status == 401:
            return DeliveryError(CREDENTIALS + " (Teams answered 401)")
        if 400 <= status < 500:
            return DeliveryError(FAULT.format(what=f"{status}: {_short(err.message)}"), permanent=True)
        return DeliveryError(f"Teams answered {status}")


def as_activity(reply: Reply, *, page: int = 1, origin: str | None = None, ref: str | None = None) -> Activity:
    """A reply as a Teams message: an Adaptive Card when it has sections, buttons, a menu or an image (or is
    long: a card pages), else plain text, shown as typed (no Markdown, no mention, no hidden link); the files it
    carries (a chart) as attachments after it."""
    if reply.sections or reply.all_buttons() or reply.select or reply.image or len(reply.text) > PLAIN_TEXT:
        message = cards.message(reply, page=page, origin=origin, ref=ref)
    else:
        message = {"type": "message", "text": shown(reply.text), "textFormat": "plain"}
    # images inline, as Teams shows a bot's picture: a data URI within the message's size limit. Other files (a
    # calendar file) are not sent: a bot can offer a file in Teams only through the file consent flow and
    # OneDrive; their messages say where the file is served (`convene serve`'s calendar links) instead.
    images = [cards.inline_file(f) for f in reply.files if f.mime.startswith("image/")]
    if images:
        message["attachments"] = [*message.get("attachments", ()), *images]
    return Activity.model_validate(message)


def retry_after(headers: Any) -> float:
    """Teams' Retry-After in seconds when it gives one (a number of seconds), else a jittered wait."""
    given = (headers or {}).get("Retry-After") if headers is not None else None
    try:
        seconds = float(given) if given is not None else None
    except ValueError:
        seconds = None
    if seconds is not None and 0 <= seconds <= 3600:
        return seconds
    return random.uniform(*BACKOFF)


def dump(reference: ConversationReference) -> dict[str, Any]:
    """A conversation reference as JSON, as the teams_conversations table keeps it."""
    found: dict[str, Any] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    found.pop("activityId", None)
    found.pop("requestId", None)
    return found


def _short(message: str | None) -> str:
    return (message or "").replace("\n", " ")[:160]
