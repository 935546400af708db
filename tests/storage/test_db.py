"""Units of work on stock parts: a write unit commits whole or not at all; a read unit takes no write lock
(SQLite) and cannot write (PostgreSQL); SQLite's pragmas are set on every connection."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.models import Institution
from tests.conftest import backend


async def names(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(Institution.name).order_by(Institution.name)))


async def test_a_write_unit_commits_core_statements_and_orm_objects_together(db: Database) -> None:
    async with db.write() as session:
        await session.execute(insert(Institution).values(name="Core Library"))
        session.add(Institution(name="ORM Library"))  # never flushed by hand
    assert await names(db) == ["Core Library", "ORM Library"]


async def test_a_unit_that_raises_keeps_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            await session.execute(insert(Institution).values(name="Core Library"))
            session.add(Institution(name="ORM Library"))
            await session.flush()
            raise RuntimeError("the command failed")
    assert await names(db) == []


async def test_a_read_unit_sees_what_was_committed_before_it_began(db: Database) -> None:
    async with db.write() as session:
        session.add(Institution(name="Northgate"))
    other = Database(db.url)  # another engine, as another process would have
    try:
        assert await names(other) == ["Northgate"]
        async with db.write() as session:
            session.add(Institution(name="Easton"))
        assert await names(other) == ["Easton", "Northgate"]
    finally:
        await other.dispose()


async def test_a_read_unit_takes_no_write_lock_and_cannot_write(db: Database) -> None:
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Institution)) == 0
        if backend() == "sqlite":
            # Another connection can take the write lock at once while the read is open.
            path = db.url.split("///", 1)[1]
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("INSERT INTO institutions (name) VALUES ('Written beside a read')")
                other.execute("COMMIT")
            finally:
                other.close()
        else:
            with pytest.raises(DBAPIError, match="read-only transaction"):
                await session.execute(insert(Institution).values(name="Written in a read"))
    assert "Written in a read" not in await names(db)


async def test_connections_are_set_up_as_the_database_needs(db: Database) -> None:
    """SQLite: WAL, foreign keys and a busy timeout on every connection. PostgreSQL: reads are READ ONLY."""
    if backend() != "sqlite":
        async with db.read() as session:
            assert await session.scalar(text("SHOW transaction_read_only")) == "on"
        return
    for unit in (db.read, db.write):
        async with unit() as session:
            assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
            assert await session.scalar(text("PRAGMA busy_timeout")) == SQLITE_BUSY_TIMEOUT_MS


async def test_sqlite_writers_in_one_process_take_turns_on_one_connection(db: Database) -> None:
    """Fifty writes at once each commit: SQLite's one writer is shared in turn, with no 'database is locked'."""

    async def add(n: int) -> None:
        async with db.write() as session:
            session.add(Institution(name=f"Library {n:02d}"))
            await asyncio.sleep(0)  # let the others queue behind this transaction

    await asyncio.gather(*(add(n) for n in range(50)))
    assert len(await names(db)) == 50
