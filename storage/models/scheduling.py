"""Schedules, and the occurrences they ran."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

SCHEDULE_KINDS = ("prompts", "pairing", "reminders", "polls")
RUN_STATUSES = ("done", "skipped")


class Schedule(Base):
    """Something Convene does on a rule: a cron expression in a time zone, optionally every N weeks counted
    from `anchor`, skipping England and Wales bank holidays unless `skip_holidays` is off. `scope` names what
    the schedule is for (`group 3`, `workspace slack:T1`, `system`): one schedule of a kind per scope."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("kind", "scope", name="uq_schedules_kind_scope"),
        one_of("kind", SCHEDULE_KINDS),
        CheckConstraint("every_weeks >= 1", name="every_weeks_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(120))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(200))  # as typed, for people to read
    cron: Mapped[str] = mapped_column(String(100))
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    anchor: Mapped[date | None] = mapped_column(Date)
    tz: Mapped[str] = mapped_column(String(64), default="Europe/London")
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScheduleRun(Base):
    """One occurrence of a schedule, run or skipped. The unique (schedule, fire time) makes an occurrence
    happen once, whichever process or restart gets to it first."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_runs_occurrence"),
        one_of("status", RUN_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))
    ran_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(300))
