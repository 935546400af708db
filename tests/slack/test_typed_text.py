"""What a member types (and the display name they chose) is shown as typed in every field of every message Convene
sends to Slack, and never notifies a channel, mentions someone or hides a link (SPEC.md §6)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from tests.slack.conftest import ADMIN, Workspace

EVIL = "U0EVIL"
# Slack's own markup for a channel-wide notification, a mention and a link whose label hides its address.
ATTACKS = ("<!channel>", "<!here>", "<!everyone>", "<@U0DEE>", "<https://evil.example|")


def shown(value: Any, key: str = "") -> Iterator[str]:
    """Every string Slack reads as mrkdwn or as a notification: not plain_text objects (Slack shows their text as
    it is), not what inputs start with, not a button's value or a modal's metadata (never shown)."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        for k, v in value.items():
            if k not in ("initial_value", "value", "private_metadata", "action_id", "block_id", "_name"):
                yield from shown(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from shown(v, key)
    elif isinstance(value, str):
        yield value


async def test_typed_text_reaches_slack_as_typed_and_acts_on_nobody(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.person(EVIL, "<!channel> Eve")  # a display name is typed by its member too
    said = [
        (ADMIN, 'group new "<!channel> Group" kind:task theme:"<@U0DEE> theme" about:"<https://evil.example|safe>"'),
        (ADMIN, "call channel-group"),
        (EVIL, 'volunteer channel-group as:chair note:"<!here> note"'),
        (ADMIN, f"accept <@{EVIL}> channel-group as:chair"),
        (EVIL, 'progress channel-group "<!channel> progress <https://evil.example|click>"'),
        (EVIL, 'milestone add channel-group "<@U0DEE> milestone" due:2099-01-01'),
        (EVIL, 'casestudy channel-group "<!everyone> case study" https://example.org/case'),
        (EVIL, 'prompt add "<!everyone> prompt" group:channel-group'),
        (EVIL, 'profile institution:"<!channel> Library" title:"<@U0DEE>" interests:"<https://evil.example|x>"'),
        (EVIL, 'suggest "<!channel> suggestion <@U0DEE>"'),
        (ADMIN, 'suggestion 1 reply "<!here> answer"'),
        (ADMIN, "groups"),
        (ADMIN, "group channel-group"),
        (ADMIN, "members channel-group"),
        (ADMIN, "volunteers channel-group"),
        (ADMIN, "suggestions"),
        (EVIL, "profile"),  # the form, filled with the profile
        (ADMIN, "home"),
        (ADMIN, "help"),
        ("U0BEA", "pairing on"),
    ]
    answers = []
    for who, text in said:
        answers.append(await ws.command(who, text))
        assert "Usage:" not in answers[-1].get("text", ""), (text, answers[-1])
    await ws.deliver()
    for who in (ADMIN, EVIL):
        await ws.event(ws.home_opened(who), f"Ev0HOME{who}")
        await api.wait_for("views.publish", lambda a, who=who: a.get("user_id") == who)
    await asyncio.sleep(0.1)

    sent = [c.args for c in api.calls if c.method.startswith(("chat.", "views."))]
    everything = [*answers, *api.responses, *sent]
    assert any("&lt;!channel&gt; Group" in s for s in _texts(api, "views.publish"))  # the Home shows it, escaped
    assert any("<!channel> Library" in s for s in _texts(api, "views.open"))  # the form starts with it, as typed
    leaks = [s for value in everything for s in shown(value) if any(a in s for a in ATTACKS)]
    assert leaks == []
    assert any("&lt;!channel&gt; progress" in s for value in everything for s in shown(value))


def _texts(api: Any, method: str) -> list[str]:
    """Plain texts too, to see that what was typed does arrive."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            found.append(value)

    for args in api.to(method):
        walk(args)
    return found
