"""A pairing round for 1,000 and 10,000 members with twelve weeks of history.

    PYTHONPATH=. .venv/bin/python bench/pairing.py [--sizes 1000 10000] [--database-url URL]

For each size: the matching alone (the pure function, with the history as a set of pairs), and the whole
round as `pairing now` runs it: reading opt-ins and history from the database, matching, writing the round,
its pairs, the introductions and the check-ins to the outbox, in one transaction. The history is six
fortnightly rounds, written by running the round itself six times. Targets: matching 10,000 under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from handlers.networking.matching import Person, match, recent_pairs
from handlers.networking.pairing import checkin_delay, run_round
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base, Institution, Member, PairingOptIn

STAGES = ("early", "mid", "senior", "leader")
START = datetime(2027, 1, 5, 10, tzinfo=UTC)


def pure(n: int) -> None:
    rng = random.Random(n)
    people = [Person(i, rng.randrange(40), rng.choice(STAGES)) for i in range(n)]
    history: list[tuple[int, ...]] = []
    for r in range(6):
        history += match(people, recent_pairs(history), f"history {r}").groups
    recent = recent_pairs(history)
    started = time.perf_counter()
    result = match(people, recent, "measured")
    took = time.perf_counter() - started
    by = {p.id: p for p in people}
    pairs = [g for g in result.groups if len(g) == 2]
    other = sum(by[a].institution != by[b].institution for a, b in pairs) / len(pairs)
    stage = sum(by[a].stage != by[b].stage for a, b in pairs) / len(pairs)
    repeats = len(recent_pairs(result.groups) & recent)
    print(
        f"  matching alone: {took * 1000:.0f} ms for {n} people and {len(recent)} recent pairs; "
        f"{other:.1%} other library, {stage:.1%} other stage, {repeats} repeats, {len(result.unplaced)} unplaced"
    )


async def whole_round(url: str, n: int) -> None:
    db = Database(url)
    await upgrade(db)
    async with db.write() as session:
        if not db.sqlite:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        rng = random.Random(n)
        await session.execute(insert(Institution), [{"name": f"Library {i}"} for i in range(40)])
        await session.execute(
            insert(Member),
            [
                dict(
                    platform="slack",
                    workspace="T1",
                    user_id=f"U{i:06d}",
                    display_name=f"Member {i}",
                    institution_id=rng.randrange(40) + 1,
                    title="Librarian",
                    stage=rng.choice(STAGES),
                    interests="cataloguing, outreach",
                    tz="Europe/London",
                    created_at=START,
                )
                for i in range(n)
            ],
        )
        await session.execute(
            insert(PairingOptIn),
            [dict(member_id=i + 1, active=True, since=START, updated_at=START) for i in range(n)],
        )
    timings = []
    for r in range(7):  # six rounds of history, then the measured one
        now = START + timedelta(weeks=2 * r)
        started = time.perf_counter()
        async with db.write() as session:
            result = await run_round(
                session,
                platform="slack",
                workspace="T1",
                group_id=None,
                schedule_id=None,
                occurrence=f"bench round {r}",
                now=now,
                checkin_after=checkin_delay(2),
                window_weeks=12,
            )
        timings.append(time.perf_counter() - started)
    await db.dispose()
    print(
        f"  whole round ({url.split('+')[0]}): {timings[-1]:.2f} s for {result.people} people with 12 weeks of "
        f"history ({result.groups} groups, {result.left_out} left out); the history rounds took "
        f"{min(timings[:-1]):.2f}–{max(timings[:-1]):.2f} s"
    )


async def main(args: argparse.Namespace) -> None:
    for n in args.sizes:
        print(f"{n} members:")
        pure(n)
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'pairing.db'}"
        await whole_round(url, n)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--database-url")
    asyncio.run(main(p.parse_args()))
