from sqlalchemy import select

from storage.models import Group
from tests.conftest import Chat


async def test_group_new_defaults_for_a_task_group(chat: Chat) -> None:
    reply = await chat.say("Ada", 'group new "Digital Skills" kind:task theme:"Digital literacy"')
    assert reply.private
    assert "Created the task-and-finish group Digital Skills (`digital-skills`), channel #digital-skills" in reply.text
    assert "12 seats, ending 2028-01-11" in reply.text
    async with chat.core.db.read() as session:
        group = await session.scalar(select(Group).where(Group.slug == "digital-skills"))
    assert group is not None
    assert (group.kind, group.status, group.seats, group.theme) == ("task", "forming", 12, "Digital literacy")


async def test_group_new_community_links_a_channel_and_takes_unquoted_names(chat: Chat) -> None:
    reply = await chat.say("Ada", 'group new Rare Books kind:community channel:<#C0RARE|rare-books> about:"For all"')
    assert "community of practice Rare Books (`rare-books`), channel C0RARE" in reply.text
    shown = await chat.say("Bea", "group rare books")
    assert "Rare Books — community of practice (active)" in shown.text
    assert "For all" in shown.text
    assert [b.label for b in shown.all_buttons()] == ["Join"]


async def test_group_new_bad_input(chat: Chat) -> None:
    cases = {
        "group new kind:task": "Give the new group a name",
        'group new "X"': "Say what kind of group",
        'group new "X" kind:club': "kind: must be one of task, community",
        'group new "X" kind:task seats:0': "not a valid number of seats",
        'group new "X" kind:task ends:2020-01-01': "ends: must be after today",
        'group new "X" kind:task ends:soon': "ends: takes a date written YYYY-MM-DD, for example 2027-03-31",
        'group new "!!!" kind:task': "needs at least one letter or digit",
        f'group new "{"x" * 81}" kind:task': "too long: 81 characters, the limit is 80",
        'group new "X" kind:task colour:blue': "`group new` has no option colour:",
        'group new "X" kind:task channel:general': "channel: takes a channel",
    }
    for text, problem in cases.items():
        reply = await chat.say("Ada", text)
        assert problem in reply.text, text
        assert "Usage: `group new" in reply.text, text
        assert reply.private
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    reply = await chat.say("Ada", 'group new "wellbeing" kind:community')
    assert "There is already a group called Wellbeing" in reply.text


async def test_groups_directory_filters_and_buttons(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:10')
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    await chat.say("Ada", 'group new "Scholarly Libraries" kind:community')
    await chat.say("Ada", "call diversity")
    everything = await chat.say("Bea", "groups")
    assert everything.text.startswith("Groups (3):")
    assert everything.sections[0].text == "Groups (3):"  # the title, in the blocks too
    groups = everything.sections[1:]
    assert [s.text.split("*")[1] for s in groups] == ["Diversity", "Wellbeing", "Scholarly Libraries"]
    diversity = groups[0]
    assert ("Seats left", "10") in diversity.fields and ("Call for volunteers", "open") in diversity.fields
    assert [b.label for b in diversity.buttons] == ["Volunteer as member", "Volunteer as chair"]
    assert groups[1].buttons == ()  # no open call: nothing to press
    open_task = await chat.say("Bea", "groups task open")
    assert [s.text.split("*")[1] for s in open_task.sections[1:]] == ["Diversity"]
    community = await chat.say("Bea", "groups community")
    assert [s.text.split("*")[1] for s in community.sections[1:]] == ["Scholarly Libraries"]
    bad = await chat.say("Bea", "groups big")
    assert "not “big”" in bad.text and "Usage: `groups [task|community] [open|closed]`" in bad.text


async def test_unknown_group_gets_did_you_mean(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    reply = await chat.say("Bea", "group welbeing")
    assert "There is no group called “welbeing”. Did you mean Wellbeing (`wellbeing`)?" in reply.text
    reply = await chat.say("Bea", "members zzzzz")
    assert "Type `groups` to see them all" in reply.text


async def test_group_page_shows_plan_progress_and_case_study(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'milestone add diversity "Literature review" due:2027-03-01')
    await chat.say("Ada", 'progress diversity "Survey drafted"')
    await chat.say("Ada", 'casestudy diversity "Inclusive hiring" https://example.org/cs')
    page = await chat.say("Bea", "group Diversity")
    assert "1. Literature review — due 2027-03-01" in page.text
    assert "Latest progress (2027-01-11): Survey drafted" in page.text
    assert "Case study: Inclusive hiring — https://example.org/cs" in page.text
    assert "Chairs: none yet" in page.text


async def test_group_close_asks_for_the_case_study(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    reply = await chat.say("Ada", "group close diversity")
    assert "has no case study yet" in reply.text and "group close diversity link:<link>" in reply.text
    reply = await chat.say("Ada", "group close diversity link:https://example.org/cs")
    assert reply.text == "Closed Diversity, with 0 members. Its open call for volunteers is closed."
    page = await chat.say("Bea", "group diversity")
    assert "(closed)" in page.text and "Case study: Diversity case study — https://example.org/cs" in page.text
    assert page.all_buttons() == []
    again = await chat.say("Ada", "group close diversity")
    assert "already closed" in again.text
    notices = await chat.deliver()
    assert any(d.target == "#diversity" and "is now closed" in d.reply.text for d in notices)
    directory = await chat.say("Bea", "groups")
    assert "Diversity" not in directory.text


async def test_group_close_anyway_and_communities_need_no_case_study(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'group new "Rare Books" kind:community')
    assert (await chat.say("Ada", "group close diversity anyway")).text == "Closed Diversity, with 0 members."
    assert (await chat.say("Ada", "group close rare-books")).text == "Closed Rare Books, with 0 members."


async def test_a_closed_group_takes_no_new_work_but_its_page_and_case_study_stay(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity as:chair")
    await chat.say("Cal", "volunteer diversity")
    await chat.say("Bea", 'prompts diversity every:"monday 10:00"')
    await chat.deliver()
    closed = await chat.say("Ada", "group close diversity anyway")
    assert closed.text == (
        "Closed Diversity, with 1 member. Its open call for volunteers is closed; 1 offer waiting lapsed (the "
        "volunteers are told); its schedules (1) are off."
    )
    told = {d.target: d.reply.text for d in await chat.deliver() if d.target_kind == "member"}
    assert "has closed, so your offer to serve on it lapsed" in told["cal"]
    refused = [
        ("Bea", 'progress diversity "Still going"'),
        ("Bea", 'milestone add diversity "More" due:2027-02-01'),
        ("Bea", "milestone done diversity 1"),
        ("Bea", 'prompts diversity every:"monday 10:00"'),
        ("Bea", 'prompt add "Anything?" group:diversity'),
        ("Bea", "leave diversity"),
        ("Ada", "call diversity"),
        ("Ada", "accept @cal diversity"),
        ("Ada", "decline @cal diversity"),
        ("Ada", "pairing every:2w group:diversity"),
        ("Ada", "pairing now group:diversity"),
        ("Dee", "volunteer diversity"),
        ("Dee", "withdraw diversity"),
    ]
    for who, said in refused:
        reply = await chat.say(who, said)
        assert reply.failed and "Diversity is closed: it takes no new work" in reply.text, (said, reply.text)
    for said in ("group diversity", "members diversity", "volunteers diversity", "prompts diversity"):
        assert not (await chat.say("Bea", said)).failed, said
    recorded = await chat.say("Bea", 'casestudy diversity "Inclusive hiring" https://example.org/cs')
    assert "Recorded the case study" in recorded.text
    listed = await chat.say("Bea", "groups closed")
    assert "• Diversity (diversity) — task-and-finish group, closed on 2027-01-11; case study: Inclusive hiring" in (
        listed.text
    )
    assert "Diversity" not in (await chat.say("Bea", "groups")).text
    assert "not both" in (await chat.say("Bea", "groups open closed")).text
