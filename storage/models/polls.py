"""Polls and their votes (SPEC.md §2 Poll, Vote; §6 one vote per member, anonymity fixed at creation).

A named poll's vote names its member. An anonymous poll's vote names no one: it holds only a keyed hash of the
member and the poll (`voter`, HMAC with the server's key, `handlers.command.sealing.Sealer.pseudonym`), which
keeps one vote per person and which no one without the key can turn back into a person, and no moment that
could be matched against anything else Convene records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

POLL_KINDS = ("choice", "rating", "text")
POLL_STATUSES = ("open", "closed", "recurring")  # recurring: a feedback poll's template, never voted on


class Poll(Base):
    __tablename__ = "polls"
    __table_args__ = (
        one_of("kind", POLL_KINDS),
        one_of("status", POLL_STATUSES),
        CheckConstraint("max_choices >= 1", name="max_choices_positive"),
        Index("ix_polls_open_closing", "status", "closes_at"),  # also finds open polls whose card is behind
        Index("ix_polls_group_review", "group_id", "review", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    options: Mapped[dict[str, Any]]  # {"labels": [...]}: a choice poll's options in order (a rating's are 1-5)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)  # 1: one answer; more: `multi` or `limit:N`
    anonymous: Mapped[bool] = mapped_column(Boolean)  # fixed at creation: no command changes it
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # results shown only once closed
    closes_at: Mapped[datetime | None]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    # where it was posted when it has no group: a channel, on the creator's platform and workspace
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(200))
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a group's on-course review
    # an occurrence of a recurring poll: the template (status `recurring`, scheduled by the `polls` schedule whose
    # scope is `poll <template id>`) it was copied from
    series_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"), index=True)
    # an event's feedback poll (one an event), sent to those who attended it (`storage.queries.attendee_ids`)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # one more at every vote: names each card edit
    shown_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the card's last edit shows
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Vote(Base):
    """One person's answer to one poll: the options chosen (by number, from 1) or a text answer. Exactly one of
    `member_id` (a named poll) and `voter` (an anonymous poll's keyed hash) is set, and each is unique per poll."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "member_id", name="uq_votes_poll_member"),
        UniqueConstraint("poll_id", "voter", name="uq_votes_poll_voter"),
        CheckConstraint("(member_id IS NULL) <> (voter IS NULL)", name="named_or_hashed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    voter: Mapped[str | None] = mapped_column(String(64))
    choices: Mapped[dict[str, Any]]  # {"chosen": [1, 3]}: option numbers, in the order of the options
    answer: Mapped[str | None] = mapped_column(Text)  # a text poll's answer
