"""The suggestion box: suggestions to the steering group, and its replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, one_of
from storage.models.people import Member

SUGGESTION_STATUSES = ("new", "acknowledged", "planned", "done", "declined")


class Suggestion(Base):
    """A suggestion to the steering group. An anonymous one has no sender: only `sealed_to`, its sender's address
    sealed with the server's key (handlers.command.sealing), which the outbox alone opens to deliver a reply."""

    __tablename__ = "suggestions"
    __table_args__ = (one_of("status", SUGGESTION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    sealed_to: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15), default="new", index=True)
    created_at: Mapped[datetime]

    sender: Mapped[Member | None] = relationship(lazy="joined")


class SuggestionReply(Base):
    __tablename__ = "suggestion_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
