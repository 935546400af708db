"""Read replies are reused while none of the tables they were made from has changed, by this process or another."""

import asyncio
from datetime import timedelta

from sqlalchemy import event

from handlers.command.context import CoreConfig, Ctx
from handlers.command.dispatch import Convene
from handlers.command.messages import Reply
from handlers.command.registry import Registry
from storage.db import Database
from tests.conftest import Chat, backend


def count_statements(db: Database) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def test_a_repeated_read_is_answered_without_asking_the_database_again(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Cal", "help")  # known to Convene: a newcomer's first request writes their member row
    first = await chat.say("Bea", "group readers")
    statements = count_statements(chat.core.db)
    again = await chat.say("Cal", "group readers")  # another person: a shared view
    assert again == first
    touched = [s for s in statements if "PRAGMA data_version" not in s]
    if backend() == "sqlite":
        assert touched == []
    else:  # PostgreSQL replicas' commits cannot be seen cheaply, so nothing is reused there
        assert touched


async def test_a_commit_in_this_process_is_seen_by_the_next_read(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    assert "has no members yet" in (await chat.say("Bea", "members readers")).text
    await chat.say("Bea", "join readers")
    assert "1 member" in (await chat.say("Bea", "members readers")).text


async def test_a_commit_by_another_process_is_seen_by_the_next_read(chat: Chat, db_url: str) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    assert "has no members yet" in (await chat.say("Bea", "members readers")).text
    other = Convene(Database(db_url), CoreConfig())  # its own engine and connections, as another process has
    try:
        assert "Welcome to Readers" in (await other.handle(chat.request("Cal", "join readers"))).text
    finally:
        await other.db.dispose()
    assert "• Cal" in (await chat.say("Bea", "members readers")).text


async def test_personal_replies_are_not_shared(chat: Chat) -> None:
    await chat.say("Ada", "help")
    member = await chat.say("Bea", "help")
    assert "group new" not in member.text
    assert "group new" in (await chat.say("Ada", "help")).text


async def test_the_same_read_asked_at_once_is_made_once(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    for who in ("Bea", "Cal", "Dee"):
        await chat.say(who, "help")
    statements = count_statements(chat.core.db)
    replies = await asyncio.gather(*(chat.say(who, "groups") for who in ("Bea", "Cal", "Dee") * 4))
    assert len({r.text for r in replies}) == 1 and "Readers" in replies[0].text
    groups_read = [s for s in statements if "FROM groups" in s and "PRAGMA" not in s]
    if backend() == "sqlite":
        assert len(groups_read) == 1
    else:
        assert len(groups_read) == 12


async def test_the_outbox_sending_does_not_spoil_reused_replies_but_live_views_see_it(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")  # an announcement waits in the outbox
    await chat.say("Bea", "help")
    await chat.say("Cal", "help")
    first = await chat.say("Bea", "groups")
    waiting = await chat.say("Ada", "deliveries")
    statements = count_statements(chat.core.db)
    assert len(await chat.deliver()) == 1  # the dispatcher claims, sends and marks the announcement sent
    sending = len(statements)
    assert await chat.say("Cal", "groups") == first
    touched = [s for s in statements[sending:] if "PRAGMA data_version" not in s]
    assert (touched == []) == (backend() == "sqlite")
    after = await chat.say("Ada", "deliveries")
    assert after.text != waiting.text and "sent" in after.text


async def test_a_change_to_tables_a_reply_did_not_read_leaves_it_reused(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "help")
    first = await chat.say("Bea", "group diversity")
    assert "Members: 0" in first.text
    assert "offered to serve" in (await chat.say("Bea", "volunteer diversity")).text  # offers and the outbox only
    statements = count_statements(chat.core.db)
    again = await chat.say("Bea", "group diversity")
    assert again == first
    touched = [s for s in statements if "PRAGMA data_version" not in s]
    assert (touched == []) == (backend() == "sqlite")
    await chat.say("Ada", "accept @bea diversity")  # a membership: the page read memberships
    assert "Members: 1" in (await chat.say("Bea", "group diversity")).text


async def test_a_reply_that_did_not_read_the_time_is_reused_in_a_later_minute(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Bea", "help")
    first = await chat.say("Bea", "group readers")
    statements = count_statements(chat.core.db)
    chat.now += timedelta(minutes=5)
    assert await chat.say("Bea", "group readers") == first
    touched = [s for s in statements if "PRAGMA data_version" not in s]
    assert (touched == []) == (backend() == "sqlite")


async def test_a_reply_that_read_the_time_holds_only_within_its_minute(chat: Chat) -> None:
    clocked = Registry()

    @clocked.command("clock", usage="clock", summary="the time", writes=False, shared=True)
    async def clock(ctx: Ctx) -> Reply:
        return Reply(f"It is {ctx.now:%H:%M}.")

    core = Convene(chat.core.db, CoreConfig(), registry=clocked)
    first = await core.handle(chat.request("Bea", "clock"))
    assert first.text == "It is 09:30." and await core.handle(chat.request("Bea", "clock")) == first
    chat.now += timedelta(seconds=20)
    assert (await core.handle(chat.request("Bea", "clock"))).text == "It is 09:30."  # the same minute
    chat.now += timedelta(minutes=1)
    assert (await core.handle(chat.request("Bea", "clock"))).text == "It is 09:31."
