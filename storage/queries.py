"""Queries that more than one capability asks, and the insert that writes nothing where a row like it is there.

Each takes the command's session; none commits (the unit of work does, `storage.db.Database.unit`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from storage.models import Admin, Base, Group, Member, Membership, Outbox, Received


def insert_unless_taken(session: AsyncSession, model: type[Base], *conflict_columns: str) -> Insert:
    """An INSERT into the model's table, in the session's dialect, that writes nothing where a unique rule
    already holds a row like it (`ON CONFLICT [(columns)] DO NOTHING`, which SQLite and PostgreSQL share)."""
    dialect = session.get_bind().dialect.name
    insert = sqlite.insert(model) if dialect == "sqlite" else postgresql.insert(model)
    return insert.on_conflict_do_nothing(index_elements=list(conflict_columns) or None)


async def insert_returning_id(session: AsyncSession, model: type[Base], **values: Any) -> int | None:
    """Insert a row and return its id, or None (and nothing written) if a unique rule already holds one like it:
    one statement, so a request racing another needs no savepoint."""
    statement = insert_unless_taken(session, model).values(**values).returning(model.__table__.c.id)
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found


# -- people ---------------------------------------------------------------------------------------------------


DISPLAY_NAME_LIMIT = 120  # what members.display_name holds

# Asked at every command: built once, with named parameters, so that SQLAlchemy neither builds them again nor
# works out their cache key again at each execution.
_IDENTITY = (
    (Member.platform == bindparam("platform"))
    & (Member.workspace == bindparam("workspace"))
    & (Member.user_id == bindparam("user_id"))
)
_MEMBER = select(Member).where(_IDENTITY)
_SPEAKER = select(Member, Admin.member_id).outerjoin(Admin, Admin.member_id == Member.id).where(_IDENTITY)


def _identity(platform: str, workspace: str, user_id: str) -> dict[str, str]:
    return {"platform": platform, "workspace": workspace, "user_id": user_id}


async def member_by_identity(session: AsyncSession, platform: str, workspace: str, user_id: str) -> Member | None:
    return await session.scalar(_MEMBER, _identity(platform, workspace, user_id))


async def speaker(session: AsyncSession, platform: str, workspace: str, user_id: str) -> tuple[Member, bool] | None:
    """The member with this identity (their institution loaded with them) and whether a row in `admins` puts
    them in the steering group, in one query; None if they have never used Convene."""
    row = (await session.execute(_SPEAKER, _identity(platform, workspace, user_id))).one_or_none()
    return None if row is None else (row[0], row[1] is not None)


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
    """The member with this identity, created if new (safe when two requests create them at once), with the
    display name the platform gives now (its first `DISPLAY_NAME_LIMIT` characters): it is written only when it
    differs from the one stored."""
    display_name = display_name[:DISPLAY_NAME_LIMIT]
    values: dict[str, Any] = dict(
        platform=platform,
        workspace=workspace,
        user_id=user_id,
        display_name=display_name,
        tz=tz or "Europe/London",
        # The day only: the moment someone first spoke, next to the moment an anonymous suggestion was sent,
        # could say who sent it.
        created_at=now.replace(hour=0, minute=0, second=0, microsecond=0),
    )
    await session.execute(insert_unless_taken(session, Member), values)
    member = await member_by_identity(session, platform, workspace, user_id)
    assert member is not None
    if member.display_name != display_name:
        member.display_name = display_name
    return member


ACTIVE = Member.deactivated_at.is_(None)  # the member's account is not deactivated on their platform


async def admin_members(session: AsyncSession, *, reachable: bool = False) -> Sequence[Member]:
    """The members `admin add` put in the steering group; with `reachable`, only those whose account is active."""
    query = select(Member).join(Admin, Admin.member_id == Member.id).order_by(Member.id)
    if reachable:
        query = query.where(ACTIVE)
    return (await session.scalars(query)).all()


async def deactivated(session: AsyncSession, platform: str, workspace: str, user_id: str) -> bool:
    """Whether the member with this identity is known and their account deactivated (one indexed lookup)."""
    at = await session.scalar(
        select(Member.deactivated_at).where(
            Member.platform == platform, Member.workspace == workspace, Member.user_id == user_id
        )
    )
    return at is not None


async def members_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, Member]:
    """The members with these ids, by id (those no longer there left out)."""
    if not ids:
        return {}
    found = (await session.scalars(select(Member).where(Member.id.in_(list(ids))))).all()
    return {m.id: m for m in found}


async def steering_group(session: AsyncSession, configured: Collection[str]) -> list[Member]:
    """The steering group, to tell something: those added with `admin add`, and those named in the
    configuration (CONVENE_ADMINS: `platform:workspace:user_id`, or `platform:user_id` where one workspace is
    served), in that order. Someone named in the configuration who has not used Convene yet is reachable all
    the same: they come as a Member that is not in the database (no id), addressed by their platform id, in
    their workspace (for the short form, the one workspace of that platform Convene has members in). Those whose
    account is deactivated are left out: nothing can reach them."""
    found = {(m.platform, m.workspace, m.user_id): m for m in await admin_members(session, reachable=True)}
    for entry in sorted(configured):
        platform, *where, user_id = entry.split(":")
        query = select(Member).where(Member.platform == platform, Member.user_id == user_id)
        if where:
            query = query.where(Member.workspace == where[0])
        known = (await session.scalars(query)).all()
        rows = [m for m in known if m.deactivated_at is None]
        workspace = (
            where[0]
            if where
            else await session.scalar(select(Member.workspace).where(Member.platform == platform).limit(1))
        )
        if not known and workspace is not None:
            rows = [Member(platform=platform, workspace=workspace, user_id=user_id, display_name=user_id)]
        for m in rows:
            found.setdefault((m.platform, m.workspace, m.user_id), m)
    return list(found.values())


# -- groups ---------------------------------------------------------------------------------------------------


async def all_groups(session: AsyncSession) -> Sequence[Group]:
    return (await session.scalars(select(Group).order_by(Group.name))).all()


_GROUP_NAMED = select(Group).where((Group.slug == bindparam("name")) | (func.lower(Group.name) == bindparam("name")))
_GROUP_NAMED_LOCKED = _GROUP_NAMED.with_for_update().execution_options(populate_existing=True)


async def group_named(session: AsyncSession, name: str, *, lock: bool = False) -> Group | None:
    """The group with this slug or name (in any case). With `lock`, its row is locked until the transaction
    ends (`FOR UPDATE` on PostgreSQL; SQLite's write transactions run one at a time already), and read afresh."""
    return await session.scalar(_GROUP_NAMED_LOCKED if lock else _GROUP_NAMED, {"name": name.strip().lower()})


async def memberships(session: AsyncSession, group_id: int) -> Sequence[Membership]:
    """A group's memberships, chairs first, then in the order they joined (each with its member)."""
    return (
        await session.scalars(
            select(Membership)
            .where(Membership.group_id == group_id)
            .order_by(Membership.role.desc(), Membership.since, Membership.id)
        )
    ).all()


async def membership(session: AsyncSession, group_id: int, member_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.group_id == group_id, Membership.member_id == member_id)
    )


async def chaired_group_ids(session: AsyncSession, member_id: int) -> set[int]:
    rows = await session.scalars(
        select(Membership.group_id).where(Membership.member_id == member_id, Membership.role == "chair")
    )
    return set(rows)


# -- the outbox and deliveries received ---------------------------------------------------------------------------


async def enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add outbox rows in one statement; a row whose key is already there wins, so a repeated cause sends nothing
    new."""
    if rows:
        await session.execute(insert_unless_taken(session, Outbox, "key"), list(rows))


async def first_delivery(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record a platform's delivery (`Request.delivery`) as acted on; False if it was recorded before, by this
    process or another (the insert waits for a transaction recording the same key, and then writes nothing)."""
    statement = insert_unless_taken(session, Received).values(key=key, seen_at=now).returning(Received.key)
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def delivered(session: AsyncSession, key: str) -> bool:
    """Whether a platform's delivery was recorded as acted on (`first_delivery`)."""
    return await session.scalar(select(Received.key).where(Received.key == key)) is not None


async def forget_deliveries(session: AsyncSession, before: datetime) -> int:
    """Forget the deliveries recorded before `before` (a platform retries for minutes, not days); how many."""
    result = await session.execute(delete(Received).where(Received.seen_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
