"""One `convene serve` app with Slack and Microsoft Teams both enabled (SPEC §1, §3; issue 13): one web app serves
Slack's /slack/events (requests signed as Slack signs them, answered through the fake Slack Web API) and Teams'
/api/messages (activities shaped as Teams sends them, answered through the fake Bot Connector).

A task group made on Slack gets a Teams channel too; its call for volunteers is posted on both platforms;
volunteers from both are accepted into one seat count; and a person on both platforms who links their accounts
counts once in a pairing round."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import PIL.Image
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import build
from bot.web import make_app
from handlers.polls import TALLY_EVERY
from scheduler.pacing import Pacer
from storage.models import Member, Membership, PairingOptIn, Rsvp, VolunteerOffer
from tests.fakes.slack_api import FakeSlack, slack_api  # noqa: F401  (the fixture)
from tests.fakes.teams_connector import Call, FakeConnector, connector  # noqa: F401  (the fixture)
from tests.slack import conftest as on_slack
from tests.slack.conftest import ADMIN, Workspace, stopped, texts
from tests.teams import conftest as on_teams
from tests.teams.conftest import (
    ADA,
    CAL,
    TENANT,
    WELLBEING,
    FakeTokens,
    Tenant,
    bot_framework_id,
    button,
    personal,
    shown,
)

pytestmark = pytest.mark.clock  # Convene runs on the wall clock, as with the `workspace` and `teams` fixtures

SLACK_BEA, SLACK_DEE, SLACK_SAM = "U0BEA", "U0DEE", "U0SAM"
TEAMS_SAM = "aad00000-0000-4000-8000-00000000005a"
TEAMS_NAMES = {**on_teams.PEOPLE, TEAMS_SAM: "Sam"}


class Teams(Tenant):
    """The Teams tenant, with Sam (who also uses Slack) among its people."""

    def _person(self, user: str) -> dict[str, Any]:
        return {**super()._person(user), "name": TEAMS_NAMES.get(user, user)}


class Both:
    """One Convene serving a Slack workspace and a Teams tenant on one web app."""

    def __init__(self, slack: Workspace, teams: Teams) -> None:
        self.slack, self.teams = slack, teams

    async def deliver(self) -> None:
        await self.slack.deliver()  # the outbox is one: either platform's helper sends what is due on both
        await self.teams.deliver()


@pytest.fixture
async def both(db_url: str, slack_api: FakeSlack, connector: FakeConnector) -> AsyncIterator[Both]:  # noqa: F811
    """The Slack fixture's settings with Teams enabled beside it (CONVENE_TEAMS=dev) and an admin on each
    platform: Slack's Ada by her Slack user id, Teams' Ada as teams:<tenant>:<AAD object id>."""
    for user, name in {**on_slack.PEOPLE, SLACK_SAM: "Sam"}.items():
        slack_api.person(user, name)
    settings = on_slack.settings_for(
        db_url, slack_api, convene_teams="dev", convene_admins=f"slack:{ADMIN},teams:{TENANT}:{ADA}"
    )
    assert settings.slack_enabled and settings.teams_enabled
    parts = await build(settings, {}, migrate=False, teams_tokens=FakeTokens)
    assert parts.slack is not None and parts.teams is not None
    # Each platform's pace, shortened so the suite stays quick (as each platform's own fixture does).
    parts.dispatcher.pacers["slack"] = Pacer(1000.0, channel_interval=0.0)
    parts.dispatcher.pacers["teams"] = Pacer(1000.0, channel_interval=0.0)
    client: TestClient[Any, Any] = TestClient(TestServer(make_app(parts), host="127.0.0.1"))
    try:
        await client.start_server()
        yield Both(Workspace(client, slack_api, parts), Teams(client, connector, parts))
    finally:
        await stopped(client, parts)


def said(answer: dict[str, Any]) -> str:
    """Everything a slash command's acknowledgement shows."""
    return str(answer.get("text") or "") + "\n" + texts(answer.get("blocks") or [])


def posted(api: FakeSlack, channel: str, words: str) -> list[dict[str, Any]]:
    return [a for a in api.to("chat.postMessage") if a["channel"] == channel and words in (a.get("text") or "")]


def in_conversation(connector: FakeConnector, conversation: str, words: str) -> list[Call]:  # noqa: F811
    return [c for c in connector.to(conversation) if c.kind in ("send", "reply") and words in shown(c)]


def teams_card(connector: FakeConnector, sent: Call) -> str:  # noqa: F811
    """What the card `sent` shows now, after every update of it."""
    now = connector.activities[(WELLBEING, sent.body["id"])]
    return on_teams.card_texts(Call("send", WELLBEING, None, now, None).card)


async def offers(both: Both) -> list[tuple[str, str, str]]:
    async with both.slack.parts.db.read() as session:
        rows = (
            await session.execute(
                select(Member.platform, Member.display_name, VolunteerOffer.status).join(
                    Member, Member.id == VolunteerOffer.member_id
                )
            )
        ).all()
    return sorted((p, n, s) for p, n, s in rows)


async def test_one_group_on_slack_and_teams_one_seat_count_and_one_linked_person(both: Both) -> None:
    slack, teams, api, fake = both.slack, both.teams, both.slack.api, both.teams.connector

    # -- a task group made on Slack, with its Slack channel; a Teams admin gives it a Teams channel ----------
    made = await slack.command(ADMIN, 'group new "Wellbeing" kind:task seats:2')
    assert "Created the task-and-finish group Wellbeing" in said(made) and "2 seats" in said(made)
    await both.deliver()
    assert [a["name"] for a in api.to("conversations.create")] == ["wellbeing"]
    slack_channel = api.channels["wellbeing"]
    assert posted(api, slack_channel, "This is the channel of Wellbeing")

    linked = await teams.say(ADA, "group channel wellbeing", channel=WELLBEING)
    assert "Wellbeing's news will be posted here too" in shown(linked)
    assert linked.conversation is not None and linked.conversation.startswith(WELLBEING)

    # -- the call for volunteers, opened on Slack, is announced on both platforms ----------------------------
    teams_sent = len(fake.calls)
    opened = await slack.command(ADMIN, "call wellbeing", channel=slack_channel, channel_name="wellbeing")
    assert "Opened a call for volunteers for Wellbeing" in said(opened)
    await both.deliver()
    on_slack_call = posted(api, slack_channel, "Call for volunteers")
    assert len(on_slack_call) == 1
    assert [e["text"]["text"] for b in on_slack_call[0]["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "Volunteer as member",
        "Volunteer as chair",
    ]
    on_teams_call = [c for c in fake.calls[teams_sent:] if c.kind == "send" and "Call for volunteers" in shown(c)]
    assert [c.conversation for c in on_teams_call] == [WELLBEING]
    assert on_teams_call[0].status < 300 and "[Volunteer as member]" in shown(on_teams_call[0])
    assert not [c for c in api.to("chat.postMessage") if c["channel"] == WELLBEING]  # each post on its platform
    assert not [c for c in fake.calls if c.conversation == slack_channel]

    # -- a Slack member and a Teams member volunteer (Teams: the button on the channel's announcement) --------
    assert "Thank you!" in said(await slack.command(SLACK_BEA, "volunteer wellbeing"))
    data = button(on_teams_call[0], "Volunteer as member")
    status = await teams.post(teams.submit(CAL, data, on_teams_call[0].body["id"], channel=WELLBEING))
    assert status in (200, 202)
    told = await fake.wait_for(
        lambda c: c.conversation is not None and not c.conversation.startswith(WELLBEING) and "offered" in shown(c)
    )
    assert "You have offered to serve on Wellbeing as member" in shown(told)
    await both.deliver()
    assert await offers(both) == [("slack", "Bea", "offered"), ("teams", "Cal", "offered")]
    # both announcements show the two offers
    slack_ts = next(ts for (ch, ts), m in api.messages.items() if ch == slack_channel and "Call for" in m["text"])
    assert "2 as member" in texts(api.messages[(slack_channel, slack_ts)]["blocks"])
    teams_card = fake.activities[(WELLBEING, on_teams_call[0].body["id"])]
    assert "2 as member" in on_teams.card_texts(Call("send", WELLBEING, None, teams_card, None).card)

    # -- the Slack admin accepts both: Bea by mention, Cal (on Teams) by the Accept button of his offer -----
    accepted = await slack.command(ADMIN, f"accept <@{SLACK_BEA}> wellbeing")
    assert "Accepted Bea into Wellbeing" in said(accepted) and "Seats left: 1" in said(accepted)
    listed = await slack.command(ADMIN, "volunteers wellbeing")
    blocks = listed["blocks"]
    cal_at = next(i for i, b in enumerate(blocks) if b["type"] == "section" and b["text"]["text"].startswith("Cal"))
    actions = next(b for b in blocks[cal_at:] if b["type"] == "actions")
    status, _ = await slack.press(ADMIN, "Accept", [actions], ephemeral=True)
    assert status == 200
    done = await api.wait_for_response(lambda b: "Accepted Cal" in (b.get("text") or ""))
    assert "Accepted Cal into Wellbeing" in done["text"] and "Seats left: 0" in done["text"]
    await both.deliver()
    assert await offers(both) == [("slack", "Bea", "accepted"), ("teams", "Cal", "accepted")]
    # each is told on their own platform: Bea by a Slack DM, Cal in his Teams personal chat
    assert told.conversation is not None  # Cal's personal chat, opened for the answer to his button
    assert [c for c in fake.to(told.conversation) if "Welcome aboard" in shown(c)]
    assert [a for a in api.to("chat.postMessage") if a["channel"] == f"D{SLACK_BEA}" and "Welcome aboard" in a["text"]]

    # one seat count: a third volunteer, from either platform, finds no seats left
    refused = await slack.command(SLACK_DEE, "volunteer wellbeing")
    assert "no seats left" in said(refused)
    assert "no seats left" in shown(await teams.say(TEAMS_SAM, "volunteer wellbeing"))
    group = await slack.command(SLACK_BEA, "group wellbeing")
    assert "Members: 2 (seats left: 0)" in said(group)
    async with slack.parts.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 2

    # -- Sam, on both platforms, opted in to pairing on each, links them; a round counts Sam once ------------
    assert "You're in!" in said(await slack.command(SLACK_SAM, "pairing on"))
    assert "You're in!" in shown(await teams.say(TEAMS_SAM, "pairing on"))
    assert "You're in!" in said(await slack.command(SLACK_BEA, "pairing on"))
    assert "You're in!" in shown(await teams.say(CAL, "pairing on"))
    async with slack.parts.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(PairingOptIn)) == 4
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", said(await slack.command(SLACK_SAM, "link")))
    assert code
    joined = await teams.say(TEAMS_SAM, f"link {code.group(1)}")
    assert "are now one member" in shown(joined), shown(joined)
    async with slack.parts.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(PairingOptIn)) == 3

    before_slack, before_teams = len(api.calls), len(fake.calls)
    round_ = await slack.command(ADMIN, "pairing now")
    assert "paired all 3 people in a trio" in said(round_), said(round_)
    await both.deliver()
    intros_slack = [
        c.args for c in api.calls[before_slack:] if c.method == "chat.postMessage" and "☕" in c.args["text"]
    ]
    intros_teams = [c for c in fake.calls[before_teams:] if c.kind in ("send", "reply") and "☕" in shown(c)]
    # each of the three is introduced once, on one platform: Sam on Slack only
    assert sorted(a["channel"] for a in intros_slack) == [f"D{SLACK_BEA}", f"D{SLACK_SAM}"]
    assert [c.conversation for c in intros_teams] == [personal(CAL)]
    assert all("Sam" in shown(c) and "Bea" in shown(c) for c in intros_teams)
    assert not [c for c in fake.to(personal(TEAMS_SAM)) if "☕" in shown(c)]


async def test_a_teams_member_first_seen_in_a_channel_can_be_mentioned(both: Both) -> None:
    """Someone whose first message is in a channel another person used a moment before is remembered too: their
    Bot Framework id opens their personal chat, and a mention of them is resolved."""
    slack, teams, fake = both.slack, both.teams, both.teams.connector
    assert "Created" in said(await slack.command(ADMIN, 'group new "Wellbeing" kind:task seats:2'))
    assert "news will be posted here too" in shown(await teams.say(ADA, "group channel wellbeing", channel=WELLBEING))
    assert "Opened a call" in said(await slack.command(ADMIN, "call wellbeing"))
    await both.deliver()
    # Cal's first words to Convene, in the group's Teams channel
    assert await teams.post(teams.message(CAL, "volunteer wellbeing", channel=WELLBEING)) in (200, 202)
    await both.deliver()
    mention = {"type": "mention", "text": "<at>Cal</at>", "mentioned": {"id": bot_framework_id(CAL), "name": "Cal"}}
    activity = teams.message(ADA, "accept <at>Cal</at> wellbeing")
    activity["entities"].append(mention)  # as Teams sends a mention: the Bot Framework id, no AAD object id
    before = len(fake.calls)
    assert await teams.post(activity) in (200, 202)
    answers = [shown(c) for c in fake.calls[before:] if c.conversation == personal(ADA)]
    assert any("Accepted Cal into Wellbeing" in a for a in answers), answers
    opened = [c.body["members"] for c in fake.calls if c.kind == "create"]
    assert opened == [[{"id": bot_framework_id(CAL)}]], opened


async def test_a_poll_on_both_platforms_one_tally_and_cards_edited_in_place(both: Both) -> None:
    """A poll made on Slack for a group with a Slack and a Teams channel: its card is posted on both; a vote by
    button from each platform lands in one tally; each card is edited in place (chat.update, update_activity),
    at most once a tick; closing edits both and posts the results on both."""
    slack, teams, api, fake = both.slack, both.teams, both.slack.api, both.teams.connector
    assert "Created" in said(await slack.command(ADMIN, 'group new "Wellbeing" kind:community'))
    assert "news will be posted here too" in shown(await teams.say(ADA, "group channel wellbeing", channel=WELLBEING))
    assert "Welcome to Wellbeing" in said(await slack.command(SLACK_BEA, "join wellbeing"))
    assert "Welcome to Wellbeing" in shown(await teams.say(CAL, "join wellbeing"))
    await both.deliver()
    slack_channel = api.channels["wellbeing"]

    made = await slack.command(ADMIN, 'poll "Which day suits?" "Tuesday" "Thursday" group:wellbeing')
    assert "Posted poll 1 in Wellbeing's channels" in said(made), said(made)
    await both.deliver()
    [on_slack] = posted(api, slack_channel, "Poll 1: Which day suits?")
    [on_teams] = [c for c in fake.calls if c.kind == "send" and "Poll 1: Which day suits?" in shown(c)]
    assert on_teams.conversation == WELLBEING

    slack_ts = next(ts for (ch, ts), m in api.messages.items() if ch == slack_channel and "Poll 1" in m["text"])
    status, _ = await slack.press(
        SLACK_BEA, "1. Tuesday", on_slack["blocks"], channel=slack_channel, message_ts=slack_ts
    )
    assert status == 200
    pressed = teams.submit(CAL, button(on_teams, "2. Thursday"), on_teams.body["id"], channel=WELLBEING)
    assert await teams.post(pressed) in (200, 202)
    told = await fake.wait_for(lambda c: "Your vote on poll 1: Thursday" in shown(c))
    assert told.conversation == personal(CAL)  # the answer to the voter is private
    await both.deliver()  # as the card job, within a second of the votes, queues the cards' edits
    await asyncio.sleep(TALLY_EVERY.total_seconds() + 0.1)  # the edits are due on the next tick
    await both.deliver()
    slack_edits = [a for a in api.to("chat.update") if a["ts"] == slack_ts]
    teams_edits = [c for c in fake.calls if c.kind == "update" and c.activity_id == on_teams.body["id"]]
    assert 1 <= len(slack_edits) <= 2 and 1 <= len(teams_edits) <= 2, (len(slack_edits), len(teams_edits))
    for card in (texts(api.messages[(slack_channel, slack_ts)]["blocks"]), teams_card(fake, on_teams)):
        assert "1. Tuesday" in card and "1 (50%)" in card and "2 votes" in card, card

    closed = await teams.say(ADA, "poll close 1")
    assert "Results of poll 1 (Wellbeing): Which day suits? (closed)" in shown(closed)
    await both.deliver()
    assert posted(api, slack_channel, "Results of poll 1")
    assert in_conversation(fake, WELLBEING, "Results of poll 1")
    assert "(closed)" in texts(api.messages[(slack_channel, slack_ts)]["blocks"])
    assert "(closed)" in teams_card(fake, on_teams) and "[1. Tuesday]" not in teams_card(fake, on_teams)
    # the chart: uploaded into the Slack channel (external upload), an inline image in the Teams channel
    [chart] = api.shared()
    assert chart["channel_id"] == slack_channel and chart["title"] == "Poll 1: Which day suits?", chart
    assert "Chart of poll 1" in chart["initial_comment"] and chart["alt_txt"] == "Tuesday: 1; Thursday: 1"
    assert PIL.Image.open(io.BytesIO(chart["data"])).format == "PNG"
    [teams_chart] = [
        a for c in in_conversation(fake, WELLBEING, "Chart of poll 1") for a in c.body.get("attachments", [])
    ]
    assert teams_chart["contentType"] == "image/png" and teams_chart["name"] == "poll-1.png"
    inline = base64.b64decode(teams_chart["contentUrl"].removeprefix("data:image/png;base64,"))
    assert inline == chart["data"]  # the same chart on both


async def test_an_event_on_both_platforms_one_seat_count_cards_edited_and_the_waitlist_promoted(both: Both) -> None:
    """An event with two seats for a group with a Slack and a Teams channel: its card is posted on both; Going
    pressed on Slack and on Teams fills one count of seats; a third waits; when a seat comes free the first waiting
    gets it and a direct message with the calendar file (uploaded on Slack); both cards are edited in place."""
    slack, teams, api, fake = both.slack, both.teams, both.slack.api, both.teams.connector
    assert "Created" in said(await slack.command(ADMIN, 'group new "Wellbeing" kind:community'))
    assert "news will be posted here too" in shown(await teams.say(ADA, "group channel wellbeing", channel=WELLBEING))
    made = await slack.command(ADMIN, 'event new "Meet-up" when:"2099-03-03 14:00" seats:2 group:wellbeing')
    assert "Posted event 1 in Wellbeing's channels" in said(made), said(made)
    await both.deliver()
    slack_channel = api.channels["wellbeing"]
    [on_slack] = posted(api, slack_channel, "Event 1: Meet-up")
    [on_teams] = [c for c in fake.calls if c.kind == "send" and "Event 1: Meet-up" in shown(c)]
    slack_ts = next(ts for (ch, ts), m in api.messages.items() if ch == slack_channel and "Event 1" in m["text"])
    status, _ = await slack.press(SLACK_BEA, "Going", on_slack["blocks"], channel=slack_channel, message_ts=slack_ts)
    assert status == 200
    pressed = teams.submit(CAL, button(on_teams, "Going"), on_teams.body["id"], channel=WELLBEING)
    assert await teams.post(pressed) in (200, 202)
    await fake.wait_for(lambda c: "You are going to Meet-up" in shown(c))
    waits = await slack.command(SLACK_DEE, "rsvp 1 going")
    assert "Meet-up is full, so you are number 1 on its waitlist" in said(waits), said(waits)
    await both.deliver()
    await asyncio.sleep(TALLY_EVERY.total_seconds() + 0.1)  # the cards' edits are due on the next tick
    await both.deliver()
    for card in (texts(api.messages[(slack_channel, slack_ts)]["blocks"]), teams_card(fake, on_teams)):
        assert "Full: all 2 seats taken, 1 on the waitlist" in card and "Going: Bea, Cal" in card, card
    async with both.slack.parts.db.read() as session:
        held = await session.scalar(select(func.count()).where(Rsvp.answer == "going", Rsvp.position.is_(None)))
    assert held == 2
    assert "Your seat has gone to the next person" in said(await slack.command(SLACK_BEA, "rsvp 1 no"))
    await both.deliver()
    [upload] = api.shared()
    assert upload["channel_id"] == "D" + SLACK_DEE and "A seat came free at Meet-up" in upload["initial_comment"]
    assert upload["filename"] == "event-1.ics" and upload["data"].startswith(b"BEGIN:VCALENDAR")
