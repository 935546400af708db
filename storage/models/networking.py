"""Networking: conversation prompts and their use, and cross-library pairing (opt-ins, rounds, pairs and
check-in answers)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

CHECKIN_ANSWERS = ("met", "planned", "not")


class Prompt(Base):
    """A networking prompt of the consortium's own: a group's (group_id set) or everyone's (group_id None).
    Convene's built-in prompts live in code."""

    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]


class PromptUse(Base):
    """A prompt posted to a group at an occurrence; `ref` is `b:<key>` for a built-in, `p:<id>` for a row."""

    __tablename__ = "prompt_uses"
    __table_args__ = (
        UniqueConstraint("group_id", "occurrence", name="uq_prompt_uses_group_occurrence"),
        Index("ix_prompt_uses_group_ref", "group_id", "ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(20))
    occurrence: Mapped[str] = mapped_column(String(120))
    used_at: Mapped[datetime]


class PairingOptIn(Base):
    __tablename__ = "pairing_optins"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[date | None] = mapped_column(Date)  # left out of rounds before this date
    since: Mapped[datetime]
    updated_at: Mapped[datetime]


class PairingRound(Base):
    __tablename__ = "pairing_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence: Mapped[str] = mapped_column(String(120), unique=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(index=True)
    checkin_at: Mapped[datetime]
    people: Mapped[int] = mapped_column(Integer)
    left_out: Mapped[int] = mapped_column(Integer, default=0)


class PairingLeftOut(Base):
    """Someone a round could not place: the next round places them first (`handlers.networking.matching`)."""

    __tablename__ = "pairing_left_out"

    round_id: Mapped[int] = mapped_column(ForeignKey("pairing_rounds.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class Pair(Base):
    """Two people (or three: `member_c`) introduced in a round."""

    __tablename__ = "pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pairing_rounds.id", ondelete="CASCADE"), index=True)
    member_a: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    member_b: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    member_c: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    prompt: Mapped[str | None] = mapped_column(Text)


class CheckIn(Base):
    """A member's answer to "did you meet?" for their pair; one per member per pair, changeable."""

    __tablename__ = "pairing_checkins"
    __table_args__ = (
        UniqueConstraint("pair_id", "member_id", name="uq_pairing_checkins_pair_member"),
        one_of("answer", CHECKIN_ANSWERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(10))
    answered_at: Mapped[datetime]
