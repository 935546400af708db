"""Every command in the registry, typed in Teams through the real /api/messages endpoint (SPEC §1, §3, §6).

The cases are generated from REGISTRY, so a command added later is covered without touching this file:

- a command for the steering group or for chairs, sent (its first example) by a plain member who is no admin and
  chairs nothing, is refused with a sentence naming who may use it, and changes nothing at all (every table's
  rows, the outbox included, are as they were; nothing is sent anywhere but the refusal, to the sender);
- a command for everyone gets, for its first example, an answer in the sender's personal chat: never a 5xx,
  never "something went wrong", and either what the command does or a clear problem with the command's usage.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from handlers.command.registry import REGISTRY, Command
from storage.models import Base
from tests.fakes.teams_connector import Call
from tests.teams.conftest import ADA, BEA, CAL, PEOPLE, WELLBEING, Tenant, bot_framework_id, personal, shown

ELEVATED = [c for c in REGISTRY if c.role in ("admin", "chair")]
FOR_ALL = [c for c in REGISTRY if c.role == "all"]
# Bookkeeping Convene keeps whatever it is asked (deliveries seen, Teams conversation references): not changes.
BOOKKEEPING = frozenset({"received", "teams_conversations", "teams_users"})
WENT_WRONG = "something went wrong"
# Commands for everyone that the world below cannot make succeed: the problem their first example meets.
EXPECTED_PROBLEMS = {"unlink": "not linked to another"}
# What a command for everyone needs first (beyond the world), as (who, what they type).
PREPARE: dict[str, tuple[tuple[str, str], ...]] = {
    "withdraw": ((BEA, "volunteer wellbeing"),),
    "leave": ((BEA, "volunteer wellbeing"), (ADA, "accept <at>Bea</at> wellbeing")),
}
# The commands for everyone this file was written against: each must do what it does in this world (or meet
# its expected problem). A command added later must at least answer, or fail clearly with its usage.
KNOWN_FOR_ALL = frozenset(
    {
        "groups",
        "group",
        "help",
        "home",
        "link",
        "unlink",
        "volunteer",
        "withdraw",
        "join",
        "leave",
        "members",
        "profile",
        "suggest",
        "pairing",
        "pairing status",
    }
)


def first_example(cmd: Command) -> str:
    assert cmd.examples, f"`{cmd.name}` has no example"
    return cmd.examples[0]


def test_the_generated_cases_cover_every_command() -> None:
    names = {c.name for c in REGISTRY}
    assert ELEVATED and FOR_ALL
    assert {c.name for c in ELEVATED} | {c.name for c in FOR_ALL} == names
    assert len(ELEVATED) + len(FOR_ALL) == len(names)
    assert {c.role for c in ELEVATED} == {"admin", "chair"}
    for cmd in REGISTRY:  # each case sends the command's first example: it must name that command
        assert REGISTRY.named(first_example(cmd).split()) is cmd, cmd.name
    assert set(PREPARE) | set(EXPECTED_PROBLEMS) <= {c.name for c in FOR_ALL}


# -- the world ----------------------------------------------------------------------------------------------


def mention(teams: Tenant, user: str, text: str, person: str) -> dict[str, Any]:
    """`text` typed in the personal chat, with `<at>Name</at>` a Teams mention of `person`."""
    activity = teams.message(user, text)
    name = PEOPLE[person]
    activity["entities"].append(
        {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": bot_framework_id(person), "name": name}}
    )
    return activity


def answers_to(teams: Tenant, activity: dict[str, Any], since: int) -> list[Call]:
    """What Convene sent, from call number `since` on, in answer to this activity: its replies to it."""
    return [
        c
        for c in teams.connector.calls[since:]
        if c.status < 300 and c.kind == "reply" and c.activity_id == activity["id"]
    ]


async def send(teams: Tenant, user: str, text: str) -> str:
    """Type `text` in the personal chat; what Convene answered (the mention of a person, if any, made a real
    Teams mention). What the outbox sends on its own afterwards is sent before this returns."""
    if "<at>" in text:
        person = next(p for p, name in PEOPLE.items() if f"<at>{name}</at>" in text)
        activity = mention(teams, user, text, person)
    else:
        activity = teams.message(user, text)
    before = len(teams.connector.calls)
    assert await teams.post(activity) in (200, 202)
    answers = answers_to(teams, activity, before)
    assert answers and all(a.conversation == personal(user) for a in answers), f"no answer to {text!r}"
    await teams.deliver()
    return "\n".join(shown(a) for a in answers)


async def build_world(teams: Tenant) -> None:
    """The groups the examples name: Diversity and Wellbeing (task-and-finish, calls open) and Scholarly
    Libraries (a community); Bea has spoken to Convene before (she is a known member)."""
    for text, said in [
        ('group new "Diversity" kind:task seats:5', "Created the task-and-finish group Diversity"),
        ('group new "Wellbeing" kind:task seats:5', "Created the task-and-finish group Wellbeing"),
        ('group new "Scholarly Libraries" kind:community', "Created the community of practice Scholarly Libraries"),
    ]:
        assert said in await send(teams, ADA, text)
    for slug in ("diversity", "wellbeing"):  # on Teams a group's channel is the one `group channel` is typed in
        assert "news will be posted here too" in shown(await teams.say(ADA, f"group channel {slug}", channel=WELLBEING))
        assert "Opened a call for volunteers" in await send(teams, ADA, f"call {slug}")
    assert "volunteer" in await send(teams, BEA, "help")


async def build_chaired_world(teams: Tenant) -> None:
    """The world, with chairs who are not Bea: Cal chairs Diversity and Wellbeing, and Bea is a plain member of
    Wellbeing and of Scholarly Libraries."""
    await build_world(teams)
    for group in ("diversity", "wellbeing"):
        assert "Thank you" in await send(teams, CAL, f"volunteer {group} as:chair")
        assert "Accepted Cal into" in await send(teams, ADA, f"accept <at>Cal</at> {group} as:chair")
    assert "Thank you" in await send(teams, BEA, "volunteer wellbeing")
    assert "Accepted Bea into Wellbeing as member" in await send(teams, ADA, "accept <at>Bea</at> wellbeing")
    assert "Welcome to Scholarly Libraries" in await send(teams, BEA, "join scholarly-libraries")
    await teams.deliver()


async def everything(teams: Tenant) -> dict[str, list[str]]:
    """Every row of every table but Convene's bookkeeping, as text, table by table."""
    found: dict[str, list[str]] = {}
    async with teams.parts.db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


# -- the cases ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ELEVATED, ids=[c.name for c in ELEVATED])
async def test_a_plain_member_is_refused_and_nothing_changes(teams: Tenant, cmd: Command) -> None:
    await build_chaired_world(teams)
    before = await everything(teams)
    assert before["outbox"] and before["memberships"]  # the world has something to change
    calls = len(teams.connector.calls)

    typed = first_example(cmd)
    activity = teams.message(BEA, typed)
    status = await teams.post(activity)
    await teams.deliver()

    assert status in (200, 202), status
    sent = teams.connector.calls[calls:]
    # one message, the refusal, answering Bea in her personal chat: nothing posted or sent to anyone else
    assert sent == answers_to(teams, activity, calls), [(c.kind, c.conversation, shown(c)) for c in sent]
    assert [c.conversation for c in sent] == [personal(BEA)]
    answer = shown(sent[0])
    assert WENT_WRONG not in answer.lower()
    if cmd.role == "admin":
        assert f"Only the steering group (Convene's admins) can use `{cmd.name}`" in answer, answer
    else:
        assert "Only the chairs of " in answer and "(and the steering group)" in answer, answer
        assert f"can use `{cmd.name}` for it" in answer, answer
    assert f"Usage: `{cmd.usage}`" in answer
    assert await everything(teams) == before, f"`{typed}` from a plain member changed something"


@pytest.mark.parametrize("cmd", FOR_ALL, ids=[c.name for c in FOR_ALL])
async def test_a_command_for_everyone_is_answered(teams: Tenant, cmd: Command) -> None:
    await build_world(teams)
    for user, text in PREPARE.get(cmd.name, ()):
        answer = await send(teams, user, text)
        assert WENT_WRONG not in answer.lower() and "\nUsage:" not in answer, answer
    calls = len(teams.connector.calls)

    typed = first_example(cmd)
    activity = teams.message(BEA, typed)
    status = await teams.post(activity)

    assert status in (200, 202), status
    assert all(c.status < 500 for c in teams.connector.calls[calls:])
    answers = answers_to(teams, activity, calls)
    assert answers and all(c.conversation == personal(BEA) for c in answers), f"no answer to {typed!r}"
    answer = "\n".join(shown(c) for c in answers)
    assert answer.strip() and WENT_WRONG not in answer.lower(), answer
    failed = f"\nUsage: `{cmd.usage}`" in answer
    if cmd.name in EXPECTED_PROBLEMS:
        assert failed and EXPECTED_PROBLEMS[cmd.name] in answer, answer
    elif cmd.name in KNOWN_FOR_ALL:
        assert not failed, answer
    # a command added later: its answer, or a problem shown with its usage (checked above: never an error)
    assert "Only the steering group" not in answer and "Only the chairs" not in answer
    await teams.deliver()
