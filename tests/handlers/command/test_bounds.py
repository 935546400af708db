"""Every value is checked against what the database can hold before it gets there, alike on both databases:
PostgreSQL refuses a string longer than its column or a number beyond its integer, SQLite stores either.

Every command, with every option and positional word far too long or far too big, gets an answer that names the
problem (never "something went wrong"); afterwards no string column holds more than its declared length."""

from __future__ import annotations

from sqlalchemy import String, func, select

from handlers.command.registry import REGISTRY
from storage.models import Base
from tests.conftest import Chat

LONG = "x" * 5_000
HUGE = "9" * 30
WRONG = "went wrong on our side"


def attempts(name: str, options: frozenset[str]) -> list[str]:
    said = [
        f'{name} "{LONG}"',
        f"{name} {HUGE}",
        f"{name} <member:{HUGE}> diversity",
        f"{name} @{'a' * 500} diversity",
        f"{name} diversity {HUGE}",
        f'{name} diversity "{LONG}"',
        f'{name} diversity reply "{LONG}"',
        f"{name} {HUGE} reply hello",
    ]
    for option in sorted(options):
        said += [
            f'{name} diversity {option}:"{LONG}"',
            f"{name} diversity {option}:{HUGE}",
            f'{name} "New group" kind:task {option}:"{LONG}"',
            f'{name} on {option}:"{LONG}"',
        ]
    return said


async def test_every_command_refuses_what_the_database_cannot_hold(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity as:chair")
    await chat.say("Bea", 'suggest "A quiet room"')
    tried = 0
    for cmd in REGISTRY:
        for who in ("Ada", "Bea"):
            for said in attempts(cmd.name, cmd.options):
                reply = await chat.say(who, said)
                tried += 1
                assert WRONG not in reply.text, (said[:120], reply.text)
    assert tried > 500

    too_long = []
    async with chat.core.db.read() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String) and column.type.length:
                    longest = await session.scalar(select(func.max(func.length(column))))
                    if longest is not None and longest > column.type.length:
                        too_long.append(f"{table.name}.{column.name}: {longest} > {column.type.length}")
    assert too_long == []
