"""The outbox's Slack messenger: Slack's rate limits and errors."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Outbox
from tests.slack.conftest import ADMIN, Workspace


async def test_a_429_is_retried_after_retry_after_and_delivered_once(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.fail("chat.postMessage", status=429, retry_after=1)
    await ws.command(ADMIN, 'group new "Diversity" kind:task')
    await ws.command(ADMIN, "call diversity")
    await ws.deliver()
    attempts = api.attempts("chat.postMessage")
    assert sorted(c.status for c in attempts) == [200, 200, 429]
    limited = next(c for c in attempts if c.status == 429)
    retried = [c for c in attempts if c.status == 200 and c.args == limited.args]
    assert len(retried) == 1  # the same message, tried again, once
    assert retried[0].at - limited.at >= 1.0  # not before Slack's Retry-After: 1
    assert len(api.to("chat.postMessage")) == 2  # the call's announcement and the group's hello, once each
    async with ws.parts.db.read() as session:
        rows = (await session.scalars(select(Outbox).order_by(Outbox.id))).all()
    assert [r.status for r in rows] == ["sent", "sent"] and all(r.sent_ref for r in rows)


async def test_a_5xx_is_retried_with_backoff(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.fail("chat.postMessage", status=500, retry_after=None, times=2)
    await ws.command(ADMIN, 'group new "Diversity" kind:task')
    await ws.command(ADMIN, "call diversity")
    await ws.deliver()
    assert [c.status for c in api.attempts("chat.postMessage")][:3] == [500, 500, 200]
    assert len(api.to("chat.postMessage")) == 2


async def test_rate_limits_that_outlast_the_retries_go_back_to_the_outbox(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.fail("chat.postMessage", status=429, retry_after=0, times=3)  # slack_sdk retries twice, then gives up
    await ws.command(ADMIN, 'group new "Diversity" kind:task')
    await ws.deliver()
    assert [c.status for c in api.attempts("chat.postMessage")] == [429, 429, 429, 200]
    async with ws.parts.db.read() as session:
        row = await session.scalar(select(Outbox))
    assert row is not None and row.status == "sent"
    assert row.attempts == 1  # being rate limited is not a failed attempt


async def test_a_channel_convene_cannot_create_fails_for_good_with_the_reason(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.handlers["conversations.create"] = lambda _args: {"ok": False, "error": "missing_scope"}
    await ws.command(ADMIN, 'group new "Diversity" kind:task')
    await ws.deliver()
    async with ws.parts.db.read() as session:
        row = await session.scalar(select(Outbox))
    assert row is not None and row.status == "failed" and "channels:manage" in (row.error or "")


async def test_a_private_channel_convene_is_not_in_fails_at_once_saying_what_to_do(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.channels["staff-only"] = "G0STAFF"
    api.private.add("G0STAFF")
    await ws.command(ADMIN, 'group new "Diversity" kind:task channel:#staff-only')
    await ws.deliver()
    async with ws.parts.db.read() as session:
        row = await session.scalar(select(Outbox))
    assert row is not None and row.status == "failed" and row.attempts == 1  # not tried again: it cannot mend
    assert row.error == (
        "Convene is not in #staff-only, a private channel: invite @Convene to it (`/invite @Convene` in the "
        "channel). (Slack said method_not_supported_for_channel_type)"
    )
    assert len(api.to("conversations.join")) == 1
    shown = (await ws.command(ADMIN, "deliveries failed"))["text"]
    assert "invite @Convene to it" in shown


async def test_a_deactivated_persons_direct_message_fails_at_once_with_the_reason(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command("U0BEA", 'suggest "Longer lunch breaks"')
    api.users["U0BEA"]["deleted"] = True  # deactivated, and Convene not yet told (no user_change event yet)
    await ws.command(ADMIN, 'suggestion 1 reply "We will ask"')
    await ws.deliver()
    async with ws.parts.db.read() as session:
        row = await session.scalar(select(Outbox).where(Outbox.target == "U0BEA"))
    assert row is not None and row.status == "failed" and row.attempts == 1
    assert row.error == "The Slack account of Bea is deactivated. (Slack said user_disabled)"
