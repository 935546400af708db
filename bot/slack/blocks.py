"""The neutral reply as Block Kit, always within Slack's limits: long lists are cut into pages that end with a
"More" button, long text into several sections, many buttons into several actions blocks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from handlers.command.forms import Field, Form
from handlers.command.messages import Button, Reply, Section, Select, linked, shown

# Slack's limits (Block Kit reference).
MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # a modal or the Home tab
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
MODAL_TITLE = 24
BLOCK_ID = 255
MESSAGE_TEXT = 3000  # the plain fallback shown in notifications; Slack allows more, people read less
METADATA = 3000

MORE = "convene_more"  # the action id of the "More" button
FORM_CALLBACK = "convene_form"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally: `<group>` in a usage line is not a link, and `<!channel>`,
    `<@U…>` or `<https://…|label>` typed by a member notifies nobody and hides no link. Every mrkdwn text and
    every message's notification `text` passes here; plain_text objects pass through `plain`. Convene's own
    references (`person_ref`, `channel_ref`) become Slack's mentions and channel links."""
    return linked(text, _link, _literal)


def _literal(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(kind: str, ref_id: str, name: str) -> str:
    if kind == "@" and _USER_ID.fullmatch(ref_id):
        return f"<@{ref_id}>"
    if kind == "#" and _CHANNEL_ID.fullmatch(ref_id):
        return f"<#{ref_id}>"
    if kind == "!" and ref_id.isdigit():  # each client shows the moment in its reader's zone (Slack's date token)
        return f"<!date^{ref_id}^{{date_long_pretty}} at {{time}}|{_literal(name)}>"
    return _literal(name)


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")  # Slack's user ids
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")  # Slack's public and private channel ids


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(shown(text), limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pieces(text: str, limit: int = SECTION_TEXT) -> Iterator[str]:
    """The text in parts of at most `limit` characters, cut between lines where it can be."""
    part = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if part:
                yield part
                part = ""
            yield line[:limit]
            line = line[limit:]
        candidate = f"{part}\n{line}" if part else line
        if len(candidate) > limit:
            yield part
            candidate = line
        part = candidate
    if part.strip():
        yield part


def action_id(button_action: str, index: int) -> str:
    """Slack wants action ids unique within a block: the neutral id, then the element's place."""
    return f"{button_action}.{index}"


def neutral_action(slack_action_id: str) -> str:
    return slack_action_id.rsplit(".", 1)[0]


def origin_of(block_id: str | None) -> str | None:
    """The command whose reply holds this block, when the block carries it (`a3|groups task`)."""
    if not block_id or "|" not in block_id:
        return None
    return block_id.split("|", 1)[1] or None


@dataclass
class _Counter:
    blocks: int = 0
    elements: int = 0

    def block_id(self, kind: str, origin: str | None) -> str:
        self.blocks += 1
        bid = f"{kind}{self.blocks}"
        if origin and len(bid) + 1 + len(origin) <= BLOCK_ID:
            bid = f"{bid}|{origin}"
        return bid


def _button(b: Button, counter: _Counter) -> Block | None:
    if len(b.value) > BUTTON_VALUE:  # a command this long is no button's: leave it out rather than fail
        return None
    counter.elements += 1
    element: Block = {
        "type": "button",
        "text": plain(b.label, BUTTON_TEXT),
        "action_id": action_id(b.action_id, counter.elements),
        "value": b.value,
    }
    if b.style != "default":
        element["style"] = b.style
    return element


def _actions(elements: list[Block], counter: _Counter, origin: str | None) -> list[Block]:
    return [
        {
            "type": "actions",
            "block_id": counter.block_id("a", origin),
            "elements": elements[i : i + ACTIONS_ELEMENTS],
        }
        for i in range(0, len(elements), ACTIONS_ELEMENTS)
    ]


def _buttons(buttons: tuple[Button, ...], counter: _Counter, origin: str | None) -> list[Block]:
    elements = [e for e in (_button(b, counter) for b in buttons) if e is not None]
    return _actions(elements, counter, origin) if elements else []


def _select(select: Select, counter: _Counter, origin: str | None) -> list[Block]:
    options = [
        {"text": plain(o.label, OPTION_TEXT), "value": o.value} for o in select.options if len(o.value) <= OPTION_VALUE
    ][:SELECT_OPTIONS]
    if not options:
        return []
    counter.elements += 1
    element = {
        "type": "static_select",
        "action_id": action_id(select.action_id, counter.elements),
        "placeholder": plain(select.placeholder, 150),
        "options": options,
    }
    return _actions([element], counter, origin)


def _section(section: Section, counter: _Counter, origin: str | None) -> list[Block]:
    blocks: list[Block] = []
    texts = list(pieces(escape(section.text))) if section.text.strip() else []
    fields = [mrkdwn(clip(f"*{escape(k)}*\n{escape(v)}", FIELD_TEXT)) for k, v in section.fields]
    for text in texts[:-1]:
        blocks.append({"type": "section", "block_id": counter.block_id("s", None), "text": mrkdwn(text)})
    first = True
    for i in range(0, max(len(fields), 1), SECTION_FIELDS):
        block: Block = {"type": "section", "block_id": counter.block_id("s", None)}
        if first and texts:
            block["text"] = mrkdwn(texts[-1])
        chunk = fields[i : i + SECTION_FIELDS]
        if chunk:
            block["fields"] = chunk
        if "text" in block or "fields" in block:
            blocks.append(block)
        first = False
    return blocks + _buttons(section.buttons, counter, origin)


def units(reply: Reply, origin: str | None = None) -> list[list[Block]]:
    """The reply's blocks in the groups that belong together (a section and its buttons), in order."""
    counter = _Counter()
    found: list[list[Block]] = []
    if reply.sections:
        found += [u for u in (_section(s, counter, origin) for s in reply.sections) if u]
    else:
        found += [[b] for b in _section(Section(reply.text), counter, origin)]
    if reply.buttons:
        found.append(_buttons(reply.buttons, counter, origin))
    if reply.select is not None:
        found.append(_select(reply.select, counter, origin))
    if reply.image is not None:
        found.append(
            [
                {
                    "type": "image",
                    "block_id": counter.block_id("i", None),
                    "image_url": reply.image.url,
                    "alt_text": clip(reply.image.alt, 2000) or "image",
                }
            ]
        )
    return [u for u in found if u]


def pages(reply: Reply, limit: int, origin: str | None = None) -> list[list[Block]]:
    """The blocks cut into pages of at most `limit` blocks, keeping room on each but the last for "More"."""
    found = units(reply, origin)
    flat = [b for unit in found for b in unit]
    if len(flat) <= limit:
        return [flat] if flat else [[{"type": "section", "text": mrkdwn(escape(clip(reply.text, SECTION_TEXT)))}]]
    result: list[list[Block]] = [[]]
    room = limit - 1
    for unit in found:
        for start in range(0, len(unit), room):
            part = unit[start : start + room]
            if len(result[-1]) + len(part) > room:
                result.append([])
            result[-1].extend(part)
    return [p for p in result if p] or [[{"type": "section", "text": mrkdwn(escape(clip(reply.text, SECTION_TEXT)))}]]


def more_button(page: int, pages_total: int, ref: str) -> Block:
    """The last block of a page that has more after it; its value says which page and where to find it."""
    return {
        "type": "actions",
        "block_id": f"more{page}",
        "elements": [
            {
                "type": "button",
                "text": plain(f"More ({page + 1} of {pages_total})", BUTTON_TEXT),
                "action_id": action_id(MORE, 0),
                "value": clip(f"{page + 1}|{ref}", BUTTON_VALUE),
            }
        ],
    }


def message(reply: Reply, *, page: int = 1, origin: str | None = None, ref: str | None = None) -> dict[str, Any]:
    """Arguments for chat.postMessage, chat.update, chat.postEphemeral or a response_url: `text` and `blocks`.

    `ref` names where the next page can be found again (`cmd:<text>` or `row:<id>`); without it a long reply
    is cut to its first page.
    """
    all_pages = pages(reply, MESSAGE_BLOCKS, origin)
    index = min(max(page, 1), len(all_pages)) - 1
    blocks = list(all_pages[index])
    if index + 1 < len(all_pages) and ref is not None:
        blocks.append(more_button(index + 1, len(all_pages), ref))
    text = reply.text if index == 0 else f"(part {index + 1} of {len(all_pages)}) {reply.text}"
    return {"text": escape(clip(text, MESSAGE_TEXT)), "blocks": blocks}


def with_notice(result: Reply, message: dict[str, Any]) -> dict[str, Any]:
    """A refreshed message with the result of what was just done above it, still within the block limit."""
    head = {"type": "section", "block_id": "notice", "text": mrkdwn(escape(clip(result.text, SECTION_TEXT)))}
    body = list(message["blocks"])
    more = [body.pop()] if body and str(body[-1].get("block_id", "")).startswith("more") else []
    body = body[: MESSAGE_BLOCKS - 1 - len(more)]
    text = f"{escape(clip(result.text, MESSAGE_TEXT))}\n\n{message['text']}"
    return {"text": text, "blocks": [head, *body, *more]}


def home_view(reply: Reply) -> dict[str, Any]:
    blocks = list(pages(reply, SURFACE_BLOCKS, origin="home")[0])
    return {"type": "home", "blocks": blocks}


# -- forms as modals -----------------------------------------------------------------------------------------


def modal(form: Form, command: str, context: dict[str, str | None]) -> dict[str, Any]:
    metadata = json.dumps({"command": command, **context})
    if len(metadata) > METADATA:
        metadata = json.dumps({"command": command})
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(form.title, MODAL_TITLE),
        "submit": plain(form.submit, MODAL_TITLE),
        "close": plain("Cancel", MODAL_TITLE),
        "private_metadata": metadata,
        "blocks": [_input(f) for f in form.fields][:SURFACE_BLOCKS],
    }


def _input(field: Field) -> Block:
    element: Block
    if field.kind == "choice":
        options = [{"text": plain(label, OPTION_TEXT), "value": value} for value, label in field.choices]
        element = {"type": "static_select", "options": options[:SELECT_OPTIONS]}
        initial = next((o for o in options if o["value"] == field.value), None)
        if initial is not None:
            element["initial_option"] = initial
    elif field.kind == "date":
        element = {"type": "datepicker"}
        if field.value:
            element["initial_date"] = field.value
    elif field.kind == "number":
        element = {"type": "number_input", "is_decimal_allowed": False}
        if field.value:
            element["initial_value"] = field.value
    elif field.kind == "channel":
        element = {"type": "channels_select"}
    elif field.kind == "flag":
        box: Block = {"text": plain(field.label, OPTION_TEXT), "value": field.name}
        if field.hint:
            box["description"] = plain(field.hint, OPTION_TEXT)
        element = {"type": "checkboxes", "options": [box]}
        if field.value:
            element["initial_options"] = [box]
    else:
        element = {"type": "plain_text_input", "multiline": field.kind in ("long_text", "lines")}
        if field.value:
            element["initial_value"] = field.value
        if field.max_length:
            element["max_length"] = field.max_length
    element["action_id"] = "value"
    block: Block = {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": plain(field.label, 2000),
        "element": element,
    }
    if field.hint:
        block["hint"] = plain(field.hint, 2000)
    return block


def submitted(state: dict[str, Any]) -> dict[str, str | None]:
    """The values of a view_submission's `view.state.values`, one string (or None) per field, by the field's
    name (each input block's `block_id`, as `modal` made it)."""
    values: dict[str, str | None] = {}
    for name, block in state.items():
        got = block.get("value") or {}
        kind = got.get("type")
        if kind == "static_select":
            value = (got.get("selected_option") or {}).get("value")
        elif kind == "datepicker":
            value = got.get("selected_date")
        elif kind == "channels_select":
            channel = got.get("selected_channel")
            value = f"<#{channel}>" if channel else None
        elif kind == "checkboxes":
            ticked = got.get("selected_options") or []
            value = "yes" if ticked else None
        else:
            value = got.get("value")
        values[name] = value
    return values
