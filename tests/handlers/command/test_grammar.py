from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.command.errors import UserError
from handlers.command.grammar import parse_date, parse_int, parse_time, slugify, tokenize


def test_words_quotes_and_options_in_any_order() -> None:
    args = tokenize('group new "Digital Skills" kind:task theme:"Digital literacy" seats:10')
    assert args.texts() == ["group", "new", "Digital Skills"]
    assert args.words[2].quoted
    assert args.options == {"kind": "task", "theme": "Digital literacy", "seats": "10"}


@pytest.mark.parametrize(
    "text",
    [
        "suggest “More coffee mornings” anon",
        'suggest "More coffee mornings” anon',
        "suggest „More coffee mornings“ anon",
        "suggest ‘More coffee mornings’ anon",
        "suggest 'More coffee mornings' anon",
    ],
)
def test_straight_and_curly_quotes(text: str) -> None:
    assert tokenize(text).texts() == ["suggest", "More coffee mornings", "anon"]


def test_apostrophes_inside_words_are_not_quotes() -> None:
    assert tokenize("suggest don't stop").texts() == ["suggest", "don't", "stop"]


def test_curly_quoted_option_value() -> None:
    assert tokenize("profile institution:“City Library”").options == {"institution": "City Library"}


def test_links_and_times_are_not_options() -> None:
    args = tokenize('casestudy diversity "Title" https://example.org/a:b 10:30')
    assert args.texts()[-2:] == ["https://example.org/a:b", "10:30"]
    assert args.options == {}


def test_mentions_and_channels() -> None:
    args = tokenize("<@U0123ABC|Alice Smith> diversity <member:7> @bob <#C024BE7LR|general> #wellbeing")
    words = args.words
    assert len(words) == 6
    assert words[0].mention == "U0123ABC"
    assert words[1].mention is None and words[1].channel is None
    assert words[2].member_id == 7
    assert words[3].mention == "bob"
    assert words[4].channel == "C024BE7LR"
    assert words[5].channel == "#wellbeing"


def test_unclosed_quote_is_a_user_error() -> None:
    with pytest.raises(UserError, match="not closed"):
        tokenize('suggest "no end')


def test_option_twice_is_a_user_error() -> None:
    with pytest.raises(UserError, match="given twice"):
        tokenize("volunteer x as:chair as:member")


def test_option_keys_are_case_insensitive() -> None:
    assert tokenize("call x Closes:2027-01-01").options == {"closes": "2027-01-01"}


def test_dates() -> None:
    assert parse_date("2027-03-31").isoformat() == "2027-03-31"
    for bad in ("2027-02-30", "31/03/2027", "tomorrow", "2027-3-1"):
        with pytest.raises(UserError, match="YYYY-MM-DD"):
            parse_date(bad)
    assert parse_date("2199-12-31").year == 2199
    with pytest.raises(UserError, match="after 2199: is its year mistyped"):
        parse_date("9999-12-31")  # a day or an hour later would pass the last date Python holds


def test_times_in_the_speakers_zone() -> None:
    moment = parse_time("2027-03-28 14:00", "Europe/London")
    assert moment == datetime(2027, 3, 28, 14, 0, tzinfo=ZoneInfo("Europe/London"))
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 3600  # British Summer Time
    assert parse_time("2027-01-10 09:05", "America/New_York").utcoffset().total_seconds() == -5 * 3600
    with pytest.raises(UserError, match="not a time"):
        parse_time("2027-03-28", "Europe/London")
    with pytest.raises(UserError, match="hours run"):
        parse_time("2027-03-28 25:00", "Europe/London")
    with pytest.raises(UserError, match="time zone"):
        parse_time("2027-03-28 10:00", "Mars/Olympus")


def test_whole_numbers() -> None:
    assert parse_int("12", "seats") == 12
    for bad in ("0", "-3", "twelve", "1.5", "100000"):
        with pytest.raises(UserError, match="whole number"):
            parse_int(bad, "seats")


def test_slugs() -> None:
    assert slugify("Scholarly Libraries!") == "scholarly-libraries"
    assert slugify("  Équipe & Co ") == "equipe-co"


def test_control_characters_become_spaces() -> None:
    assert tokenize("suggest tea\x00and\x07cake").texts() == ["suggest", "tea", "and", "cake"]
