"""One community across platforms (issue 13): a group with a channel on each platform posts to both, and takes
volunteers from both into one seat count."""

from sqlalchemy import select

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Reply, Request, Speaker
from scheduler.outbox import Dispatcher
from storage.db import Database
from storage.models import Member
from tests.conftest import START, Chat, Recorder, as_shown

TEAMS_CHANNEL = "19:wellbeing@thread.tacv2"
KIM = Speaker("teams", "tenant-1", "aad-kim", "Kim")
TEAMS_ADA = Speaker("teams", "tenant-1", "aad-ada", "Ada on Teams")


def two_platforms(db: Database) -> Chat:
    """The console stands for Slack; a recorder answers for both platforms."""
    recorder = Recorder()
    config = CoreConfig(admins=frozenset({"console:ada", "teams:tenant-1:aad-ada"}), announce_channel="#announcements")
    chat = Chat(Convene(db, config), Dispatcher(db, {}, lambda: chat.now), recorder)
    chat.dispatcher = Dispatcher(db, {"console": recorder, "teams": recorder}, lambda: chat.now, sealer=config.sealer)
    return chat


async def on_teams(chat: Chat, speaker: Speaker, text: str, channel: str | None = None) -> Reply:
    place = Place(channel, "Wellbeing" if channel else None)
    return as_shown(await chat.core.handle(Request(speaker, place, chat.now, text=text)))


async def test_a_group_on_both_platforms_posts_to_both_and_seats_volunteers_from_both(db: Database) -> None:
    chat = two_platforms(db)
    assert chat.now == START
    await chat.say("Ada", 'group new "Wellbeing" kind:task seats:2')
    made = await on_teams(chat, TEAMS_ADA, "group channel wellbeing", channel=TEAMS_CHANNEL)
    assert "Wellbeing's news will be posted here too" in made.text
    refused = await on_teams(chat, TEAMS_ADA, "group channel wellbeing")
    assert refused.failed and "Type it in the channel" in refused.text

    await chat.say("Ada", "call wellbeing")
    announced = [d for d in await chat.deliver() if d.reply.text.startswith("Call for volunteers")]
    assert sorted((d.platform, d.target) for d in announced) == [
        ("console", "#announcements"),
        ("teams", TEAMS_CHANNEL),
    ]

    assert "Thank you!" in (await on_teams(chat, KIM, "volunteer wellbeing")).text
    await chat.say("Bea", "volunteer wellbeing")
    edits = [d for d in await chat.deliver() if d.edit_ref]
    assert {d.platform for d in edits} == {"console", "teams"}  # both announcements show the new counts
    assert all("Offers so far: 2 as member" in d.reply.text for d in edits[-2:])

    offers = await chat.say("Ada", "volunteers wellbeing")
    accept_kim = next(b for s in offers.sections if s.text.startswith("Kim") for b in s.buttons)
    assert "Accepted Kim into Wellbeing" in (await chat.press("Ada", accept_kim.label, offers)).text
    assert "Accepted Bea into Wellbeing" in (await chat.say("Ada", "accept @bea wellbeing")).text
    assert (
        "no seats left"
        in (await on_teams(chat, Speaker("teams", "tenant-1", "aad-lou", "Lou"), "volunteer wellbeing")).text
    )

    await chat.say("Ada", 'progress wellbeing "Survey sent to every library"')
    posted = [d for d in await chat.deliver() if "Survey sent" in d.reply.text]
    assert sorted((d.platform, d.target) for d in posted) == [("console", "#wellbeing"), ("teams", TEAMS_CHANNEL)]
    page = await on_teams(chat, KIM, "group wellbeing")
    assert "Members: 2 (seats left: 0)" in page.text and "Also posts in: Wellbeing (Microsoft Teams)" in page.text


async def test_a_member_of_an_unjoined_workspace_cannot_be_reached_by_id(db: Database) -> None:
    chat = two_platforms(db)
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    await on_teams(chat, KIM, "help")
    async with db.read() as session:
        kim = await session.scalar(select(Member).where(Member.user_id == "aad-kim"))
    assert kim is not None
    refused = await chat.say("Ada", f"accept <member:{kim.id}> wellbeing")
    assert refused.failed and "not known to Convene in this workspace" in refused.text


async def test_people_on_both_platforms_are_paired_and_each_introduced_on_their_own(db: Database) -> None:
    chat = two_platforms(db)
    await chat.say("Ada", 'group new "Wellbeing" kind:community')
    await on_teams(chat, TEAMS_ADA, "group channel wellbeing", channel=TEAMS_CHANNEL)
    await chat.say("Bea", "pairing on")
    await on_teams(chat, KIM, "pairing on")
    assert "paired all 2 people in 1 pair" in (await chat.say("Ada", "pairing now")).text
    intros = [d for d in await chat.deliver() if "☕ Hello" in d.reply.text]
    assert sorted((d.platform, d.target_kind, d.target) for d in intros) == [
        ("console", "member", "bea"),
        ("teams", "member", "aad-kim"),
    ]
    assert all("Bea and Kim" in d.reply.text or "Kim and Bea" in d.reply.text for d in intros)


async def test_a_moved_channel_says_so_and_edits_go_where_the_post_is(db: Database) -> None:
    chat = two_platforms(db)
    await chat.say("Ada", 'group new "Wellbeing" kind:task seats:3')
    await on_teams(chat, TEAMS_ADA, "group channel wellbeing", channel=TEAMS_CHANNEL)
    await chat.say("Ada", "call wellbeing")
    await chat.deliver()
    moved = await on_teams(chat, TEAMS_ADA, "group channel wellbeing", channel="19:other@thread.tacv2")
    assert f"news on Microsoft Teams moves here from {TEAMS_CHANNEL}; posts made there before stay there" in moved.text
    await on_teams(chat, KIM, "volunteer wellbeing")
    edits = [d for d in await chat.deliver() if d.edit_ref and d.platform == "teams"]
    assert [d.target for d in edits] == [TEAMS_CHANNEL]  # the announcement is edited where it was posted

    offers = await chat.say("Ada", "volunteers wellbeing")
    accept_kim = next(b for s in offers.sections if s.text.startswith("Kim") for b in s.buttons)
    await chat.press("Ada", accept_kim.label, offers)
    (welcome,) = [d for d in await chat.deliver() if d.target == "aad-kim"]
    assert "Its channel is 19:other@thread.tacv2." in welcome.reply.text  # the group's channel on Kim's platform
