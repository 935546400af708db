"""Every admin and chair command, typed by a member, is refused, names who may use it, and changes nothing."""

import pytest
from sqlalchemy import func, select

from handlers.command.dispatch import REGISTRY
from storage.models import Base
from tests.conftest import Chat

GUARDED = sorted((c for c in REGISTRY if c.role != "all"), key=lambda c: c.name)


async def snapshot(chat: Chat) -> dict[str, int]:
    async with chat.core.db.read() as session:
        return {
            t.name: await session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
        }


async def setup(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Alice", "volunteer diversity as:chair")
    await chat.say("Bob", "suggest Tea")
    await chat.say("Ada", "admin add @alice")
    await chat.say("Ada", "admin remove @alice")


def test_every_guarded_command_has_an_example() -> None:
    foundation = {
        "admin add",
        "admin remove",
        "group new",
        "group close",
        "call",
        "volunteers",
        "accept",
        "decline",
        "milestone add",
        "milestone done",
        "casestudy",
        "progress",
        "suggestions",
        "suggestion",
    }
    assert foundation <= {c.name for c in GUARDED}
    assert all(c.examples for c in GUARDED)


@pytest.mark.parametrize("cmd", GUARDED, ids=lambda c: c.name)
async def test_a_member_is_refused(chat: Chat, cmd) -> None:  # type: ignore[no-untyped-def]
    await setup(chat)
    before = await snapshot(chat)
    reply = await chat.say("Mallory", cmd.examples[0])
    if cmd.role == "admin":
        assert f"Only the steering group (Convene's admins) can use `{cmd.name}`." in reply.text
    else:
        assert f"can use `{cmd.name}` for it" in reply.text and "Only the chairs of" in reply.text
    assert f"Usage: `{cmd.usage}`" in reply.text
    assert reply.private
    after = await snapshot(chat)
    before["members"] += 1  # Mallory, created on first use
    assert after == before


async def test_a_chair_may_act_only_for_their_own_group(chat: Chat) -> None:
    await setup(chat)
    await chat.say("Ada", "accept @alice diversity")
    assert "Added milestone 1" in (await chat.say("Alice", 'milestone add diversity "Plan" due:2027-02-01')).text
    refused = await chat.say("Alice", 'milestone add wellbeing "Plan" due:2027-02-01')
    assert "Only the chairs of Wellbeing (and the steering group) can use `milestone add` for it." in refused.text
    assert "Offers to serve on Diversity" in (await chat.say("Alice", "volunteers diversity")).text
    # a chair sees the offers but cannot decide them: no Accept buttons, and accept is refused
    assert "Only the steering group" in (await chat.say("Alice", "accept @bob diversity")).text
