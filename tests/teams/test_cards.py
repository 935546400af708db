"""Adaptive Cards within Teams' limits and valid against the official 1.5 schema, whatever the reply; forms and
pressed buttons read back from what Teams submits."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.teams import cards
from handlers.command.forms import Form
from handlers.command.messages import (
    RESERVED,
    Button,
    Image,
    Option,
    Place,
    Reply,
    Request,
    Section,
    Select,
    Speaker,
    Submission,
    channel_ref,
    person_ref,
)
from handlers.events import EVENT_FORM
from handlers.groups import NEW_GROUP_FORM
from handlers.polls import POLL_FORM
from handlers.profile import PROFILE_FORM
from handlers.suggestions import SUGGEST_FORM
from tests.conftest import Chat

SCHEMA_FILE = Path(cards.__file__).parent / "schemas" / "adaptive-card-1.5.json"


@cache
def validator() -> Draft6Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def valid(card: dict[str, Any]) -> dict[str, Any]:
    """The card, after checking it against the Adaptive Card 1.5 schema and Convene's own rules."""
    errors = sorted(validator().iter_errors(card), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:300]}" for e in errors[:3]]
    assert (card["type"], card["version"], card["$schema"]) == ("AdaptiveCard", "1.5", cards.SCHEMA)
    for element in card["body"]:
        if element["type"] == "TextBlock":
            assert element["wrap"] is True
        if element["type"] == "ActionSet":
            assert 1 <= len(element["actions"]) <= cards.ACTIONS
    assert not set(json.dumps(card, ensure_ascii=False)) & set(RESERVED)  # no reference left unrendered
    return card


def within_limits(message: dict[str, Any]) -> dict[str, Any]:
    """The card of a message, after checking the whole message fits in Teams' 28 KB, counted as UTF-16 however
    it is serialised, with room for what the Bot Framework adds."""
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    for text in (json.dumps(message), json.dumps(message, ensure_ascii=False)):
        assert len(text.encode("utf-16-le")) + cards.ENVELOPE_BYTES <= cards.MESSAGE_BYTES
    return valid(attachment["content"])


def texts(card: dict[str, Any]) -> str:
    return "\n".join(e["text"] for e in card["body"] if e["type"] == "TextBlock")


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    return found + list(card.get("actions", []))


def more(card: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in card.get("actions", []) if a["data"]["convene"]["action_id"] == cards.MORE), None)


def every_page(reply: Reply, ref: str = "cmd:groups") -> list[dict[str, Any]]:
    """The cards a person sees pressing "More" until there is no more, each checked."""
    found = [within_limits(cards.message(reply, ref=ref))]
    while (button := more(found[-1])) is not None:
        pressed = cards.pressed(button["data"])
        assert pressed is not None and pressed[0] == cards.MORE
        page, _, back = pressed[1].partition("|")
        assert back == ref and button["title"] == f"More ({page} of {button['title'].split(' of ')[1]}"
        found.append(within_limits(cards.message(reply, page=int(page), ref=ref)))
        assert len(found) < 1000
    return found


# -- the schema ----------------------------------------------------------------------------------------------


def test_the_schema_is_adaptive_cards_1_5_and_strict_enough_to_catch_mistakes() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert "Action.Execute" in schema["definitions"] and "Table" in schema["definitions"]  # 1.4 and 1.5 parts
    good = cards.card([cards.text_block("Hello")])
    assert not list(validator().iter_errors(good))
    for bad in (
        {**good, "body": [{"type": "TextBlock", "text": "x", "wrapp": True}]},  # a misspelt property
        {**good, "body": [{"type": "FactSet", "facts": [{"title": "a"}]}]},  # a fact without a value
        {**good, "body": [{"type": "Input.Number", "id": "n", "value": "ten"}]},  # a number that is no number
        {**good, "actions": [{"type": "Action.Submit", "style": "primary"}]},  # Slack's style name
    ):
        assert list(validator().iter_errors(bad)), bad


# -- replies -------------------------------------------------------------------------------------------------


def test_2000_sections_page_within_the_limit_and_every_text_is_on_a_page() -> None:
    sections = tuple(
        Section(
            f"*Group {i:04d}* (`group-{i:04d}`) — a theme " + "words " * (i % 8),
            buttons=(Button("Join", "join", f"join group-{i:04d}"),),
        )
        for i in range(2000)
    )
    reply = Reply("Groups (2000):", sections=(Section("Groups (2000):"), *sections))
    found = every_page(reply)
    assert len(found) > 10
    seen = [int(n) for card in found for n in re.findall(r"\*\*Group (\d{4})\*\*", texts(card))]
    assert seen == list(range(2000))  # each once, in order, in bold
    values = [a["data"]["convene"]["value"] for card in found for a in actions(card) if a["title"] == "Join"]
    assert values == [f"join group-{i:04d}" for i in range(2000)]
    titles = [(more(c) or {}).get("title") for c in found[:-1]]
    assert titles == [f"More ({n} of {len(found)})" for n in range(2, len(found) + 1)]
    assert more(found[-1]) is None
    assert found[1]["fallbackText"].startswith(f"(part 2 of {len(found)}) Groups (2000):")


def test_200_buttons_come_six_to_a_row_and_none_is_lost() -> None:
    buttons = tuple(
        Button(f"Option {i} " + "x" * 100, "vote", f"vote 1 {i}", "danger" if i % 2 else "primary") for i in range(200)
    )
    reply = Reply("Vote", sections=(Section("Vote", buttons=buttons[:100]),), buttons=buttons[100:])
    found = every_page(reply)
    pressed = [cards.pressed(a["data"]) for card in found for a in actions(card) if more(card) is not a]
    assert pressed == [("vote", f"vote 1 {i}") for i in range(200)]
    titles = [a["title"] for card in found for a in actions(card) if more(card) is not a]
    assert all(len(t) <= cards.BUTTON_TEXT and t.endswith("…") for t in titles)
    styles = [a["style"] for card in found for a in actions(card) if more(card) is not a]
    assert styles == ["destructive" if i % 2 else "positive" for i in range(200)]


@pytest.mark.parametrize("char", ["a", "é", "📚", "\\[", "\n"])
def test_10000_characters_of_text_are_cut_into_blocks_and_kept_whole(char: str) -> None:
    text = "".join(f"{char}{i % 10}" for i in range(5000))
    found = every_page(Reply(text))
    blocks = [e["text"] for card in found for e in card["body"]]
    rendered = cards.markdown(text)
    assert "".join(blocks).replace("\n\n", "") == rendered.replace("\n\n", "")  # nothing lost, nothing added
    if char == "\\[":  # cut anywhere, an escape stays whole: no part starts with a bare `[`
        assert all(not b.startswith("[") and (len(b) - len(b.rstrip("\\"))) % 2 == 0 for b in blocks)


def test_fields_are_facts_and_long_values_are_clipped() -> None:
    fields = tuple((f"Field {i}", f"value {i} " + "v" * 5000) for i in range(30))
    found = every_page(Reply("Profile", sections=(Section("*Your profile*", fields=fields),)))
    assert texts(found[0]) == "**Your profile**"
    facts = [f for card in found for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    assert [f["title"] for f in facts] == [f"Field {i}" for i in range(30)]
    assert all(f["value"].startswith(f"value {i} v") and f["value"].endswith("…") for i, f in enumerate(facts))
    assert all(cards.weight(f["value"]) <= cards.FACT_VALUE_BYTES for f in facts)
    short = tuple((f"Field {i}", f"value {i}") for i in range(150))  # many short fields: few cards, all there
    found = every_page(Reply("Profile", sections=(Section("Yours", fields=short),)))
    assert len(found) == 1
    facts = [f for e in found[0]["body"] if e["type"] == "FactSet" for f in e["facts"]]
    assert facts == [{"title": k, "value": v} for k, v in short]


def test_text_becomes_teams_markdown_and_member_text_can_hide_no_link() -> None:
    cases = {
        "*Diversity* (`diversity`) — task": "**Diversity** (`diversity`) — task",
        "• *Wellbeing* needs a chair": "• **Wellbeing** needs a chair",
        "*Hello, Ada!* Here is the programme": "**Hello, Ada!** Here is the programme",
        'every:"*/15 * * * *" cron 0 9 * * *': 'every:"*/15 * * * *" cron 0 9 * * *',
        "2 * 3 * 4": "2 * 3 * 4",
        "*Your groups*\nNone yet": "**Your groups**\n\nNone yet",
        "see [my site](https://evil.example)": "see \\[my site\\](https://evil.example)",
        "a typed \\[escape](x) stays typed": "a typed \\\\\\[escape\\](x) stays typed",
        "C:\\Users\\ada and <at>Tom</at>": "C:\\Users\\ada and <at>Tom</at>",
    }
    for neutral, teams in cases.items():
        assert cards.markdown(neutral) == teams, neutral


def test_people_and_channels_are_shown_by_name() -> None:
    text = f"{person_ref('29:1abc', 'Tom [chair](https://x.example)')} joined {channel_ref('#wellbeing')}."
    reply = Reply(text, sections=(Section(text, fields=(("Chair", person_ref("29:2def", "Ada")),)),))
    (card,) = every_page(reply)
    assert texts(card) == "Tom \\[chair\\](https://x.example) joined #wellbeing."
    assert card["body"][1]["facts"] == [{"title": "Chair", "value": "Ada"}]
    assert card["fallbackText"] == "Tom [chair](https://x.example) joined #wellbeing."
    assert "29:1abc" not in json.dumps(card)


def test_a_menu_and_an_image() -> None:
    options = tuple(Option(f"Event {i}", f"rsvp {i}") for i in range(300))
    reply = Reply(
        "Pick one",
        select=Select("Choose an event", "rsvp", options),
        image=Image("https://convene.example/chart/7.png", "Votes: yes 3, no 1"),
    )
    (card,) = every_page(reply)
    menu = next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")
    assert menu["id"] == cards.CHOICE and len(menu["choices"]) == cards.SELECT_OPTIONS
    assert menu["choices"] == [{"title": f"Event {i}", "value": f"rsvp {i}"} for i in range(100)]
    (submit,) = [a for a in actions(card) if a["title"] == "Choose"]
    assert cards.pressed({**submit["data"], cards.CHOICE: "rsvp 7"}) == ("rsvp", "rsvp 7")
    assert cards.pressed(submit["data"]) is None  # nothing chosen
    image = card["body"][-1]
    assert image == {"type": "Image", "url": "https://convene.example/chart/7.png", "altText": "Votes: yes 3, no 1"}
    long = tuple(Option(f"Choice {i} " + "c" * 100, f"rsvp {i}") for i in range(100))  # options kept while they fit
    (card,) = every_page(Reply("Pick one", select=Select("Choose", "rsvp", long)))
    choices = next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")["choices"]
    assert 40 <= len(choices) < 100 and cards.weight(choices) <= cards.MENU_BYTES
    assert choices == [
        {"title": f"Choice {i} {'c' * 100}"[:74] + "…", "value": f"rsvp {i}"} for i in range(len(choices))
    ]


def test_pressed_reads_only_data_of_the_right_shape() -> None:
    good = {"convene": {"action_id": "join", "value": "join wellbeing", "origin": "groups"}}
    assert cards.pressed(good) == ("join", "join wellbeing")
    assert cards.origin_of(good) == "groups"
    for bad in (
        None,
        "join",
        [good],
        {},
        {"convene": "join"},
        {"convene": {"value": "join wellbeing"}},
        {"convene": {"action_id": 7, "value": "x"}},
        {"convene": {"action_id": "", "value": "x"}},
        {"convene": {"action_id": "a" * 256, "value": "x"}},
        {"convene": {"action_id": "join", "value": ["x"]}},
        {"convene": {"action_id": "join", "value": None}},
        {"convene": {"action_id": "join", "value": "x" * (cards.SUBMITTED_VALUE + 1)}},
        {"convene": {"action_id": "rsvp"}, cards.CHOICE: 3},
    ):
        assert cards.pressed(bad) is None, bad
    assert cards.origin_of({"convene": {"action_id": "join", "value": "x", "origin": {"a": 1}}}) is None


def test_a_ref_too_long_to_carry_gets_no_more_button_and_without_a_ref_only_the_first_page() -> None:
    reply = Reply("Long", sections=tuple(Section(f"Section {i} " + "s" * 500) for i in range(200)))
    assert more(within_limits(cards.message(reply, ref="cmd:" + "x" * 5000))) is None
    assert more(within_limits(cards.message(reply))) is None
    assert more(within_limits(cards.message(reply, ref="row:12"))) is not None


def test_a_notice_above_a_full_card_keeps_it_within_the_limit() -> None:
    reply = Reply("Long", sections=tuple(Section(f"Section {i} " + "s" * 500) for i in range(200)))
    message = cards.message(reply, ref="row:12")
    noticed = within_limits(cards.with_notice(Reply("Done: you joined *Wellbeing*. " + "n" * 3000), message))
    assert noticed["body"][0]["text"].startswith("Done: you joined **Wellbeing**.")
    assert more(noticed) is not None
    assert noticed["body"][1:] == message["attachments"][0]["content"]["body"][: len(noticed["body"]) - 1]


async def test_a_real_directory_renders_with_its_buttons(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:10 theme:"Equity [and] access"')
    await chat.say("Ada", 'group new "Scholarly Libraries" kind:community')
    await chat.say("Ada", "call diversity")
    reply = await chat.core.handle(chat.request("Bea", "groups"))
    (card,) = every_page(reply)
    assert "**Diversity** (`diversity`) — Equity \\[and\\] access" in texts(card)
    assert [cards.pressed(a["data"]) for a in actions(card)] == [(b.action_id, b.value) for b in reply.all_buttons()]
    assert {a["title"] for a in actions(card)} >= {"Volunteer as member", "Volunteer as chair", "Join"}


# -- forms ---------------------------------------------------------------------------------------------------


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


@pytest.mark.parametrize(
    "form", [NEW_GROUP_FORM, PROFILE_FORM, SUGGEST_FORM, POLL_FORM, EVENT_FORM], ids=lambda f: f.title
)
def test_every_form_is_a_valid_card_with_an_input_per_field(form: Form) -> None:
    card = valid(cards.form_card(form, "some command"))
    assert card["body"][0]["text"] == form.title
    found = inputs(card)
    assert list(found) == [f"field.{f.name}" for f in form.fields]
    for f in form.fields:
        element = found[f"field.{f.name}"]
        assert element.get("isRequired", False) == f.required
        assert ("errorMessage" in element) == f.required
        assert element.get("label", element.get("title")) == f.label
    (submit,) = card["actions"]
    assert (submit["title"], submit["data"]) == (form.submit, {"convene": {"form": "some command"}})


def test_the_new_group_form_maps_each_kind() -> None:
    found = inputs(cards.form_card(NEW_GROUP_FORM, "group new"))
    kinds = {name.removeprefix("field."): (e["type"], e.get("isMultiline")) for name, e in found.items()}
    assert kinds == {
        "name": ("Input.Text", False),
        "kind": ("Input.ChoiceSet", None),
        "theme": ("Input.Text", False),
        "seats": ("Input.Number", None),
        "ends": ("Input.Date", None),
        "channel": ("Input.Text", False),
        "about": ("Input.Text", True),
    }
    assert found["field.kind"]["choices"] == [
        {"title": "Task-and-finish group", "value": "task"},
        {"title": "Community of practice", "value": "community"},
    ]
    assert (found["field.name"]["maxLength"], found["field.about"]["maxLength"]) == (80, 2000)
    toggle = inputs(cards.form_card(SUGGEST_FORM, "suggest", {"anon": "yes"}))["field.anon"]
    assert (toggle["type"], toggle["title"], toggle["value"]) == ("Input.Toggle", "Send it anonymously", "true")


def test_a_form_shown_again_keeps_what_was_sent_and_says_what_is_wrong_under_the_field() -> None:
    sent = {"name": "X", "kind": "club", "seats": "ten", "ends": "soon", "about": "a" * 5000}
    card = valid(
        cards.form_card(NEW_GROUP_FORM, "group new", sent, {"ends": "ends: takes a date", "nowhere": "Try again."})
    )
    body = card["body"]
    assert body[1] == {"type": "TextBlock", "text": "Try again.", "wrap": True, "color": "Attention"}
    found = inputs(card)
    assert found["field.name"]["value"] == "X"
    assert "value" not in found["field.kind"] and "value" not in found["field.seats"]  # not a choice, not a number
    assert "value" not in found["field.ends"]
    assert found["field.about"]["value"] == "a" * 2000  # within the field's own maximum
    at = body.index(found["field.ends"])
    assert body[at + 1]["text"].startswith("Task groups: a year from today") and body[at + 1]["isSubtle"]
    assert body[at + 2] == {
        "type": "TextBlock",
        "text": "ends: takes a date",
        "wrap": True,
        "color": "Attention",
        "spacing": "None",
    }
    assert sum(e.get("color") == "Attention" for e in body) == 2
    assert cards.weight(card) + cards.ENVELOPE_BYTES <= cards.MESSAGE_BYTES
    heavy = {"name": "📚" * 80, "theme": "é" * 120, "channel": "#" + "ü" * 5000, "about": "📚" * 2000}
    card = valid(cards.form_card(NEW_GROUP_FORM, "group new", heavy, {"about": "about: too long"}))
    assert cards.weight(card) + cards.ENVELOPE_BYTES + cards.FRAME_BYTES <= cards.MESSAGE_BYTES
    found = inputs(card)
    assert found["field.name"]["value"] == "📚" * 80 and found["field.about"]["value"].startswith("📚" * 100)
    assert found["field.channel"]["value"] == "#" + "ü" * 199


def test_submitted_values_are_read_by_field_and_bad_shapes_are_none() -> None:
    data = {
        "convene": {"form": "group new"},
        "field.name": "  Digital Skills ",
        "field.kind": "task",
        "field.theme": ["not", "text"],
        "field.seats": 10,
        "field.ends": "2027-12-01",
        "field.channel": "digital-skills",
        "field.about": "",
        "field.unknown": "ignored",
    }
    assert cards.submitted_command(data) == "group new"
    values = cards.submitted_values(NEW_GROUP_FORM, data)
    assert values == {
        "name": "Digital Skills",
        "kind": "task",
        "theme": None,
        "seats": "10",
        "ends": "2027-12-01",
        "channel": "#digital-skills",
        "about": None,
    }
    assert NEW_GROUP_FORM.command_text("group new", values) == (
        'group new "Digital Skills" kind:"task" seats:"10" ends:"2027-12-01" channel:"#digital-skills"'
    )
    assert cards.submitted_values(SUGGEST_FORM, {"field.text": "More books", "field.anon": "true"}) == {
        "text": "More books",
        "anon": "yes",
    }
    assert cards.submitted_values(SUGGEST_FORM, {"field.anon": "false", "field.text": True})["anon"] is None
    bad: object
    for bad in (None, [], "group new", {"convene": {"form": 3}}, {"convene": {"form": ""}}, {"form": "x"}):
        assert cards.submitted_command(bad) is None
        assert set(cards.submitted_values(SUGGEST_FORM, bad).values()) == {None}


async def test_a_real_form_round_trip_through_the_core(chat: Chat) -> None:
    """`group new` alone asks with its form; a submission with a bad date comes back under that field; a good
    one creates the group."""
    ada = Speaker("console", "console", "ada", "Ada")
    asked = await chat.core.handle(Request(ada, Place(), chat.now, text="group new", forms=True))
    assert asked.form is not None and asked.command == "group new"
    card = valid(cards.form_card(asked.form, asked.command))
    assert inputs(card)["field.kind"]["isRequired"] is True

    def submit(**typed: Any) -> Request:
        data = {**card["actions"][0]["data"], **{f"field.{k}": v for k, v in typed.items()}}
        command = cards.submitted_command(data)
        assert command is not None and asked.form is not None
        values = cards.submitted_values(asked.form, data)
        return Request(ada, Place(), chat.now, submitted=Submission(command, values))

    failed = await chat.core.handle(submit(name="Digital Skills", kind="task", ends="2020-01-01"))
    assert failed.failed and failed.field == "ends"
    again = valid(cards.form_card(asked.form, "group new", {"name": "Digital Skills"}, {"ends": failed.text}))
    at = again["body"].index(inputs(again)["field.ends"])
    assert "ends: must be after today" in again["body"][at + 2]["text"]
    assert inputs(again)["field.name"]["value"] == "Digital Skills"

    done = await chat.core.handle(submit(name="Digital Skills", kind="task", seats="9", channel="skills"))
    assert not done.failed, done.text
    assert "Created the task-and-finish group Digital Skills" in done.text and "#skills" in done.text


def test_a_characters_weight_is_what_json_makes_of_it() -> None:
    """The fast path for printable ASCII weighs as json.dumps does, quotes and backslashes escaped included."""
    from bot.teams.cards import _char_weight

    for ch in [chr(i) for i in range(0x3000)] + ["😀", "\u2028"]:
        assert _char_weight(ch) == 2 * (len(json.dumps(ch)) - 2), repr(ch)
