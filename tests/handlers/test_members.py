from sqlalchemy import update

from storage.models import Membership
from tests.conftest import Chat


async def test_join_leave_members(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community seats:2')
    await chat.say("Ada", 'group new "Diversity" kind:task')
    assert (await chat.say("Bea", "join readers")).text == "Welcome to Readers! Say hello in #readers."
    assert "already a member" in (await chat.say("Bea", "join readers")).text
    await chat.say("Cal", "join readers")
    full = await chat.say("Dee", "join readers")
    assert "Readers is full: all 2 places are taken." in full.text and "Usage: `join <group>`" in full.text
    task = await chat.say("Dee", "join diversity")
    assert "members serve by volunteering" in task.text
    listed = await chat.say("Dee", "members readers")
    assert "Readers, community of practice: 2 members, 0 seats left" in listed.text
    assert "• Bea\n" in listed.text and "not given" not in listed.text  # only what the profile gives
    assert (await chat.say("Bea", "leave readers")).text == "You have left Readers."
    assert "not a member" in (await chat.say("Bea", "leave readers")).text
    assert "Welcome to Readers" in (await chat.say("Dee", "join readers")).text
    assert "has no members yet" in (await chat.say("Dee", "members diversity")).text


async def test_join_button_reaches_the_same_handler(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    directory = await chat.say("Bea", "groups")
    reply = await chat.press("Bea", "Join", directory)
    assert reply.text.startswith("Welcome to Readers!")
    assert "already a member" in (await chat.press("Bea", "Join", directory)).text


async def test_members_show_institution_and_role(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", 'profile institution:"Northgate University Library"')
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity")
    listed = await chat.say("Cal", "members diversity")
    assert "• Bea — Northgate University Library (chair)" in listed.text


async def test_the_steering_group_hears_when_a_group_loses_its_last_chair(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Bea", "join readers")
    await chat.say("Cal", "join readers")
    async with chat.core.db.write() as session:  # Bea and Cal are its facilitators
        await session.execute(update(Membership).values(role="chair"))
    assert "has been told" in (await chat.say("Bea", "leave readers")).text
    assert not [d for d in await chat.deliver() if d.target == "ada"]  # Cal still chairs it
    assert "has been told" in (await chat.say("Cal", "leave readers")).text
    [told] = [d for d in await chat.deliver() if d.target == "ada"]
    text = told.reply.text
    assert "Cal has left Readers, which now has no chair" in text and "`accept <person> readers as:chair`" in text


async def test_someone_removed_from_the_steering_group_is_told(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await chat.say("Bea", "help")
    await chat.say("Ada", "admin add @bea")
    await chat.deliver()
    assert "they have been told" in (await chat.say("Ada", "admin remove @bea")).text
    [told] = await chat.deliver()
    assert told.target == "bea" and "removed you from Convene's steering group" in told.reply.text
