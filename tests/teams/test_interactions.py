"""Card buttons and forms in Teams reach the same handlers as typed commands; a press acts in place."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Member, VolunteerOffer
from tests.teams.conftest import ADA, BEA, CAL, WELLBEING, Tenant, button, card_texts, personal, shown


async def test_a_press_on_an_answer_replaces_that_card_with_the_result_and_fresh_seats(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Diversity" kind:task seats:3')
    await teams.say(ADA, "group channel diversity", channel=WELLBEING)
    await teams.say(ADA, "call diversity")
    groups = await teams.say(BEA, "groups")
    assert "Seats left: 3" in shown(groups)
    before = len(teams.connector.calls)
    assert await teams.press(BEA, "Volunteer as member", groups) == 202
    updates = [c for c in teams.connector.calls[before:] if c.kind == "update"]
    assert len(updates) == 1
    update = updates[0]
    assert (update.conversation, update.activity_id) == (personal(BEA), groups.body["id"])
    text = card_texts(update.card)
    assert text.startswith("Thank you!") and "Diversity" in text  # the result above the card's fresh content
    async with teams.parts.db.read() as session:
        offers = (await session.scalars(select(VolunteerOffer))).all()
    assert [o.role for o in offers] == ["member"]


async def test_a_press_on_a_posted_call_edits_it_through_the_outbox(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Diversity" kind:task seats:3')
    await teams.post(teams.message(ADA, "call diversity", channel=WELLBEING))
    await teams.deliver()
    posted = [c for c in teams.connector.sent() if c.kind == "send" and c.conversation == WELLBEING]
    assert len(posted) == 1 and posted[0].card is not None
    announcement = posted[0]
    assert "Volunteer as member" in card_texts(announcement.card)
    before = len(teams.connector.calls)
    assert await teams.press(CAL, "Volunteer as chair", announcement, channel=WELLBEING) == 202
    edit = await teams.connector.wait_for(lambda c: c.kind == "update" and c.conversation == WELLBEING)
    assert edit.activity_id == announcement.body["id"]
    assert "chair" in card_texts(edit.card).lower()
    # Cal's own answer is private: his personal chat, not the channel.
    mine = [c for c in teams.connector.calls[before:] if c.kind == "send" and c.conversation != WELLBEING]
    assert any("Thank you" in shown(c) for c in mine)
    assert not [
        c for c in teams.connector.calls[before:] if c.kind in ("send", "reply") and c.conversation == WELLBEING
    ]


async def test_a_button_value_is_checked_like_a_typed_command(teams: Tenant) -> None:
    await teams.say(ADA, 'group new "Diversity" kind:task seats:3')
    groups = await teams.say(BEA, "groups")
    forged = {"convene": {"action_id": "admin", "value": 'group new "Forged" kind:task'}}
    assert await teams.post(teams.submit(BEA, forged, groups.body["id"])) == 202
    listing = await teams.say(ADA, "groups")
    assert "Forged" not in shown(listing)


async def test_a_form_is_a_card_whose_problems_show_under_their_field(teams: Tenant) -> None:
    form = await teams.say(BEA, "profile")
    assert form.card is not None
    submit = button(form, form.card["actions"][0]["title"])
    inputs = [e["id"] for e in form.card["body"] if str(e.get("id", "")).startswith("field.")]
    assert "field.stage" in inputs
    values = {**submit, "field.institution": "Leeds", "field.stage": "nonsense"}
    before = len(teams.connector.calls)
    assert await teams.post(teams.submit(BEA, values, form.body["id"])) == 202
    again = [c for c in teams.connector.calls[before:] if c.kind == "update"]
    assert len(again) == 1 and again[0].activity_id == form.body["id"]
    assert any(e.get("color") == "Attention" for e in again[0].card["body"])
    values["field.stage"] = "early"
    before = len(teams.connector.calls)
    assert await teams.post(teams.submit(BEA, values, form.body["id"])) == 202
    done = [c for c in teams.connector.calls[before:] if c.kind == "update"]
    assert len(done) == 1 and "Leeds" in shown(done[0])
    async with teams.parts.db.read() as session:
        bea = await session.scalar(select(Member).where(Member.user_id == BEA))
    assert bea is not None and bea.stage == "early"


async def test_a_poll_by_form_shows_its_problem_under_the_field_then_posts_the_poll(teams: Tenant) -> None:
    """The poll form as a card: options one a line; a problem (one option) under the options field, the values
    kept; corrected, the poll is posted in the group's Teams channel with a button an option."""
    await teams.say(ADA, 'group new "Wellbeing" kind:community')
    await teams.say(ADA, "group channel wellbeing", channel=WELLBEING)
    form = await teams.say(ADA, "poll")
    assert form.card is not None
    submit = button(form, form.card["actions"][0]["title"])
    ids = {e["id"]: e for e in form.card["body"] if str(e.get("id", "")).startswith("field.")}
    assert ids["field.options"].get("isMultiline") is True
    values = {**submit, "field.question": "Which day suits?", "field.options": "Tuesday", "field.group": "wellbeing"}
    before = len(teams.connector.calls)
    assert await teams.post(teams.submit(ADA, values, form.body["id"])) == 202
    [again] = [c for c in teams.connector.calls[before:] if c.kind == "update"]
    assert again.activity_id == form.body["id"] and "A poll needs at least two options" in card_texts(again.card)
    flagged = [e for e in again.card["body"] if e.get("color") == "Attention"]
    assert flagged and all("two options" in e["text"] for e in flagged)
    kept = {e["id"]: e.get("value") for e in again.card["body"] if str(e.get("id", "")).startswith("field.")}
    assert kept["field.question"] == "Which day suits?"
    values["field.options"] = "Tuesday\nThursday"
    assert await teams.post(teams.submit(ADA, values, form.body["id"])) == 202
    await teams.deliver()
    [card] = [c for c in teams.connector.sent() if c.kind == "send" and c.conversation == WELLBEING]
    assert "Poll 1: Which day suits?" in card_texts(card.card)
    assert button(card, "1. Tuesday")["convene"]["value"] == "vote 1 1"
    assert button(card, "2. Thursday")["convene"]["value"] == "vote 1 2"
