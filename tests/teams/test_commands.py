"""Commands typed in Teams: in the personal chat as they are, in a channel after @Convene; the same grammar,
handlers and permissions as Slack and the console, answered in Teams."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Member
from tests.teams.conftest import ADA, BEA, CAL, WELLBEING, Tenant, personal, shown


async def test_help_in_the_personal_chat_is_answered_there(teams: Tenant) -> None:
    answer = await teams.say(BEA, "help")
    assert answer.conversation == personal(BEA)
    assert "volunteer" in shown(answer)
    assert "group new" not in shown(answer)  # a member sees only what they may do


async def test_groups_profile_and_volunteer(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Wellbeing" kind:task seats:5')
    await teams.say(ADA, "group channel wellbeing", channel=WELLBEING)
    await teams.say(ADA, "call wellbeing")
    groups = await teams.say(BEA, "groups")
    assert "Wellbeing" in shown(groups) and groups.card is not None
    profile = await teams.say(BEA, "profile institution:Leeds stage:early")
    assert "Leeds" in shown(profile)
    offered = await teams.say(BEA, "volunteer wellbeing")
    assert "Thank you" in shown(offered) and "Wellbeing" in shown(offered)
    async with teams.parts.db.read() as session:
        bea = await session.scalar(select(Member).where(Member.user_id == BEA))
    assert bea is not None and (bea.platform, bea.workspace, bea.display_name) == ("teams", teams.tenant, "Bea")
    assert bea.tz == "Europe/London"


async def test_the_time_zone_comes_from_the_teams_client(teams: Tenant) -> None:
    await teams.post(teams.message(CAL, "profile", tz="America/New_York"))
    async with teams.parts.db.read() as session:
        cal = await session.scalar(select(Member).where(Member.user_id == CAL))
    assert cal is not None and cal.tz == "America/New_York"


async def test_a_member_is_refused_an_admin_command(teams: Tenant) -> None:
    answer = await teams.say(BEA, 'group new "Secret" kind:task')
    assert "admin" in shown(answer).lower() or "steering group" in shown(answer).lower()
    async with teams.parts.db.read() as session:
        assert (await session.scalar(select(Member).where(Member.user_id == BEA))) is not None
    listing = await teams.say(BEA, "groups")
    assert "Secret" not in shown(listing)


async def test_the_mention_is_taken_out_in_a_channel(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Wellbeing" kind:community')
    before = len(teams.connector.calls)
    status = await teams.post(teams.message(BEA, "join wellbeing", channel=WELLBEING))
    assert status == 202
    calls = teams.connector.calls[before:]
    # The answer concerns Bea only: it goes to her personal chat (opened for it), with a line in the channel.
    created = [c for c in calls if c.kind == "create"]
    assert len(created) == 1 and created[0].body["members"] == [{"id": "29:1bf-00be"}]
    assert created[0].body["tenantId"] == teams.tenant
    private = [c for c in calls if c.conversation == created[0].conversation and c.kind == "send"]
    assert any("Wellbeing" in shown(c) for c in private)
    in_channel = [c for c in calls if c.conversation and c.conversation.startswith(WELLBEING)]
    assert [shown(c) for c in in_channel] == ["I have answered you in our personal chat."]
    members = await teams.say(ADA, "members wellbeing")
    assert "Bea" in shown(members)


async def test_a_person_mentioned_in_a_command_is_that_person(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Diversity" kind:task seats:4')
    await teams.say(ADA, "group channel diversity", channel=WELLBEING)
    await teams.say(ADA, "call diversity")
    await teams.say(CAL, "volunteer diversity as:chair")
    mention = {"type": "mention", "text": "<at>Cal</at>", "mentioned": {"id": "29:1bf-00ca", "name": "Cal"}}
    activity = teams.message(ADA, "accept <at>Cal</at> diversity as:chair")
    activity["entities"].append(mention)
    before = len(teams.connector.calls)
    assert await teams.post(activity) == 202
    answers = [shown(c) for c in teams.connector.calls[before:] if c.conversation == personal(ADA)]
    assert any("Accepted Cal into Diversity as chair" in a for a in answers), answers


async def test_a_group_made_on_teams_has_no_made_up_channel_until_one_is_given(teams: Tenant) -> None:
    made = await teams.say(ADA, 'group new "Diversity" kind:task')
    assert "#diversity" not in shown(made)
    assert "type `group channel diversity` in the channel that should carry its news" in shown(made)
    refused = await teams.say(ADA, "call diversity")
    assert "has no channel to announce the call in" in shown(refused)
    given = await teams.say(ADA, "group channel diversity", channel=WELLBEING)
    assert "news will be posted here too" in shown(given)
    opened = await teams.say(ADA, "call diversity")
    assert "Opened a call for volunteers for Diversity" in shown(opened)
