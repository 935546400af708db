"""`group close` races reads and joins of the same group, through several engines (as several processes would),
many times: no command that starts after the close has answered sees the group open, and no membership is
added after the close (the close counts the members it closes with; the count never grows afterwards)."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Reply, Request, Speaker
from storage.db import Database
from tests.conftest import START

ENGINES = 4
ROUNDS = 12
JOINERS = 6
READERS = 3


def ask(who: str, text: str) -> Request:
    return Request(Speaker("console", "console", who.lower(), who), Place(), START, text=text)


@dataclass
class Seen:
    """A command's answer, and whether the close had answered before the command was sent."""

    text: str
    after_close: bool
    reply: Reply


async def race(cores: list[Convene], rng: random.Random, slug: str) -> tuple[Reply, list[Seen]]:
    """Close the group while others join it and read it; the close's reply, and what each of the others saw."""
    closed = asyncio.Event()
    seen: list[Seen] = []

    async def close() -> Reply:
        reply = await cores[rng.randrange(ENGINES)].handle(ask("Ada", f"group close {slug}"))
        closed.set()
        return reply

    async def run(who: str, text: str) -> None:
        await asyncio.sleep(rng.random() * 0.02)
        after = closed.is_set()
        reply = await cores[rng.randrange(ENGINES)].handle(ask(who, text))
        seen.append(Seen(text, after, reply))

    tasks = [run(f"Joiner{slug}x{j}x{k}", f"join {slug}") for j in range(JOINERS) for k in range(2)]
    tasks += [run(f"Reader{r}", f"group {slug}") for r in range(READERS) for _ in range(3)]
    tasks += [run(f"Reader{r}", "groups") for r in range(READERS)]
    closing, *_ = await asyncio.gather(close(), *tasks)
    assert isinstance(closing, Reply)
    return closing, seen


async def test_a_close_racing_reads_and_joins_leaves_the_group_closed_to_all_who_come_after(db_url: str) -> None:
    config = CoreConfig(admins=frozenset({"console:ada"}))
    cores = [Convene(Database(db_url), config) for _ in range(ENGINES)]
    rng = random.Random(7)
    try:
        for n in range(ROUNDS):
            slug = f"readers-{n}"
            assert not (await cores[0].handle(ask("Ada", f'group new "Readers {n}" kind:community'))).failed
            for early in ("Early1", "Early2"):
                assert "Welcome" in (await cores[1].handle(ask(early, f"join {slug}"))).text
            closing, seen = await race(cores, rng, slug)
            counted = re.fullmatch(rf"Closed Readers {n}, with (\d+) members?\.", closing.text)
            assert counted is not None, closing.text

            for s in (s for s in seen if s.after_close):
                if s.text.startswith("join"):
                    assert s.reply.failed and "is closed" in s.reply.text, s.reply.text
                elif s.text.startswith("group "):
                    assert f"Readers {n} — community of practice (closed)" in s.reply.text, s.reply.text
                else:
                    assert f"Readers {n} ({slug})" not in s.reply.text
            joined = [s for s in seen if s.text.startswith("join") and "Welcome" in s.reply.text]
            assert all(not s.after_close for s in joined)

            after = cores[rng.randrange(ENGINES)]
            members = await after.handle(ask("Early1", f"members {slug}"))
            assert members.text.startswith(f"Readers {n}, community of practice: {counted.group(1)} member")
            assert len(joined) + 2 == int(counted.group(1))  # every join that answered "Welcome" was counted
            assert "(closed)" in (await after.handle(ask("Newcomer", f"group {slug}"))).text
            assert "is closed" in (await after.handle(ask("Newcomer", f"join {slug}"))).text
    finally:
        for core in cores:
            await core.db.dispose()
