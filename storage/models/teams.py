"""Microsoft Teams' tables: where Convene can post on its own (proactive messages need a conversation reference
the Bot Connector gave it), kept when Convene is installed or added and refreshed by every activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, one_of

TEAMS_CONVERSATION_KINDS = ("personal", "channel", "groupChat")


class TeamsConversation(Base):
    """A conversation Convene was installed in or spoke in: a team's channel, a group chat, or a person's
    personal chat with Convene. `reference` is the Bot Framework conversation reference (JSON) that
    continuing the conversation needs; `installed` turns false when Convene is removed from it."""

    __tablename__ = "teams_conversations"
    __table_args__ = (
        one_of("kind", TEAMS_CONVERSATION_KINDS),
        Index("ix_teams_conversations_team", "tenant", "team_id"),
    )

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    service_url: Mapped[str] = mapped_column(String(300))
    team_id: Mapped[str | None] = mapped_column(String(300))  # a channel's team (its General channel's id)
    name: Mapped[str | None] = mapped_column(String(200))  # a channel's or a team's name, when Teams says it
    reference: Mapped[dict[str, Any]]
    installed: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class TeamsUser(Base):
    """A person Convene has heard from in Teams, by their Entra (AAD) object id: their Bot Framework id (what
    a new personal chat is opened with) and their personal chat with Convene, once there is one."""

    __tablename__ = "teams_users"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the AAD object id
    bot_framework_id: Mapped[str | None] = mapped_column(String(200))  # "29:…"
    conversation_id: Mapped[str | None] = mapped_column(String(300))  # the personal chat
    service_url: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime]
