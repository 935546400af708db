"""No activity ends in a 5xx, a traceback or a hang: any command text, in the personal chat or after @Convene in
a channel, gets an answer; activities of any shape are answered with 2xx or 400; a card submit of any shape
is acted on as a press or ignored."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.teams.conftest import BEA, WELLBEING, Tenant

EXAMPLES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.sampled_from(
    [
        "help",
        "groups",
        "group",
        "profile",
        "volunteer",
        "join",
        "admin",
        "suggest",
        "pairing",
        "stage:early",
        "tz:Mars/Base",
        '"',
        "“",
        "<at>Bea</at>",
        "<b>bold</b>",
        "&nbsp;",
        "@",
        "#",
        "<@x>",
        "\u00a0",
        "\ue000",
    ]
)
texts = st.one_of(st.text(max_size=60), st.lists(words, max_size=6).map(" ".join))

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    shown = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert shown == [], [r.getMessage() for r in shown]


@EXAMPLES
@given(text=texts, in_channel=st.booleans())
async def test_any_command_text_is_answered(
    teams: Tenant, caplog: pytest.LogCaptureFixture, text: str, in_channel: bool
) -> None:
    before = len(teams.connector.calls)
    status = await teams.post(teams.message(BEA, text, channel=WELLBEING if in_channel else None))
    assert status == 202
    assert [c for c in teams.connector.calls[before:] if c.kind in ("send", "reply")]
    no_traceback(caplog)


@EXAMPLES
@given(value=anything, convene=anything, action=st.one_of(anything, st.just("join")))
async def test_any_submit_is_acted_on_or_ignored(
    teams: Tenant, caplog: pytest.LogCaptureFixture, value: Any, convene: Any, action: Any
) -> None:
    data = {"convene": {"action_id": action, "value": value, "origin": convene}, "convene_choice": value}
    status = await teams.post(teams.submit(BEA, data, "1:000001"))
    assert status == 202
    assert await teams.post(teams.submit(BEA, {"convene": convene}, "1:000001")) == 202
    no_traceback(caplog)


@EXAMPLES
@given(
    key=st.sampled_from(
        [
            "type",
            "conversation",
            "from",
            "recipient",
            "channelData",
            "entities",
            "value",
            "text",
            "membersAdded",
            "action",
            "replyToId",
            "serviceUrl",
            "id",
            "localTimezone",
        ]
    ),
    value=anything,
)
async def test_activities_of_any_shape_get_no_5xx(
    teams: Tenant, caplog: pytest.LogCaptureFixture, key: str, value: Any
) -> None:
    activity = teams.message(BEA, "help")
    activity[key] = value
    status = await teams.post(activity)
    assert status in (200, 202, 400), (key, value, status)
    no_traceback(caplog)


@pytest.mark.parametrize("key", ["id", "replyToId"])
@pytest.mark.parametrize("value", ["12/34", "1:1f 2", "\x15\x8e", ""])
async def test_an_activity_id_that_teams_never_makes_is_refused(
    teams: Tenant, caplog: pytest.LogCaptureFixture, key: str, value: str
) -> None:
    activity = teams.message(BEA, "help")
    activity[key] = value  # Convene would answer to it in a connector URL (`…/activities/<replyToId>`)
    before = len(teams.connector.calls)
    assert await teams.post(activity) == 400
    assert teams.connector.calls[before:] == []
    no_traceback(caplog)
