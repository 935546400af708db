"""The command language (SPEC.md §3): words, "quoted text", key:value options, mentions, dates and times."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.command.errors import UserError

OPEN_QUOTES = {'"': '"', "“": "”", "„": "“", "”": "”", "«": "»"}
SINGLE_QUOTES = {"'": "'", "‘": "’"}
_OPTION = re.compile(r"([A-Za-z][A-Za-z_-]*):(?!//)")
_SLACK_USER = re.compile(r"<@([A-Z0-9a-z_.-]+)(?:\|[^>]*)?>")
_MEMBER_REF = re.compile(r"<member:(\d+)>")
MAX_ID = 2**31 - 1  # the largest row id either database holds (PostgreSQL's integer)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SLACK_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")


@dataclass(frozen=True)
class Word:
    text: str
    quoted: bool = False
    mention: str | None = None  # a platform user id (`<@U1>`, console `@name`)
    member_id: int | None = None  # a Convene member id, as buttons carry them (`<member:7>`)
    channel: str | None = None  # a linked channel: an id (`<#C1|x>`) or a name (`#x`)

    @property
    def is_person(self) -> bool:
        return self.mention is not None or self.member_id is not None


@dataclass
class Args:
    words: list[Word] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)

    def texts(self) -> list[str]:
        return [w.text for w in self.words]


def _read_quoted(text: str, i: int, closing: str) -> tuple[str, int]:
    """Text from just after an opening quote at i to its closing quote; the index after it."""
    end = text.find(closing, i + 1)
    if closing == "”":  # a curly opening quote may be closed by a straight one, and vice versa
        alt = text.find('"', i + 1)
        end = alt if end == -1 or (alt != -1 and alt < end) else end
    elif closing == '"':
        alt = text.find("”", i + 1)
        end = alt if end == -1 or (alt != -1 and alt < end) else end
    if end == -1:
        raise UserError('A quotation mark is not closed: put a closing " after the quoted text.')
    return text[i + 1 : end], end + 1


def tokenize(text: str) -> Args:
    text = _CONTROL.sub(" ", text)  # NUL and other control characters: no database stores them all
    args = Args()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in OPEN_QUOTES:
            value, i = _read_quoted(text, i, OPEN_QUOTES[ch])
            args.words.append(Word(value, quoted=True))
            continue
        if ch in SINGLE_QUOTES:
            close = text.find(SINGLE_QUOTES[ch], i + 1)
            if close != -1 and (close + 1 == n or text[close + 1].isspace()):
                args.words.append(Word(text[i + 1 : close], quoted=True))
                i = close + 1
                continue
        option = _OPTION.match(text, i)
        if option and option.end() < n and not text[option.end()].isspace():  # `key:value`; a bare `word:` is a word
            key = option.group(1).lower()
            j = option.end()
            if j < n and text[j] in OPEN_QUOTES:
                value, i = _read_quoted(text, j, OPEN_QUOTES[text[j]])
            else:
                end = j
                while end < n and not text[end].isspace():
                    end += 1
                value, i = text[j:end], end
            if key in args.options:
                raise UserError(f"The option {key}: is given twice.")
            args.options[key] = value
            continue
        end = i
        if ch == "<" and (close := text.find(">", i)) != -1:  # Slack's <@U1|Ann Lee>, <#C1|name>, <member:7>
            end = close + 1
        while end < n and not text[end].isspace():
            end += 1
        args.words.append(_word(text[i:end]))
        i = end
    return args


def _word(raw: str) -> Word:
    if m := _SLACK_USER.fullmatch(raw):
        return Word(raw, mention=m.group(1))
    if m := _MEMBER_REF.fullmatch(raw):
        return Word(raw, member_id=int(m.group(1)))
    if m := _SLACK_CHANNEL.fullmatch(raw):
        return Word(raw, channel=m.group(1))
    if raw.startswith("@") and len(raw) > 1:
        return Word(raw, mention=raw[1:])
    if raw.startswith("#") and len(raw) > 1 and not raw[1:].isdigit():
        return Word(raw, channel=raw)
    return Word(raw)


def closest(word: str, choices: list[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad_date(text, what)
    except ValueError:
        return _bad_date(text, what)


def _bad_date(text: str, what: str) -> date:
    raise UserError(f"“{text}” is not a {what}: write dates as YYYY-MM-DD, for example 2027-03-31.")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"“{name}” is not a time zone I know: use a name like Europe/London or America/New_York."
        ) from None


def parse_time(text: str, tz: str) -> datetime:
    """A `YYYY-MM-DD HH:MM` moment in the zone `tz`, as an aware datetime."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})", text.strip())
    if not m:
        raise UserError(f'“{text}” is not a time: write times as "YYYY-MM-DD HH:MM", for example "2027-03-31 14:00".')
    day = parse_date(m.group(1))
    hour, minute = int(m.group(2)), int(m.group(3))
    if hour > 23 or minute > 59:
        raise UserError(f"“{text}” is not a time of day: hours run 00–23 and minutes 00–59.")
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone(tz))


def parse_int(text: str, what: str, *, low: int = 1, high: int = 10_000) -> int:
    """A whole number from `low` to `high` (at most `MAX_ID`, what the databases hold), or a UserError."""
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise UserError(f"“{text}” is not a valid {what}: give a whole number from {low} to {high}.")
    return int(text)


def slugify(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
