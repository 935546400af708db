"""Convene's tables. Every rule the database can keep (uniqueness, one open offer, one open call) it keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GROUP_KINDS = ("task", "community")
GROUP_STATUSES = ("forming", "active", "reviewing", "closed")
CAREER_STAGES = ("early", "mid", "senior", "leader")
ROLES = ("member", "chair")
OFFER_STATUSES = ("offered", "accepted", "declined", "withdrawn")
SUGGESTION_STATUSES = ("new", "acknowledged", "planned", "done", "declined")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back time-zone aware (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "user_id", name="uq_members_identity"),
        CheckConstraint("stage IS NULL OR stage IN ('early', 'mid', 'senior', 'leader')", name="stage_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(120))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    title: Mapped[str | None] = mapped_column(String(120))
    stage: Mapped[str | None] = mapped_column(String(10))
    interests: Mapped[str | None] = mapped_column(String(500))
    tz: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime]

    institution: Mapped[Institution | None] = relationship(lazy="joined")


class Admin(Base):
    __tablename__ = "admins"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        _one_of("kind", GROUP_KINDS),
        _one_of("status", GROUP_STATUSES),
        CheckConstraint("seats IS NULL OR seats > 0", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    theme: Mapped[str | None] = mapped_column(String(120))
    about: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(80))
    seats: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="forming")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Call(Base):
    """A call for volunteers. At most one open call per group, kept by a partial unique index."""

    __tablename__ = "calls"
    __table_args__ = (
        _one_of("status", ("open", "closed")),
        Index(
            "uq_calls_open_per_group",
            "group_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The partial index above serves only queries that spell `status = 'open'` in their SQL; a group's calls
        # asked for by a bound status, or by recency, need their own.
        Index("ix_calls_group", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    closes_on: Mapped[date | None] = mapped_column(Date)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class VolunteerOffer(Base):
    """An offer to serve. One live (`offered`) offer per person per group, kept by a partial unique index."""

    __tablename__ = "volunteer_offers"
    __table_args__ = (
        _one_of("role", ROLES),
        _one_of("status", OFFER_STATUSES),
        Index(
            "uq_offers_live_per_member",
            "group_id",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'offered'"),
            postgresql_where=text("status = 'offered'"),
        ),
        Index("ix_offers_tally", "group_id", "status", "role"),  # a group's offers, counted at every offer
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="offered")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id", name="uq_memberships_group_member"),
        _one_of("role", ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    since: Mapped[datetime]

    member: Mapped[Member] = relationship(lazy="joined")


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("group_id", "number", name="uq_milestones_group_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class CaseStudy(Base):
    __tablename__ = "case_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(500))
    published_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class ProgressUpdate(Base):
    __tablename__ = "progress_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]


class Suggestion(Base):
    """A suggestion to the steering group. `sender_id` is kept, even when anonymous, only so that replies
    reach the sender; no view shows it for an anonymous suggestion."""

    __tablename__ = "suggestions"
    __table_args__ = (_one_of("status", SUGGESTION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15), default="new")
    created_at: Mapped[datetime]

    sender: Mapped[Member | None] = relationship(lazy="joined")


class SuggestionReply(Base):
    __tablename__ = "suggestion_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Outbox(Base):
    """A message to send that is not the immediate answer to its asker, written in the same transaction as
    the change that caused it. `key` names the cause, so writing the same message twice is impossible."""

    __tablename__ = "outbox"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        _one_of("target_kind", ("channel", "member", "members")),  # members: a group DM, ids joined by ","
        _one_of("mode", ("post", "edit")),
        Index("ix_outbox_due", "status", "due_at"),
        # A message's post and its edits: a call's announcement gathers an edit at every offer.
        Index("ix_outbox_message", "message_key", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(80))
    target_label: Mapped[str] = mapped_column(String(120))
    message_key: Mapped[str | None] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(10), default="post")
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_ref: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
