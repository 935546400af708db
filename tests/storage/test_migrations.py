"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text
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


def check_constraints(connection: Connection) -> dict[str, str]:
    found = inspect(connection)
    return {
        str(check["name"]): str(check["sqltext"])
        for table in found.get_table_names()
        for check in found.get_check_constraints(table)
    }


async def test_migrated_check_constraints_allow_what_the_models_allow(db: Database) -> None:
    """Alembic's comparison leaves CHECK constraints out: each of the models' is looked for by name in the
    migrated database, and every value the model allows must be in it (a kind or status added later included)."""
    async with db.engine.connect() as conn:
        found = await conn.run_sync(check_constraints)
    wanted = {
        str(c.name): str(c.sqltext)
        for table in Base.metadata.sorted_tables
        for c in table.constraints
        if isinstance(c, CheckConstraint)
    }
    assert wanted and set(wanted) <= set(found)
    for name, sql in wanted.items():
        for value in re.findall(r"'([^']*)'", sql):
            assert f"'{value}'" in found[name], (name, value, found[name])
    assert "'recurring'" in found["ck_polls_status_valid"] and "'polls'" in found["ck_schedules_kind_valid"]
