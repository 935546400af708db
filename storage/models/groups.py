"""Groups and what they do: calls for volunteers, offers to serve, memberships, milestones, case studies and
progress updates. Every rule the database can keep (uniqueness, one open offer, one open call) it keeps."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, one_of
from storage.models.people import Member

GROUP_KINDS = ("task", "community")
GROUP_STATUSES = ("forming", "active", "reviewing", "closed")
ROLES = ("member", "chair")
OFFER_STATUSES = ("offered", "accepted", "declined", "withdrawn")


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        one_of("kind", GROUP_KINDS),
        one_of("status", GROUP_STATUSES),
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
    # how often its on-course review runs: "quarter", "month" or "off"; None: quarterly for a task group, never
    # for a community (handlers.polls)
    review_every: Mapped[str | None] = mapped_column(String(10))


class Call(Base):
    """A call for volunteers. At most one open call per group, kept by a partial unique index."""

    __tablename__ = "calls"
    __table_args__ = (
        one_of("status", ("open", "closed")),
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
    closes_on: Mapped[date | None] = mapped_column(Date)  # the last day offers are taken, as the opener wrote it
    closes_at: Mapped[datetime | None]  # when it closes: the start of the next day, in the opener's time zone
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class VolunteerOffer(Base):
    """An offer to serve. One live (`offered`) offer per person per group, kept by a partial unique index."""

    __tablename__ = "volunteer_offers"
    __table_args__ = (
        one_of("role", ROLES),
        one_of("status", OFFER_STATUSES),
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
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
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
        one_of("role", ROLES),
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


class GroupChannel(Base):
    """A channel of a group on a platform (or workspace) other than its home (`Group.platform`, `Group.channel`):
    the group's posts go there too, so that one group serves its members on Slack and Teams alike."""

    __tablename__ = "group_channels"
    __table_args__ = (UniqueConstraint("group_id", "platform", "workspace", name="uq_group_channels_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(200))  # the platform's id (Slack's C…, a Teams conversation id)
    name: Mapped[str | None] = mapped_column(String(120))  # as the platform names it, when it says
    added_at: Mapped[datetime]
