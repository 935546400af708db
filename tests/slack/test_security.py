"""Signed requests only; no replays; a retried event acts once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.slack.adapter import REPLAY_WINDOW, Recent
from storage.models import Outbox, Received
from tests.slack.conftest import ADMIN, Workspace, sign


async def test_forged_stale_and_replayed_requests_are_refused(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    body = ws.command_body(ADMIN, 'group new "Forged" kind:task')
    form = "application/x-www-form-urlencoded"

    status, _ = await ws.post(body, form, sign(body, secret="not-the-signing-secret"))
    assert status == 401
    status, _ = await ws.post(body, form, {})
    assert status == 401
    tampered = sign(body)
    status, _ = await ws.post(body.replace("Forged", "Forgex"), form, tampered)
    assert status == 401
    status, _ = await ws.post(body, form, sign(body, timestamp=int(time.time()) - 6 * 60))
    assert status == 401

    headers = sign(body)
    status, text = await ws.post(body, form, headers)
    assert status == 200 and "Created the task-and-finish group Forged" in text
    status, _ = await ws.post(body, form, headers)  # the same signed request again
    assert status == 401
    groups = await ws.command(ADMIN, "groups")
    assert groups["text"].count("Forged") == 1
    assert api.to("views.open") == []


async def test_an_event_delivered_four_times_acts_once(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    event = ws.home_opened("U0BEA")
    answers = [await ws.event(event, "Ev0FOURTIMES", retry=n) for n in (None, 1, 2, 3)]
    assert [status for status, _ in answers] == [200, 200, 200, 200]
    await api.wait_for("views.publish")
    await asyncio.sleep(0.2)  # anything a repeat had started would have reached the fake by now
    assert len(api.to("views.publish")) == 1
    async with ws.parts.db.read() as session:
        seen = await session.scalar(select(func.count()).where(Received.key == "slack:event:Ev0FOURTIMES"))
    assert seen == 1


async def test_slack_url_verification_is_answered(workspace: Workspace) -> None:
    body = '{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
    status, text = await workspace.post(body, "application/json")
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_a_replay_is_refused_by_another_process_too(workspace: Workspace) -> None:
    ws = workspace
    slack = ws.parts.slack
    assert slack is not None
    form = "application/x-www-form-urlencoded"
    read = ws.command_body(ADMIN, "suggestions")
    read_headers = sign(read)
    assert (await ws.post(read, form, read_headers))[0] == 200
    assert (await ws.post(read, form, read_headers))[0] == 401  # refused by this process's memory

    write = ws.command_body(ADMIN, 'group new "Twice" kind:task')
    headers = sign(write)
    assert (await ws.post(write, form, headers))[0] == 200
    for _ in range(100):  # a read's record is written after its answer
        if not slack.adapter.background.tasks:
            break
        await asyncio.sleep(0.01)
    slack.adapter._recent = Recent(REPLAY_WINDOW)  # as if the replays reached another copy of Convene
    assert (await ws.post(write, form, headers))[0] == 401  # refused by the record in the database
    status, body = await ws.post(read, form, read_headers)
    assert (status, body) == (401, "")  # a read too: nothing of the list is shown again
    async with ws.parts.db.read() as session:
        assert await session.scalar(select(func.count()).where(Received.key.like("slack:request:%"))) == 2


async def test_a_request_from_a_workspace_the_token_does_not_serve_is_refused(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws, api = workspace, workspace.api
    ws.team = "T9999"  # the bot token is T0LIBS's
    with caplog.at_level(logging.WARNING, logger="convene.slack"):
        answer = await ws.command(ADMIN, 'group new "Takeover" kind:task')
    assert answer["response_type"] == "ephemeral" and "not installed in this Slack workspace" in answer["text"]
    assert api.to("users.info") == []  # nothing asked of Slack with a token that is not that workspace's
    assert any("T9999" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    ws.team = "T0LIBS"
    assert "Takeover" not in (await ws.command(ADMIN, "groups"))["text"]


def more_button(row_id: int) -> list[dict[str, Any]]:
    """A "More" button as Convene puts on a long message, here with a value someone may have crafted."""
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "More (2 of 2)"},
        "action_id": "convene_more.0",
        "value": f"1|row:{row_id}",
    }
    return [{"type": "actions", "block_id": "more1", "elements": [button]}]


async def test_a_more_button_pages_only_through_a_message_that_is_the_pressers(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command(ADMIN, "help")
    await ws.command("U0BEA", 'suggest "Named and private: my manager blocks my training"')
    await ws.command(ADMIN, 'group new "Diversity" kind:task channel:#general')
    await ws.command(ADMIN, "call diversity")
    await ws.deliver()
    async with ws.parts.db.read() as session:
        to_ada = await session.scalar(select(Outbox).where(Outbox.key.like("suggestion 1: to admin%")))
        announced = await session.scalar(select(Outbox).where(Outbox.key.like("call %: announce")))
    assert to_ada is not None and to_ada.target == ADMIN and announced is not None and announced.sent_ref

    # Cal crafts the value of a More button for Ada's private notice, and for the announcement from elsewhere.
    before = len(api.responses)
    await ws.press("U0CAL", "More (2 of 2)", more_button(to_ada.id), message_ts="1800000999.000100")
    await ws.press("U0CAL", "More (2 of 2)", more_button(announced.id), message_ts="1800000999.000100")
    await ws.press("U0CAL", "More (2 of 2)", more_button(99999999999999999999), message_ts="1800000999.000100")
    refused = await api.wait_for_response(lambda _b: len(api.responses) >= before + 3)
    shown = " ".join(json.dumps(r) for r in api.responses[before:])
    assert "my manager" not in shown and "Call for volunteers" not in shown
    assert sum("not one you can page through" in r["text"] for r in api.responses[before:]) == 3, refused

    # Ada pages through her own notice; anyone in the channel through the announcement they are looking at.
    await ws.press(ADMIN, "More (2 of 2)", more_button(to_ada.id), message_ts="1800000001.000100")
    await api.wait_for_response(lambda b: "my manager blocks my training" in b.get("text", ""))
    await ws.press("U0CAL", "More (2 of 2)", more_button(announced.id), message_ts=announced.sent_ref)
    await api.wait_for_response(lambda b: "Call for volunteers: Diversity" in b.get("text", ""))
