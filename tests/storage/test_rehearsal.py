"""A rehearsal runs transactions as they would run and keeps nothing they write."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Institution
from storage.slack import Sightings, SlackSeen
from tests.conftest import START


async def count(db: Database, model: type[Institution] | type[SlackSeen]) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_writes_in_a_rehearsal_are_rolled_back_and_writes_after_it_are_kept(db: Database) -> None:
    async with db.rehearsal():
        async with db.write() as session:
            session.add(Institution(name="Rehearsed Library"))
            await session.flush()
            assert await session.scalar(select(func.count()).select_from(Institution)) == 1  # seen while it runs
        assert await Sightings(db, lambda: START, timedelta(days=1)).first("event:Ev0REHEARSED")  # a Core write
        started = asyncio.ensure_future(_add(db, "Library Started Within"))  # a task started within, too
        await started
    assert await count(db, Institution) == 0 and await count(db, SlackSeen) == 0

    await _add(db, "Real Library")
    assert await count(db, Institution) == 1


async def _add(db: Database, name: str) -> None:
    async with db.write() as session:
        session.add(Institution(name=name))
