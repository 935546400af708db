"""A unit: one transaction, with Core statements on its connection and an ORM session made only if asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from storage.db import Database, InsertUnlessTaken
from storage.direct import direct
from storage.kept import detached
from storage.models import Institution


async def names(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(Institution.name).order_by(Institution.name)))


ADD = direct(InsertUnlessTaken(Institution))  # on SQLite, run on the driver's connection


async def test_direct_and_core_statements_and_orm_objects_commit_together_without_a_flush(db: Database) -> None:
    async with db.unit(write=True) as unit:
        await unit.execute(ADD, {"name": "Direct Library"})
        await unit.execute(insert(Institution).values(name="Core Library"))  # SQLAlchemy's connection joins
        unit.session.add(Institution(name="ORM Library"))  # never flushed by hand
    assert await names(db) == ["Core Library", "Direct Library", "ORM Library"]


async def test_a_statement_through_the_unit_sees_what_its_session_holds(db: Database) -> None:
    async with db.unit(write=True) as unit:
        unit.session.add(Institution(name="Pending Library"))
        assert (await unit.execute(select(func.count()).select_from(Institution))).scalar_one() == 1


async def test_a_unit_that_raises_keeps_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit(write=True) as unit:
            await unit.execute(ADD, {"name": "Direct Library"})
            await unit.execute(insert(Institution).values(name="Core Library"))
            unit.session.add(Institution(name="ORM Library"))
            await unit.session.flush()
            raise RuntimeError("the command failed")
    with pytest.raises(RuntimeError):
        async with db.unit(write=True) as unit:
            await unit.execute(ADD, {"name": "Direct Library"})  # on SQLite, SQLAlchemy never sees this one
            raise RuntimeError("the command failed")
    assert await names(db) == []


async def test_an_adopted_row_joins_the_session_and_its_changes_are_written(db: Database) -> None:
    async with db.write() as session:
        session.add(Institution(name="Old Name"))
    async with db.read() as session:
        row = (await session.execute(select(Institution.id, Institution.name))).one()
    async with db.unit(write=True) as unit:
        library = unit.adopt(detached(Institution, {"id": row.id, "name": row.name}))  # before the session
        library.name = "New Name"
        assert library in unit.session  # the session, made now, holds the adopted row
    assert await names(db) == ["New Name"]

    async with db.unit(write=True) as unit:
        held = await unit.session.get_one(Institution, row.id)
        again = unit.adopt(detached(Institution, {"id": row.id, "name": "New Name"}))
        assert again is held  # the session's own instance of the row, not a second one
