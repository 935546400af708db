from tests.conftest import Chat


async def test_profile_show_and_set(chat: Chat) -> None:
    shown = await chat.say("Bea", "profile")
    assert "Institution: not given" in shown.text and "Time zone: Europe/London" in shown.text
    updated = await chat.say(
        "Bea",
        'profile institution:"Northgate University Library" title:"Library Assistant" stage:early '
        'interests:"outreach, metadata" tz:America/New_York',
    )
    assert updated.text.startswith("Your profile is updated.")
    for expected in (
        "Institution: Northgate University Library",
        "Job title: Library Assistant",
        "Career stage: early",
        "Interests: outreach, metadata",
        "Time zone: America/New_York",
    ):
        assert expected in updated.text
    assert "Institution: Northgate University Library" in (await chat.say("Bea", "profile")).text


async def test_profile_bad_input(chat: Chat) -> None:
    cases = {
        "profile stage:junior": "stage: must be one of early, mid, senior, leader",
        "profile tz:Narnia/Cair": "is not a time zone I know",
        "profile colour:blue": "`profile` has no option colour:",
        "profile me": "I don't understand “me” here",
        f'profile title:"{"t" * 121}"': "job title is too long",
    }
    for text, problem in cases.items():
        reply = await chat.say("Bea", text)
        assert problem in reply.text, text
        assert "Usage: `profile" in reply.text


async def test_similar_institution_gets_a_hint(chat: Chat) -> None:
    await chat.say("Bea", 'profile institution:"Northgate University Library"')
    reply = await chat.say("Cal", 'profile institution:"Northgate Univ Library"')
    assert "did you mean Northgate University Library?" in reply.text
    same = await chat.say("Dee", 'profile institution:"northgate university library"')
    assert "Institution: Northgate University Library" in same.text and "did you mean" not in same.text


async def test_today_is_the_speakers_today_in_their_own_time_zone(chat: Chat) -> None:
    """09:30 UTC on Monday 11 January 2027 is 22:30 that day in Auckland: tomorrow there is the 12th."""
    chat.now = chat.now.replace(hour=11)  # 00:00 on Tuesday 12 January in Auckland, still Monday in London
    await chat.say("Aroha", "profile tz:Pacific/Auckland")
    await chat.say("Aroha", "pairing on")
    refused = await chat.say("Aroha", "pairing snooze until:2027-01-12")
    assert refused.failed and "must be after today (2027-01-12)" in refused.text
    assert "no rounds before 2027-01-13" in (await chat.say("Aroha", "pairing snooze until:2027-01-13")).text
    await chat.say("Lon", "pairing on")  # in London it is still the 11th: the 12th is tomorrow
    assert "no rounds before 2027-01-12" in (await chat.say("Lon", "pairing snooze until:2027-01-12")).text
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "admin add @aroha")
    late = await chat.say("Aroha", 'milestone add diversity "Plan" due:2027-01-11')
    assert late.failed and "due: must be today (2027-01-12) or later" in late.text
