"""Queries that more than one capability asks, and the insert that writes nothing where a row like it is there.

Each takes the command's session; none commits (the unit of work does, `storage.db.Database.unit`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.dml import Insert

from storage.models import (
    Admin,
    Base,
    CheckIn,
    Group,
    GroupChannel,
    Member,
    Membership,
    Outbox,
    PairingLeftOut,
    PairingOptIn,
    Received,
    Rsvp,
    VolunteerOffer,
)

Dialect = str  # a SQLAlchemy dialect's name: "sqlite" or "postgresql"


def on_conflict(
    table: FromClause,
    key: Sequence[str] = (),
    *,
    changed: Sequence[str] = (),
    kept: Sequence[str] = (),
    returning: ColumnElement[Any] | None = None,
) -> dict[Dialect, Insert]:
    """An INSERT into `table`, built once for each dialect, for where a unique rule (on the `key` columns, or any
    when none are named) already holds a row like it: that row's `changed` columns are set to the values given
    (`ON CONFLICT (key) DO UPDATE`); its `kept` columns are set to themselves, which locks the row until the commit,
    unchanged (on PostgreSQL; SQLite's writer holds the whole database); with neither, nothing is written (`DO
    NOTHING`). SQLite and PostgreSQL share the syntax. With `returning`, the statement returns that column of the
    row written (none when nothing was). Built at import, on the table rather than its ORM class, so that
    executing it with a dictionary of values (`session.execute(built[dialect(session)], values)`) costs neither
    the statement's construction nor the ORM's bulk-insert work: SQLAlchemy 2.0 cannot cache a dialect's INSERT
    (it compiles it at each execution), so the construction is the part worth keeping."""
    built: dict[Dialect, Insert] = {}
    for name, module in (("sqlite", sqlite), ("postgresql", postgresql)):
        insert = module.insert(table)
        set_ = {c: insert.excluded[c] for c in changed} | {c: table.c[c] for c in kept}
        statement = (
            insert.on_conflict_do_update(index_elements=list(key), set_=set_)
            if set_
            else insert.on_conflict_do_nothing(index_elements=list(key) or None)
        )
        built[name] = statement if returning is None else statement.returning(returning)
    return built


def dialect(session: AsyncSession) -> Dialect:
    return session.get_bind().dialect.name


async def insert_returning_id(session: AsyncSession, built: dict[Dialect, Insert], **values: Any) -> int | None:
    """Insert a row with a statement `on_conflict` built (DO NOTHING, returning the row's id) and return its id, or
    None (and nothing written) if a unique rule already holds one like it: one statement, so a request racing
    another needs no savepoint."""
    found: int | None = (await session.execute(built[dialect(session)], values)).scalar_one_or_none()
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
_LINKED = aliased(Member)  # the member a linked identity speaks as
_SPEAKER = (
    select(Member, _LINKED, Admin.member_id)
    .outerjoin(_LINKED, _LINKED.id == Member.linked_to)
    .outerjoin(Admin, Admin.member_id == func.coalesce(Member.linked_to, Member.id))
    .where(_IDENTITY)
)


def _identity(platform: str, workspace: str, user_id: str) -> dict[str, str]:
    return {"platform": platform, "workspace": workspace, "user_id": user_id}


async def member_by_identity(session: AsyncSession, platform: str, workspace: str, user_id: str) -> Member | None:
    return await session.scalar(_MEMBER, _identity(platform, workspace, user_id))


async def speaker(
    session: AsyncSession, platform: str, workspace: str, user_id: str
) -> tuple[Member, bool, str] | None:
    """The member this identity speaks as (its own row, or the member it is linked to: `link`), with their
    institution; whether a row in `admins` puts that member in the steering group; and the display name stored
    for this identity itself. One query; None if the identity has never used Convene."""
    row = (await session.execute(_SPEAKER, _identity(platform, workspace, user_id))).one_or_none()
    if row is None:
        return None
    own, linked, admin = row
    return (linked or own), admin is not None, own.display_name


async def speaking_as(session: AsyncSession, member: Member) -> Member:
    """The member an identity's row speaks as: itself, or the member it is linked to."""
    if member.linked_to is None:
        return member
    linked = await session.get(Member, member.linked_to)
    return linked if linked is not None else member


_MEMBER_ROW = on_conflict(Member.__table__)


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
    """The member this identity speaks as (`speaking_as`), the identity created if new (safe when two requests
    create it at once), with the display name the platform gives now (its first `DISPLAY_NAME_LIMIT`
    characters) written to the identity's own row only when it differs from the one stored."""
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
    await session.execute(_MEMBER_ROW[dialect(session)], values)
    member = await member_by_identity(session, platform, workspace, user_id)
    assert member is not None
    if member.display_name != display_name:
        member.display_name = display_name
    return await speaking_as(session, member)


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


async def attendee_ids(session: AsyncSession, event_id: int) -> list[int]:
    """Who attended an event, by member id: those its organiser marked (`attended`), or, when no one was marked,
    everyone who held a seat (SPEC.md §2 RSVP)."""
    marked = (
        await session.scalars(
            select(Rsvp.member_id).where(Rsvp.event_id == event_id, Rsvp.attended.is_(True)).order_by(Rsvp.member_id)
        )
    ).all()
    if marked:
        return list(marked)
    held = await session.scalars(
        select(Rsvp.member_id)
        .where(Rsvp.event_id == event_id, Rsvp.answer == "going", Rsvp.position.is_(None))
        .order_by(Rsvp.member_id)
    )
    return list(held.all())


async def posts_of(session: AsyncSession, message_key: str) -> Sequence[Outbox]:
    """The outbox rows that posted the message `message_key` names, in every place it went (a group's channel on
    each platform carries the key with that place's suffix, `handlers.command.outbox.place_suffix`)."""
    return (
        await session.scalars(
            select(Outbox).where(
                or_(Outbox.message_key == message_key, Outbox.message_key.like(message_key + " @%")),
                Outbox.mode == "post",
            )
        )
    ).all()


_OUTBOX = on_conflict(Outbox.__table__, ("key",))


async def enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add outbox rows in one statement; a row whose key is already there wins, so a repeated cause sends nothing
    new."""
    if rows:
        await session.execute(_OUTBOX[dialect(session)], list(rows))


_RECEIVED = {
    name: insert.returning(Received.__table__.c.key) for name, insert in on_conflict(Received.__table__).items()
}


async def first_delivery(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record a platform's delivery (`Request.delivery`) as acted on; False if it was recorded before, by this
    process or another (the insert waits for a transaction recording the same key, and then writes nothing)."""
    values = {"key": key, "seen_at": now}
    return (await session.execute(_RECEIVED[dialect(session)], values)).scalar_one_or_none() is not None


async def delivered(session: AsyncSession, key: str) -> bool:
    """Whether a platform's delivery was recorded as acted on (`first_delivery`)."""
    return await session.scalar(select(Received.key).where(Received.key == key)) is not None


async def forget_deliveries(session: AsyncSession, before: datetime) -> int:
    """Forget the deliveries recorded before `before` (a platform retries for minutes, not days); how many."""
    result = await session.execute(delete(Received).where(Received.seen_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- one person, two accounts ----------------------------------------------------------------------------------


async def merge_member(session: AsyncSession, alias: Member, into: Member) -> None:
    """Make `alias` (an identity's own row) speak as `into`: everything that names `alias` names `into` from
    now on, and `alias.linked_to` is set. Where both hold something only one may (a membership of one group, a
    pairing opt-in, a check-in of one pair, a live offer to one group, a seat in the steering group), `into`
    keeps its own, taking the higher of two roles and an active opt-in; the alias's other rows move over. Rows
    linked to `alias` before move to `into` as well. The rows are changed in the database, not in the session:
    objects loaded before show the old values. Raises ValueError when `into` is itself linked to another."""
    if into.linked_to is not None or alias.id == into.id:
        raise ValueError("a member can be merged only into a member that is no one else's account")
    a, b = alias.id, into.id
    # memberships: a group both are in keeps `into`'s, made chair if either chaired it
    both = select(Membership.group_id).where(Membership.member_id == b)
    chaired = select(Membership.group_id).where(Membership.member_id == a, Membership.role == "chair")
    await session.execute(
        update(Membership)
        .where(Membership.member_id == b, Membership.group_id.in_(chaired))
        .values(role="chair")
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Membership).where(Membership.member_id == a, Membership.group_id.in_(both)))
    # a pairing opt-in: `into`'s stays, active if either was
    theirs = await session.get(PairingOptIn, a)
    ours = await session.get(PairingOptIn, b)
    if theirs is not None and ours is not None:
        ours.active = ours.active or theirs.active
        await session.delete(theirs)
        await session.flush()
    # check-ins of one pair, places left out of one round, a seat in the steering group: `into`'s stay
    for model, key in ((CheckIn, CheckIn.pair_id), (PairingLeftOut, PairingLeftOut.round_id)):
        taken = select(key).where(model.member_id == b)
        await session.execute(delete(model).where(model.member_id == a, key.in_(taken)))
    if await session.get(Admin, b) is not None:
        await session.execute(delete(Admin).where(Admin.member_id == a))
    # a live offer to a group `into` has a live offer to (or is in): withdrawn
    live = select(VolunteerOffer.group_id).where(VolunteerOffer.member_id == b, VolunteerOffer.status == "offered")
    await session.execute(
        update(VolunteerOffer)
        .where(
            VolunteerOffer.member_id == a,
            VolunteerOffer.status == "offered",
            VolunteerOffer.group_id.in_(live.union(select(Membership.group_id).where(Membership.member_id == b))),
        )
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )
    # everything else that names the alias, in every table
    members = Member.__table__
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if table is members and column.name == "linked_to":
                continue
            if any(fk.column.table is members for fk in column.foreign_keys):
                await session.execute(
                    table.update()
                    .where(column == a)
                    .values({column.name: b})
                    .execution_options(synchronize_session=False)
                )
    await session.execute(update(Member).where(Member.linked_to == a).values(linked_to=b))
    # an offer to a group the member is now in (the alias was its member): nothing to decide any more
    await session.execute(
        update(VolunteerOffer)
        .where(
            VolunteerOffer.member_id == b,
            VolunteerOffer.status == "offered",
            VolunteerOffer.group_id.in_(select(Membership.group_id).where(Membership.member_id == b)),
        )
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )
    alias.linked_to = b
    await session.flush()


async def group_places(session: AsyncSession, group: Group) -> list[tuple[str, str, str]]:
    """Every channel the group posts to, as (platform, workspace, channel id): its home channel first, when it
    has one, then its channels on other platforms (`GroupChannel`), oldest first."""
    home = [(group.platform, group.workspace, group.channel)] if group.channel else []
    others = await session.execute(
        select(GroupChannel.platform, GroupChannel.workspace, GroupChannel.channel)
        .where(GroupChannel.group_id == group.id)
        .order_by(GroupChannel.id)
    )
    return home + [(p, w, c) for p, w, c in others.tuples()]


def _touches(place: tuple[str, str]) -> Any:
    """The groups whose home, or one of whose channels, is in this (platform, workspace)."""
    elsewhere = select(GroupChannel.id).where(
        GroupChannel.group_id == Group.id, GroupChannel.platform == place[0], GroupChannel.workspace == place[1]
    )
    return or_((Group.platform == place[0]) & (Group.workspace == place[1]), elsewhere.exists())


async def community_places(session: AsyncSession, place: tuple[str, str]) -> list[tuple[str, str]]:
    """The (platform, workspace) places one community spans from `place`: itself and every place a group with a
    channel there also has a channel in (`one_community`), sorted. Groups are few: this reads them all."""
    ids = select(Group.id).where(_touches(place))
    homes = select(Group.platform, Group.workspace).where(Group.id.in_(ids))
    others = select(GroupChannel.platform, GroupChannel.workspace).where(GroupChannel.group_id.in_(ids))
    found = {place} | set((await session.execute(homes)).tuples()) | set((await session.execute(others)).tuples())
    return sorted(found)


async def one_community(session: AsyncSession, a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two (platform, workspace) places belong to one community: the same, or joined by a group with a
    channel in each (its home and a `GroupChannel`, or two of them) — the steering group's own act."""
    if a == b:
        return True

    joined = select(select(Group.id).where(_touches(a), _touches(b)).exists())  # groups are few: hundreds
    return bool(await session.scalar(joined))
