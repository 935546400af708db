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
    assert "Say what you'd like to do" in (await chat.say("Bea", '"quoted"')).text
