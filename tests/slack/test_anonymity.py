"""An anonymous suggestion, its answer and a change of its status, through Slack over real HTTP: nothing in any
table, any admin command's output, the log or what Slack was asked to show the steering group names or points
to the sender, and the sender is told (SPEC.md §6)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Base, Member
from tests.slack.conftest import ADMIN, Workspace

OWEN = "U0OWEN"
NAMED = ("U0OWEN", "Owen", "owen", "Marlowe")  # what would say who it was
TEXT = "My manager blocks my training"


async def dump(ws: Workspace) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every row of every table, by its repr (rows hold JSON, which is not hashable)."""
    async with ws.parts.db.read() as session:
        return {
            t.name: {repr(tuple(row)): tuple(row) for row in await session.execute(select(t))}
            for t in Base.metadata.sorted_tables
        }


def pointing_at(table: str, row: tuple[Any, ...], member_id: int) -> list[str]:
    """What in a row names Owen, or is his member id in a column that refers to members."""
    columns = Base.metadata.tables[table].columns
    found = []
    for column, value in zip(columns, row, strict=True):
        if isinstance(value, str) and any(n in value for n in NAMED):
            found.append(f"{table}.{column.name} = {value[:80]!r}")
        refers = any(fk.column.table.name == "members" for fk in column.foreign_keys)
        if refers and value == member_id:
            found.append(f"{table}.{column.name} is Owen's member id")
    return found


async def test_nothing_links_an_anonymous_suggestion_to_its_sender_and_the_answers_reach_them(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws, api = workspace, workspace.api
    api.person(OWEN, "Owen Marlowe")
    await ws.command(ADMIN, "help")
    await ws.command(OWEN, "help")  # Owen is a member: his row is there, before and after
    async with ws.parts.db.read() as session:
        owen = await session.scalar(select(Member.id).where(Member.user_id == OWEN))
    assert owen is not None
    before = await dump(ws)
    calls_before = len(api.calls)

    with caplog.at_level(logging.INFO):  # what the log holds at Convene's usual level
        sent = await ws.command(OWEN, f'suggest "{TEXT}" anon')
        assert "anonymously" in sent["text"]
        await ws.deliver()
        await ws.command(ADMIN, 'suggestion 1 reply "We will talk to the library directors"')
        await ws.command(ADMIN, "suggestion 1 status:planned")
        await ws.deliver()
        shown = [
            await ws.command(ADMIN, said)
            for said in ("suggestions", "suggestions planned", "deliveries", "deliveries failed", "schedules", "home")
        ]
        await ws.event(ws.home_opened(ADMIN), "Ev0ADAHOME")
        await api.wait_for("views.publish", lambda a: a.get("user_id") == ADMIN)

    # Every table: what changed names no one, and no column that refers to members holds Owen's id.
    after = await dump(ws)
    changed = {t: [row for key, row in after[t].items() if key not in before[t]] for t in after}
    assert any(r for r in changed["suggestions"])
    links = [f for table, rows in changed.items() for row in rows for f in pointing_at(table, row, owen)]
    assert links == []

    # Every admin view, and everything Slack was asked to show the steering group.
    for answer in shown:
        assert not any(n in str(answer) for n in NAMED), answer.get("text")
    calls = api.calls[calls_before:]
    dm_to_owen = "D" + OWEN
    to_admins = [
        c.args for c in calls if c.method.startswith(("chat.", "views.")) and c.args.get("channel") != dm_to_owen
    ]
    assert to_admins and not any(n in str(args) for args in to_admins for n in NAMED)

    # The log: no name, no user id, no text of any message.
    logged = [r.getMessage() for r in caplog.records]
    assert not [line for line in logged if any(n in line for n in NAMED) or "manager" in line or "directors" in line]

    # And Owen got both: the answer, then the change of status.
    to_owen = [c.args["text"] for c in calls if c.method == "chat.postMessage" and c.args.get("channel") == dm_to_owen]
    assert len(to_owen) == 2
    assert "We will talk to the library directors" in to_owen[0] and TEXT in to_owen[0]
    assert "Your suggestion #1 is now planned." in to_owen[1]
