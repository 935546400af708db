"""Forms: what a command needs, declared once beside it, for platforms that can ask with a form (a Slack
modal, a Teams card). A submitted form becomes the command's text and runs exactly as if it were typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

# flag: a box to tick; ticked, the field's name is a word of the command (`anon`)
# lines: several lines of text, each line a quoted word of its own (a poll's options)
FieldKind = Literal["text", "long_text", "lines", "choice", "date", "number", "channel", "flag"]

# Quote pairs the grammar reads, tried in order; a value is wrapped in the first whose closing marks it lacks.
_QUOTES = (('"', ('"', "”")), ("“", ("”", '"')), ("„", ("“",)), ("«", ("»",)))


@dataclass(frozen=True)
class Field:
    name: str  # the option it fills (`name:value`), or, when positional, the command's quoted word
    label: str
    kind: FieldKind = "text"
    required: bool = False
    positional: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for a choice
    hint: str | None = None
    max_length: int | None = None
    value: str | None = None  # what it shows at first (a profile's current values)


@dataclass(frozen=True)
class Form:
    title: str
    fields: tuple[Field, ...]
    submit: str = "Save"

    def filled(self, values: Mapping[str, str | None]) -> Form:
        return replace(self, fields=tuple(replace(f, value=values.get(f.name, f.value)) for f in self.fields))

    def command_text(self, command: str, values: Mapping[str, str | None]) -> str:
        """The command, as typed, that the submitted values stand for; empty values are left out."""
        words = [command]
        for f in self.fields:
            value = (values.get(f.name) or "").strip()
            if f.kind == "flag":
                words += [f.name] if value else []
            elif f.kind == "lines":
                words += [quote(line) for line in value.splitlines() if line.strip()]
            elif value:
                words.append(quote(value) if f.positional else f"{f.name}:{quote(value)}")
        return " ".join(words)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Form:
        fields = tuple(
            Field(**{**f, "choices": tuple((v, label) for v, label in f.get("choices", ()))}) for f in data["fields"]
        )
        return cls(title=data["title"], fields=fields, submit=data.get("submit", "Save"))


def quote(value: str) -> str:
    """The value as one quoted word of the command language, whatever quotation marks it holds itself."""
    value = " ".join(value.split())
    for opening, closings in _QUOTES:
        if not any(c in value for c in closings):
            return f"{opening}{value}{closings[0]}"
    return '"' + value.replace('"', "'").replace("”", "'") + '"'
