"""Outbox rows: a message to someone other than the asker, to be written in the transaction that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from handlers.command.messages import Reply
from storage.models import Member


def outbox_row(
    *,
    key: str,
    platform: str,
    workspace: str,
    target_kind: str,
    target: str,
    label: str,
    reply: Reply,
    due: datetime,
    now: datetime,
    message_key: str | None = None,
    mode: Literal["post", "edit"] = "post",
) -> dict[str, Any]:
    """The row's values; `key` names the cause, so writing it twice sends nothing twice."""
    return dict(
        key=key,
        platform=platform,
        workspace=workspace,
        target_kind=target_kind,
        target=target,
        target_label=label[:120],
        message_key=message_key,
        mode=mode,
        payload=reply.to_json(),
        status="pending",
        attempts=0,
        due_at=due,
        created_at=now,
    )


def member_row(member: Member, reply: Reply, *, key: str, due: datetime, now: datetime) -> dict[str, Any]:
    """A row for a direct message to one member."""
    return outbox_row(
        key=key,
        platform=member.platform,
        workspace=member.workspace,
        target_kind="member",
        target=member.user_id,
        label=member.display_name,
        reply=reply,
        due=due,
        now=now,
    )
