"""What closes or runs at a moment is shown in each reader's own day (issue 12, kind 4, seen by others): a call
opened in Auckland closes at Auckland's midnight, which a London reader sees as 11:00 the day before."""

from tests.conftest import Chat


async def test_a_call_closing_at_another_zones_midnight_is_shown_in_the_readers_time(chat: Chat) -> None:
    await chat.say("Ada", "profile tz:Pacific/Auckland")
    await chat.say("Ada", 'group new "Reading Lists" kind:task seats:3')
    opened = await chat.say("Ada", "call reading-lists closes:2027-02-01")
    assert "closing at the end of 2027-02-01" in opened.text  # the opener's own day
    (announcement,) = [d for d in await chat.deliver() if d.target == "#announcements"]
    assert "Offers close at 2027-02-01 11:00 (Europe/London time)." in announcement.reply.text
    page = await chat.say("Tom", "group reading-lists")
    assert "Call for volunteers: open until 2027-02-01 11:00" in page.text  # Tom reads London time
    await chat.say("Kiri", "profile tz:Pacific/Auckland")
    assert (
        "Call for volunteers: open until the end of 2027-02-01" in (await chat.say("Kiri", "group reading-lists")).text
    )
    home = await chat.say("Tom", "home")
    assert "offers close at 2027-02-01 11:00" in home.text


async def test_the_next_pairing_round_is_shown_in_the_readers_zone(chat: Chat) -> None:
    await chat.say("Ada", "pairing every:2w day:tue")
    await chat.say("Leila", "profile tz:Pacific/Auckland")
    status = await chat.say("Leila", "pairing status")
    assert "Next round: Tuesday 2027-01-12 23:00 (Pacific/Auckland)." in status.text  # 10:00 in London
    bad = await chat.say("Ada", "pairing every:2w day:xyz")
    assert bad.failed and "day: takes a day of the week, like day:tue, not “xyz”" in bad.text


async def test_pairing_a_group_with_nobody_opted_in_says_so_of_the_group(chat: Chat) -> None:
    await chat.say("Bea", "pairing on")
    await chat.say("Cal", "pairing on")
    await chat.say("Ada", 'group new "CoP" kind:community')
    reply = await chat.say("Ada", "pairing now group:cop")
    assert reply.failed and "None of CoP's members is opted in to pairing" in reply.text


async def test_a_full_call_no_longer_asks_for_chairs(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Reading Lists" kind:task seats:1')
    await chat.say("Ada", "call reading-lists")
    await chat.say("Bea", "volunteer reading-lists")
    await chat.say("Ada", "accept @bea reading-lists")
    edits = [d for d in await chat.deliver() if d.target == "#announcements" and d.edit_ref]
    assert "(all seats are taken)" in edits[-1].reply.text
    assert "wanted" not in edits[-1].reply.text and "Chairs: 0 of 2 appointed" in edits[-1].reply.text


async def test_a_group_that_lost_its_chair_gets_one_as_the_steering_group_is_told(chat: Chat) -> None:
    """The notice says how to appoint a chair, and that way works, for a community too."""
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Priya", "join makers")
    await chat.say("Leila", "join makers")
    await chat.say("Ada", "accept @priya makers as:chair")
    await chat.deliver()
    await chat.say("Priya", "leave makers")
    (notice,) = [d for d in await chat.deliver() if d.target == "ada"]
    assert "Make one of its members chair: `accept <person> makers as:chair`." in notice.reply.text
    assert "call makers" not in notice.reply.text  # a community has no calls
    made = await chat.say("Ada", "accept @leila makers as:chair")
    assert "Leila now chairs Makers; they have been told." in made.text
    assert any("made you a chair of Makers" in d.reply.text for d in await chat.deliver() if d.target == "leila")
    assert "already chairs" in (await chat.say("Ada", "accept @leila makers as:chair")).text
    hint = await chat.say("Ada", "accept @leila makers")
    assert "no open offer" in hint.text and "as:chair" in hint.text


async def test_leaving_a_full_task_group_reopens_its_call_announcement(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Reading Lists" kind:task seats:1')
    await chat.say("Ada", "call reading-lists")
    await chat.say("Bea", "volunteer reading-lists")
    await chat.say("Ada", "accept @bea reading-lists")
    await chat.deliver()
    await chat.say("Bea", "leave reading-lists")
    edits = [d for d in await chat.deliver() if d.target == "#announcements" and d.edit_ref]
    assert edits and "(all seats are taken)" not in edits[-1].reply.text
    assert [b.label for b in edits[-1].reply.all_buttons()] == ["Volunteer as member", "Volunteer as chair"]
