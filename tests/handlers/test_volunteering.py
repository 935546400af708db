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
    assert "Bea (institution not given) — as chair, offered: “I led a staff network”" in listed.text


async def test_each_change_edits_the_announcement_with_the_counts_as_they_now_stand(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:5')
    await chat.say("Ada", "call diversity")
    await chat.deliver()
    steps = [
        ("Bea", "volunteer diversity", "Seats left: 5; Chairs wanted: up to 2; Offers so far: 1 as member, 0 as"),
        ("Cal", "volunteer diversity as:chair", "Offers so far: 1 as member, 1 as chair"),
        ("Bea", "volunteer diversity as:chair", "Offers so far: 0 as member, 2 as chair"),
        ("Cal", "withdraw diversity", "Offers so far: 0 as member, 1 as chair"),
        ("Dee", "volunteer diversity", "Offers so far: 1 as member, 1 as chair"),
        ("Ada", "accept @dee diversity", "Seats left: 4; Chairs wanted: up to 2; Offers so far: 1 as member, 1 as"),
        ("Eve", "volunteer diversity", "Seats left: 4; Chairs wanted: up to 2; Offers so far: 2 as member, 1 as"),
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
    assert "closing 2027-02-01" in reply.text
    assert "already has a call for volunteers open until 2027-02-01" in (await chat.say("Ada", "call diversity")).text
    posted = await chat.deliver()
    assert [d.target for d in posted] == ["C0GENERAL"]  # announced where it was asked for
    assert "Offers close on 2027-02-01" in posted[0].reply.text and not posted[0].reply.private


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
