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


class GrammarError(UserError):
    """Typed text the command language cannot read (a quotation mark not closed, an option given twice).

    `words` are the words read before the problem and `start` is where the problem begins in the text, so that
    the dispatcher can find the command being typed and show its usage beside the message."""

    def __init__(self, message: str, *, words: tuple[Word, ...], start: int) -> None:
        super().__init__(message)
        self.words = words
        self.start = start


# A quotation mark that only closes the quoted text when its own closing mark is missing: someone typed
# `"More coffee mornings”` (a phone turned one of their marks curly).
_STAND_INS = {'"': "”", "”": '"'}
# Quotation marks that open a quote inside a quote and have a closing mark of their own, so that `“a “b” c”`
# keeps its inner pair.
_NESTING = {"“": "”", "„": "“", "«": "»"}
_SNIPPET = 30  # how much of an unclosed quote an error shows


def _read_quoted(text: str, i: int, words: list[Word]) -> tuple[str, int]:
    """The text inside the quotation mark that opens at `i`, and the index just after its closing mark.

    A quote closes only with its own closing mark (`"…"`, `“…”`, `„…“`, `”…”`, `«…»`): quotation marks of
    another kind inside it are kept as typed (`"a “b” c"`, `“a "b" c”`), and so are inner pairs of its own kind
    where the opening and closing marks differ (`“a “b” c”`). Only when its own closing mark never comes may a
    stand-in close it (a straight mark for a curly one and back, as phones mix them), and then only one that
    ends a word and leaves no quote of the stand-in's kind open inside. `words` are the words read so far.
    Raises GrammarError if nothing closes it."""
    opening = text[i]
    closing = OPEN_QUOTES[opening]
    end = _closing_mark(text, i, closing)
    if end == -1:
        end = text.find(closing, i + 1)  # an inner opening mark left open (`"a 5“ screen"`)
    if end == -1 and closing in _STAND_INS:
        end = _stand_in(text, i, _STAND_INS[closing])
    if end == -1:
        rest = text[i : i + _SNIPPET + 1].replace("`", "'").rstrip()
        shown = rest if len(text) - i <= _SNIPPET + 1 else rest[:_SNIPPET] + "…"
        raise GrammarError(
            f"The quotation mark that starts `{shown}` is not closed: put a closing {closing} at the end of the "
            "quoted text.",
            words=tuple(words),
            start=i,
        )
    return text[i + 1 : end], end + 1


def _closing_mark(text: str, i: int, closing: str) -> int:
    """Where the quote opened at `i` closes with its own mark, past any complete inner quotes; -1 if nowhere.
    A closing mark that can also open a quote (`“` closes `„…“` and opens `“…”`) opens one when a word follows it
    at once (`„a “b” c“`)."""
    inner: list[str] = []  # the closing marks of the quotes open inside it, innermost last
    for j in range(i + 1, len(text)):
        ch = text[j]
        opens = ch in _NESTING and j + 1 < len(text) and text[j + 1].isalnum()
        if inner and ch == inner[-1]:
            inner.pop()
        elif not inner and ch == closing and not opens:
            return j
        elif ch in _NESTING:
            inner.append(_NESTING[ch])
    return -1


def _stand_in(text: str, i: int, mark: str) -> int:
    """Where a stand-in `mark` closes the quote opened at `i`: the first that ends a word, provided the text
    before it holds no opening mark of the stand-in's own kind; -1 if none does."""
    own_openings = {o for o, c in OPEN_QUOTES.items() if c == mark}
    for j in range(i + 1, len(text)):
        if text[j] in own_openings and text[j] != mark:
            return -1
        if text[j] == mark:
            return j if j + 1 == len(text) or text[j + 1].isspace() else -1
    return -1


def tokenize(text: str) -> Args:
    """The words and `key:value` options of a typed command (SPEC.md §3), in the order typed.

    Quoted text (straight, curly or guillemet marks, or single marks around whole words) becomes one word that
    keeps its spaces and any quotation marks of another kind inside it (`_read_quoted`). Raises GrammarError
    (a UserError) for a quotation mark that is not closed or an option given twice."""
    text = _CONTROL.sub(" ", text)  # NUL and other control characters: no database stores them all
    args = Args()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in OPEN_QUOTES:
            value, i = _read_quoted(text, i, args.words)
            args.words.append(Word(value, quoted=True))
            continue
        if ch in SINGLE_QUOTES and (close := _single_closing(text, i)) != -1:
            args.words.append(Word(text[i + 1 : close], quoted=True))
            i = close + 1
            continue
        option = _OPTION.match(text, i)
        if option and option.end() < n and not text[option.end()].isspace():  # `key:value`; a bare `word:` is a word
            key = option.group(1).lower()
            j = option.end()
            if j < n and text[j] in OPEN_QUOTES:
                value, i = _read_quoted(text, j, args.words)
            else:
                end = j
                while end < n and not text[end].isspace():
                    end += 1
                value, i = text[j:end], end
            if key in args.options:
                raise GrammarError(f"The option {key}: is given twice.", words=tuple(args.words), start=option.start())
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


def _single_closing(text: str, i: int) -> int:
    """Where the single quotation mark at `i` closes: at the first closing mark that ends a word, so that
    apostrophes inside it (`'don't stop'`) are kept; -1 if none does, and then the mark is part of a word
    (`'tis`)."""
    closing = SINGLE_QUOTES[text[i]]
    j = text.find(closing, i + 1)
    while j != -1 and not (j + 1 == len(text) or text[j + 1].isspace()):
        j = text.find(closing, j + 1)
    return j


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


class TooFarAhead(UserError):
    """A well-written date after `LAST_YEAR`."""


LAST_YEAR = 2199  # the last year a typed date may name: later is a mistyped year, and near 9999 a day or an hour
# added to it passes the last date Python holds


def parse_date(text: str, what: str = "date") -> date:
    """A typed `YYYY-MM-DD` date, or a UserError: for any other text, and for a year after `LAST_YEAR`."""
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad_date(text, what)
    except ValueError:
        return _bad_date(text, what)
    if day.year > LAST_YEAR:
        raise TooFarAhead(f"“{text}” is after {LAST_YEAR}: is its year mistyped?")
    return day


def _bad_date(text: str, what: str) -> date:
    raise UserError(f"“{text}” is not a {what}: write dates as YYYY-MM-DD, for example 2027-03-31.")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` names; UserError for any other text (one too long for a file name included:
    zoneinfo then raises OSError)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
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


# Letters Unicode does not decompose into a base letter and an accent, spelled as their languages spell them.
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ß": "ss",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "ð": "d",
    }
)


def slugify(name: str) -> str:
    """A group's short name from its name: lower-case ASCII letters and digits joined by hyphens; accented
    letters keep their base letter (Welsh `ŵ` → `w`, `Grøup` → `group`)."""
    plain = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
