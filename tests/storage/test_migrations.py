"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

import handlers.command.dispatch  # noqa: F401  (every model module is imported through the handlers)
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base


def differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata)]


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(differences)
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert diff == []
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    await upgrade(db)
    async with db.read() as session:
        versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    assert versions  # at the head(s), and still there after a second upgrade
