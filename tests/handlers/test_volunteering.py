import pytest

from tests.conftest import Chat


async def setup_group(chat: Chat) -> None:
    reply = await chat.say("Ada", 'group new "Digital Skills" kind:task seats:2')
    assert "Created the task-and-finish group Digital Skills" in reply.text
    reply = await chat.say("Ada", "call digital-skills closes:2027-02-01")
    assert "Opened a call" in reply.text


async def test_call_volunteer_accept_tells_the_volunteer(chat: Chat) -> None:
    await setup_group(chat)
    posted = await chat.deliver()
    assert [d.target for d in posted] == ["#announcements"]
    assert [b.label for b in posted[0].reply.all_buttons()] == ["Volunteer as member", "Volunteer as chair"]

    reply = await chat.press("Bea", "Volunteer as chair", posted[0].reply)
    assert "offered to serve on Digital Skills as chair" in reply.text
    reply = await chat.say("Cal", "volunteer digital-skills")
    assert "as member" in reply.text

    reply = await chat.say("Ada", "volunteers digital-skills")
    assert "Bea" in reply.text and "Cal" in reply.text
    accept = next(b for b in reply.all_buttons() if b.label == "Accept")
    assert "as:chair" in accept.value
    reply = await chat.press("Ada", "Accept", reply)
    assert "Accepted Bea into Digital Skills as chair" in reply.text

    sent = await chat.deliver()
    to_bea = [d for d in sent if d.target_kind == "member" and d.target == "bea"]
    assert len(to_bea) == 1 and "accepted your offer" in to_bea[0].reply.text
    edits = [d for d in sent if d.edit_ref]
    assert edits and edits[-1].edit_ref == f"ref-{posted[0].id}"
    assert "1 as member, 1 as chair" in edits[-1].reply.text


async def test_volunteer_rules(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:1')
    await chat.say("Ada", 'group new "Readers" kind:community')
    reply = await chat.say("Bea", "volunteer diversity")
    assert "has no open call for volunteers just now" in reply.text
    assert "Usage: `volunteer <group> [as:member|chair] [note:…]`" in reply.text
    await chat.say("Ada", "call diversity")
    assert "community of practice" in (await chat.say("Bea", "volunteer readers")).text
    assert "as:” must be" not in (await chat.say("Bea", "volunteer diversity as:boss")).text
    assert "as: must be one of member, chair, not “boss”" in (await chat.say("Bea", "volunteer diversity as:boss")).text
    long_note = "n" * 501
    assert "note is too long" in (await chat.say("Bea", f'volunteer diversity note:"{long_note}"')).text
    ok = await chat.say("Bea", 'volunteer diversity note:"I led a staff network"')
    assert "offered to serve on Diversity as member" in ok.text
    again = await chat.say("Bea", "volunteer diversity")
    assert "already offered to serve on Diversity as member" in again.text
    switched = await chat.say("Bea", "volunteer diversity as:chair")
    assert "you now offer to serve as chair" in switched.text
    edits = [d for d in await chat.deliver() if d.edit_ref]
    assert "Offers so far: 0 as member, 1 as chair" in edits[-1].reply.text  # the changed role is counted
    listed = await chat.say("Ada", "volunteers diversity")
    assert "• Bea — as chair, offered: “I led a staff network”" in listed.text  # no library given: none said


async def test_each_change_edits_the_announcement_with_the_counts_as_they_now_stand(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:5')
    await chat.say("Ada", "call diversity")
    await chat.deliver()
    steps = [
        (
            "Bea",
            "volunteer diversity",
            "Seats left: 5; Chairs: up to 2 wanted (0 appointed); Offers so far: 1 as member, 0 as",
        ),
        ("Cal", "volunteer diversity as:chair", "Offers so far: 1 as member, 1 as chair"),
        ("Bea", "volunteer diversity as:chair", "Offers so far: 0 as member, 2 as chair"),
        ("Cal", "withdraw diversity", "Offers so far: 0 as member, 1 as chair"),
        ("Dee", "volunteer diversity", "Offers so far: 1 as member, 1 as chair"),
        ("Ada", "accept @dee diversity", "Seats left: 4; Chairs: up to 2 wanted (0 appointed); Offers so far: 1 as"),
        ("Eve", "volunteer diversity", "Seats left: 4; Chairs: up to 2 wanted (0 appointed); Offers so far: 2 as"),
    ]
    for who, said, counts in steps:
        assert "Usage" not in (await chat.say(who, said)).text
        edits = [d for d in await chat.deliver() if d.edit_ref]
        assert counts in edits[-1].reply.text, (said, edits[-1].reply.text)


async def test_withdraw(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    assert "no open offer" in (await chat.say("Bea", "withdraw diversity")).text
    await chat.say("Bea", "volunteer diversity")
    assert "withdrawn" in (await chat.say("Bea", "withdraw diversity")).text
    listed = await chat.say("Ada", "volunteers diversity")
    assert "as member, withdrawn" in listed.text and listed.all_buttons() == []
    # after withdrawing, a new offer is welcome
    assert "offered to serve" in (await chat.say("Bea", "volunteer diversity")).text


async def test_call_rules(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'group new "Readers" kind:community')
    assert "closes: must be after today" in (await chat.say("Ada", "call diversity closes:2027-01-11")).text
    assert "community of practice" in (await chat.say("Ada", "call readers")).text
    assert "I don't understand “now”" in (await chat.say("Ada", "call diversity now")).text
    reply = await chat.say("Ada", "call diversity closes:2027-02-01", channel="C0GENERAL")
    assert "closing at the end of 2027-02-01" in reply.text
    again = await chat.say("Ada", "call diversity")
    assert "already has a call for volunteers open until the end of 2027-02-01" in again.text
    posted = await chat.deliver()
    assert [d.target for d in posted] == ["C0GENERAL"]  # announced where it was asked for
    assert "Offers close at the end of 2027-02-01" in posted[0].reply.text and not posted[0].reply.private


async def test_seats_and_chairs_are_limited(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:3')
    await chat.say("Ada", "call diversity")
    for who in ("Bea", "Cal", "Dee", "Eve"):
        await chat.say(who, "volunteer diversity as:chair")
    assert "as chair" in (await chat.say("Ada", "accept @bea diversity")).text
    assert "as chair" in (await chat.say("Ada", "accept @cal diversity")).text
    third = await chat.say("Ada", "accept @dee diversity")
    assert "already has 2 chairs; accept Dee as a member" in third.text
    assert "as member" in (await chat.say("Ada", "accept @dee diversity as:member")).text
    full = await chat.say("Ada", "accept @eve diversity as:member")
    assert "Diversity has no seats left: all 3 are taken." in full.text
    members = await chat.say("Eve", "members diversity")
    assert "3 members, 0 seats left" in members.text
    assert members.text.count("(chair)") == 2


async def test_accept_and_decline_need_an_offer_and_tell_the_volunteer(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    assert "I don't know @bea yet" in (await chat.say("Ada", "accept @bea diversity")).text  # nobody is made up
    assert "is not a person" in (await chat.say("Ada", "accept bea diversity")).text
    await chat.say("Bea", "help")
    assert "Bea has no open offer to serve on Diversity" in (await chat.say("Ada", "accept @bea diversity")).text
    assert "Say which group" in (await chat.say("Ada", "accept @bea")).text
    await chat.say("Bea", "volunteer diversity")
    assert "Declined Bea's offer" in (await chat.say("Ada", "decline @bea diversity")).text
    sent = await chat.deliver()
    to_bea = [d.reply.text for d in sent if d.target_kind == "member"]
    assert len(to_bea) == 1 and "could not take up your offer" in to_bea[0]
    assert "no open offer" in (await chat.say("Ada", "accept @bea diversity")).text


async def test_a_call_closes_on_its_date_and_can_be_moved_or_closed_by_the_steering_group(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity closes:2027-01-12")
    await chat.deliver()
    assert "offered to serve" in (await chat.say("Bea", "volunteer diversity")).text
    chat.now = chat.now.replace(day=12, hour=23, minute=59)  # the last minute of its last day, in London
    assert "Call for volunteers: open until the end of 2027-01-12" in (await chat.say("Cal", "group diversity")).text
    chat.advance(minutes=1)  # the 13th: closed, before any job has run
    for view in ("group diversity", "groups", "home"):
        shown = await chat.say("Cal", view)
        assert "Volunteer" not in " ".join(b.label for b in shown.all_buttons()), view
    assert "Call for volunteers: open" not in (await chat.say("Cal", "group diversity")).text
    assert "no open call" in (await chat.say("Cal", "volunteer diversity")).text
    # A new call may be opened: the old one is recorded closed on the way.
    opened = await chat.say("Ada", "call diversity closes:2027-01-31")
    assert "Opened a call" in opened.text
    edits = [d.reply.text for d in await chat.deliver() if d.edit_ref]
    assert any("Call for volunteers: Diversity (this call is now closed)" in e for e in edits)
    moved = await chat.say("Ada", "call diversity closes:2027-02-14")
    assert "now closes at the end of 2027-02-14" in moved.text
    [edit] = [d for d in await chat.deliver() if d.edit_ref]
    assert "Offers close at the end of 2027-02-14" in edit.reply.text
    closed = await chat.say("Ada", "call diversity close")
    assert "Closed the call for volunteers for Diversity" in closed.text and "1 offer waits" in closed.text
    assert "has no call for volunteers open" in (await chat.say("Ada", "call diversity close")).text
    assert "not both" in (await chat.say("Ada", "call diversity close closes:2027-03-01")).text


async def test_a_call_closes_at_the_end_of_its_day_where_it_was_set(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "admin add @aroha")
    await chat.say("Aroha", "profile tz:Pacific/Auckland")
    await chat.say("Aroha", "call diversity closes:2027-01-20")
    chat.now = chat.now.replace(day=20, hour=10, minute=59)  # 23:59 on the 20th in Auckland
    assert "offered to serve" in (await chat.say("Bea", "volunteer diversity")).text
    chat.advance(minutes=2)  # the 21st in Auckland, the 20th still in London
    assert "no open call" in (await chat.say("Cal", "volunteer diversity")).text


async def test_a_full_group_or_its_chairs_take_no_more_offers(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:3')
    await chat.say("Ada", "call diversity")
    for who, role in (("Bea", "chair"), ("Cal", "chair"), ("Dee", "member")):
        await chat.say(who, f"volunteer diversity as:{role}")
    await chat.say("Ada", "accept @bea diversity as:chair")
    await chat.say("Ada", "accept @cal diversity as:chair")
    edits = [d for d in await chat.deliver() if d.edit_ref]
    assert "Chairs: 2 of 2 appointed" in edits[-1].reply.text
    assert [b.label for b in edits[-1].reply.all_buttons()] == ["Volunteer as member"]
    refused = await chat.say("Eve", "volunteer diversity as:chair")
    assert refused.failed and "has its 2 chairs" in refused.text
    await chat.say("Ada", "accept @dee diversity")
    edits = [d for d in await chat.deliver() if d.edit_ref]
    assert "(all seats are taken)" in edits[-1].reply.text and edits[-1].reply.all_buttons() == []
    full = await chat.say("Eve", "volunteer diversity")
    assert full.failed and "no seats left" in full.text
    assert "Volunteer" not in " ".join(b.label for b in (await chat.say("Eve", "groups")).all_buttons())


@pytest.mark.parametrize(
    "command",
    [
        "call digital-skills closes:9999-12-31",
        'milestone add digital-skills "Survey" due:9999-12-31',
        'poll "Which?" "A" "B" closes:"9999-12-31 23:59"',
        'group new "Far" kind:task ends:9999-12-31',
    ],
)
async def test_a_date_in_a_mistyped_far_year_is_refused_naming_its_option(chat: Chat, command: str) -> None:
    await chat.say("Ada", 'group new "Digital skills" kind:task')
    reply = await chat.say("Ada", command)  # the day after 9999-12-31 is past the last date Python holds
    assert reply.failed and "“9999-12-31” is after 2199: is its year mistyped?" in reply.text, reply.text
    assert "Usage:" in reply.text
