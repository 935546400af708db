"""Rows kept between transactions while the tables they were read from are unchanged (SQLite), or never kept
(PostgreSQL, whose other replicas' commits cannot be seen)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from storage.db import Database
from storage.kept import Keeper
from storage.models import Group, Institution
from tests.conftest import backend

NAMES = select(Institution.name).order_by(Institution.name)


class Reads:
    """Institution names as a keeper's read, counting how often it really asks."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.asked = 0

    async def __call__(self) -> list[str]:
        self.asked += 1
        async with self.db.read() as session:
            return list(await session.scalars(NAMES))


async def add(db: Database, name: str) -> None:
    async with db.unit(write=True) as unit:
        await unit.execute(insert(Institution).values(name=name))


async def test_a_row_is_kept_until_a_table_it_was_read_from_changes(db: Database) -> None:
    await add(db, "Alpha Library")
    keeper, read = Keeper(db), Reads(db)
    assert await keeper.get("names", read) == ["Alpha Library"]
    assert await keeper.get("names", read) == ["Alpha Library"]
    async with db.unit(write=True) as unit:  # another table changes: what was kept still holds
        await unit.execute(update(Group).values(name="unchanged"))
    assert await keeper.get("names", read) == ["Alpha Library"]
    kept_reads = read.asked
    await add(db, "Beta Library")
    assert await keeper.get("names", read) == ["Alpha Library", "Beta Library"]
    if backend() == "sqlite":
        assert kept_reads == 1 and read.asked == 2
    else:  # nothing is kept
        assert kept_reads == 3 and read.asked == 4


async def test_another_process_writing_the_database_is_seen(db: Database) -> None:
    other = Database(db.url)  # another process's engine on the same database
    try:
        keeper, read = Keeper(db), Reads(db)
        assert await keeper.get("names", read) == []
        await add(other, "Gamma Library")
        assert await keeper.get("names", read) == ["Gamma Library"]
    finally:
        await other.dispose()


async def test_a_kept_row_counts_its_tables_as_read_by_the_work_that_uses_it(db: Database) -> None:
    if backend() == "postgresql":
        assert db.changes is None  # no tables are watched there, as nothing is kept
        return
    assert db.changes is not None
    keeper, read = Keeper(db), Reads(db)
    await keeper.get("names", read)
    with db.changes.watching() as seen:
        await keeper.get("names", read)
    assert read.asked == 1 and seen.read == {"institutions"}


async def test_a_write_that_changed_no_row_changes_no_table(db: Database) -> None:
    await add(db, "Alpha Library")
    keeper, read = Keeper(db), Reads(db)
    await keeper.get("names", read)
    async with db.unit(write=True) as unit:  # matches no row, as the outbox dispatcher's tidying often does
        await unit.execute(update(Institution).where(Institution.name == "Nowhere").values(name="Gone"))
    await keeper.get("names", read)
    async with db.unit(write=True) as unit:
        await unit.execute(update(Institution).values(name="Renamed Library"))
    assert await keeper.get("names", read) == ["Renamed Library"]
    assert read.asked == (2 if backend() == "sqlite" else 3)
