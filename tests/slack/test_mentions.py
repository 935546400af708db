"""People and channels named in Convene's messages are Slack mentions and channel links (issue 12, kinds 6 and 7);
what a person types can never forge one."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.blocks import message
from handlers.command.messages import (
    RESERVED,
    Place,
    Reply,
    Request,
    Speaker,
    channel_ref,
    person_ref,
    shown,
)
from tests.slack.conftest import ADMIN, Workspace


def test_references_render_as_mentions_and_links_and_read_as_names_elsewhere() -> None:
    text = f"Hello {person_ref('U0BEA', 'Bea')}, say hello in {channel_ref('C0GENERAL')} & <b>"
    rendered = message(Reply(text))
    assert rendered["text"] == "Hello <@U0BEA>, say hello in <#C0GENERAL> &amp; &lt;b&gt;"
    assert rendered["blocks"][0]["text"]["text"] == rendered["text"]
    assert shown(text) == "Hello Bea, say hello in C0GENERAL & <b>"
    # an id that is not Slack's (the console's) is shown by its name, escaped like any text
    assert message(Reply(person_ref("bea", "<Bea>")))["text"] == "&lt;Bea&gt;"
    assert message(Reply(channel_ref("#general")))["text"] == "#general"


def test_a_reference_cut_by_a_length_limit_leaves_nothing_behind() -> None:
    text = "x" * 2990 + person_ref("U0BEA", "Bea")
    rendered = message(Reply(text))
    assert not any(c in rendered["text"] for c in RESERVED)
    assert "<@" not in rendered["text"]


def test_typed_text_and_names_cannot_forge_a_reference() -> None:
    forged = person_ref("U0ADMIN", "Ada")
    speaker = Speaker("slack", "T0", "U0BEA", f"Bea{forged}")
    request = Request(speaker, Place(), datetime(2027, 1, 11, tzinfo=UTC), text=f'suggest "hi {forged}"')
    assert not any(c in request.text or c in speaker.display_name for c in RESERVED)  # type: ignore[operator]
    assert "<@U0ADMIN>" not in message(Reply(request.text or ""))["text"]


async def test_a_pairing_intro_and_check_in_mention_people_in_slack(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    for person in ("U0CAL", "U0DEE"):
        await ws.command(person, "pairing on")
    answer = await ws.command(ADMIN, "pairing now")
    assert "paired all 2 people in 1 pair" in answer["text"]
    intro = await api.wait_for("chat.postMessage", lambda a: "Hello" in (a.get("text") or ""))
    assert "<@U0CAL>" in intro["text"] and "<@U0DEE>" in intro["text"]
