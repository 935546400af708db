"""Alembic environment. Convene runs migrations in-process (`storage.migrate.upgrade`), which hands over an
open connection; the `alembic` command line (for new revisions) gets an engine of its own."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

import storage.models  # noqa: F401  (every table joins Base.metadata)
from storage.db import DEFAULT_URL
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url):
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(run_with)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or DEFAULT_URL, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
    else:
        asyncio.run(run_standalone(config.get_main_option("sqlalchemy.url") or DEFAULT_URL))
