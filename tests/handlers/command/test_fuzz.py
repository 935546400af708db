"""Arbitrary text and button values never crash the dispatcher: there is always a reply."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.command.dispatch import REGISTRY
from handlers.command.messages import Action
from tests.conftest import Chat

NAMES = sorted({c.name for c in REGISTRY} | {"diversity", "as:chair", "kind:task", "<@U1>", "@bea", '"', "“", "anon"})
words = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
lines = st.one_of(st.text(max_size=200), st.lists(words, max_size=8).map(" ".join))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=lines)
async def test_any_text_gets_a_reply(chat: Chat, text: str) -> None:
    reply = await chat.say("Ada", text)
    assert reply.text.strip()
    assert "something went wrong on our side" not in reply.text, text


@FUZZ
@given(action_id=st.text(max_size=20), value=lines)
async def test_any_button_value_gets_a_reply(chat: Chat, action_id: str, value: str) -> None:
    reply = await chat.core.handle(chat.request("Bea", action=Action(action_id, value)))
    assert reply.text.strip()
    assert "something went wrong on our side" not in reply.text, value
