"""Slack's `user_change` and `team_join` events: a deactivated account is left out of pairing and of every
message to people, and the steering group hears when a chair's account goes (SPEC §5)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from scheduler.outbox import DEACTIVATED
from storage.models import Member, Outbox, Pair
from tests.slack.conftest import ADMIN, Workspace


def user_change(ws: Workspace, user: str, *, deleted: bool, name: str | None = None) -> dict[str, Any]:
    """The event as Slack sends it: the whole user object, not an id."""
    profile = ws.api.users[user]
    found = {**profile, "deleted": deleted, "is_bot": False, "updated": int(time.time())}
    if name is not None:
        found["profile"] = {**found["profile"], "display_name": name}
    ws.api.users[user] = found
    return {"type": "user_change", "user": found, "cache_ts": int(time.time()), "event_ts": f"{time.time():.6f}"}


async def test_a_deactivated_chair_is_left_out_and_the_steering_group_told(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command(ADMIN, 'group new "Diversity" kind:task')
    await ws.command(ADMIN, "call diversity")
    await ws.command("U0BEA", "volunteer diversity as:chair")
    await ws.command(ADMIN, "accept <@U0BEA|bea> diversity")
    await ws.command("U0BEA", 'suggest "More sessions online" anon')
    for person in ("U0BEA", "U0CAL", "U0DEE"):
        await ws.command(person, "pairing on")
    await ws.deliver()

    status, _ = await ws.event(user_change(ws, "U0BEA", deleted=True), "Ev0BEAGONE")
    assert status == 200
    told = await api.wait_for("chat.postMessage", lambda a: "account has been deactivated" in (a.get("text") or ""))
    assert told["channel"] == "D" + ADMIN
    assert "Bea's account has been deactivated, and they chair Diversity. It has no other chair" in told["text"]
    assert "`call diversity`" in told["text"]

    # Slack retries the same event: nothing is done twice
    status, _ = await ws.event(user_change(ws, "U0BEA", deleted=True), "Ev0BEAGONE", retry=1)
    assert status == 200
    await ws.deliver()
    notices = [a for a in api.to("chat.postMessage") if "account has been deactivated" in (a.get("text") or "")]
    assert len(notices) == 1

    # pairing leaves her out: Cal and Dee are paired with each other
    answer = await ws.command(ADMIN, "pairing now")
    assert "paired all 2 people" in answer["text"], answer["text"]
    async with ws.parts.db.read() as session:
        bea = await session.scalar(select(Member).where(Member.user_id == "U0BEA"))
        assert bea is not None and bea.deactivated_at is not None
        pairs = (await session.execute(select(Pair.member_a, Pair.member_b, Pair.member_c))).all()
    assert pairs and all(bea.id not in pair for pair in pairs)

    # a message to her (the answer to her anonymous suggestion) is not sent, and says why
    await ws.command(ADMIN, 'suggestion 1 reply "Thank you: we will"')
    await ws.deliver()
    assert not [a for a in api.to("chat.postMessage") if a["channel"] == "DU0BEA" and "Thank you" in a["text"]]
    async with ws.parts.db.read() as session:
        errors = (await session.scalars(select(Outbox.error).where(Outbox.status == "failed"))).all()
    assert DEACTIVATED in errors

    # reactivated (and renamed): she is herself again
    status, _ = await ws.event(user_change(ws, "U0BEA", deleted=False, name="Beatrice"), "Ev0BEABACK")
    assert status == 200
    await ws.deliver()
    async with ws.parts.db.read() as session:
        bea = await session.scalar(select(Member).where(Member.user_id == "U0BEA"))
        assert bea is not None and bea.deactivated_at is None and bea.display_name == "Beatrice"
    assert "Beatrice" in (await ws.command(ADMIN, "members diversity"))["text"]


async def test_a_deactivated_admin_is_not_sent_the_steering_groups_news(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command("U0CAL", "help")
    await ws.command(ADMIN, "admin add <@U0CAL|cal>")
    await ws.event(user_change(ws, "U0CAL", deleted=True), "Ev0CALGONE")
    await ws.deliver()
    await ws.command("U0DEE", 'suggest "A reading group"')
    await ws.deliver()
    news = [a["channel"] for a in api.to("chat.postMessage") if "A reading group" in (a.get("text") or "")]
    assert news == ["D" + ADMIN]


async def test_someone_who_joins_the_workspace_is_not_made_a_member(workspace: Workspace) -> None:
    ws = workspace
    ws.api.person("U0NEW", "Nia")
    joined = {"type": "team_join", "user": ws.api.users["U0NEW"], "event_ts": f"{time.time():.6f}"}
    status, _ = await ws.event(joined, "Ev0NIAJOINS")
    assert status == 200
    await ws.deliver()
    async with ws.parts.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Member).where(Member.user_id == "U0NEW")) == 0


async def test_an_account_event_whose_user_is_not_an_object_is_refused(workspace: Workspace) -> None:
    status, _ = await workspace.event({"type": "user_change", "user": "U0BEA"}, "Ev0BADSHAPE")
    assert status == 400
