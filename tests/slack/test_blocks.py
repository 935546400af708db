"""Block Kit within Slack's limits, whatever the reply."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.slack import blocks
from handlers.command.forms import Field, Form
from handlers.command.messages import Button, Option, Reply, Section, Select
from storage.models import Call, Group
from tests.slack.conftest import Workspace, find_button, texts


def within_limits(found: list[dict[str, Any]], most: int = blocks.MESSAGE_BLOCKS) -> None:
    assert 0 < len(found) <= most
    ids = [b["block_id"] for b in found if "block_id" in b]
    assert len(ids) == len(set(ids)) and all(len(i) <= 255 for i in ids)
    for b in found:
        if b["type"] == "section":
            assert "text" in b or "fields" in b
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert len(b.get("fields", [])) <= 10 and all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        elif b["type"] == "actions":
            assert 1 <= len(b["elements"]) <= 25
            action_ids = [e["action_id"] for e in b["elements"]]
            assert len(action_ids) == len(set(action_ids))
            for e in b["elements"]:
                if e["type"] == "button":
                    assert len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000
                else:
                    assert len(e["options"]) <= 100 and all(len(o["text"]["text"]) <= 75 for o in e["options"])


async def test_a_directory_of_300_groups_pages_within_the_limits(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    now = datetime(2027, 1, 11, tzinfo=UTC)
    async with ws.parts.db.write() as session:
        for i in range(300):
            kind = "community" if i % 2 else "task"
            group = Group(
                slug=f"group-{i:03d}",
                name=f"Group {i:03d}",
                kind=kind,
                theme="A theme " * 14,  # 112 of the 120 characters a theme may have
                platform="slack",
                workspace=ws.team,
                channel=f"#group-{i:03d}",
                seats=12 if kind == "task" else None,
                status="active",
                created_at=now,
            )
            session.add(group)
            await session.flush()
            if kind == "task":
                session.add(Call(group_id=group.id, status="open", opened_at=now))

    answer = await ws.command("U0BEA", "groups")
    within_limits(answer["blocks"])
    seen = re.findall(r"\*Group (\d{3})\*", texts(answer["blocks"]))
    page = answer["blocks"]
    pages = 1
    while True:
        try:
            find_button(page, f"More ({pages + 1} of 13)")
        except AssertionError:
            break
        status, _ = await ws.press("U0BEA", f"More ({pages + 1} of 13)", page, ephemeral=True)
        assert status == 200
        pages += 1
        page = (await api.wait_for_response(lambda b, n=pages: f"(part {n} of 13)" in b["text"]))["blocks"]
        within_limits(page)
        seen += re.findall(r"\*Group (\d{3})\*", texts(page))
    assert pages == 13
    assert seen == [f"{i:03d}" for i in range(0, 300, 2)] + [f"{i:03d}" for i in range(1, 300, 2)]  # tasks first


def test_a_message_with_40_buttons_stays_within_the_limits() -> None:
    buttons = tuple(Button(f"Option {i} " + "x" * 100, "vote", f"vote 1 {i}") for i in range(40))
    found = blocks.message(Reply("Choose", sections=(Section("Choose one", buttons=buttons),)))["blocks"]
    within_limits(found)
    actions = [b for b in found if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 15]
    assert all(e["text"]["text"].endswith("…") for b in actions for e in b["elements"])
    assert [e["value"] for b in actions for e in b["elements"]] == [f"vote 1 {i}" for i in range(40)]


def test_long_text_many_fields_and_a_big_select_are_cut_to_fit() -> None:
    reply = Reply(
        "long",
        sections=(Section("line of text\n" * 1000, fields=tuple((f"k{i}", "v" * 2500) for i in range(23))),),
        select=Select("Pick", "pick", tuple(Option("o" * 80, f"pick {i}") for i in range(150))),
    )
    found = blocks.message(reply)["blocks"]
    within_limits(found)
    assert sum(len(b.get("fields", [])) for b in found) == 23
    assert "".join(b["text"]["text"] for b in found if "text" in b).count("line of text") == 1000
    select = next(b for b in found if b["type"] == "actions")["elements"][0]
    assert len(select["options"]) == 100


def test_mrkdwn_is_escaped_and_a_modal_title_is_short_enough() -> None:
    found = blocks.message(Reply("Usage: `group <group>` & more"))["blocks"]
    assert found[0]["text"]["text"] == "Usage: `group &lt;group&gt;` &amp; more"
    view = blocks.modal(Form("A title far longer than Slack allows", (Field("x", "X"),)), "x", {})
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24


def test_the_home_tab_holds_at_most_100_blocks() -> None:
    reply = Reply("home", sections=tuple(Section(f"s{i}", buttons=(Button("Go", "go", "go"),)) for i in range(80)))
    view = blocks.home_view(reply)
    within_limits(view["blocks"], blocks.SURFACE_BLOCKS)
    assert len(view["blocks"]) > blocks.MESSAGE_BLOCKS  # the Home tab uses its larger limit, not a message's
