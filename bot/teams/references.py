"""Where Convene can post in Teams on its own: the conversation references the Bot Connector gave it, kept in
`teams_conversations` (by tenant and conversation id) and `teams_users` (a person's personal chat, by tenant and
Entra object id). Written when Convene is installed or added, and refreshed by every activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import TeamsConversation, TeamsUser

KINDS = {"personal": "personal", "channel": "channel", "groupChat": "groupChat"}


def _upsert(
    session: AsyncSession, model: Any, values: dict[str, Any], keys: tuple[str, ...], changed: list[str]
) -> Any:
    dialect = session.get_bind().dialect.name
    insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(model).values(**values)
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={name: insert.excluded[name] for name in changed}
    )


async def remember_conversation(
    db: Database,
    *,
    tenant: str,
    conversation_id: str,
    kind: str,
    service_url: str,
    reference: dict[str, Any],
    now: datetime,
    team_id: str | None = None,
    name: str | None = None,
    session: AsyncSession | None = None,
) -> None:
    """Keep (or refresh) a conversation's reference; it is installed again if it was removed. In `session`'s
    write unit when given (with what else it writes), else in a write unit of its own."""
    values = dict(
        tenant=tenant,
        conversation_id=conversation_id[:300],
        kind=KINDS.get(kind, "channel"),
        service_url=service_url[:300],
        team_id=team_id[:300] if team_id else None,
        name=name[:200] if name else None,
        reference=reference,
        installed=True,
        updated_at=now,
    )
    changed = ["service_url", "reference", "installed", "updated_at", "kind"]
    changed += [c for c in ("team_id", "name") if values[c] is not None]
    await _write(db, session, TeamsConversation, values, ("tenant", "conversation_id"), changed)


async def remember_user(
    db: Database,
    *,
    tenant: str,
    user_id: str,
    bot_framework_id: str | None,
    service_url: str,
    now: datetime,
    conversation_id: str | None = None,
    session: AsyncSession | None = None,
) -> None:
    """Keep (or refresh) what opens a person's personal chat: their Bot Framework id and, once known, the chat.
    In `session`'s write unit when given, else in a write unit of its own."""
    values = dict(
        tenant=tenant,
        user_id=user_id[:64],
        bot_framework_id=bot_framework_id[:200] if bot_framework_id else None,
        conversation_id=conversation_id[:300] if conversation_id else None,
        service_url=service_url[:300],
        updated_at=now,
    )
    changed = ["service_url", "updated_at"]
    changed += [c for c in ("bot_framework_id", "conversation_id") if values[c] is not None]
    await _write(db, session, TeamsUser, values, ("tenant", "user_id"), changed)


async def _write(
    db: Database,
    session: AsyncSession | None,
    model: Any,
    values: dict[str, Any],
    keys: tuple[str, ...],
    changed: list[str],
) -> None:
    if session is not None:
        await session.execute(_upsert(session, model, values, keys, changed))
        return
    async with db.write() as own:
        await own.execute(_upsert(own, model, values, keys, changed))


async def uninstalled(db: Database, tenant: str, conversation_ids: list[str], now: datetime) -> None:
    """Convene was removed from these conversations (or the team holding them)."""
    async with db.write() as session:
        await session.execute(
            update(TeamsConversation)
            .where(TeamsConversation.tenant == tenant, TeamsConversation.conversation_id.in_(conversation_ids))
            .values(installed=False, updated_at=now)
        )


async def removed_from_team(db: Database, tenant: str, team_id: str, now: datetime) -> None:
    async with db.write() as session:
        await session.execute(
            update(TeamsConversation)
            .where(TeamsConversation.tenant == tenant, TeamsConversation.team_id == team_id)
            .values(installed=False, updated_at=now)
        )


async def conversation(db: Database, tenant: str, conversation_id: str) -> TeamsConversation | None:
    async with db.read() as session:
        return await session.get(TeamsConversation, (tenant, conversation_id))


async def channel_named(db: Database, tenant: str, name: str) -> TeamsConversation | None:
    """The channel Convene knows by this name (`#wellbeing` or `wellbeing`), case-insensitively: the one most
    recently heard from, if two teams have one."""
    wanted = name.lstrip("#").strip().lower()
    async with db.read() as session:
        found = await session.scalars(
            select(TeamsConversation)
            .where(TeamsConversation.tenant == tenant, TeamsConversation.kind == "channel")
            .order_by(TeamsConversation.updated_at.desc())
        )
        for row in found:
            if (row.name or "").lstrip("#").strip().lower() == wanted:
                return row
    return None


async def user(db: Database, tenant: str, user_id: str) -> TeamsUser | None:
    async with db.read() as session:
        return await session.get(TeamsUser, (tenant, user_id))


async def bot_framework_ids(db: Database, tenant: str, ids: list[str]) -> dict[str, str]:
    """Entra object ids by Bot Framework id (`29:…`), for the people among `ids` Convene has heard from."""
    if not ids:
        return {}
    async with db.read() as session:
        rows = await session.execute(
            select(TeamsUser.bot_framework_id, TeamsUser.user_id).where(
                TeamsUser.tenant == tenant, TeamsUser.bot_framework_id.in_(ids)
            )
        )
        return {str(bf): str(aad) for bf, aad in rows.tuples() if bf}
