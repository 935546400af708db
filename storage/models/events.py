"""Networking events and the answers to them (SPEC.md §2 Event, RSVP; §6 seats never exceeded, a waitlist keeps
its order).

An event's seats are held by the RSVPs answered `going` with no waitlist `position`; a `going` that finds the
seats taken waits with the next position the event hands out (`next_position`), so the waitlist keeps the order
of arrival, and every change to who holds a seat takes the event row's lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

EVENT_STATUSES = ("scheduled", "cancelled")
AUDIENCES = ("all", "early", "mid", "senior", "leader")  # `all`, or the career stage an event is offered to first
RSVP_ANSWERS = ("going", "maybe", "no")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        one_of("status", EVENT_STATUSES),
        one_of("audience", AUDIENCES),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_events_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]  # UTC
    tz: Mapped[str] = mapped_column(String(64))  # the organiser's zone, in which it was entered (iCalendar TZID)
    place: Mapped[str | None] = mapped_column(String(200))  # `where:`
    link: Mapped[str | None] = mapped_column(String(500))  # an online meeting's address
    seats: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    programme: Mapped[str | None] = mapped_column(String(40))  # a tag, like cpd25
    audience: Mapped[str] = mapped_column(String(10), default="all")
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # where its card was posted when it has no group: a channel, on the organiser's platform and workspace
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE: one more at each change
    next_position: Mapped[int] = mapped_column(Integer, default=1)  # the waitlist position handed out next
    version: Mapped[int] = mapped_column(Integer, default=0)  # one more at each RSVP: names each card edit
    shown_version: Mapped[int] = mapped_column(Integer, default=0)  # what the card's last edit shows
    reminded_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reminded_hour: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Rsvp(Base):
    """One person's answer to one event. `position` is set while they wait for a seat (answered `going` when
    there was none); `attended` is what the organiser marked after it (None: not marked)."""

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id", name="uq_rsvps_event_member"),
        UniqueConstraint("event_id", "position", name="uq_rsvps_event_position"),
        one_of("answer", RSVP_ANSWERS),
        CheckConstraint("position IS NULL OR answer = 'going'", name="only_going_waits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(10))
    position: Mapped[int | None] = mapped_column(Integer)
    attended: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
