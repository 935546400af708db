"""Buttons that act in place, modals with inline errors, and the App Home."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import ADMIN, Workspace, texts


async def open_call(ws: Workspace) -> dict:
    await ws.command(ADMIN, 'group new "Diversity" kind:task seats:3')
    await ws.command(ADMIN, "call diversity")
    await ws.deliver()
    return await ws.api.wait_for("chat.postMessage", lambda a: "Call for volunteers" in (a.get("text") or ""))


async def test_a_button_on_a_posted_message_updates_that_message(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    posted = await open_call(ws)
    channel, ts = "C0GENERAL", None
    ts = next(t for (c, t), m in api.messages.items() if c == channel and "Call for volunteers" in m["text"])
    assert "0 as member, 0 as chair" in texts(api.messages[(channel, ts)]["blocks"])

    status, body = await ws.press("U0BEA", "Volunteer as chair", posted["blocks"], channel=channel, message_ts=ts)
    assert status == 200 and body == ""
    # the presser is told privately, by the response URL, what happened
    told = await api.wait_for_response(lambda b: "offered to serve" in b["text"])
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "You have offered to serve on Diversity as chair" in told["text"]
    # and the original message is edited in place: the counts change
    update = await api.wait_for("chat.update", lambda a: "0 as member, 1 as chair" in texts(a["blocks"]))
    assert (update["channel"], update["ts"]) == (channel, ts)
    assert "0 as member, 1 as chair" in texts(api.messages[(channel, ts)]["blocks"])

    # the updated message's own button works the same way
    status, _ = await ws.press("U0CAL", "Volunteer as member", api.messages[(channel, ts)]["blocks"], message_ts=ts)
    assert status == 200
    await api.wait_for("chat.update", lambda a: "1 as member, 1 as chair" in texts(a["blocks"]))
    assert len([a for a in api.to("chat.postMessage") if "Call for volunteers" in (a.get("text") or "")]) == 1


async def test_join_on_a_private_reply_replaces_it_with_fresh_counts(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command(ADMIN, 'group new "Readers" kind:community seats:5')
    directory = await ws.command("U0BEA", "groups")
    assert "*Seats left*\n5" in texts(directory["blocks"])
    status, _ = await ws.press("U0BEA", "Join", directory["blocks"], ephemeral=True)
    assert status == 200
    replaced = await api.wait_for_response(lambda b: b.get("replace_original") is True)
    shown = texts(replaced["blocks"])
    assert shown.startswith("Welcome to Readers!")
    assert "*Seats left*\n4" in shown and "*Members*\n1" in shown
    # the fresh list offers Bea no Join for a group she is in; typed anyway, it says so
    assert not any(e.get("text", {}).get("text") == "Join" for b in replaced["blocks"] for e in b.get("elements", []))
    assert "already a member" in (await ws.command("U0BEA", "join readers"))["text"]


async def test_accept_button_from_the_volunteers_list(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await open_call(ws)
    await ws.command("U0BEA", "volunteer diversity as:chair")
    listed = await ws.command(ADMIN, "volunteers diversity")
    status, _ = await ws.press(ADMIN, "Accept", listed["blocks"], ephemeral=True)
    assert status == 200
    fresh = await api.wait_for_response(lambda b: "Accepted Bea" in b["text"])
    assert "as chair, accepted" in texts(fresh["blocks"])
    await ws.deliver()
    await api.wait_for("chat.postMessage", lambda a: a["channel"] == "DU0BEA" and "accepted your offer" in a["text"])


async def test_a_modal_opens_refuses_a_bad_field_then_creates_the_group(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    assert await ws.command(ADMIN, "group new") == {}
    opened = await api.wait_for("views.open")
    view = opened["view"]
    assert opened["trigger_id"].endswith(".abcdef") and view["type"] == "modal"
    assert len(view["title"]["text"]) <= 24 and view["title"]["text"] == "New group"
    assert [b["block_id"] for b in view["blocks"]] == ["name", "kind", "theme", "seats", "ends", "channel", "about"]
    assert json.loads(view["private_metadata"])["command"] == "group new"

    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Digital Skills"}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "task", "text": {}}}},
        "theme": {"value": {"type": "plain_text_input", "value": 'The "digital" divide'}},
        "seats": {"value": {"type": "number_input", "value": "10"}},
        "ends": {"value": {"type": "datepicker", "selected_date": "2020-01-01"}},
        "channel": {"value": {"type": "channels_select", "selected_channel": None}},
        "about": {"value": {"type": "plain_text_input", "value": None}},
    }
    status, body = await ws.submit(ADMIN, view, values)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["ends"] and "ends: must be after today" in answer["errors"]["ends"]
    assert "Digital Skills" not in (await ws.command(ADMIN, "groups"))["text"]

    values["ends"] = {"value": {"type": "datepicker", "selected_date": "2099-12-01"}}
    status, body = await ws.submit(ADMIN, view, values)
    assert (status, body) == (200, "")
    told = await api.wait_for("chat.postEphemeral")
    assert told["user"] == ADMIN and told["channel"] == "C0GENERAL"
    assert "Created the task-and-finish group Digital Skills" in told["text"] and "10 seats" in told["text"]
    shown = (await ws.command(ADMIN, "group digital-skills"))["text"]
    assert 'Theme: The "digital" divide' in shown


async def test_profile_modal_is_filled_with_the_current_profile(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command("U0BEA", 'profile institution:"City Library" stage:mid')
    assert await ws.command("U0BEA", "profile") == {}
    view = (await api.wait_for("views.open"))["view"]
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["institution"]["initial_value"] == "City Library"
    assert blocks["stage"]["initial_option"]["value"] == "mid"
    values = {"tz": {"value": {"type": "plain_text_input", "value": "Mars/Olympus"}}}
    status, body = await ws.submit("U0BEA", view, values)
    assert json.loads(body)["errors"].keys() == {"tz"}
    values = {"tz": {"value": {"type": "plain_text_input", "value": "America/New_York"}}}
    status, body = await ws.submit("U0BEA", view, values)
    assert (status, body) == (200, "")
    assert "America/New_York" in (await ws.command("U0BEA", "profile tz:America/New_York"))["text"]


async def test_a_member_without_the_role_gets_no_modal(workspace: Workspace) -> None:
    answer = await workspace.command("U0BEA", "group new")
    assert "Only the steering group" in answer["text"]
    assert workspace.api.to("views.open") == []


async def test_app_home_for_a_member_and_for_an_admin(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await open_call(ws)
    await ws.command(ADMIN, 'group new "Readers" kind:community')
    await ws.command("U0BEA", "join readers")
    await ws.command("U0CAL", 'suggest "More sessions online"')

    status, _ = await ws.event(ws.home_opened("U0BEA"), "Ev0HOMEBEA")
    assert status == 200
    home = await api.wait_for("views.publish", lambda a: a["user_id"] == "U0BEA")
    assert home["view"]["type"] == "home" and len(home["view"]["blocks"]) <= 100
    shown = texts(home["view"]["blocks"])
    assert "*Readers* (`readers`)" in shown and "Open calls for volunteers" in shown and "Diversity" in shown
    assert "Suggestions inbox" not in shown

    # volunteering from the Home tab: told in a DM, and the Home is published again with the offer
    status, _ = await ws.press("U0BEA", "Volunteer as member", home["view"]["blocks"], home=True)
    assert status == 200
    await api.wait_for("chat.postMessage", lambda a: a["channel"] == "DU0BEA" and "offered to serve" in a["text"])
    again = await api.wait_for(
        "views.publish", lambda a: a["user_id"] == "U0BEA" and "Your open offers" in texts(a["view"]["blocks"])
    )
    assert "Diversity: as member, waiting" in texts(again["view"]["blocks"])

    status, _ = await ws.event(ws.home_opened(ADMIN), "Ev0HOMEADA")
    admin = await api.wait_for("views.publish", lambda a: a["user_id"] == ADMIN)
    shown = texts(admin["view"]["blocks"])
    assert "Suggestions inbox* — 1 new" in shown and "More sessions online" in shown
    assert "Groups needing attention" in shown and "*Readers* has no facilitator" in shown


async def test_a_poll_by_modal_names_the_field_at_fault_then_posts_the_poll(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command(ADMIN, 'group new "Wellbeing" kind:community channel:#wellbeing')
    assert await ws.command(ADMIN, "poll") == {}
    view = (await api.wait_for("views.open"))["view"]
    assert view["title"]["text"] == "New poll"
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["options"]["multiline"] is True and blocks["anon"]["type"] == "checkboxes"

    def text(value: str | None) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {"question": text("Which day suits?"), "options": text("Tuesday\n"), "group": text("wellbeing")}
    status, body = await ws.submit(ADMIN, view, values)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors" and list(answer["errors"]) == ["options"]
    assert "at least two options" in answer["errors"]["options"]
    values["options"] = text("Tuesday\n\nThursday “late”\n")
    values["group"] = text("nowhere")
    answer = json.loads((await ws.submit(ADMIN, view, values))[1])
    assert list(answer["errors"]) == ["group"] and "There is no group called “nowhere”" in answer["errors"]["group"]
    values["group"] = text("wellbeing")
    assert await ws.submit(ADMIN, view, values) == (200, "")
    await ws.deliver()
    card = await api.wait_for("chat.postMessage", lambda a: "Poll 1: Which day suits?" in a["text"])
    assert [e["text"]["text"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "1. Tuesday",
        "2. Thursday “late”",
    ]


async def test_an_event_by_modal_names_the_field_at_fault_then_posts_the_event(workspace: Workspace) -> None:
    ws, api = workspace, workspace.api
    await ws.command(ADMIN, 'group new "Wellbeing" kind:community channel:#wellbeing')
    assert await ws.command(ADMIN, "event new") == {}
    view = (await api.wait_for("views.open"))["view"]
    assert view["title"]["text"] == "New event"

    def text(value: str | None) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {"title": text("Cataloguing meet-up"), "when": text("2099-03-03 14:00"), "until": text("13:00")}
    values["group"] = text("wellbeing")
    answer = json.loads((await ws.submit(ADMIN, view, values))[1])
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["until"]
    assert "is not after the start" in answer["errors"]["until"]
    values["until"] = text("15:30")
    values["seats"] = {"value": {"type": "number_input", "value": "0"}}
    answer = json.loads((await ws.submit(ADMIN, view, values))[1])
    assert list(answer["errors"]) == ["seats"], answer
    values["seats"] = {"value": {"type": "number_input", "value": "12"}}
    assert await ws.submit(ADMIN, view, values) == (200, "")
    await ws.deliver()
    card = await api.wait_for("chat.postMessage", lambda a: "Event 1: Cataloguing meet-up" in a["text"])
    shown = json.dumps(card["blocks"])
    assert "<!date^" in shown and "12 seats left of 12" in shown  # each reader's own time, in Slack's date token
    assert [e["text"]["text"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "Going",
        "Maybe",
        "Can't go",
    ]
