"""Statements marked `direct` give on SQLite's driver connection what they give through SQLAlchemy, and the
ones that cannot be run so go through SQLAlchemy (on PostgreSQL, all of them do)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, Insert, bindparam, event, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from handlers import groups, volunteering
from scheduler import outbox as dispatcher
from storage import queries, slack
from storage.db import Database, InsertUnlessTaken
from storage.direct import Direct, direct, marked
from storage.models import Group, Institution, Outbox, VolunteerOffer
from tests.conftest import START, backend

GROUP_ROWS = direct(
    select(Group.id, Group.name, Group.starts_on, Group.created_at, Group.closed_at, Group.seats)
    .where(Group.kind == bindparam("kind"))
    .order_by(Group.id)
)
ADD_GROUP = direct(InsertUnlessTaken(Group, "slug").returning(Group.id))
ADD_OUTBOX = direct(InsertUnlessTaken(Outbox, "key"))


def group(slug: str, **more: Any) -> dict[str, Any]:
    values = dict(slug=slug, name=slug.title(), kind="task", platform="slack", workspace="T1", created_at=START)
    values.update(status="forming", theme=None, about=None, channel=None, seats=None, starts_on=None)
    return values | dict(ends_on=None, closed_at=None) | more


def outbox(key: str) -> dict[str, Any]:
    return dict(
        key=key,
        platform="slack",
        workspace="T1",
        target_kind="channel",
        target="C1",
        target_label="#general",
        message_key=None,
        mode="post",
        payload={"text": "Hello", "sections": [{"fields": [["a", "b"]]}]},
        status="pending",
        attempts=0,
        due_at=START,
        created_at=START,
    )


async def test_rows_read_directly_are_those_sqlalchemy_reads(db: Database) -> None:
    async with db.unit(write=True) as unit:
        first = (await unit.execute(ADD_GROUP, group("alpha", starts_on=date(2027, 2, 1), seats=8))).scalar_one()
        again = (await unit.execute(ADD_GROUP, group("alpha"))).scalar_one_or_none()  # taken: nothing written
        await unit.execute(ADD_GROUP, group("beta", closed_at=START + timedelta(hours=2)))
        direct_rows = (await unit.execute(GROUP_ROWS, {"kind": "task"})).all()
        through_sqlalchemy = (await unit.connection.execute(GROUP_ROWS, {"kind": "task"})).all()
        keys = list((await unit.execute(GROUP_ROWS, {"kind": "task"})).mappings().first() or {})
    assert first is not None and again is None
    assert [tuple(r) for r in direct_rows] == [tuple(r) for r in through_sqlalchemy]
    assert direct_rows[0].starts_on == date(2027, 2, 1) and direct_rows[0].created_at == START  # typed, zoned
    assert direct_rows[1].closed_at == START + timedelta(hours=2) and direct_rows[1].seats is None
    assert keys == ["id", "name", "starts_on", "created_at", "closed_at", "seats"]


async def test_rows_written_directly_read_back_through_the_orm(db: Database) -> None:
    async with db.unit(write=True) as unit:
        await unit.execute(ADD_OUTBOX, [outbox("one"), outbox("two"), outbox("one")])
    async with db.read() as session:
        rows = list(await session.scalars(select(Outbox).order_by(Outbox.key)))
    assert [r.key for r in rows] == ["one", "two"]
    assert rows[0].payload == outbox("one")["payload"] and rows[0].due_at == START


async def test_a_direct_write_counts_as_a_change_of_its_table(db: Database) -> None:
    if backend() == "postgresql":
        assert db.changes is None  # nothing kept there, so nothing to invalidate
        return
    assert db.changes is not None
    before = db.changes.snapshot()
    async with db.unit(write=True) as unit:
        await unit.execute(ADD_OUTBOX, [outbox("one")])
    assert not db.changes.unchanged({"outbox"}, before) and db.changes.unchanged({"groups"}, before)


async def test_an_insert_leaving_out_python_defaults_goes_through_sqlalchemy(db: Database) -> None:
    short = dict(outbox("defaults"))
    for defaulted in ("mode", "status", "attempts"):  # SQLAlchemy fills these in at each execution
        del short[defaulted]
    async with db.unit(write=True) as unit:
        await unit.execute(ADD_OUTBOX, [short])
    async with db.unit(write=False) as unit:
        rows = (await unit.execute(select(Outbox.mode, Outbox.status, Outbox.attempts))).all()
    assert [tuple(r) for r in rows] == [("post", "pending", 0)]


async def test_a_statement_in_a_unit_with_a_session_goes_through_the_session(db: Database) -> None:
    async with db.unit(write=True) as unit:
        unit.session.add(Institution(name="Pending Library"))  # not flushed: only the session knows of it
        await unit.execute(ADD_GROUP, group("gamma"))
        seen = (await unit.execute(direct(select(func.count()).select_from(Institution)))).scalar_one()
    assert seen == 1


async def test_a_direct_statement_fails_as_it_would_through_sqlalchemy(db: Database) -> None:
    bad = outbox("bad") | {"status": "lost"}  # not one of the statuses the table allows
    with pytest.raises(IntegrityError):
        async with db.unit(write=True) as unit:
            await unit.execute(ADD_OUTBOX, [outbox("good")])
            await unit.execute(ADD_OUTBOX, [bad])
    async with db.unit(write=False) as unit:
        assert (await unit.execute(select(func.count()).select_from(Outbox))).scalar_one() == 0


async def test_statements_run_directly_are_shown_to_the_engine_listeners(db: Database) -> None:
    seen: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    async with db.unit(write=True) as unit:
        await unit.execute(ADD_OUTBOX, [outbox("one")])
        await unit.execute(GROUP_ROWS, {"kind": "task"})
    assert any(s.startswith("INSERT INTO outbox") for s in seen) and any("FROM groups" in s for s in seen)


def test_every_statement_marked_direct_can_be_run_directly() -> None:
    """A marked statement that cannot be run directly still runs, through SQLAlchemy: only slower. This keeps
    the marked ones honest (a list to expand or a missing default would quietly send them the slow way)."""
    planner = Direct(sqlite.dialect())
    found = [
        (f"{module.__name__}.{name}", statement)
        for module in (groups, volunteering, dispatcher, queries, slack)
        for name, statement in vars(module).items()
        if isinstance(statement, Executable) and marked(statement)
    ]
    found.append(("insert_unless_taken", queries._returning_id(VolunteerOffer)))
    assert len(found) >= 15
    for name, statement in found:
        if isinstance(statement, Insert):  # given every column, as the callers give them
            names = {c.key for c in statement.table.columns if c.key != "id"}
        else:
            names = {b.key for b in statement.compile().binds.values() if b.required}
        assert planner.plan(statement, frozenset(names)) is not None, name
