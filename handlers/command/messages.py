"""The neutral request and reply that every adapter translates to and from.

Handlers see only these types; `bot/` turns a Slack payload, a Teams activity or a console line into a
`Request`, and renders a `Reply` as Block Kit, an Adaptive Card or plain text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from handlers.command.forms import Form

ButtonStyle = Literal["default", "primary", "danger"]
PLATFORM_NAMES = {"slack": "Slack", "teams": "Microsoft Teams", "console": "the console"}  # as people say them
# Platforms whose channels are named `#name`, so that Convene makes one from its name (Slack; the console stands
# for it) and CONVENE_ANNOUNCE_CHANNEL names one; a bot cannot make a Teams channel.
CHANNELS_BY_NAME = frozenset({"slack", "console"})


@dataclass(frozen=True)
class Speaker:
    platform: str
    workspace: str
    user_id: str
    display_name: str
    tz: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "display_name", without_reserved(self.display_name))


@dataclass(frozen=True)
class Place:
    """Where a request was made: a channel, or the speaker's personal chat (channel_id None)."""

    channel_id: str | None = None
    channel_name: str | None = None

    @property
    def personal(self) -> bool:
        return self.channel_id is None


@dataclass(frozen=True)
class Action:
    """A pressed button or a chosen menu option: which one, and the value it carries."""

    action_id: str
    value: str


@dataclass(frozen=True)
class Submission:
    """A form sent back: the command it was asked for (`Reply.command`), and each field's value by its name."""

    command: str
    values: dict[str, str | None]


@dataclass(frozen=True)
class Request:
    """What a person asked, in Convene's terms: typed `text`, a pressed button's `action`, or a `submitted`
    form (one of the three). `now` is the moment it arrived, in UTC."""

    speaker: Speaker
    place: Place
    now: datetime
    text: str | None = None
    action: Action | None = None
    mentions: dict[str, Speaker] = field(default_factory=dict)
    forms: bool = False  # the platform can ask with a form when a command is given without arguments
    submitted: Submission | None = None
    # The platform's name for this delivery (a signed request's signature, an event's id). A command that
    # writes records it in its own transaction; delivered again, it does nothing (SPEC.md §6).
    delivery: str | None = None

    def __post_init__(self) -> None:  # what a person sends can never hold a reference (see `RESERVED`)
        if self.text is not None:
            object.__setattr__(self, "text", without_reserved(self.text))
        if self.action is not None:
            object.__setattr__(self, "action", Action(self.action.action_id, without_reserved(self.action.value)))
        if self.submitted is not None:
            values = {k: None if v is None else without_reserved(v) for k, v in self.submitted.values.items()}
            object.__setattr__(self, "submitted", Submission(self.submitted.command, values))


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str
    style: ButtonStyle = "default"


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Select:
    placeholder: str
    action_id: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Image:
    url: str
    alt: str


@dataclass(frozen=True)
class File:
    """A file sent with a message (a chart, a calendar file): uploaded into the conversation on Slack
    (`files.getUploadURLExternal`, `files.completeUploadExternal`), an attachment on Teams (images inline), saved
    to disk by the console. `name` is the file name shown, `mime` its media type, `title` and `alt` what a reader
    and a screen reader are told of it."""

    name: str
    mime: str
    data: bytes
    title: str
    alt: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "mime": self.mime,
            "data": base64.b64encode(self.data).decode("ascii"),
            "title": self.title,
            "alt": self.alt,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> File:
        return cls(data["name"], data["mime"], base64.b64decode(data["data"]), data["title"], data.get("alt", ""))


@dataclass(frozen=True)
class Section:
    text: str
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Reply:
    """What a handler answers. `text` is always a complete plain reading of the reply."""

    text: str
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    select: Select | None = None
    image: Image | None = None
    files: tuple[File, ...] = ()  # sent with the message when it is posted (not when it edits one)
    private: bool = True
    form: Form | None = None  # ask with this form (only when the request said the platform has forms)
    failed: bool = False  # the command did nothing; `text` says why
    field: str | None = None  # when failed: the option or form field the problem is about
    invite: tuple[str, ...] = ()  # platform user ids to bring into the channel this is posted in
    # What the core says of the request this answers, for the adapter (never part of a message sent later):
    command: str | None = None  # the command that made it: a form's submission names it (`Submission`)
    wrote: bool = False  # the command changed something (the outbox may have messages; views may be stale)
    again: str | None = None  # the text that asks for this reply afresh (a read): its next page, its update
    repeat: bool = False  # the request's delivery was acted on before: nothing was done, and nothing is shown

    def all_buttons(self) -> list[Button]:
        """Every button in reading order: each section's, then the reply's own."""
        found = [b for s in self.sections for b in s.buttons]
        return found + list(self.buttons)

    def to_json(self) -> dict[str, Any]:
        """The reply as JSON values, as an outbox row keeps it: what is shown, not what the core said of the
        request it answered."""
        plain = asdict(self)
        for key in _ABOUT_THE_REQUEST:
            del plain[key]
        plain["files"] = [f.to_json() for f in self.files]
        return plain

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        def button(b: dict[str, Any]) -> Button:
            return Button(**b)

        sections = tuple(
            Section(
                text=s["text"],
                fields=tuple((k, v) for k, v in s.get("fields", ())),
                buttons=tuple(button(b) for b in s.get("buttons", ())),
            )
            for s in data.get("sections", ())
        )
        select = data.get("select")
        image = data.get("image")
        return cls(
            text=data["text"],
            sections=sections,
            buttons=tuple(button(b) for b in data.get("buttons", ())),
            select=Select(
                placeholder=select["placeholder"],
                action_id=select["action_id"],
                options=tuple(Option(**o) for o in select["options"]),
            )
            if select
            else None,
            image=Image(**image) if image else None,
            files=tuple(File.from_json(f) for f in data.get("files", ())),
            private=data.get("private", True),
            form=Form.from_json(data["form"]) if data.get("form") else None,
            failed=data.get("failed", False),
            field=data.get("field"),
            invite=tuple(data.get("invite", ())),
        )


_ABOUT_THE_REQUEST = ("command", "wrote", "again", "repeat")


# -- references to people and channels inside a message's text -----------------------------------------------
# A reference is kept in the text between three characters of Unicode's private use area, which no person's
# typed text can hold (`Request` and `Speaker` drop them): each platform renders it its own way (Slack as a
# `<@U…>` mention or a `<#C…>` link), and a plain reading shows the name.
REF_OPEN, REF_SPLIT, REF_CLOSE = "\ue000", "\ue001", "\ue002"
RESERVED = REF_OPEN + REF_SPLIT + REF_CLOSE
_REF = re.compile(f"{REF_OPEN}([@#!])([^{RESERVED}]*){REF_SPLIT}([^{RESERVED}]*){REF_CLOSE}")
_STRAY = re.compile(f"[{RESERVED}]")


def without_reserved(text: str) -> str:
    """`text` without the characters that mark references: what a person types can never forge one."""
    return _STRAY.sub("", text)


def person_ref(user_id: str, name: str) -> str:
    """A mention of the person `user_id` (the platform's id), read as `name` where mentions are not shown."""
    return f"{REF_OPEN}@{without_reserved(user_id)}{REF_SPLIT}{without_reserved(name)}{REF_CLOSE}"


def channel_ref(channel: str) -> str:
    """A link to a channel, by the platform's id of it (Slack's `C…`; the console's `#name`)."""
    clean = without_reserved(channel)
    return f"{REF_OPEN}#{clean}{REF_SPLIT}{clean}{REF_CLOSE}"


def time_ref(moment: datetime, shown_as: str) -> str:
    """A moment, shown by each reader's client in the reader's own time zone where the platform can (Slack's
    `<!date^…>`, Teams' `{{DATE(…)}}` and `{{TIME(…)}}`), else read as `shown_as` (which names its zone). Its id is
    the moment in Unix seconds (UTC)."""
    return f"{REF_OPEN}!{int(moment.timestamp())}{REF_SPLIT}{without_reserved(shown_as)}{REF_CLOSE}"


def linked(text: str, link: Callable[[str, str, str], str], rest: Callable[[str], str] = lambda s: s) -> str:
    """`text` with each reference rendered by `link(kind, id, name)` (kind `@`, `#` or `!`) and the text between
    references by `rest` (an escape); a reference cut in two (by a length limit) is dropped."""
    out: list[str] = []
    at = 0
    for found in _REF.finditer(text):
        out.append(rest(without_reserved(text[at : found.start()])))
        out.append(link(found.group(1), found.group(2), found.group(3)))
        at = found.end()
    out.append(rest(without_reserved(text[at:])))
    return "".join(out)


def shown(text: str) -> str:
    """The plain reading of `text`: each reference as its name."""
    return linked(text, lambda _kind, _id, name: name)


def counted(n: int, one: str, many: str | None = None) -> str:
    """`1 pair`, `2 pairs`, `0 people`: a count with its noun in the right number (`many` defaults to one+s)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def possessive(name: str) -> str:
    """`Sam's`, `Digital Skills'`: English possessive of a name."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def titled(title: str, sections: tuple[Section, ...] | list[Section], text: str | None = None) -> Reply:
    """A list with its title as the first section, so that every rendering shows which list it is (Block Kit
    shows the sections, not the text). `text`: the plain reading of the list; by default the sections' texts."""
    body = text if text is not None else "\n".join(s.text for s in sections)
    return Reply(f"{title}\n{body}", sections=(Section(title), *sections))
