"""Quotation marks: a quote closes only with its own closing mark, and every quote that cannot be read is
answered with what is wrong, where, and the usage of the command being typed."""

import pytest
from sqlalchemy import select

from handlers.command.grammar import GrammarError, tokenize
from storage.models import Suggestion
from tests.conftest import Chat


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('"Please run a “lunch and learn” series"', "Please run a “lunch and learn” series"),
        ('"a “b” c"', "a “b” c"),
        ('“a "b" c”', 'a "b" c'),
        ("“a “b” c”", "a “b” c"),
        ("„a “b” c“", "a “b” c"),
        ('„a "b" c“', 'a "b" c'),
        ("«a “b” c»", "a “b” c"),
        ("«a «b» c»", "a «b» c"),
        ('”a "b" c”', 'a "b" c'),
        ("'a “b” c'", "a “b” c"),
        ('‘a "b" c’', 'a "b" c'),
        ("'don't stop'", "don't stop"),
        ("‘it’s ours’", "it’s ours"),
        ('"a 5“ screen"', "a 5“ screen"),
    ],
)
def test_a_quote_closes_only_with_its_own_mark_and_keeps_other_quotes_inside(text: str, inside: str) -> None:
    assert tokenize(f"suggest {text} anon").texts() == ["suggest", inside, "anon"]


@pytest.mark.parametrize("value", ['closes:"2027 “soon” x"', 'closes:“2027 "soon" x”', "closes:„2027 “soon” x“"])
def test_an_option_value_keeps_other_quotes_inside(value: str) -> None:
    args = tokenize(f"call diversity {value} close")
    assert args.texts() == ["call", "diversity", "close"]
    assert list(args.options.values()) == [value.split(":", 1)[1][1:-1]]


def test_a_mixed_pair_still_closes_when_its_own_mark_never_comes() -> None:
    assert tokenize('suggest "More coffee” anon').texts() == ["suggest", "More coffee", "anon"]
    assert tokenize('suggest “More coffee" anon').texts() == ["suggest", "More coffee", "anon"]


@pytest.mark.parametrize("text", ['suggest "a “b” c', 'suggest “a "b" c', 'suggest "more tea', "suggest «tea"])
def test_an_unclosed_quote_says_where_it_starts(text: str) -> None:
    with pytest.raises(GrammarError, match="is not closed") as raised:
        tokenize(text)
    assert raised.value.start == len("suggest ")
    assert [w.text for w in raised.value.words] == ["suggest"]
    assert f"starts `{text[8:]}`" in raised.value.message


async def test_a_suggestion_with_quotes_inside_quotes_is_stored_as_typed(chat: Chat) -> None:
    typed = {
        'suggest "Please run a “lunch and learn” series"': "Please run a “lunch and learn” series",
        'suggest “A "brown bag" lunch” anon': 'A "brown bag" lunch',
        "suggest 'Keep “quiet hours”'": "Keep “quiet hours”",
    }
    for text in typed:
        assert "went to the steering group" in (await chat.say("Bea", text)).text, text
    async with chat.core.db.read() as session:
        stored = (await session.scalars(select(Suggestion.text).order_by(Suggestion.id))).all()
    assert stored == list(typed.values())
    inbox = await chat.say("Ada", "suggestions")
    assert "“Please run a “lunch and learn” series”" in inbox.text


@pytest.mark.parametrize(
    ("text", "start", "usage"),
    [
        ('suggest "more tea', '"more tea', 'suggest "<text>" [anon]'),
        ('"suggest more tea', '"suggest more tea', 'suggest "<text>" [anon]'),
        ("milestone add diversity “Scope", "“Scope", 'milestone add <group> "<title>" due:YYYY-MM-DD'),
        ('group new "Rare books kind:task', '"Rare books kind:task', "group new"),
        ('call diversity closes:"2027-03-01', '"2027-03-01', "call <group> [closes:YYYY-MM-DD]"),
        ('milestone "x', '"x', "`milestone add <group>"),
    ],
)
async def test_an_unclosed_quote_names_the_problem_and_shows_the_usage(
    chat: Chat, text: str, start: str, usage: str
) -> None:
    reply = await chat.say("Bea", text)
    assert reply.failed
    assert f"The quotation mark that starts `{start}` is not closed" in reply.text
    assert "\nUsage: `" in reply.text and usage in reply.text


async def test_an_option_given_twice_shows_the_usage(chat: Chat) -> None:
    reply = await chat.say("Bea", "volunteer diversity as:chair as:member")
    assert "The option as: is given twice." in reply.text
    assert "Usage: `volunteer <group> [as:member|chair] [note:…]`" in reply.text


@pytest.mark.parametrize(
    ("text", "name", "usage"),
    [
        ('"suggest" hello', "suggest", 'suggest "<text>" [anon]'),
        ("“groups”", "groups", "groups [task|community] [open|closed]"),
        ("'help' volunteer", "help", "help [command]"),
        ('"group new" Rare kind:task', "group new", 'group new "<name>"'),
        ('"milestone" add diversity', "milestone add", "milestone add <group>"),
    ],
)
async def test_a_quoted_command_name_says_names_are_not_quoted_and_shows_the_usage(
    chat: Chat, text: str, name: str, usage: str
) -> None:
    reply = await chat.say("Bea", text)
    assert reply.failed
    assert f"A command's name is not quoted: type `{name}` without quotation marks." in reply.text
    assert "Usage: `" + usage in reply.text
    assert "Say what you'd like to do" not in reply.text


async def test_a_quoted_word_that_names_no_command_says_so(chat: Chat) -> None:
    reply = await chat.say("Bea", '"volunter" diversity')
    assert "A command's name is not quoted, and “volunter” is not a command I know." in reply.text
    assert "Did you mean `volunteer`?" in reply.text and "Usage: `volunteer <group>" in reply.text
    family = await chat.say("Bea", "“milestone”")
    assert "A command's name is not quoted: type `milestone` without quotation marks" in family.text
    assert "`milestone add <group>" in family.text and "`milestone done <group> <n>`" in family.text
