from dataclasses import replace

import pytest
from sqlalchemy import select

from handlers.command.messages import Submission
from handlers.suggestions import seal_senders
from storage.models import Member, Outbox, Suggestion
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
    assert "New anonymous suggestion #1" in notices[0].reply.text
    inbox = await chat.say("Ada", "suggestions")
    assert "#1 [new] from anonymous" in inbox.text and "Bea" not in inbox.text
    status = await chat.say("Ada", "suggestion #1 status:planned")
    assert "now planned" in status.text and "Bea" not in status.text
    told = await chat.deliver()
    assert [d.target for d in told] == ["bea"]
    assert "Your suggestion #1 is now planned." in told[0].reply.text
    async with chat.core.db.read() as session:
        stored = await session.scalar(select(Suggestion))
        answered = (await session.scalars(select(Outbox).where(Outbox.key.like("suggestion 1: answer%")))).all()
    assert stored is not None and stored.anonymous and stored.text == "More coffee mornings"
    assert stored.sender_id is None and stored.sealed_to and "bea" not in stored.sealed_to
    # Once sent, the answer's row keeps neither where it went nor what it said.
    assert [(r.status, r.target, r.target_label) for r in answered] == [("sent", "(redacted)", "anonymous sender")]
    assert "More coffee" not in str(answered[0].payload) and "planned" not in str(answered[0].payload)


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


@pytest.mark.parametrize(
    "said",
    [
        'suggest "My manager blocks my training" anon.',
        'suggest "My manager blocks my training" anon please',
        'suggest anon "My manager blocks my training"',
        'suggest "My manager blocks my training" Anonymously!',
        "suggest My manager blocks my training anon",
        "suggest anon: My manager blocks my training",
    ],
)
async def test_anonymity_is_chosen_by_an_anon_word_anywhere_among_the_options(chat: Chat, said: str) -> None:
    await chat.say("Ada", "help")
    reply = await chat.say("Owen", said)
    if "please" in said:  # a word that is neither the suggestion nor a choice: nothing is sent
        assert reply.failed and "I don't understand “please”" in reply.text
        return
    assert "went to the steering group anonymously" in reply.text, reply.text
    [notice] = await chat.deliver()
    assert "Owen" not in notice.reply.text and "New anonymous suggestion #1: “My manager blocks my training”" in (
        notice.reply.text
    )


async def test_text_that_seems_to_ask_not_to_be_named_is_not_sent_until_the_sender_chooses(chat: Chat) -> None:
    await chat.say("Ada", "help")
    for text in (
        "suggest Please keep this anonymous: my manager blocks my training",
        'suggest "Confidential - the rota is unfair"',
        'suggest "Do not name me, but the rota is unfair"',
    ):
        asked = await chat.say("Owen", text)
        assert "has not been sent" in asked.text and not asked.failed
        assert [b.label for b in asked.all_buttons()] == ["Send anonymously", "Send with my name"]
    assert await chat.deliver() == []  # nothing went anywhere
    sent = await chat.press("Owen", "Send anonymously")
    assert "anonymously" in sent.text
    [notice] = await chat.deliver()
    assert "Owen" not in notice.reply.text and "Do not name me, but the rota is unfair" in notice.reply.text
    named = await chat.say("Owen", 'suggest "An anonymous feedback form for events" named')
    assert "went to the steering group." in named.text
    [notice] = await chat.deliver()
    assert "from Owen" in notice.reply.text
    both = await chat.say("Owen", 'suggest "x" anon named')
    assert both.failed and "not both" in both.text


async def test_the_form_has_a_box_for_anonymity(chat: Chat) -> None:
    await chat.say("Ada", "help")
    form = await chat.core.handle(replace(chat.request("Owen", "suggest"), forms=True))
    assert form.form is not None and [f.kind for f in form.form.fields] == ["long_text", "flag"]
    sent = await chat.core.handle(
        replace(chat.request("Owen"), submitted=Submission("suggest", {"text": "Quieter rooms", "anon": "yes"}))
    )
    assert "anonymously" in sent.text
    [notice] = await chat.deliver()
    assert "Owen" not in notice.reply.text and "Quieter rooms" in notice.reply.text


async def test_a_database_from_before_is_sealed_at_start_up(chat: Chat) -> None:
    """Anonymous suggestions stored with their sender (as Convene did before) lose it; their answers still go."""
    await chat.say("Ada", "help")
    await chat.say("Bea", "help")
    async with chat.core.db.write() as session:
        bea = await session.scalar(select(Member).where(Member.user_id == "bea"))
        assert bea is not None
        session.add(Suggestion(sender_id=bea.id, anonymous=True, text="Old and anonymous", created_at=chat.now))
    assert await seal_senders(chat.core.db, chat.core.config.sealer) == 1
    assert await seal_senders(chat.core.db, chat.core.config.sealer) == 0  # done once
    async with chat.core.db.read() as session:
        old = await session.scalar(select(Suggestion))
    assert old is not None and old.sender_id is None and old.sealed_to
    await chat.say("Ada", 'suggestion 1 reply "Thank you"')
    [told] = await chat.deliver()
    assert told.target == "bea" and "Thank you" in told.reply.text


async def test_the_steering_group_hears_of_a_suggestion_before_any_of_them_has_spoken(chat: Chat) -> None:
    """Ada is an admin only by configuration (CONVENE_ADMINS) and has never used Convene."""
    await chat.say("Bea", 'suggest "A reading group"')
    [notice] = await chat.deliver()
    assert (notice.target_kind, notice.target) == ("member", "ada")
    assert "New suggestion #1 from Bea: “A reading group”" in notice.reply.text
