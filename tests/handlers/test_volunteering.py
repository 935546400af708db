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
