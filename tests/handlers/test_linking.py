"""One person on two platforms (issue 13): `link` joins their accounts into one member, counted once."""

import re

from sqlalchemy import func, select

from handlers.command.messages import Place, Reply, Request, Speaker
from storage.models import Member, Membership, PairingOptIn
from tests.conftest import Chat, as_shown

TEAMS = Speaker("teams", "tenant-1", "aad-sam", "Sam Teams")


async def from_teams(chat: Chat, text: str, speaker: Speaker = TEAMS) -> Reply:
    return as_shown(await chat.core.handle(Request(speaker, Place(), chat.now, text=text)))


async def linked(chat: Chat) -> None:
    shown = await chat.say("Sam", "link")
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", shown.text)
    assert code, shown.text
    done = await from_teams(chat, f"link {code.group(1)}")
    assert "are now one member" in done.text, done.text


async def test_two_accounts_linked_are_one_member_for_groups_pairing_and_rights(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Sam", "join makers")
    await chat.say("Ada", "accept @sam makers as:chair")
    await chat.say("Sam", "pairing on")
    await from_teams(chat, "join makers")  # before linking: a second membership of one group
    await from_teams(chat, "join readers")
    await from_teams(chat, "pairing on")
    await linked(chat)
    async with chat.core.db.read() as session:
        sam = await session.scalar(select(Member).where(Member.user_id == "sam"))
        assert sam is not None
        roles = (await session.execute(select(Membership.role).where(Membership.member_id == sam.id))).all()
        optins = await session.scalar(select(func.count()).select_from(PairingOptIn))
    assert sorted(r for (r,) in roles) == ["chair", "member"]  # Makers as chair (the higher role), and Readers
    assert optins == 1
    assert "already a member" in (await from_teams(chat, "join readers")).text  # one member, whichever account
    assert "You are opted in to pairing." in (await from_teams(chat, "pairing status")).text
    await chat.say("Bea", "pairing on")
    await chat.say("Cal", "pairing on")
    assert "paired all 3 people in a trio" in (await chat.say("Ada", "pairing now")).text  # Sam counted once


async def test_an_admin_is_an_admin_from_either_account(chat: Chat) -> None:
    ada_teams = Speaker("teams", "tenant-1", "aad-ada", "Ada Teams")
    assert "Only the steering group" in (await from_teams(chat, 'group new "X" kind:community', ada_teams)).text
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", (await chat.say("Ada", "link")).text)
    assert code
    await from_teams(chat, f"link {code.group(1)}", ada_teams)
    assert (
        "Created the community of practice X"
        in (await from_teams(chat, 'group new "X" kind:community', ada_teams)).text
    )


async def test_a_code_is_used_once_within_ten_minutes_and_never_by_its_own_account(chat: Chat) -> None:
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", (await chat.say("Sam", "link")).text)
    assert code
    assert "this account's own" in (await chat.say("Sam", f"link {code.group(1)}")).text
    chat.advance(minutes=11)
    late = await from_teams(chat, f"link {code.group(1)}")
    assert late.failed and "its ten minutes are over" in late.text
    bad = await from_teams(chat, "link 12345")
    assert bad.failed and "A link code has 9 digits" in bad.text and "Usage: `link" in bad.text
    await linked(chat)
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", (await chat.say("Bea", "link")).text)
    assert code


async def test_unlink_separates_the_accounts_and_says_where_things_stay(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Sam", "join makers")
    await linked(chat)
    assert "Linked already: Microsoft Teams (Sam Teams)" in (await chat.say("Sam", "link")).text
    done = await from_teams(chat, "unlink")
    assert "This account is separate again. Groups, offers and pairing stay with the console (Sam)" in done.text
    assert "not a member" in (await from_teams(chat, "leave makers")).text
    assert "not linked to another" in (await from_teams(chat, "unlink")).text


async def test_a_code_from_the_same_platform_or_to_an_alias_is_refused(chat: Chat) -> None:
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", (await chat.say("Sam", "link")).text)
    assert code
    same = await chat.say("Bea", f"link {code.group(1)}")
    assert same.failed and "another account on the console" in same.text
    await linked(chat)
    code = re.search(r"link (\d{3}-\d{3}-\d{3})", (await chat.say("Dee", "link")).text)
    assert code
    alias = await from_teams(chat, f"link {code.group(1)}")
    assert alias.failed and "linked to the console (Sam) already: `unlink` it first" in alias.text
    spaced = await from_teams(chat, "link " + code.group(1).replace("-", " "))
    assert "unlink` it first" in spaced.text  # spaces between the digits read as the same code
    foreign = await from_teams(chat, "link ٤٨٢-٩١٣-٣٧٥")
    assert foreign.failed and "9 digits 0-9" in foreign.text


async def test_an_offer_to_a_group_the_linked_member_is_in_lapses_and_old_buttons_follow_the_link(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Wellbeing" kind:task seats:5')
    await chat.say("Ada", "call wellbeing")
    await from_teams(chat, "volunteer wellbeing")
    offers = await chat.say("Ada", "volunteers wellbeing")
    old_accept = next(b for s in offers.sections if s.text.startswith("Sam Teams") for b in s.buttons)
    await chat.say("Sam", "volunteer wellbeing as:chair")
    await linked(chat)  # Sam's chair offer is Sam's; the Teams member offer moves over and is withdrawn
    listed = await chat.say("Ada", "volunteers wellbeing")
    assert listed.text.count("• Sam") == 1 and "• Sam — as chair, offered" in listed.text
    accepted = await chat.press("Ada", old_accept.label, offers)  # a button naming the linked account
    assert "Accepted Sam into Wellbeing" in accepted.text, accepted.text
    again = await chat.say("Ada", "accept @sam wellbeing as:chair")
    assert again.failed and "Sam already chairs Wellbeing" in again.text  # accepted as the chair Sam offered
