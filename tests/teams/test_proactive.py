"""Convene posts on its own in Teams (the outbox: scheduled posts, notices, DMs) through the conversation
references it keeps from installs and activities, and says in `deliveries failed` why a place is unreachable."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.teams import references
from handlers.command.messages import Reply
from handlers.command.outbox import outbox_row
from storage import queries
from storage.models import Outbox, TeamsConversation, TeamsUser
from tests.teams.conftest import ADA, BEA, CAL, TEAM, TENANT, Tenant, personal, shown


async def enqueue(teams: Tenant, key: str, kind: str, target: str, text: str, label: str = "") -> None:
    now = teams.parts.clock()
    row = outbox_row(
        key=key,
        platform="teams",
        workspace=TENANT,
        target_kind=kind,
        target=target,
        label=label or target,
        reply=Reply(text),
        due=now,
        now=now,
    )
    async with teams.parts.db.write() as session:
        await queries.enqueue(session, [row])


async def outbox(teams: Tenant, key: str) -> Outbox:
    async with teams.parts.db.read() as session:
        row = await session.scalar(select(Outbox).where(Outbox.key == key))
    assert row is not None
    return row


async def installed(teams: Tenant) -> None:
    assert await teams.post(teams.installed_in_team(ADA)) == 202
    assert await teams.post(teams.installation(BEA)) == 202


async def test_installs_store_the_references_and_removal_forgets_them(teams: Tenant) -> None:
    await installed(teams)
    async with teams.parts.db.read() as session:
        team = await session.get(TeamsConversation, (TENANT, TEAM))
        bea = await session.get(TeamsUser, (TENANT, BEA))
    assert team is not None and team.installed and team.kind == "channel" and team.team_id == TEAM
    assert team.reference["serviceUrl"] == teams.connector.url and team.reference["conversation"]["id"] == TEAM
    assert bea is not None and bea.conversation_id == personal(BEA) and bea.bot_framework_id == "29:1bf-00be"
    welcome = teams.connector.to(personal(BEA))
    assert len(welcome) == 1 and "help" in shown(welcome[0])
    assert await teams.post(teams.installation(BEA, "remove")) == 202
    async with teams.parts.db.read() as session:
        chat = await session.get(TeamsConversation, (TENANT, personal(BEA)))
    assert chat is not None and not chat.installed


async def test_posts_and_direct_messages_go_out_through_stored_references(teams: Tenant) -> None:
    await installed(teams)
    # Cal is known by his Teams id (as from a channel), but has no personal chat with Convene yet.
    await references.remember_user(
        teams.parts.db,
        tenant=TENANT,
        user_id=CAL,
        bot_framework_id="29:1bf-00ca",
        service_url=teams.connector.url,
        now=teams.parts.clock(),
    )
    before = len(teams.connector.calls)
    await enqueue(teams, "prompt:1", "channel", TEAM, "What are you reading this week?", "General")
    await enqueue(teams, "notice:bea", "member", BEA, "Your offer was accepted.", "Bea")
    await enqueue(teams, "notice:cal", "member", CAL, "A pairing for you.", "Cal")
    await teams.deliver()
    calls = teams.connector.calls[before:]
    post = [c for c in calls if c.conversation == TEAM]
    assert [(c.kind, c.text) for c in post] == [("send", "What are you reading this week?")]
    assert [c.text for c in calls if c.conversation == personal(BEA)] == ["Your offer was accepted."]
    created = [c for c in calls if c.kind == "create"]
    assert len(created) == 1 and created[0].body["members"] == [{"id": "29:1bf-00ca"}]
    assert [c.text for c in calls if c.kind == "send" and c.conversation == created[0].conversation] == [
        "A pairing for you."
    ]
    sent = await outbox(teams, "prompt:1")
    assert sent.status == "sent" and sent.sent_ref == post[0].body["id"]
    # Cal's personal chat is kept: the next message to him goes straight there.
    await enqueue(teams, "notice:cal:2", "member", CAL, "Another.", "Cal")
    await teams.deliver()
    assert len([c for c in teams.connector.calls if c.kind == "create"]) == 1


async def test_a_group_message_reaches_each_member_in_their_personal_chat(teams: Tenant) -> None:
    await installed(teams)
    await teams.post(teams.installation(CAL))
    before = len(teams.connector.calls)
    await enqueue(teams, "pair:1", "members", f"{BEA},{CAL}", "You two are paired this fortnight.", "Bea, Cal")
    await teams.deliver()
    to = {c.conversation for c in teams.connector.calls[before:] if c.kind == "send"}
    assert to == {personal(BEA), personal(CAL)}


async def test_an_unreachable_place_is_reported_in_deliveries_failed(teams: Tenant) -> None:
    await installed(teams)
    teams.connector.gone.add(TEAM)
    await enqueue(teams, "prompt:gone", "channel", TEAM, "Hello?", "General")
    await teams.deliver()
    row = await outbox(teams, "prompt:gone")
    assert row.status == "failed" and row.attempts == 1
    assert row.error is not None and row.error.startswith("Convene is no longer installed in this team or chat")
    failed = await teams.say(ADA, "deliveries failed")
    assert "Convene is no longer installed in this team or chat" in shown(failed)
    async with teams.parts.db.read() as session:
        team = await session.get(TeamsConversation, (TENANT, TEAM))
    assert team is not None and not team.installed
    # Nothing more is tried there: the next post fails at once, without a call.
    before = len(teams.connector.calls)
    await enqueue(teams, "prompt:gone:2", "channel", TEAM, "Hello again?", "General")
    await teams.deliver()
    assert (await outbox(teams, "prompt:gone:2")).status == "failed"
    assert teams.connector.calls[before:] == []


async def test_a_deleted_conversation_fails_with_its_sentence(teams: Tenant) -> None:
    await installed(teams)
    teams.connector.fail("send", status=404, retry_after=None)
    await enqueue(teams, "prompt:404", "channel", TEAM, "Hello?", "General")
    await teams.deliver()
    row = await outbox(teams, "prompt:404")
    assert (
        row.status == "failed" and row.error is not None and row.error.startswith("Teams has no conversation General")
    )


async def test_a_person_convene_cannot_reach_is_named(teams: Tenant) -> None:
    await installed(teams)
    teams.connector.fail("create", status=403, retry_after=None)
    await enqueue(teams, "notice:stranger", "member", CAL, "Hello", "Cal")
    await teams.deliver()
    row = await outbox(teams, "notice:stranger")
    assert row.status == "failed" and row.error is not None and row.error.startswith("Convene cannot write to Cal")


async def test_429_is_retried_after_teams_retry_after(teams: Tenant) -> None:
    await installed(teams)
    teams.connector.fail("send", status=429, retry_after=1)
    await enqueue(teams, "prompt:busy", "channel", TEAM, "Busy?", "General")
    before = teams.parts.clock()
    await teams.parts.dispatcher.drain()
    row = await outbox(teams, "prompt:busy")
    assert row.status == "pending" and row.attempts == 0 and "429" in (row.error or "")
    assert timedelta(seconds=0.5) < row.due_at - before < timedelta(seconds=2)
    await asyncio.sleep(1.1)
    await teams.deliver()
    row = await outbox(teams, "prompt:busy")
    assert row.status == "sent"
    assert [c.status for c in teams.connector.calls if c.conversation == TEAM and c.kind == "send"] == [429, 200]


async def test_a_busy_service_without_retry_after_waits_a_jittered_while(teams: Tenant) -> None:
    await installed(teams)
    teams.connector.fail("send", status=503, retry_after=None)
    await enqueue(teams, "prompt:503", "channel", TEAM, "Busy?", "General")
    before = teams.parts.clock()
    await teams.parts.dispatcher.drain()
    row = await outbox(teams, "prompt:503")
    assert row.status == "pending" and timedelta(seconds=4) < row.due_at - before < timedelta(seconds=16)


async def test_teams_is_paced_as_teams_asks(db_url: str) -> None:
    from bot.app import TEAMS_CONVERSATION_RATE, TEAMS_TENANT_RATE, build
    from tests.teams.conftest import FakeTokens, settings_for

    parts = await build(settings_for(db_url), {}, migrate=False, teams_tokens=FakeTokens)
    try:
        pacer = parts.dispatcher.pacers["teams"]
        assert pacer.rate == TEAMS_TENANT_RATE <= 50  # Teams: 50 messages a second per app in a tenant
        assert pacer.channel_interval == 1 / TEAMS_CONVERSATION_RATE >= 1 / 7  # about 7 a second per conversation
        assert "teams" in parts.dispatcher.messengers
    finally:
        await parts.close()
