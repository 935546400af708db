from tests.conftest import Chat


async def make_chair(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity")


async def test_milestones(chat: Chat) -> None:
    await make_chair(chat)
    first = await chat.say("Bea", 'milestone add diversity "Literature review" due:2027-03-01')
    assert "Added milestone 1 to Diversity: Literature review, due 2027-03-01" in first.text
    second = await chat.say("Bea", "milestone add diversity Interviews due:2027-05-01")
    assert "Added milestone 2" in second.text
    assert "due:YYYY-MM-DD" in (await chat.say("Bea", 'milestone add diversity "Survey"')).text
    assert "is empty" in (await chat.say("Bea", "milestone add diversity due:2027-05-01")).text
    assert (
        "due: takes a date written YYYY-MM-DD, for example 2027-03-31, not “May”."
        in (await chat.say("Bea", 'milestone add diversity "X" due:May')).text
    )
    done = await chat.say("Bea", "milestone done diversity 1")
    assert "Milestone 1 of Diversity (Literature review) is done" in done.text
    assert "already done on 2027-01-11" in (await chat.say("Bea", "milestone done diversity 1")).text
    assert "has no milestone 9" in (await chat.say("Bea", "milestone done diversity 9")).text
    assert "not a valid milestone number" in (await chat.say("Bea", "milestone done diversity one")).text
    page = await chat.say("Cal", "group diversity")
    assert "1. Literature review — due 2027-03-01, done 2027-01-11" in page.text
    assert "2. Interviews — due 2027-05-01" in page.text


async def test_progress_is_posted_to_the_group_channel(chat: Chat) -> None:
    await make_chair(chat)
    await chat.deliver()
    reply = await chat.say("Bea", 'progress diversity "Survey sent to twelve libraries"')
    assert "Posted your progress update to Diversity in #diversity" in reply.text
    posted = await chat.deliver()
    assert [(d.target, d.reply.text) for d in posted] == [
        ("#diversity", "Progress from Diversity (Bea): Survey sent to twelve libraries")
    ]
    assert "progress update is too long" in (await chat.say("Bea", f"progress diversity {'x' * 2001}")).text


async def test_case_study(chat: Chat) -> None:
    await make_chair(chat)
    assert "Give the case study's title" in (await chat.say("Bea", 'casestudy diversity "Title"')).text
    bad = await chat.say("Bea", 'casestudy diversity "Title" www')
    assert "“www” is not a link" in bad.text
    ok = await chat.say("Bea", 'casestudy diversity "Inclusive hiring" https://example.org/cs')
    assert ok.text == "Recorded the case study of Diversity: Inclusive hiring — https://example.org/cs"
    again = await chat.say("Bea", 'casestudy diversity "Inclusive hiring, 2nd ed." https://example.org/cs2')
    assert again.text.startswith("Updated the case study")
    posted = await chat.deliver()
    assert sum("published its case study" in d.reply.text for d in posted) == 2
