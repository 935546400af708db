"""The neutral reply as an Adaptive Card (schema 1.5) for Microsoft Teams, always within Teams' limits: long
lists are cut into cards that end with a "More" button, long text into several TextBlocks, many buttons into
several action sets; and forms as cards of inputs, read back from what Teams submits.

The parallel of `bot/slack/blocks.py`: `units` → `pages` → `message`, `more_action`, `with_notice`; `form_card`
and `submitted_values` for forms (Slack's `modal` and `submitted`). The cards are plain JSON built here: a card
uses six kinds of element, and the paging below needs each element's exact serialised weight. (The
`microsoft-teams-cards` models were weighed and left: they come with another Teams SDK than the Agents SDK
Convene uses, describe a schema newer than 1.5, and import pydantic without declaring it.)

Limits, and where they come from:

- A bot message is at most 28 KB (Teams documents 28 KB for incoming webhooks and 40 KB for bot messages,
  "Format cards in Microsoft Teams", "Format your bot messages"), counted over the whole activity encoded as
  UTF-16, Base64 images aside. Convene holds every message to the smaller number, and weighs JSON as `weight`
  does: every non-ASCII character escaped (`\\uXXXX`), two bytes a character, which no other serialisation of
  the same card exceeds.
- Teams shows up to six primary actions on a card ("Designing Adaptive Cards": "use up to six primary
  actions"), so an action set holds at most `ACTIONS` buttons.
- TextBlocks and facts take a subset of Markdown ("Format cards in Microsoft Teams", Adaptive Cards "Text
  features"): `**bold**`, `_italic_`, lists, `[title](url)` links; a line break needs a blank line (`\\n\\n`);
  no headers, tables, images, code or HTML. Labels, button titles and choices are plain text.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from handlers.command.forms import Field, Form
from handlers.command.messages import Button, File, Reply, Section, Select, linked, shown

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"  # an attachment that holds an Adaptive Card

# Teams' limits (see the module's docstring), and the shares of them Convene gives each part of a card.
MESSAGE_BYTES = 28 * 1024  # a whole message, as UTF-16
ENVELOPE_BYTES = 4 * 1024  # what the Bot Framework adds around `message`'s fields: ids, addresses, channelData
FRAME_BYTES = 4 * 1024  # a card without its body and "More": type, version, fallbackText, summary, attachment
BODY_BYTES = MESSAGE_BYTES - ENVELOPE_BYTES - FRAME_BYTES  # a card's body, "More" included
ELEMENT_BYTES = 6 * 1024  # one element of a body (a TextBlock, a FactSet, an action set, an image)
MENU_BYTES = 12 * 1024  # a menu's Input.ChoiceSet: its options are kept, in order, while they fit
MORE_BYTES = 5 * 1024  # the "More" button with its value
MORE_VALUE_BYTES = 4 * 1024  # its value: `page|ref`; a longer ref gets no "More" (its command is no button's)
FALLBACK_BYTES = 2 * 1024  # the card's fallbackText: the reply's plain reading, shown where cards are not
SUMMARY_BYTES = 512  # the activity's `summary`, shown in notifications
FACT_TITLE_BYTES = 512
FACT_VALUE_BYTES = 4 * 1024
ACTIONS = 6  # buttons in one action set
BUTTON_TEXT = 75  # Teams cuts a long title on screen; as short as Slack's
BUTTON_VALUE = 2000  # characters of a button's value (a command): a longer one is left out, as in Slack
SUBMITTED_VALUE = 4096  # characters of a value sent back: a button's, "More"'s or a chosen option's
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
ACTION_ID = 255
ORIGIN = 255  # the command a card answers, carried by its buttons (`origin_of`)
COMMAND = 200  # a form's command, as its submit button carries it
FORM_VALUE = 200  # characters of a value shown again in a form whose field sets no maximum

KEY = "convene"  # the key of Convene's own data in every Action.Submit's `data`
MORE = "convene_more"  # the action id of the "More" button (as in Slack)
CHOICE = "convene_choice"  # the id of a reply's menu (Input.ChoiceSet); its button submits it
FIELD = "field."  # a form's inputs are `field.<name>`, apart from `convene`

Element = dict[str, Any]

_STYLES = {"primary": "positive", "danger": "destructive"}


def weight(value: Any) -> int:
    """The bytes `value` takes in a message, at most: its JSON with every non-ASCII character escaped (as
    Python's `json.dumps` writes it) and `, `/`: ` separators, as UTF-16. A compact or unescaped serialisation
    of the same value weighs no more."""
    return 2 * len(json.dumps(value))


def _char_weight(ch: str) -> int:
    """A character's bytes in a JSON string as `weight` counts them (printable ASCII without json.dumps)."""
    if " " <= ch <= "~":
        return 4 if ch in '"\\' else 2
    return 2 * (len(json.dumps(ch)) - 2)


# -- text ----------------------------------------------------------------------------------------------------

# A backslash before ASCII punctuation escapes it in Markdown; `[` and `]` make links.
_MARKUP = re.compile(r"\\(?=[!-/:-@\[-`{-~])|[\[\]]")
# Slack's `*bold*` as Convene's handlers write it: a star at a word's edge, text on one line without stars that
# starts and ends with a non-space, a star at a word's edge. Stars in cron text (`*/15 * * * *`) are no pair.
_BOLD = re.compile(r"(?<![\w*\\])\*([^\s*](?:[^*\n]*[^\s*\\])?)\*(?![\w*])")


def literal(text: str) -> str:
    """`text` as Teams' Markdown shows it literally where it could hide a link: `[label](https://…)` typed by a
    member is shown as typed, never as a link (SPEC §6), in every client (the native renderers drop a
    backslash before `[`, `]` and `)`, as CommonMark does). Stars and underscores are left as they are:
    emphasis hides nothing, and the native renderers would show a backslash before them."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), text)


def _name(kind: str, ref_id: str, name: str) -> str:
    """A reference, by name: a person's display name (a Teams mention needs an `msteams.entities` entry per
    person, which Convene does not send), a channel as `channel_ref` names it; a moment (`time_ref`) as the
    Adaptive Card date and time functions, which Teams shows in the reader's own zone."""
    if kind == "!" and ref_id.isdigit():
        at = datetime.fromtimestamp(int(ref_id), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{{{{DATE({at}, LONG)}}}} at {{{{TIME({at})}}}}"
    return literal(name)


def markdown(text: str) -> str:
    """A neutral text (Slack-flavoured, as handlers write it) in Teams' Markdown: references by name, member
    text literal (`literal`), `*bold*` as `**bold**`, each line break a blank line (Teams joins single ones).
    Backtick code stays as typed: Teams has no inline code in cards, and the backticks show, as in the
    console, where a command's words start and end."""
    rendered = linked(text, _name, literal)
    if "*" in rendered:  # nothing is bold without a star
        rendered = _BOLD.sub(r"**\1**", rendered)
    return rendered.replace("\n", "\n\n")


def _cut(text: str, most: int) -> tuple[str, str]:
    """The longest head of `text` that weighs at most `most` as a JSON string (at least one character), and
    the rest. A head never ends inside an escape (`\\[`), so the rest's first character keeps its escape."""
    # A string's weight is the sum of its characters' (`_char_weight`, at least 2) and the quotes' (4), so it
    # grows with the head: the longest head within `most` is found by halving, each weighing by json.dumps.
    low, high = 0, min(len(text), max(0, (most - 4) // 2))  # weight(text[:low]) <= most; longer than high: more
    while low < high:
        middle = (low + high + 1) // 2
        if weight(text[:middle]) <= most:
            low = middle
        else:
            high = middle - 1
    end = max(low, 1)
    while end > 1 and (len(text[:end]) - len(text[:end].rstrip("\\"))) % 2:
        end -= 1
    return text[:end], text[end:]


def clip(text: str, most: int) -> str:
    """`text`, cut with "…" to weigh at most `most` bytes as a JSON string."""
    if weight(text) <= most:
        return text
    return _cut(text, most - _char_weight("…"))[0] + "…"


def pieces(text: str, most: int = ELEMENT_BYTES - 100) -> Iterator[str]:
    """Teams Markdown (`markdown`) in parts that weigh at most `most` bytes each, cut between lines where it
    can be."""
    part: str | None = None
    for line in text.split("\n\n"):
        while weight(line) > most:
            if part is not None and part.strip():
                yield part
            part = None
            head, line = _cut(line, most)
            yield head
        if part is None:
            part = line
        elif weight(f"{part}\n\n{line}") <= most:
            part = f"{part}\n\n{line}"
        else:
            if part.strip():
                yield part
            part = line
    if part is not None and part.strip():
        yield part


def plain(text: str, limit: int) -> str:
    """Text for a plain-text property (a label, a button's title, a choice): references by name, clipped to
    `limit` characters."""
    text = shown(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


# -- the parts of a reply ------------------------------------------------------------------------------------


def _data(action_id: str, value: str | None, origin: str | None) -> dict[str, Any]:
    ours: dict[str, Any] = {"action_id": action_id}
    if value is not None:
        ours["value"] = value
    if origin and len(origin) <= ORIGIN:
        ours["origin"] = origin
    return {KEY: ours}


def _button(b: Button, origin: str | None) -> Element | None:
    if len(b.value) > BUTTON_VALUE or len(b.action_id) > ACTION_ID:  # no button's: left out rather than fail
        return None
    action: Element = {
        "type": "Action.Submit",
        "title": plain(b.label, BUTTON_TEXT) or " ",
        "data": _data(b.action_id, b.value, origin),
        "associatedInputs": "None",  # a button carries its value; a menu on the card is not its business
    }
    if b.style in _STYLES:
        action["style"] = _STYLES[b.style]
    return action if weight(action) <= ELEMENT_BYTES - 100 else None


def _action_sets(actions: list[Element]) -> list[Element]:
    """Actions in sets of at most `ACTIONS`, each set within `ELEMENT_BYTES`."""
    sets: list[Element] = []
    heft = 0  # weight(sets[-1]), kept as it grows: an action added to a set adds its weight and `, `'s
    for action in actions:
        last = sets[-1]["actions"] if sets else None
        added = weight(action) + 4
        if last is not None and len(last) < ACTIONS and heft + added <= ELEMENT_BYTES:
            last.append(action)
            heft += added
        else:
            sets.append({"type": "ActionSet", "actions": [action]})
            heft = weight(sets[-1])
    return sets


def _buttons(buttons: tuple[Button, ...], origin: str | None) -> list[Element]:
    return _action_sets([a for a in (_button(b, origin) for b in buttons) if a is not None])


def _facts(fields: tuple[tuple[str, str], ...]) -> list[Element]:
    """Fields as FactSets, each within `ELEMENT_BYTES`; a long value is clipped, as Slack's fields are."""
    sets: list[Element] = []
    heft = 0  # weight(sets[-1]), kept as it grows (as in `_action_sets`)
    for key, value in fields:
        fact = {
            "title": clip(markdown(key), FACT_TITLE_BYTES) or " ",
            "value": clip(markdown(value), FACT_VALUE_BYTES) or " ",
        }
        added = weight(fact) + 4
        if sets and heft + added <= ELEMENT_BYTES:
            sets[-1]["facts"].append(fact)
            heft += added
        else:
            sets.append({"type": "FactSet", "facts": [fact]})
            heft = weight(sets[-1])
    return sets


def _select(select: Select, origin: str | None) -> list[Element]:
    """A menu: an Input.ChoiceSet and the button that sends the chosen option (`pressed` reads it)."""
    choice: Element = {
        "type": "Input.ChoiceSet",
        "id": CHOICE,
        "style": "compact",
        "placeholder": plain(select.placeholder, 150),
        "isRequired": True,
        "errorMessage": "Choose one first.",
        "choices": [],
    }
    heft = weight(choice)  # kept as options are added: each adds its weight, and `, `'s after the first
    for o in select.options:
        if len(choice["choices"]) >= SELECT_OPTIONS:
            break
        option = {"title": plain(o.label, OPTION_TEXT) or " ", "value": o.value}
        option_heft = weight(option)
        if len(o.value) <= OPTION_VALUE and heft + option_heft + 4 <= MENU_BYTES:
            heft += option_heft + (4 if choice["choices"] else 0)
            choice["choices"].append(option)
    if not choice["choices"] or len(select.action_id) > ACTION_ID:
        return []
    submit = {"type": "Action.Submit", "title": "Choose", "data": _data(select.action_id, None, origin)}
    return [choice, {"type": "ActionSet", "actions": [submit]}]


def _section(section: Section, origin: str | None) -> list[Element]:
    texts = [text_block(t) for t in pieces(markdown(section.text))] if section.text.strip() else []
    return texts + _facts(section.fields) + _buttons(section.buttons, origin)


def _image(reply: Reply) -> list[Element]:
    if reply.image is None:
        return []
    image = {"type": "Image", "url": reply.image.url, "altText": clip(shown(reply.image.alt), 2048) or "image"}
    return [image] if weight(image) <= ELEMENT_BYTES else []  # an address this long is no image's


def units(reply: Reply, origin: str | None = None) -> list[list[Element]]:
    """The reply's card elements in the groups that belong together (a section's text, fields and buttons), in
    order. Each element weighs at most `ELEMENT_BYTES` (a menu `MENU_BYTES`), so that each fits on a card."""
    found: list[list[Element]] = []
    if reply.sections:
        found += [u for u in (_section(s, origin) for s in reply.sections) if u]
    else:
        found += [[e] for e in _section(Section(reply.text), origin)]
    if reply.buttons:
        found.append(_buttons(reply.buttons, origin))
    if reply.select is not None:
        found.append(_select(reply.select, origin))
    found.append(_image(reply))
    return [u for u in found if u]


def _weigh(elements: list[Element]) -> int:
    return sum(weight(e) + 4 for e in elements)  # each with its separator (`, `)


def pages(reply: Reply, budget: int = BODY_BYTES, origin: str | None = None) -> list[list[Element]]:
    """The elements cut into card bodies that weigh at most `budget` bytes, keeping room on each but the last
    for "More" (`MORE_BYTES`). A group of elements stays on one card when it fits on one."""
    found = [[(e, _weigh([e])) for e in unit] for unit in units(reply, origin)]
    flat = [e for unit in found for e, _ in unit]
    if sum(heft for unit in found for _, heft in unit) <= budget:
        return [flat] if flat else [[text_block(clip(markdown(reply.text), ELEMENT_BYTES) or " ")]]
    room = budget - MORE_BYTES
    result: list[list[Element]] = [[]]
    used = 0  # the weight of result[-1]
    for unit in found:
        parts: list[tuple[list[Element], int]] = [([], 0)]
        for element, heft in unit:
            if parts[-1][0] and parts[-1][1] + heft > room:
                parts.append(([], 0))
            parts[-1][0].append(element)
            parts[-1] = (parts[-1][0], parts[-1][1] + heft)
        for part, heft in parts:
            if result[-1] and used + heft > room:
                result.append([])
                used = 0
            result[-1].extend(part)
            used += heft
    return [p for p in result if p]


def more_action(page: int, pages_total: int, ref: str) -> Element | None:
    """The button at the foot of a card that has more after it; its value says which page and where to find
    it (`page|ref`, as in Slack). None when the ref is too long to carry."""
    value = f"{page + 1}|{ref}"
    if weight(value) > MORE_VALUE_BYTES:
        return None
    return {
        "type": "Action.Submit",
        "title": f"More ({page + 1} of {pages_total})",
        "data": _data(MORE, value, None),
        "associatedInputs": "None",
    }


def card(body: list[Element], actions: list[Element] | None = None, fallback: str = "") -> dict[str, Any]:
    """An Adaptive Card 1.5 of these elements; `fallback` is shown by clients that cannot show cards."""
    found: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": body}
    if actions:
        found["actions"] = actions
    if fallback:
        found["fallbackText"] = clip(fallback, FALLBACK_BYTES)
    return found


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    """A card as a Bot Framework attachment."""
    return {"contentType": CONTENT_TYPE, "content": content}


def inline_file(file: File) -> dict[str, Any]:
    """A file as a Teams attachment carried in the message itself (`contentUrl` a base64 data URI), as Teams shows
    a bot's inline image; `handlers.command.charts` keeps a chart within the message's size limit."""
    data = base64.b64encode(file.data).decode("ascii")
    return {"contentType": file.mime, "contentUrl": f"data:{file.mime};base64,{data}", "name": file.name}


def message(reply: Reply, *, page: int = 1, origin: str | None = None, ref: str | None = None) -> dict[str, Any]:
    """The fields of the Bot Framework activity that shows `reply` (page `page` of it): `type`, `summary` (the
    plain reading, for notifications) and one card in `attachments`. With the fields the Bot Framework adds
    (`ENVELOPE_BYTES`), it weighs at most `MESSAGE_BYTES`.

    `ref` names where the next page can be found again (`cmd:<text>` or `row:<id>`); without it a long reply
    is cut to its first page. `origin` (the command the reply answers) rides on its buttons (`origin_of`).
    """
    all_pages = pages(reply, BODY_BYTES, origin)
    index = min(max(page, 1), len(all_pages)) - 1
    more = more_action(index + 1, len(all_pages), ref) if index + 1 < len(all_pages) and ref is not None else None
    text = shown(reply.text) if index == 0 else f"(part {index + 1} of {len(all_pages)}) {shown(reply.text)}"
    content = card(list(all_pages[index]), [more] if more else None, text)
    return {"type": "message", "summary": clip(text, SUMMARY_BYTES), "attachments": [attachment(content)]}


def with_notice(result: Reply, message: dict[str, Any]) -> dict[str, Any]:
    """A refreshed message with the result of what was just done above it, still within `MESSAGE_BYTES`:
    elements at the foot of the body make room for it ("More" stays)."""
    content = dict(message["attachments"][0]["content"])
    head = text_block(clip(markdown(result.text), ELEMENT_BYTES - 100) or " ", weight="Bolder")
    body = [head, *content["body"]]
    content["body"] = body
    summary = clip(f"{shown(result.text)} {message.get('summary', '')}", SUMMARY_BYTES)
    found = {**message, "summary": summary, "attachments": [attachment(content)]}
    while len(body) > 1 and weight(found) + ENVELOPE_BYTES > MESSAGE_BYTES:
        body.pop()
    return found


# -- reading what a card sends back --------------------------------------------------------------------------


def _ours(data: object) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    ours = data.get(KEY)
    return ours if isinstance(ours, dict) else None


def pressed(data: object) -> tuple[str, str] | None:
    """The (action id, value) of a pressed button or a chosen menu option, from an Action.Submit's `value` as
    Teams sends it (the button's `data` with the card's inputs merged in). Anything else, or anything of the
    wrong shape or length (untrusted: any client can send any JSON), is None. The value is then checked
    against the person asking, as a typed command is (SPEC §6)."""
    ours = _ours(data)
    if ours is None:
        return None
    action = ours.get("action_id")
    if not isinstance(action, str) or not 0 < len(action) <= ACTION_ID:
        return None
    if "value" in ours:
        value = ours["value"]
    else:  # a menu's button: the chosen option
        assert isinstance(data, dict)
        value = data.get(CHOICE)
        if not value:
            return None
    if not isinstance(value, str) or len(value) > SUBMITTED_VALUE:
        return None
    return action, value


def origin_of(data: object) -> str | None:
    """The command whose reply holds the pressed button, when the button carries it."""
    ours = _ours(data)
    origin = ours.get("origin") if ours is not None else None
    return origin if isinstance(origin, str) and 0 < len(origin) <= ORIGIN else None


# -- forms ---------------------------------------------------------------------------------------------------


def input_id(field: Field) -> str:
    return f"{FIELD}{field.name}"


def form_card(
    form: Form,
    command: str,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A form as a card: a title, an input for each field (with its label, whether it is required, its hint)
    and a submit button whose `data` names `command` (`submitted_command`). `values` fill the fields (what
    was sent, when the form is shown again); `errors` are shown under their fields by name (a problem with
    no field of that name above them all). Kinds of field: text, long_text and lines (Input.Text, multi-line),
    choice (Input.ChoiceSet), date (Input.Date), number (Input.Number), channel (Input.Text: a card has no
    channel picker), flag (Input.Toggle)."""
    errors = dict(errors or {})
    filled = form.filled(values or {})
    body: list[Element] = [text_block(markdown(form.title), size="Medium", weight="Bolder")]
    names = {f.name for f in filled.fields}
    for name, problem in errors.items():
        if name not in names:
            body.append(text_block(clip(markdown(problem), ELEMENT_BYTES), color="Attention"))
    for f in filled.fields:
        body.append(_input(f))
        if f.hint:
            body.append(text_block(markdown(f.hint), isSubtle=True, size="Small", spacing="None"))
        if f.name in errors:
            body.append(text_block(clip(markdown(errors[f.name]), ELEMENT_BYTES), color="Attention", spacing="None"))
    submit = {
        "type": "Action.Submit",
        "title": plain(form.submit, BUTTON_TEXT),
        "style": "positive",
        "data": {KEY: {"form": command[:COMMAND]}},
    }
    found = card(body, [submit], form.title)
    _lighten([e for e in body if isinstance(e.get("value"), str)], found)
    return found


def _lighten(shown_again: list[Element], form: dict[str, Any]) -> None:
    """Halve the heaviest value shown again until the form is within `MESSAGE_BYTES` (with its attachment,
    summary and envelope): only text thousands of characters long in several fields needs it."""
    while weight(form) + ENVELOPE_BYTES + FRAME_BYTES > MESSAGE_BYTES and shown_again:
        heaviest = max(shown_again, key=lambda e: weight(e["value"]))
        heaviest["value"] = heaviest["value"][: len(heaviest["value"]) // 2]
        if not heaviest["value"]:
            del heaviest["value"]
            shown_again.remove(heaviest)


def _input(field: Field) -> Element:
    label = plain(field.label, 200)
    value = field.value
    limit = field.max_length or FORM_VALUE
    element: Element
    if field.kind == "choice":
        choices = [{"title": plain(lab, OPTION_TEXT) or " ", "value": v} for v, lab in field.choices]
        element = {"type": "Input.ChoiceSet", "style": "compact", "choices": choices[:SELECT_OPTIONS]}
        if value is not None and any(c["value"] == value for c in element["choices"]):
            element["value"] = value
    elif field.kind == "date":
        element = {"type": "Input.Date"}
        if value and _is_date(value):
            element["value"] = value
    elif field.kind == "number":
        element = {"type": "Input.Number"}
        if value and value.strip().isdigit() and len(value.strip()) <= 9:
            element["value"] = int(value)
    elif field.kind == "flag":
        element = {"type": "Input.Toggle", "title": label, "valueOn": "true", "valueOff": "false"}
        element["value"] = "true" if value else "false"
    else:
        element = {"type": "Input.Text", "isMultiline": field.kind in ("long_text", "lines")}
        if field.kind == "channel":
            element["placeholder"] = "#channel-name"
        if value:
            element["value"] = value[:limit]
        if field.max_length:
            element["maxLength"] = field.max_length
    element["id"] = input_id(field)
    if field.kind != "flag":  # a toggle shows its title beside it
        element["label"] = label
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = f"{label} is required."
    return element


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def submitted_command(data: object) -> str | None:
    """The command a form card's submit button names (`form_card`), or None if `data` is no such submission."""
    ours = _ours(data)
    command = ours.get("form") if ours is not None else None
    return command if isinstance(command, str) and 0 < len(command) <= COMMAND else None


def submitted_values(form: Form, data: object) -> dict[str, str | None]:
    """The values a form card sent, one string (or None when empty, missing or of the wrong type) per field of
    `form`, by the field's name, as `Form.command_text` takes them: a ticked flag is "yes"; a channel typed
    without its `#` gets one. What the values say is the command's to check, as when typed."""
    values: dict[str, str | None] = {}
    sent = data if isinstance(data, dict) else {}
    for f in form.fields:
        raw = sent.get(input_id(f))
        value: str | None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, int | float):  # a client that sends a number input as a number
            value = str(int(raw)) if float(raw).is_integer() else str(raw)
        elif isinstance(raw, str):
            value = raw.strip() or None
        else:
            value = None
        if f.kind == "flag":
            value = "yes" if value == "true" else None
        elif f.kind == "channel" and value and not value.startswith("#"):
            value = f"#{value}"
        values[f.name] = value
    return values
