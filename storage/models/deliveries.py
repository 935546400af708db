"""Deliveries both ways: the outbox (every message Convene sends that is not the immediate answer to its asker),
and the platforms' deliveries already acted on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class Outbox(Base):
    """A message to send that is not the immediate answer to its asker, written in the same transaction as
    the change that caused it. `key` names the cause, so writing the same message twice is impossible."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        # members: a group DM, user ids joined by ","; sealed: one person's sealed address (handlers.command.sealing)
        one_of("target_kind", ("channel", "member", "members", "sealed")),
        one_of("mode", ("post", "edit")),
        Index("ix_outbox_due", "status", "due_at"),
        # A message's post and its edits: a call's announcement gathers an edit at every offer.
        Index("ix_outbox_message", "message_key", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(300))
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


class Received(Base):
    """A platform's delivery already acted on (`Request.delivery`: `slack:request:<signature>`,
    `slack:event:<event_id>`), so that a retry or a replay does nothing twice, whichever process it reaches."""

    __tablename__ = "received"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
