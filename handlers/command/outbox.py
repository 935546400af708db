"""Outbox rows: a message to someone other than the asker, to be written in the transaction that causes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.grammar import MAX_ID
from handlers.command.messages import Reply, channel_ref, person_ref, possessive
from storage import queries
from storage.db import Database
from storage.models import Group, Member, Outbox


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


def beside(
    post: Outbox, message_key: str, key: str, reply: Reply, due: datetime, now: datetime, *, edit: bool
) -> dict[str, Any]:
    """A row to the place `post` (of the message `message_key`, from `storage.queries.posts_of`) went to: an edit
    of that message, or a new message beside it. Its key is `key` with the place's suffix, as the post's own."""
    suffix = (post.message_key or "")[len(message_key) :]
    return outbox_row(
        key=key + suffix,
        platform=post.platform,
        workspace=post.workspace,
        target_kind=post.target_kind,
        target=post.target,
        label=post.target_label,
        reply=reply,
        due=due,
        now=now,
        message_key=post.message_key if edit else None,
        mode="edit" if edit else "post",
    )


def address(member: Member) -> str:
    """A person's address, for the keys of messages to them: whether or not they are in the database yet."""
    return f"{member.platform}:{member.workspace}:{member.user_id}"


def mention(member: Member) -> str:
    """The member, mentioned: a notifying link where the platform has one, the name where it has not."""
    return person_ref(member.user_id, member.display_name)


def member_row(
    member: Member,
    reply: Reply,
    *,
    key: str,
    due: datetime,
    now: datetime,
    message_key: str | None = None,
    mode: Literal["post", "edit"] = "post",
) -> dict[str, Any]:
    """A row for a direct message to one member (`mode="edit"`: an edit of the message posted as
    `message_key`)."""
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
        message_key=message_key,
        mode=mode,
    )


def group_rows(
    group: Group,
    places: list[tuple[str, str, str]],
    reply: Reply,
    *,
    key: str,
    due: datetime,
    now: datetime,
    invitee: Member | None = None,
    message_key: str | None = None,
    home: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Rows posting `reply` in each of a group's channels (`queries.group_places`), each on its own platform.
    The row on `home` (platform, workspace; the group's own by default) takes `key` and `message_key` as given;
    another's adds `place_suffix`, so each post is sent once and can be edited where it is. `invitee`: brought
    into the channel on their own platform only (an invitation names a platform's user id)."""
    home = home or (group.platform, group.workspace)
    rows = []
    for platform, workspace, channel in places:
        here = "" if (platform, workspace) == home else place_suffix(platform, workspace)
        mine = invitee is not None and invitee.platform == platform and invitee.workspace == workspace
        rows.append(
            outbox_row(
                key=key + here,
                platform=platform,
                workspace=workspace,
                target_kind="channel",
                target=channel,
                label=channel,
                reply=reply if mine or not reply.invite else replace(reply, invite=()),
                due=due,
                now=now,
                message_key=message_key + here if message_key else None,
            )
        )
    return rows


def place_suffix(platform: str, workspace: str) -> str:
    """What a post's key and message key add for a copy of it on another platform or workspace."""
    return f" @{platform}:{workspace}"


SEALED = "sealed"  # the platform, workspace and target kind of a row whose address is sealed
ANONYMOUS = "anonymous sender"
REDACTED = "(redacted)"  # a sealed row's target once it is sent or has failed for good
REDACTED_TEXT = "A message to an anonymous sender. Once sent, neither its address nor its text is kept."


def sealed_row(sealed: str, reply: Reply, *, key: str, now: datetime) -> dict[str, Any]:
    """A row for a direct message to a sealed address: where it goes (platform and workspace too) is known only
    once the outbox opens the seal to send it."""
    return outbox_row(
        key=key,
        platform=SEALED,
        workspace=SEALED,
        target_kind=SEALED,
        target=sealed,
        label=ANONYMOUS,
        reply=reply,
        due=now,
        now=now,
    )


async def sent_message(
    db: Database, row_id: int, *, platform: str, workspace: str, user_id: str, message_ref: str | None
) -> Reply | None:
    """A message Convene sent (outbox row `row_id`), for the person asking to page through it; None unless it is
    theirs to see (SPEC.md §6: an identifier that comes back from a client is checked against the person).
    Theirs: sent to them (alone or in a group DM) in their workspace, or posted in a channel as the very
    message they are looking at (`message_ref`, the platform's reference of the message the button is on)."""
    if not 1 <= row_id <= MAX_ID:
        return None
    async with db.read() as session:
        row = await session.get(Outbox, row_id)
    if row is None or (row.platform, row.workspace) != (platform, workspace) or row.status != "sent":
        return None
    if row.target_kind in ("member", "members"):
        mine = user_id in row.target.split(",")
    else:
        mine = message_ref is not None and row.sent_ref == message_ref
    return Reply.from_json(row.payload) if mine else None


async def post_card(
    session: AsyncSession,
    reply: Reply,
    *,
    key: str,
    message_key: str,
    now: datetime,
    group: Group | None,
    channel: tuple[str, str, str] | None,
) -> str | None:
    """Queue a card (a poll's, an event's) where it belongs: in each of `group`'s channels on its own platform, or
    else in `channel` (platform, workspace, channel id); where that is, in words, or None when the group has no
    channel. Each place's post carries `message_key` (with the place's suffix), so the card can be edited there."""
    if group is None:
        assert channel is not None
        platform, workspace, target = channel
        row = outbox_row(
            key=key,
            platform=platform,
            workspace=workspace,
            target_kind="channel",
            target=target,
            label=target,
            reply=reply,
            due=now,
            now=now,
            message_key=message_key,
        )
        await queries.enqueue(session, [row])
        return f"in {channel_ref(target)}"
    places = await queries.group_places(session, group)
    if not places:
        return None
    await queries.enqueue(session, group_rows(group, places, reply, key=key, due=now, now=now, message_key=message_key))
    return f"in {possessive(group.name)} " + ("channel" if len(places) == 1 else "channels")
