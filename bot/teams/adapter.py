"""Teams in, Convene's core, Teams out: each activity the Bot Connector posts to /api/messages becomes a neutral
`Request` for `Convene.handle`, and each reply becomes a message (plain text, or an Adaptive Card when it has
sections, buttons or a form: `bot/teams/cards.py`). The agent is the Agents SDK's `ActivityHandler`; the
CloudAdapter runs it, one turn per activity.

- In the personal chat a command is typed as it is (`volunteer wellbeing`); in a channel or a group chat it
  follows `@Convene`, whose mention is taken out before the command is read. Other people mentioned become
  `<@aad-object-id>` words, which the command language reads as people.
- An answer that concerns only the speaker (`Reply.private`) goes to their personal chat with Convene, never
  to a channel (SPEC.md §3); a typed command in a channel gets a line there saying where the answer is.
- Buttons act in place: a press on a card Convene posted on its own (a call for volunteers, with its seats)
  changes that card through the outbox (the core writes the edit, which this adapter has sent at once); a
  press on a command's answer in the personal chat replaces that card with the result and the answer's fresh
  content (`update_activity` on the card's id, the submit's replyToId), as Slack replaces an ephemeral reply.
- Every activity refreshes the conversation's stored reference (and the speaker's personal chat), so that the
  outbox can post there later (`bot/teams/references.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from bot.background import CLOSE_WITHIN, Background
from bot.teams import cards, references
from bot.teams.messenger import TeamsMessenger, as_activity, dump
from handlers.command.dispatch import Convene
from handlers.command.messages import Action, Place, Reply, Request, Speaker, Submission
from handlers.command.outbox import sent_message
from scheduler.outbox import DeliveryError
from storage.db import Database

log = logging.getLogger("convene.teams")

Clock = Callable[[], datetime]
REFRESH_EVERY = 600.0  # seconds a conversation's stored reference is trusted before an activity refreshes it
ANSWERED_ELSEWHERE = "I have answered you in our personal chat."
NO_PERSONAL_CHAT = (
    "I could not answer you in a personal chat: add Convene for yourself in Teams (Apps, then Convene, then "
    "Add) and ask again."
)
WELCOME = "Hello! I am Convene, the staff-development programme's assistant. Type `help` to see what I can do for you."
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"[ \t\u00a0]+")


class TeamsAdapter(ActivityHandler):
    def __init__(self, core: Convene, db: Database, messenger: TeamsMessenger, clock: Clock) -> None:
        self.core = core
        self.db = db
        self.messenger = messenger
        self.clock = clock
        self.background = Background("Teams")  # every task the adapter starts, ended as Convene stops
        # (tenant, conversation, speaker) -> (serviceUrl, when): each person's first message in a conversation is
        # remembered, whoever spoke there before them; after that, at most once every REFRESH_EVERY seconds
        self._fresh: dict[tuple[str, str, str], tuple[str, float]] = {}

    # -- every activity ---------------------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        if not _removal(activity):
            await self._refresh(activity)
        await super().on_turn(turn_context)

    async def _refresh(self, activity: Activity, *, force: bool = False) -> None:
        """Keep the conversation's reference, and the speaker's (personal chat, Bot Framework id), fresh."""
        conversation = activity.conversation
        if conversation is None or not conversation.id or not activity.service_url:
            return
        tenant = tenant_of(activity)
        conversation_id = base_id(conversation.id)
        speaker = activity.from_property.id if activity.from_property is not None else ""
        key = (tenant, conversation_id, speaker or "")
        seen = self._fresh.get(key)
        now = time.monotonic()
        if not force and seen is not None and seen[0] == activity.service_url and now - seen[1] < REFRESH_EVERY:
            return
        kind = kind_of(activity)
        reference = activity.get_conversation_reference()
        reference.conversation = reference.conversation.model_copy(update={"id": conversation_id})
        team, name = _team_and_name(activity)
        stored = dump(reference)
        person = activity.from_property
        async with self.db.write() as session:  # both in one write unit
            await references.remember_conversation(
                self.db,
                tenant=tenant,
                conversation_id=conversation_id,
                kind=kind,
                service_url=activity.service_url,
                reference=stored,
                now=self.clock(),
                team_id=team,
                name=name,
                session=session,
            )
            if person is not None and person.aad_object_id and activity.type in ("message", "installationUpdate"):
                await references.remember_user(
                    self.db,
                    tenant=tenant,
                    user_id=person.aad_object_id,
                    bot_framework_id=person.id,
                    service_url=activity.service_url,
                    conversation_id=conversation_id if kind == "personal" else None,
                    now=self.clock(),
                    session=session,
                )
        self._fresh[key] = (activity.service_url, now)

    # -- installs and removals ----------------------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        bot = activity.recipient.id if activity.recipient else None
        added = [m.id for m in activity.members_added or []]
        if bot and bot in added:
            log.info("Convene was added to the Teams conversation %s", base_id(activity.conversation.id))
            if kind_of(activity) == "personal":
                await turn_context.send_activity(as_activity(Reply(WELCOME)))
        if _removal(activity):
            await self._removed(activity)

    async def on_installation_update(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        if _removal(activity):
            await self._removed(activity)
        elif kind_of(activity) == "personal" and (activity.action or "") == "add":
            await turn_context.send_activity(as_activity(Reply(WELCOME)))
        log.info("Convene's installation in %s: %s", base_id(activity.conversation.id), activity.action)

    async def _removed(self, activity: Activity) -> None:
        tenant = tenant_of(activity)
        team, _ = _team_and_name(activity)
        now = self.clock()
        if team:
            await references.removed_from_team(self.db, tenant, team, now)
        await references.uninstalled(self.db, tenant, [base_id(activity.conversation.id)], now)
        gone = (tenant, base_id(activity.conversation.id))
        for key in [k for k in self._fresh if k[:2] == gone]:
            del self._fresh[key]
        log.info("Convene was removed from the Teams conversation %s", base_id(activity.conversation.id))

    # -- messages: typed commands and card submits --------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        speaker = speaker_of(activity)
        place = Place() if kind_of(activity) == "personal" else Place(base_id(activity.conversation.id), None)
        delivery = delivery_of(activity)
        data = activity.value if isinstance(activity.value, dict) else None
        if data is not None and cards.submitted_command(data) is not None:
            await self._form(turn_context, speaker, place, data, delivery)
            return
        if data is not None and cards.pressed(data) is not None:
            await self._pressed(turn_context, speaker, place, data, delivery)
            return
        text, mentions = await self._typed(activity, speaker.workspace)
        request = Request(speaker, place, self.clock(), text=text, mentions=mentions, forms=True, delivery=delivery)
        reply = await self.core.handle(request)
        if reply.repeat:
            log.info("a Teams activity delivered again: ignored")
            return
        if reply.form is not None:
            message = _form_activity(reply)
        else:
            message = as_activity(reply, origin=reply.again, ref=_ref(reply))
        await self._answer(turn_context, speaker, reply, message, note=True)
        self._after(reply, delivery)

    async def _pressed(
        self, context: TurnContext, speaker: Speaker, place: Place, data: dict[str, Any], delivery: str | None
    ) -> None:
        activity = context.activity
        pressed = cards.pressed(data)
        assert pressed is not None
        action_id, value = pressed
        if action_id == cards.MORE:
            await self._more(context, speaker, value)
            return
        origin = cards.origin_of(data)
        request = Request(speaker, place, self.clock(), action=Action(action_id, value), forms=True, delivery=delivery)
        reply = await self.core.handle(request)
        if reply.repeat:
            return
        card_id = activity.reply_to_id
        if reply.form is not None:
            await self._answer(context, speaker, reply, _form_activity(reply), note=False)
        elif place.personal and origin and card_id:  # a command's answer: replaced by the result and its fresh content
            fresh = await self.core.handle(Request(speaker, Place(), self.clock(), text=origin))
            message = cards.with_notice(reply, cards.message(fresh, origin=fresh.again, ref=_ref(fresh)))
            await self._replace(context, card_id, Activity.model_validate(message))
        else:  # a card posted for everyone: the core's edit changes it; the result is told to the presser
            await self._answer(context, speaker, reply, as_activity(reply), note=False)
        self._after(reply, delivery)

    async def _form(
        self, context: TurnContext, speaker: Speaker, place: Place, data: dict[str, Any], delivery: str | None
    ) -> None:
        """A form card sent back: a problem is shown under its field, on the same card; otherwise the card
        is replaced by the result."""
        command = cards.submitted_command(data) or ""
        found = self.core.registry.get(command)
        form = found.form if found is not None else None
        values = cards.submitted_values(form, data) if form is not None else {}
        request = Request(speaker, place, self.clock(), submitted=Submission(command, values), delivery=delivery)
        reply = await self.core.handle(request)
        if reply.repeat:
            return
        card_id = context.activity.reply_to_id
        if reply.failed and reply.field is not None and form is not None:
            problem = reply.text.split("\n")[0]
            again = cards.form_card(form, command, values, {reply.field: problem})
            message = _card_activity(again, problem)
        else:
            message = as_activity(reply, origin=reply.again, ref=_ref(reply))
        if card_id:
            await self._replace(context, card_id, message)
        else:
            await self._answer(context, speaker, reply, message, note=False)
        self._after(reply, delivery)

    async def _more(self, context: TurnContext, speaker: Speaker, value: str) -> None:
        """The next page of a long message, sent to the person who asked for it."""
        page_text, _, ref = value.partition("|")
        page = int(page_text) if page_text.isdigit() and len(page_text) < 6 else 1
        if ref.startswith("row:"):
            row = int(ref[4:]) if ref[4:].isdigit() and len(ref) < 24 else 0
            sent = await sent_message(
                self.db,
                row,
                platform="teams",
                workspace=speaker.workspace,
                user_id=speaker.user_id,
                message_ref=context.activity.reply_to_id,
            )
            if sent is None:
                log.warning("a More button for a message that is not %s's was refused", speaker.user_id)
                reply = Reply("That message is not one you can page through.")
                await self._answer(context, speaker, reply, as_activity(reply), note=False)
                return
            message = cards.message(sent, page=page, ref=ref)
            await self._answer(context, speaker, sent, Activity.model_validate(message), note=False)
        elif ref.startswith("cmd:"):
            reply = await self.core.handle(Request(speaker, Place(), self.clock(), text=ref[4:]))
            message = cards.message(reply, page=page, origin=reply.again, ref=ref)
            await self._answer(context, speaker, reply, Activity.model_validate(message), note=False)

    # -- answering -------------------------------------------------------------------------------------------

    async def _answer(
        self, context: TurnContext, speaker: Speaker, reply: Reply, message: Activity, *, note: bool
    ) -> None:
        """Answer in this conversation, unless the answer is private and this is not the personal chat: then in
        the personal chat (with a line here saying so, for a typed command)."""
        if kind_of(context.activity) == "personal" or not reply.private:
            await context.send_activity(message)
            return
        try:
            reference = await self.messenger.personal(speaker.workspace, speaker.user_id, speaker.display_name)
            await self.messenger.post(reference, message, edit_id=None)
        except (DeliveryError, aiohttp.ClientError, TimeoutError) as err:
            log.info("a private answer could not reach %s's personal chat: %s", speaker.user_id, err)
            await context.send_activity(as_activity(Reply(NO_PERSONAL_CHAT)))
            return
        if note:
            await context.send_activity(as_activity(Reply(ANSWERED_ELSEWHERE)))

    async def _replace(self, context: TurnContext, card_id: str, message: Activity) -> None:
        message.id = card_id
        try:
            await context.update_activity(message)
        except aiohttp.ClientResponseError as err:  # the card is gone: say it anew
            log.info("the card %s could not be replaced (%s): sent anew", card_id, err.status)
            message.id = None
            await context.send_activity(message)

    async def _typed(self, activity: Activity, tenant: str) -> tuple[str, dict[str, Speaker]]:
        """The command typed: Convene's own mention taken out, other people's mentions as `<@aad-object-id>`
        (with who they are), and whatever Teams marked up as HTML as plain text."""
        text = activity.text or ""
        bot = activity.recipient.id if activity.recipient else None
        found = [m for m in activity.get_mentions() if m.mentioned is not None and m.mentioned.id]
        unknown = [m.mentioned.id for m in found if m.mentioned.id != bot and not m.mentioned.aad_object_id]
        known = await references.bot_framework_ids(self.db, tenant, unknown) if unknown else {}
        mentions: dict[str, Speaker] = {}
        words: list[str] = []
        for m in found:
            shown = m.text or f"<at>{m.mentioned.name or ''}</at>"
            if shown not in text:
                continue
            if m.mentioned.id == bot:
                word = ""
            else:
                aad = m.mentioned.aad_object_id or known.get(m.mentioned.id)
                name = m.mentioned.name or "someone"
                if aad:
                    word = f"<@{aad}>"
                    mentions[aad] = Speaker("teams", tenant, aad, name)
                else:
                    word = "@" + name.replace(" ", "")
            words.append(word)
            text = text.replace(shown, f"\x01{len(words) - 1}\x01", 1)
        text = html.unescape(_TAG.sub("", text))
        text = _SPACES.sub(" ", text.replace("\r", "")).strip()
        text = re.sub("\x01(\\d+)\x01", lambda m: words[int(m.group(1))], text).strip()
        return text, mentions

    def _after(self, reply: Reply, delivery: str | None) -> None:
        """After a change, the outbox sends its messages now; otherwise the delivery is recorded, so that a
        replay of it is refused by any process (a change records it in its own transaction)."""
        if reply.wrote:
            self.background.nudge()
        elif delivery is not None and not reply.repeat:
            self.background.spawn(self.core.remember(delivery, self.clock()))

    # -- background work: the outbox nudged after a change ------------------------------------------------------

    def start(self) -> None:
        self.background.start()

    async def close(self, within: float = CLOSE_WITHIN) -> None:
        await self.background.close(within)


async def turn_error(context: TurnContext, error: Exception) -> None:
    """What the CloudAdapter does with an error in a turn: logged once with a reference the person is shown
    (never the error itself)."""
    ref = secrets.token_hex(4)
    if isinstance(error, aiohttp.ClientError | TimeoutError):  # Teams' service: unreachable, or refusing
        log.warning("a Teams turn could not answer (ref %s): %s: %s", ref, type(error).__name__, error)
        return
    log.error("a Teams turn failed (ref %s)", ref, exc_info=error)
    with contextlib.suppress(Exception):
        sorry = Reply(f"Sorry, something went wrong on our side. If it happens again, tell the steering group {ref}.")
        await context.send_activity(as_activity(sorry))


# -- what an activity says --------------------------------------------------------------------------------------


def tenant_of(activity: Activity) -> str:
    """The Microsoft 365 tenant (Convene's workspace for Teams): from channelData, else the conversation."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    found = tenant.get("id") if isinstance(tenant, dict) else None
    if isinstance(found, str) and found:
        return found[:64]
    if activity.conversation is not None and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)[:64]
    return "local"  # the Bot Framework Emulator and the test tool name none


def kind_of(activity: Activity) -> str:
    conversation = activity.conversation
    kind = conversation.conversation_type if conversation is not None else None
    if kind in ("personal", "channel", "groupChat"):
        return str(kind)
    return "groupChat" if conversation is not None and conversation.is_group else "personal"


def base_id(conversation_id: str) -> str:
    """A channel's conversation id without the thread it names (`19:…@thread.tacv2;messageid=…`)."""
    return conversation_id.split(";", 1)[0]


def speaker_of(activity: Activity) -> Speaker:
    person = activity.from_property
    user_id = (person.aad_object_id or person.id) if person is not None else "unknown"
    name = (person.name if person is not None else None) or "Teams user"
    return Speaker("teams", tenant_of(activity), str(user_id)[:64], name, timezone_of(activity))


def timezone_of(activity: Activity) -> str | None:
    """The person's time zone, when the Teams client says it (the clientInfo entity, or localTimezone)."""
    found: Any = None
    for entity in activity.entities or []:
        raw = entity.model_dump() if hasattr(entity, "model_dump") else entity
        if isinstance(raw, dict) and raw.get("type") == "clientInfo":
            found = raw.get("timezone")
    found = found or activity.local_timezone
    if not isinstance(found, str) or not found or len(found) > 64:
        return None
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return found


def delivery_of(activity: Activity) -> str | None:
    """The delivery's name for de-duplication: the activity's id within its conversation and tenant."""
    if not activity.id or activity.conversation is None:
        return None
    raw = f"{tenant_of(activity)}|{base_id(activity.conversation.id)}|{activity.id}"
    return "teams:" + hashlib.sha256(raw.encode()).hexdigest()[:48]


def _team_and_name(activity: Activity) -> tuple[str | None, str | None]:
    data: dict[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team: dict[str, Any] = data["team"] if isinstance(data.get("team"), dict) else {}
    channel: dict[str, Any] = data["channel"] if isinstance(data.get("channel"), dict) else {}
    team_id = team.get("id") if isinstance(team.get("id"), str) else None
    name = channel.get("name") if isinstance(channel.get("name"), str) else None
    if name is None and team_id and base_id(activity.conversation.id) == team_id:
        name = "General"
    return team_id, name


def _removal(activity: Activity) -> bool:
    if activity.type == "installationUpdate":
        return (activity.action or "").startswith("remove")
    if activity.type == "conversationUpdate":
        bot = activity.recipient.id if activity.recipient else None
        return bool(bot) and bot in [m.id for m in activity.members_removed or []]
    return False


def _ref(reply: Reply) -> str | None:
    return f"cmd:{reply.again}" if reply.again else None


def _form_activity(reply: Reply) -> Activity:
    assert reply.form is not None
    return _card_activity(cards.form_card(reply.form, reply.command or ""), reply.form.title)


def _card_activity(content: dict[str, Any], summary: str) -> Activity:
    return Activity.model_validate(
        {"type": "message", "summary": summary[:200], "attachments": [cards.attachment(content)]}
    )
