"""People: the member libraries, members (one identity each on a platform) and the steering group."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

CAREER_STAGES = ("early", "mid", "senior", "leader")


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
    # When the platform said the account was deactivated (Slack's `deleted`); None while it is active. A
    # deactivated member is left out of pairing and of every message to people (SPEC §5).
    deactivated_at: Mapped[datetime | None]
    # Another account of the same person (on another platform), linked with `link`: this identity speaks as that
    # member, who holds their memberships, offers, pairing and rights (SPEC §3). None for a person's own row.
    linked_to: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)

    # the secret in the address of the person's calendar feed (`calendar`; `calendar reset` makes a new one)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    institution: Mapped[Institution | None] = relationship(lazy="joined")


class LinkCode(Base):
    """A one-time code shown by `link` on one platform, to be typed on another before `expires_at`; only its hash
    is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]


class Admin(Base):
    __tablename__ = "admins"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
