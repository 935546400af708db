from sqlalchemy import update

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from storage.models import Member
from tests.conftest import Chat


async def test_admin_add_and_remove(chat: Chat) -> None:
    assert "Only the steering group" in (await chat.say("Zoe", "group new X kind:task")).text
    added = await chat.say("Ada", "admin add @zoe")
    assert added.text == "Zoe is now in the steering group."
    told = await chat.deliver()
    assert [d.target for d in told] == ["zoe"] and "added you to Convene's steering group" in told[0].reply.text
    assert "Created" in (await chat.say("Zoe", "group new X kind:task")).text
    assert "already in the steering group" in (await chat.say("Ada", "admin add @zoe")).text
    assert "is an admin by configuration" in (await chat.say("Zoe", "admin remove @ada")).text
    assert "is no longer in the steering group" in (await chat.say("Ada", "admin remove @zoe")).text
    assert "is not in the steering group" in (await chat.say("Ada", "admin remove @zoe")).text
    assert "Only the steering group" in (await chat.say("Zoe", "group new Y kind:task")).text


async def test_help_shows_each_person_what_their_roles_allow(chat: Chat) -> None:
    member = await chat.say("Bea", "help")
    assert "`volunteer <group>" in member.text
    assert "milestone add" not in member.text and "group new" not in member.text
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity")
    chair = await chat.say("Bea", "help")
    assert "milestone add" in chair.text and "group new" not in chair.text
    admin = await chat.say("Ada", "help")
    assert "milestone add" in admin.text and "group new" in admin.text and "admin add" in admin.text
    one = await chat.say("Bea", "help volunteer")
    assert one.text.startswith("`volunteer <group> [as:member|chair] [note:…]`") and "Example:" in one.text
    assert "(For the steering group.)" in (await chat.say("Bea", "help group new")).text
    assert "Did you mean `volunteer`" in (await chat.say("Bea", "help volunter")).text


async def test_unknown_command_and_empty_input(chat: Chat) -> None:
    reply = await chat.say("Bea", "volunter diversity")
    assert "I don't know the command “volunter”. Did you mean `volunteer`?" in reply.text
    assert "Type `help`" in reply.text
    assert "For everyone" in (await chat.say("Bea", "   ")).text
    assert "For everyone" in (await chat.say("Bea", 'help ""')).text  # an empty quoted word asks for nothing
    quoted = await chat.say("Bea", '"quoted"')
    assert "A command's name is not quoted, and “quoted” is not a command I know." in quoted.text
    assert "Say what you'd like to do" in quoted.text


async def test_admin_list_shows_the_steering_group_by_name(chat: Chat) -> None:
    await chat.say("Ada", "admin add @zoe")
    await chat.say("Ada", "admin add @yan")
    await chat.say("Zoe", "help")
    reply = await chat.say("Zoe", "admin list")
    assert not reply.failed and not reply.wrote
    assert reply.text == (
        "The steering group (3):\n"
        "• Ada — named in the configuration\n"
        "• yan — added with `admin add`\n"
        "• Zoe — added with `admin add`"
    )
    await chat.say("Ada", "admin remove @yan")
    assert "yan" not in (await chat.say("Ada", "admin list")).text


async def test_admin_list_says_who_is_named_in_configuration_and_has_not_used_convene(chat: Chat) -> None:
    config = CoreConfig(admins=frozenset({"console:ada", "slack:T9:U0BOSS", "console:cy"}))
    core = Convene(chat.core.db, config)
    await chat.say("Ada", "admin add @zoe")
    async with chat.core.db.write() as session:
        await session.execute(update(Member).where(Member.user_id == "zoe").values(deactivated_at=chat.now))
    reply = await core.handle(chat.request("Ada", "admin list"))
    assert reply.text == (
        "The steering group (4):\n"
        "• Ada — named in the configuration\n"
        "• zoe — added with `admin add`; their account is deactivated\n"
        "• `console:cy` — named in the configuration; has not used Convene yet\n"
        "• `slack:T9:U0BOSS` — named in the configuration; has not used Convene yet"
    )
    await core.handle(chat.request("Cy", "help"))
    again = await core.handle(chat.request("Ada", "admin list"))
    assert "• Cy — named in the configuration\n" in again.text and "console:cy" not in again.text


async def test_admin_list_is_for_the_steering_group_and_takes_no_words(chat: Chat) -> None:
    refused = await chat.say("Bea", "admin list")
    assert "Only the steering group" in refused.text and "Ada" not in refused.text
    extra = await chat.say("Ada", "admin list everyone")
    assert "I don't understand “everyone” here." in extra.text and "Usage: `admin list`" in extra.text
    assert "`admin list` — who is in the steering group" in (await chat.say("Ada", "help")).text
