"""No request ends in a 5xx, a traceback or a hang: unsigned or malformed requests are refused with 401 or 400 and
one log line; signed requests of any shape get an answer; a form Slack cannot open is answered with the usage,
and the acknowledgement never waits for the Web API."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.slack.conftest import ADMIN, Workspace, sign

FORM = "application/x-www-form-urlencoded"
EXAMPLES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


def shaped(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value for a payload's key: missing (None), as Slack would send it, or anything at all."""
    return st.one_of(st.none(), values, anything)


GOOD_STATE = {"values": {"name": {"value": {"type": "plain_text_input", "value": "X"}}}}
good_user = st.just({"id": "U0BEA", "username": "bea", "team_id": "T0LIBS"})
good_actions = st.just([{"action_id": "join.1", "block_id": "a1|groups", "value": "groups", "type": "button"}])
good_view = st.fixed_dictionaries(
    {
        "type": st.one_of(st.just("modal"), anything),
        "callback_id": st.just("convene_form"),
        "private_metadata": st.one_of(st.just('{"command": "group new"}'), st.text(max_size=10), anything),
        "state": st.one_of(
            st.just({"values": {"name": {"value": {"type": "plain_text_input", "value": "X"}}}}), anything
        ),
    }
)
payloads = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"]), anything),
        "user": shaped(good_user),
        "team": shaped(st.just({"id": "T0LIBS"})),
        "actions": shaped(good_actions),
        "view": shaped(good_view),
        "container": shaped(st.just({"type": "message", "message_ts": "1.2", "is_ephemeral": True})),
        "channel": shaped(st.just({"id": "C0GENERAL", "name": "general"})),
        "trigger_id": shaped(st.just("1.2.abc")),
        "response_url": st.none(),
        "authorizations": shaped(st.just([{"team_id": "T0LIBS", "user_id": "UCONVENE", "is_bot": True}])),
        "enterprise": shaped(st.none()),
        "response_urls": shaped(st.just([])),
        "is_enterprise_install": shaped(st.just(False)),
        "message": shaped(st.just({"type": "message", "ts": "1.2"})),
    }
).map(lambda d: {k: v for k, v in d.items() if v is not None})


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    shown = [r for r in caplog.records if r.exc_info]
    assert shown == [], [r.getMessage() for r in shown]


async def settled(ws: Workspace) -> None:
    """Wait for what the app does after acknowledging (a press is acted on in the background)."""
    slack = ws.parts.slack
    assert slack is not None
    for _ in range(200):
        if not slack.adapter.background.tasks:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("work after the acknowledgement did not finish")


@EXAMPLES
@given(payload=payloads)
async def test_signed_interactions_of_any_shape_get_an_answer_below_500(
    workspace: Workspace, caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    caplog.clear()
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    with caplog.at_level(logging.WARNING):
        status, _ = await workspace.post(body, FORM)
        await settled(workspace)
    assert status < 500
    no_traceback(caplog)


@EXAMPLES
@given(
    body=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
    stamp=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12),  # what a header can carry
)
async def test_unsigned_or_garbled_requests_are_refused_without_a_traceback(
    workspace: Workspace, caplog: pytest.LogCaptureFixture, body: bytes, stamp: str
) -> None:
    caplog.clear()
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=abc"}
    with caplog.at_level(logging.WARNING):
        response = await workspace.client.post("/slack/events", data=body, headers=headers)
    assert response.status in (400, 401)
    no_traceback(caplog)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"payload=%7Bnot+json", FORM, 400),
        (b"\xff\xfe\x00garbage", FORM, 400),
        (b'{"type": "event_callback", "event": "no"}', "application/json", 400),
        (b"[1, 2", "application/json", 400),
        (b"just=words", FORM, 400),
    ],
)
async def test_signed_but_malformed_bodies_get_400_and_one_log_line(
    workspace: Workspace, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, status: int
) -> None:
    headers = {"Content-Type": content_type}
    if body.startswith(b"\xff"):
        ts = str(int(time.time()))
        headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=00"})
    else:
        headers.update(sign(body.decode()))
    with caplog.at_level(logging.WARNING, logger="convene.slack"):
        response = await workspace.client.post("/slack/events", data=body, headers=headers)
    assert response.status == status
    refused = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None
    no_traceback(caplog)


async def test_a_form_slack_cannot_open_is_answered_with_the_usage(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.handlers["views.open"] = lambda _args: {"ok": False, "error": "expired_trigger_id"}
    answer = await ws.command(ADMIN, "group new")
    assert answer == {}  # acknowledged at once, empty: the form was to follow
    told = await api.wait_for_response(lambda b: "Usage:" in b.get("text", ""))
    assert "group new" in told["text"] and told["response_type"] == "ephemeral"


async def test_a_slow_views_open_does_not_hold_the_acknowledgement(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.delays["views.open"] = 4.0
    began = time.monotonic()
    answer = await ws.command(ADMIN, "group new")
    assert answer == {} and time.monotonic() - began < 1.5
    await api.wait_for("views.open", within=10)  # and the form does open, once Slack answers
