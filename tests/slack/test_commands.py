"""Every foundation command through the slash command, answered in Block Kit."""

from __future__ import annotations

import json

from tests.slack.conftest import ADMIN, Workspace, sign, texts

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_help_is_answered_in_the_acknowledgement(workspace: Workspace) -> None:
    answer = await workspace.command("U0BEA", "help")
    assert answer["response_type"] == "ephemeral"
    shown = texts(answer["blocks"])
    assert "/convene help &lt;command&gt;" in shown
    assert "For the steering group" not in shown
    admin = await workspace.command(ADMIN, "help")
    assert "For the steering group" in texts(admin["blocks"])


async def test_every_foundation_command(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api

    # profile and the directory
    answer = await ws.command("U0BEA", 'profile institution:"City Library" stage:early interests:"outreach"')
    assert "Your profile is updated" in texts(answer["blocks"])
    assert "*Institution*\nCity Library" in texts(answer["blocks"])
    assert "No groups match" in texts((await ws.command("U0BEA", "groups"))["blocks"])

    # group new: the group's channel is created, and the group says hello there
    answer = await ws.command(ADMIN, 'group new "Diversity" kind:task seats:3 theme:"Inclusive recruitment"')
    assert "Created the task-and-finish group Diversity" in answer["text"]
    await ws.deliver()
    assert api.to("conversations.create")[0]["name"] == "diversity"
    hello = api.to("chat.postMessage")[-1]
    assert hello["channel"] == api.channels["diversity"] and "This is the channel of Diversity" in hello["text"]
    answer = await ws.command(ADMIN, 'group new "Readers" kind:community channel:<#C0GENERAL|general>')
    assert "channel <#C0GENERAL>" in answer["text"]  # a channel link, not its raw id
    refused = await ws.command("U0BEA", 'group new "Mine" kind:task')
    assert "Only the steering group" in refused["text"]

    answer = await ws.command("U0BEA", "groups")
    shown = texts(answer["blocks"])
    assert "*Diversity* (`diversity`)" in shown and "*Readers* (`readers`)" in shown
    assert any(b["type"] == "actions" for b in answer["blocks"])
    assert "Diversity — task-and-finish group (forming)" in (await ws.command("U0BEA", "group diversity"))["text"]

    # a call for volunteers is posted to the channel it was opened in, by the outbox
    answer = await ws.command(ADMIN, "call diversity closes:2099-01-31")
    assert "Opened a call for volunteers for Diversity" in answer["text"]
    await ws.deliver()
    call = await api.wait_for("chat.postMessage", lambda a: "Call for volunteers" in (a.get("text") or ""))
    assert call["channel"] == "C0GENERAL"
    assert [e["text"]["text"] for b in call["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "Volunteer as member",
        "Volunteer as chair",
    ]

    # volunteering, withdrawing, deciding
    assert (
        "offered to serve on Diversity as chair" in (await ws.command("U0BEA", "volunteer diversity as:chair"))["text"]
    )
    assert "offered to serve on Diversity as member" in (await ws.command("U0CAL", "volunteer diversity"))["text"]
    assert "offered to serve" in (await ws.command("U0DEE", "volunteer diversity"))["text"]
    assert "is withdrawn" in (await ws.command("U0DEE", "withdraw diversity"))["text"]
    listed = await ws.command(ADMIN, "volunteers diversity")
    assert "Bea (City Library) — as chair, offered" in listed["text"]
    labels = [e["text"]["text"] for b in listed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert labels.count("Accept") == 2 and labels.count("Decline") == 2
    assert "Only the chairs of Diversity" in (await ws.command("U0CAL", "volunteers diversity"))["text"]

    answer = await ws.command(ADMIN, "accept <@U0BEA|bea> diversity")
    assert "Accepted Bea into Diversity as chair" in answer["text"]
    answer = await ws.command(ADMIN, "decline <@U0CAL> diversity")
    assert "Declined Cal's offer" in answer["text"]
    await ws.deliver()
    invite = await api.wait_for("conversations.invite")
    assert invite == {"channel": api.channels["diversity"], "users": "U0BEA"}
    dm_bea = api.to("conversations.open")
    assert {"users": "U0BEA"} in dm_bea and {"users": "U0CAL"} in dm_bea
    told = [a["text"] for a in api.to("chat.postMessage") if a["channel"].startswith("D")]
    assert any("accepted your offer to serve on Diversity as chair" in t for t in told)
    assert any("could not take up your offer" in t for t in told)
    updates = api.to("chat.update")
    assert updates and updates[-1]["channel"] == "C0GENERAL" and updates[-1]["ts"] == call.get("ts", updates[-1]["ts"])

    # joining and leaving a community; who is in a group
    assert "Welcome to Readers!" in (await ws.command("U0CAL", "join readers"))["text"]
    assert "is a task-and-finish group" in (await ws.command("U0CAL", "join diversity"))["text"]
    members = await ws.command("U0CAL", "members diversity")
    assert "Bea — City Library (chair)" in texts(members["blocks"])
    assert "You have left Readers" in (await ws.command("U0CAL", "leave readers"))["text"]

    # the chair's plan and results
    answer = await ws.command("U0BEA", 'milestone add diversity "Literature review" due:2099-03-01')
    assert "Added milestone 1 to Diversity" in answer["text"]
    assert (
        "Milestone 1 of Diversity (Literature review) is done"
        in (await ws.command("U0BEA", "milestone done diversity 1"))["text"]
    )
    assert "Only the chairs of Diversity" in (await ws.command("U0CAL", "milestone done diversity 1"))["text"]
    answer = await ws.command("U0BEA", 'progress diversity "Survey sent to all member libraries"')
    assert "Posted your progress update to Diversity" in answer["text"]
    answer = await ws.command("U0BEA", 'casestudy diversity "Inclusive recruitment" https://example.org/cs')
    assert "Recorded the case study of Diversity" in answer["text"]
    await ws.deliver()
    in_channel = [a["text"] for a in api.to("chat.postMessage") if a["channel"] == api.channels["diversity"]]
    assert any("Survey sent" in t for t in in_channel) and any("published its case study" in t for t in in_channel)

    # suggestions, both ways, anonymity kept
    answer = await ws.command("U0CAL", 'suggest "A session on copyright" anon')
    assert "Your suggestion #1 went to the steering group anonymously" in answer["text"]
    inbox = await ws.command(ADMIN, "suggestions")
    assert "#1 [new] from anonymous" in texts(inbox["blocks"])
    assert "Only the steering group" in (await ws.command("U0CAL", "suggestions"))["text"]
    answer = await ws.command(ADMIN, 'suggestion 1 reply "We will plan it for spring"')
    assert "The sender has been told" in answer["text"]
    assert "now planned" in (await ws.command(ADMIN, "suggestion 1 status:planned"))["text"]
    await ws.deliver()
    to_cal = [a["text"] for a in api.to("chat.postMessage") if a["channel"] == "DU0CAL"]
    assert any("We will plan it for spring" in t for t in to_cal) and any("now planned" in t for t in to_cal)

    # the steering group
    assert "Dee is now in the steering group" in (await ws.command(ADMIN, "admin add <@U0DEE>"))["text"]
    assert "For the steering group" in texts((await ws.command("U0DEE", "help"))["blocks"])
    assert "Dee is no longer in the steering group" in (await ws.command(ADMIN, "admin remove <@U0DEE>"))["text"]
    assert "admin by configuration" in (await ws.command(ADMIN, "admin remove <@U0ADA>"))["text"]

    # closing
    answer = await ws.command(ADMIN, "group close diversity")
    assert "Closed Diversity" in answer["text"] and "call for volunteers is closed" in answer["text"]
    assert "Diversity" not in texts((await ws.command("U0BEA", "groups"))["blocks"])


async def test_a_mentioned_person_who_never_spoke_is_found_by_users_info(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    api.person("U0NEW", "Nia")
    answer = await ws.command(ADMIN, "admin add <@U0NEW>")
    assert "Nia is now in the steering group" in answer["text"]
    assert [a["user"] for a in api.to("users.info")].count("U0NEW") == 1
    # names come from users.info once, then from the cache
    before = len(api.to("users.info"))
    await ws.command(ADMIN, "help")
    await ws.command(ADMIN, "groups")
    assert len(api.to("users.info")) == before


async def test_bad_input_names_the_problem_and_shows_the_usage(workspace: Workspace) -> None:
    answer = await workspace.command("U0BEA", "volunteer")
    assert "Say which group" in answer["text"]
    assert "Usage: `volunteer &lt;group&gt;" in texts(answer["blocks"])
    assert "I don't know the command “frobnicate”" in (await workspace.command("U0BEA", "frobnicate"))["text"]


async def test_a_read_is_acknowledged_in_json_and_shows_what_was_committed_before_it(workspace: Workspace) -> None:
    ws = workspace
    await ws.command(ADMIN, 'group new "Diversity" kind:task')

    async def directory() -> str:
        body = ws.command_body("U0BEA", "groups")
        response = await ws.client.post("/slack/events", data=body.encode(), headers={**sign(body), **FORM})
        assert response.status == 200 and response.content_type == "application/json"
        return await response.text()

    first, again = await directory(), await directory()
    assert first == again and "Diversity" in first
    assert json.loads(first)["response_type"] == "ephemeral"
    await ws.command(ADMIN, 'group new "Wellbeing" kind:task')
    changed = await directory()
    assert "Wellbeing" in changed and "Wellbeing" not in first


async def test_a_thousand_mentions_look_up_no_more_people_than_a_command_can_take(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    mentions = " ".join(f"<@U{n:07d}>" for n in range(1000))
    answer = await ws.command(ADMIN, f"accept {mentions} diversity")
    assert "Usage: `accept" in answer["text"]
    assert len(api.attempts("users.info")) <= 11  # the speaker, and at most ten of those mentioned
