"""Deliveries already seen, recorded in batches: every key is first exactly once, whichever batch it lands in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import event, func, select

from storage.db import Database
from storage.slack import FORGET_EVERY, Sightings, SlackSeen
from tests.conftest import START


def commits_of(db: Database) -> list[int]:
    """A list that grows by one at each commit on the database's engine."""
    seen: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


async def test_keys_asked_about_together_are_recorded_in_one_transaction(db: Database) -> None:
    sightings = Sightings(db, lambda: START, timedelta(days=1))
    commits = commits_of(db)
    keys = [f"request:{n % 40}" for n in range(100)]  # 40 keys, most of them asked about more than once

    answers = await asyncio.gather(*(sightings.first(key) for key in keys))

    firsts = [key for key, first in zip(keys, answers, strict=True) if first]
    assert sorted(firsts) == sorted(set(keys))  # each key first once, and only once
    assert len(commits) == 1
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SlackSeen)) == 40


async def test_a_key_recorded_in_an_earlier_batch_is_not_first_again(db: Database) -> None:
    sightings = Sightings(db, lambda: START, timedelta(days=1))
    assert await sightings.first("event:Ev01")
    assert await asyncio.gather(sightings.first("event:Ev01"), sightings.first("event:Ev02")) == [False, True]
    # another process's record counts too: a fresh Sightings on the same database
    assert not await Sightings(db, lambda: START, timedelta(days=1)).first("event:Ev02")


async def test_keys_come_in_while_a_batch_is_written_go_in_the_next(db: Database) -> None:
    sightings = Sightings(db, lambda: START, timedelta(days=1))
    commits = commits_of(db)
    first = asyncio.ensure_future(sightings.first("event:A"))
    await asyncio.sleep(0)  # the first batch is under way with one key
    later = [asyncio.ensure_future(sightings.first(f"event:B{n}")) for n in range(10)]
    assert await first and all(await asyncio.gather(*later))
    assert len(commits) == 2


async def test_old_records_are_forgotten_every_so_often(db: Database) -> None:
    now = START
    sightings = Sightings(db, lambda: now, timedelta(days=1))
    assert await sightings.first("request:old")
    now = START + timedelta(days=2)
    await asyncio.gather(*(sightings.first(f"request:{n}") for n in range(FORGET_EVERY)))
    async with db.read() as session:
        assert await session.scalar(select(func.count()).where(SlackSeen.key == "request:old")) == 0
        assert await session.scalar(select(func.count()).select_from(SlackSeen)) == FORGET_EVERY


async def test_keys_waiting_when_the_recorder_is_cancelled_are_cancelled_too(db: Database) -> None:
    sightings = Sightings(db, lambda: START, timedelta(days=1))
    waiting = [asyncio.ensure_future(sightings.first(f"event:{n}")) for n in range(3)]
    await asyncio.sleep(0)  # the recorder has started on the first batch
    recorder = sightings._recording
    assert recorder is not None
    recorder.cancel()
    done = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in done)
    assert await sightings.first("event:later")  # a new recorder starts for the next key
