from sqlalchemy import select

from storage.models import Suggestion
from tests.conftest import Chat


async def test_a_named_suggestion_reaches_the_steering_group_and_the_answer_reaches_the_sender(chat: Chat) -> None:
    await chat.say("Ada", "help")  # the configured admin has spoken, so Convene can reach them
    await chat.say("Ada", "admin add @zoe")
    await chat.deliver()
    reply = await chat.say("Bea", 'suggest "A session on copyright"')
    assert "Your suggestion #1 went to the steering group." in reply.text
    notices = await chat.deliver()
    assert sorted(d.target for d in notices) == ["ada", "zoe"]
    assert all("New suggestion #1 from Bea: “A session on copyright”" in d.reply.text for d in notices)

    inbox = await chat.say("Zoe", "suggestions")
    assert "#1 [new] from Bea" in inbox.text
    answer = await chat.say("Zoe", 'suggestion 1 reply "Planned for March"')
    assert "The sender has been told" in answer.text
    told = await chat.deliver()
    assert [d.target for d in told] == ["bea"]
    assert "replied to your suggestion #1: “Planned for March”" in told[0].reply.text
    assert "now acknowledged" in told[0].reply.text
    assert "#1 [acknowledged]" in (await chat.say("Zoe", "suggestions acknowledged")).text
    assert "1 reply" in (await chat.say("Zoe", "suggestions")).text


async def test_anonymous_suggestion_hides_the_sender_but_the_answer_reaches_them(chat: Chat) -> None:
    await chat.say("Ada", "help")
    reply = await chat.say("Bea", "suggest More coffee mornings anon")
    assert "went to the steering group anonymously" in reply.text
    notices = await chat.deliver()
    assert len(notices) == 1 and "Bea" not in notices[0].reply.text
    assert "someone who asked to stay anonymous" in notices[0].reply.text
    inbox = await chat.say("Ada", "suggestions")
    assert "#1 [new] from anonymous" in inbox.text and "Bea" not in inbox.text
    status = await chat.say("Ada", "suggestion #1 status:planned")
    assert "now planned" in status.text and "Bea" not in status.text
    told = await chat.deliver()
    assert [d.target for d in told] == ["bea"]
    assert "Your suggestion #1 is now planned." in told[0].reply.text
    async with chat.core.db.read() as session:
        stored = await session.scalar(select(Suggestion))
    assert stored is not None and stored.anonymous and stored.text == "More coffee mornings"


async def test_suggestion_bad_input(chat: Chat) -> None:
    assert "suggestion is empty" in (await chat.say("Bea", "suggest")).text
    assert "suggestion is too long" in (await chat.say("Bea", f'suggest "{"x" * 2001}"')).text
    await chat.say("Bea", "suggest Longer opening hours")
    cases = {
        "suggestion 9 reply hi": "There is no suggestion #9",
        "suggestion one reply hi": "not a valid suggestion number",
        "suggestion 1": "Say what to do with suggestion #1",
        "suggestion 1 status:maybe": "status: must be one of new, acknowledged, planned, done, declined",
        "suggestion 1 answer hi": "I don't understand “answer” here",
        "suggestions someday": "“someday” is not a status",
    }
    for text, problem in cases.items():
        reply = await chat.say("Ada", text)
        assert problem in reply.text, text
        assert "Usage:" in reply.text


async def test_a_nul_character_is_stored_on_every_database(chat: Chat) -> None:
    reply = await chat.say("Bea", 'suggest "More\x00coffee"')
    assert "Your suggestion #1 went to the steering group" in reply.text
