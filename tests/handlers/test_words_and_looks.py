"""Words and looks (issue 12, kind 7): every list says what it is for in its first section, counts agree with
their nouns, names take the right possessive, dates are said as they are, and the buttons offered fit the person
looking."""

import re
from datetime import date

import pytest

from handlers.command.grammar import slugify
from handlers.command.messages import counted, possessive
from handlers.groups import runs_line
from storage.models import Group
from tests.conftest import Chat


def test_counts_agree_with_their_nouns_and_possessives_fit_the_name() -> None:
    assert [counted(n, "pair") for n in (0, 1, 2)] == ["0 pairs", "1 pair", "2 pairs"]
    assert counted(1, "person", "people") == "1 person" and counted(5, "person", "people") == "5 people"
    assert possessive("Digital Skills") == "Digital Skills'" and possessive("Wellbeing") == "Wellbeing's"


async def setup_lists(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Digital Skills" kind:task seats:3')
    await chat.say("Ada", "call digital-skills")
    await chat.say("Bea", "volunteer digital-skills as:chair")
    await chat.say("Cal", 'suggest "More coffee mornings"')
    await chat.say("Ada", 'prompts digital-skills every:"monday 10:00"')
    await chat.say("Ada", "accept @bea digital-skills as:chair")


LISTS = ["groups", "groups closed", "volunteers digital-skills", "suggestions", "schedules", "members digital-skills"]


@pytest.mark.parametrize("command", LISTS)
async def test_every_list_starts_with_its_title_in_its_first_section(chat: Chat, command: str) -> None:
    """Block Kit shows a reply's sections, not its text: a list whose title is only in the text leaves people
    guessing whose list it is."""
    await setup_lists(chat)
    if command == "groups closed":
        await chat.say("Ada", "group close digital-skills anyway")
    reply = await chat.say("Ada", command)
    assert not reply.failed, reply.text
    assert reply.sections, reply.text
    assert reply.text.split("\n", 1)[0] == reply.sections[0].text  # the title, in the blocks too


async def test_words_people_read_are_well_made(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Digital Skills" kind:community')
    added = await chat.say("Ada", 'prompt add "What did you learn this week?" group:digital-skills')
    assert "Added to Digital Skills' prompts" in added.text
    page = await chat.say("Bea", "group digital-skills")
    assert "to ?" not in page.text and "Runs:" not in page.text  # a community with no dates says none
    await chat.say("Ada", 'group new "Wellbeing" kind:task')
    task_page = await chat.say("Bea", "group wellbeing")
    assert re.search(r"Runs: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}", task_page.text), task_page.text
    start, end = date(2027, 1, 4), date(2027, 12, 17)
    assert runs_line(Group(starts_on=start, ends_on=None)) == "Runs from 2027-01-04, with no end date"
    assert runs_line(Group(starts_on=None, ends_on=end)) == "Runs until 2027-12-17"
    bad = await chat.say("Ada", 'milestone add wellbeing "Review" due:soon')
    assert "due::" not in bad.text and "due: takes a date written YYYY-MM-DD" in bad.text
    created = await chat.say("Ada", 'group new "Readers" kind:task seats:1')
    assert "1 seat," in created.text


async def test_the_group_page_offers_to_volunteer_only_to_those_not_in_it_nor_waiting(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:5')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity as:chair")
    await chat.say("Cal", "volunteer diversity")

    def volunteer_buttons(reply_sections: tuple) -> list[str]:  # type: ignore[type-arg]
        return [b.label for s in reply_sections for b in s.buttons if b.action_id == "volunteer"]

    assert volunteer_buttons((await chat.say("Dee", "group diversity")).sections) == [
        "Volunteer as member",
        "Volunteer as chair",
    ]
    assert volunteer_buttons((await chat.say("Bea", "group diversity")).sections) == []  # its chair
    assert volunteer_buttons((await chat.say("Cal", "group diversity")).sections) == []  # her offer waits
    directory = await chat.say("Cal", "groups")
    assert volunteer_buttons(directory.sections) == []


@pytest.mark.parametrize(
    "typed",
    [
        'milestone add diversity "Review" due:2027-03-01 extra',
        'progress diversity "Survey drafted" extra',
        'prompt add "What did you read?" extra',
        'group new "Rare Books" extra kind:community',
        'suggestion 1 reply "Thank you" extra',
    ],
)
async def test_quoted_text_with_a_stray_word_beside_it_is_refused_not_merged(chat: Chat, typed: str) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Bea", 'suggest "More sessions online" named')
    reply = await chat.say("Ada", typed)
    assert reply.failed and "“extra” is outside the quotes" in reply.text and "Usage: `" in reply.text


async def test_the_steering_group_is_told_what_it_did_not_what_the_sender_reads(chat: Chat) -> None:
    await chat.say("Bea", 'suggest "More sessions online" named')
    reply = await chat.say("Ada", 'suggestion 1 reply "Good idea: we will"')
    assert reply.text == "Suggestion #1: replied “Good idea: we will”; now acknowledged. The sender has been told."


def test_a_name_with_accents_keeps_its_letters_in_its_short_name() -> None:
    assert slugify("Ünïcødé Grøup ☕") == "unicode-group"
    assert slugify("Llyfrgell Gŵyl Dewi â Chymraeg") == "llyfrgell-gwyl-dewi-a-chymraeg"
    assert slugify("Straße Æsir") == "strasse-aesir"


async def test_help_for_a_command_keeps_the_case_of_its_summary(chat: Chat) -> None:
    assert "What Convene can do for you" in (await chat.say("Bea", "help help")).text


async def test_no_open_group_is_not_told_to_create_one(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    reply = await chat.say("Bea", "groups open")
    assert "No group is taking volunteers or members just now; `groups` lists them all." in reply.text


async def test_volunteers_shows_each_person_once_with_their_latest_offer(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity")
    await chat.say("Bea", "withdraw diversity")
    await chat.say("Bea", "volunteer diversity as:chair")
    listed = await chat.say("Ada", "volunteers diversity")
    assert listed.text.count("• Bea") == 1 and "• Bea — as chair, offered" in listed.text


@pytest.mark.parametrize(
    "typed",
    [
        'progress diversity "Survey" "drafted"',
        'prompt add "What did" "you read?"',
        'group new "Rare" "Books" kind:community',
        'suggestion 1 reply "Thank" "you"',
        'event new "Tea" "Party" when:"2027-02-02 15:00"',
        'milestone add diversity "a""b" due:2027-06-01',
    ],
)
async def test_two_quoted_texts_where_one_is_wanted_are_refused_naming_both(chat: Chat, typed: str) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Bea", 'suggest "More sessions online" named')
    reply = await chat.say("Ada", typed)
    assert reply.failed and "quoted texts" in reply.text and "in one pair of quotes" in reply.text, reply.text
    assert "Usage: `" in reply.text
