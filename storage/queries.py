"""Queries that more than one capability asks.

The ones asked on every command are built once, with named parameters: SQLAlchemy then neither rebuilds
the statement nor recomputes its cache key at each execution."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Executable, Result, String, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import kept
from storage.db import InsertUnlessTaken
from storage.direct import direct
from storage.models import Admin, Base, Group, Institution, Member, Membership, Outbox


class Executor(Protocol):
    """What runs a Core statement: a session, a connection or a `Unit`."""

    async def execute(self, statement: Executable, params: Any = None, /) -> Result[Any]: ...


def fixed(value: str) -> ColumnElement[str]:
    """A constant written into the SQL rather than bound. SQLite prepares a statement again at every execution
    when a bound value could decide whether a partial index applies (`status = ?` against an index kept
    `WHERE status = 'open'`); spelled out, the plan is made once. (A literal bound with `literal_execute`
    would be spelled out too, but rendered into the SQL afresh at every execution.)"""
    if not value.replace("_", "").isalnum():
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'", String)


_MEMBER_BY_IDENTITY = select(Member).where(
    Member.platform == bindparam("platform"),
    Member.workspace == bindparam("workspace"),
    Member.user_id == bindparam("user_id"),
)
_SPEAKER = direct(
    select(*kept.columns(Member), *kept.columns(Institution, "institution__"), Admin.member_id.label("admin"))
    .outerjoin(Institution, Institution.id == Member.institution_id)
    .outerjoin(Admin, Admin.member_id == Member.id)
    .where(Member.id == bindparam("member_id"))
)
_GROUP_NAMED = direct(
    select(*kept.columns(Group)).where(
        (Group.slug == bindparam("name")) | (func.lower(Group.name) == bindparam("name"))
    )
)
_OF_MEMBER = (Membership.group_id == bindparam("group_id"), Membership.member_id == bindparam("member_id"))
_MEMBERSHIP = select(Membership).where(*_OF_MEMBER)
IS_MEMBER = select(Membership.id).where(*_OF_MEMBER)  # with parameters group_id and member_id
_MEMBERSHIPS = (
    select(Membership)
    .where(Membership.group_id == bindparam("group_id"))
    .order_by(Membership.role.desc(), Membership.since)
)
_ADD_MEMBER = InsertUnlessTaken(Member)
_ENQUEUE = direct(InsertUnlessTaken(Outbox, "key"))


async def member_by_identity(session: AsyncSession, platform: str, workspace: str, user_id: str) -> Member | None:
    return await session.scalar(_MEMBER_BY_IDENTITY, {"platform": platform, "workspace": workspace, "user_id": user_id})


async def ensure_member(
    session: AsyncSession,
    *,
    platform: str,
    workspace: str,
    user_id: str,
    display_name: str,
    tz: str | None,
    now: datetime,
) -> Member:
    """The member with this identity, created if new (safe when two requests create them at once)."""
    values: dict[str, Any] = dict(
        platform=platform,
        workspace=workspace,
        user_id=user_id,
        display_name=display_name,
        tz=tz or "Europe/London",
        created_at=now,
    )
    await session.execute(_ADD_MEMBER, values)
    member = await member_by_identity(session, platform, workspace, user_id)
    assert member is not None
    return member


Values = dict[str, Any]
SpeakerRow = tuple[Values, Values | None, bool]  # the member's values, their institution's, and if in `admins`


async def speaker(db: Executor, member_id: int) -> SpeakerRow:
    """The member, their institution, and whether they are in the steering group by a row in `admins`, in one
    query, as values (`member_from` makes the member of them)."""
    row = (await db.execute(_SPEAKER, {"member_id": member_id})).mappings().one()
    member = kept.values(row, Member)
    assert member is not None
    return member, kept.values(row, Institution, "institution__"), row["admin"] is not None


def member_from(row: SpeakerRow) -> Member:
    member, institution = row[0], row[1]
    place = kept.detached(Institution, institution) if institution is not None else None
    return kept.detached(Member, {**member, "institution": place})


async def admin_members(session: AsyncSession) -> Sequence[Member]:
    return (await session.scalars(select(Member).join(Admin, Admin.member_id == Member.id).order_by(Member.id))).all()


async def all_groups(session: AsyncSession) -> Sequence[Group]:
    return (await session.scalars(select(Group).order_by(Group.name))).all()


async def group_named(db: Executor, name: str) -> Values | None:
    """The values of the group with this slug or name (in any case)."""
    row = (await db.execute(_GROUP_NAMED, {"name": name.strip().lower()})).mappings().one_or_none()
    return dict(row) if row is not None else None


async def lock_group(session: AsyncSession, group_id: int) -> Group:
    """The group, locked until the transaction ends, for checks against its seats (a no-op on SQLite,
    whose write transactions already run one at a time)."""
    group = await session.scalar(
        select(Group).where(Group.id == group_id).with_for_update().execution_options(populate_existing=True)
    )
    assert group is not None
    return group


async def memberships(session: AsyncSession, group_id: int) -> Sequence[Membership]:
    return (await session.scalars(_MEMBERSHIPS, {"group_id": group_id})).all()


async def membership(session: AsyncSession, group_id: int, member_id: int) -> Membership | None:
    return await session.scalar(_MEMBERSHIP, {"group_id": group_id, "member_id": member_id})


async def is_member(session: AsyncSession, group_id: int, member_id: int) -> bool:
    """Whether the member belongs to the group (without loading the membership and its member)."""
    return await session.scalar(IS_MEMBER, {"group_id": group_id, "member_id": member_id}) is not None


async def chaired_group_ids(session: AsyncSession, member_id: int) -> set[int]:
    rows = await session.scalars(
        select(Membership.group_id).where(Membership.member_id == member_id, Membership.role == "chair")
    )
    return set(rows)


@functools.cache
def _returning_id(model: type[Base]) -> Any:
    return direct(InsertUnlessTaken(model).returning(model.__table__.c.id))


async def insert_unless_taken(db: Executor, model: type[Base], **values: Any) -> int | None:
    """Insert a row and return its id, or None (and nothing written) if a unique rule already holds one like it:
    one statement, so a request racing another needs no savepoint."""
    return (await db.execute(_returning_id(model), values)).scalar_one_or_none()


async def enqueue(db: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """Add outbox rows in one statement; a row whose key is already there wins, so a repeated cause sends nothing
    new."""
    if rows:
        await db.execute(_ENQUEUE, list(rows))


async def members_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, Member]:
    """The members with these ids, by id (those no longer there left out)."""
    if not ids:
        return {}
    found = (await session.scalars(select(Member).where(Member.id.in_(list(ids))))).all()
    return {m.id: m for m in found}


async def steering_group(session: AsyncSession, configured: Collection[str]) -> list[Member]:
    """The steering group as members, by id: those added with `admin add`, and those named in the configuration
    (`platform:user_id`, CONVENE_ADMINS) who have used Convene."""
    found = {m.id: m for m in await admin_members(session)}
    for entry in sorted(configured):
        platform, _, user_id = entry.partition(":")
        rows = (
            await session.scalars(select(Member).where(Member.platform == platform, Member.user_id == user_id))
        ).all()
        for m in rows:
            found.setdefault(m.id, m)
    return sorted(found.values(), key=lambda m: m.id)
