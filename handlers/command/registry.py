"""The table of commands: each one's name, usage, who may use it, and the function that does it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from handlers.command.errors import UserError
from handlers.command.forms import Form
from handlers.command.grammar import Args, closest

if TYPE_CHECKING:
    from handlers.command.context import Ctx
    from handlers.command.messages import Reply

Role = Literal["all", "chair", "admin"]
Run = Callable[["Ctx"], Awaitable["Reply"]]
Prefill = Callable[["Ctx"], Awaitable[dict[str, str | None]]]
ReadsWhen = Callable[[Args], bool]
ROLE_NOTES: dict[Role, str] = {"all": "", "chair": " (for chairs)", "admin": " (for the steering group)"}


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    run: Run
    role: Role = "all"
    options: frozenset[str] = frozenset()
    writes: bool = True  # False: it changes nothing, and runs in a read unit (no write lock)
    reads_when: ReadsWhen | None = None  # the arguments with which a command that writes only shows something
    closed_ok: bool = False  # it may change a closed group (recording its case study); reading one always may
    group_word: bool = False  # the first positional word names a group (resolved before the role check)
    examples: tuple[str, ...] = ()
    form: Form | None = None  # asked for, where the platform has forms, when given without arguments
    prefill: Prefill | None = None  # the form's first values (a profile's current ones)

    def writes_with(self, args: Args) -> bool:
        """Whether the command, given these arguments, may change something (and so runs in a write unit)."""
        return self.writes and not (self.reads_when is not None and self.reads_when(args))


class Registry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, cmd: Command) -> None:
        if cmd.name in self._commands:
            raise ValueError(f"command {cmd.name!r} registered twice")
        self._commands[cmd.name] = cmd

    def command(
        self,
        name: str,
        *,
        usage: str,
        summary: str,
        role: Role = "all",
        options: tuple[str, ...] = (),
        writes: bool = True,
        reads_when: ReadsWhen | None = None,
        closed_ok: bool = False,
        group_word: bool = False,
        examples: tuple[str, ...] = (),
        form: Form | None = None,
        prefill: Prefill | None = None,
    ) -> Callable[[Run], Run]:
        def register(run: Run) -> Run:
            self.add(
                Command(
                    name=name,
                    usage=usage,
                    summary=summary,
                    run=run,
                    role=role,
                    options=frozenset(options),
                    writes=writes,
                    reads_when=reads_when,
                    closed_ok=closed_ok,
                    group_word=group_word,
                    examples=examples,
                    form=form,
                    prefill=prefill,
                )
            )
            return run

        return register

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def named(self, words: Sequence[str]) -> Command | None:
        """The command whose name begins these words, longest name first (`group new X` is `group new`, `group X`
        is `group`), case-insensitively; a word holding spaces counts as the words it holds. None if none."""
        parts = [part.lower() for word in words for part in word.split()]
        for count in (2, 1):
            if len(parts) >= count and (found := self._commands.get(" ".join(parts[:count]))) is not None:
                return found
        return None

    def family(self, head: str) -> list[Command]:
        """The commands whose name begins with the word `head` (`milestone` → `milestone add`, `milestone
        done`), the one named `head` itself first if there is one; empty if no command's name begins with it."""
        head = head.lower()
        found = [c for c in self._commands.values() if c.name.split()[0] == head]
        return sorted(found, key=lambda c: c.name != head)  # a stable sort: the others stay in their order

    def usage_for(self, words: Sequence[str]) -> str | None:
        """The usage of the command these words begin to type (`named`), or of every command in the family their
        first word heads (`milestone …`); None if they name neither."""
        found = self.named(words)
        if found is not None:
            return found.usage
        parts = [part for word in words for part in word.split()]
        family = self.family(parts[0]) if parts else []
        return "  ·  ".join(c.usage for c in family) if family else None

    def find(self, args: Args) -> tuple[Command, Args]:
        """The command the words name (two-word names first), and the arguments after its name.

        Raises UserError, saying what is wrong and showing the usage of what was meant: for no words, a quoted
        first word (a command's name is typed without quotation marks), a family head given alone or with a word
        that does not complete it (`milestone`, `admin lst`: the family's commands are listed), and a word that
        names no command (with the nearest command's name and usage, if one is near)."""
        words = args.words
        if not words or (words[0].quoted and not words[0].text.strip()):
            raise UserError("Say what you'd like to do, for example `help` or `groups`.")
        if words[0].quoted:
            raise self._quoted_name(args)
        head = words[0].text.lower()
        if len(words) > 1 and not words[1].quoted:
            pair = f"{head} {words[1].text.lower()}"
            if pair in self._commands:
                return self._commands[pair], Args(words[2:], args.options)
        if head in self._commands:
            return self._commands[head], Args(words[1:], args.options)
        family = self.family(head)
        if family:
            asked = " ".join(w.text for w in words[:2])
            if len(words) > 1:
                guess = closest(words[1].text, [c.name.split(maxsplit=1)[1] for c in family if " " in c.name])
                hint = f" Did you mean `{head} {guess}`?" if guess else ""
                problem = f"There is no command “{asked}”.{hint}"
            else:
                problem = f"“{asked}” is not a command by itself: say which of these you mean."
            raise UserError(f"{problem}\n{family_usage(family)}")
        heads = sorted({n.split()[0] for n in self._commands})
        guess = closest(head, heads)
        hint = f" Did you mean `{guess}`?" if guess else ""
        raise UserError(
            f"I don't know the command “{words[0].text}”.{hint} Type `help` to see what you can do.",
            usage=self.usage_for([guess]) if guess else None,
        )

    def _quoted_name(self, args: Args) -> UserError:
        """The error for a command whose first word is quoted (`"suggest" hello`), with the usage of the command
        the words name, if they name one."""
        texts = [w.text for w in args.words]
        meant = self.named(texts)
        if meant is not None:
            return UserError(
                f"A command's name is not quoted: type `{meant.name}` without quotation marks.", usage=meant.usage
            )
        first = texts[0].split()[0]
        family = self.family(first)
        if family:
            return UserError(
                f"A command's name is not quoted: type `{first.lower()}` without quotation marks, followed by "
                f"one of these.\n{family_usage(family)}"
            )
        guess = closest(first, sorted({n.split()[0] for n in self._commands}))
        hint = f" Did you mean `{guess}`?" if guess else ""
        return UserError(
            f"A command's name is not quoted, and “{texts[0]}” is not a command I know.{hint} "
            "Say what you'd like to do, for example `help` or `groups`.",
            usage=self.usage_for([guess]) if guess else None,
        )


def usage_lines(commands: Sequence[Command]) -> list[str]:
    """One line for each command: its usage, its summary and, for a command not everyone may use, who may."""
    return [f"`{c.usage}` — {c.summary}{ROLE_NOTES[c.role]}" for c in commands]


def family_usage(family: Sequence[Command]) -> str:
    """The usage lines of a family of commands (`Registry.family`), one a line under `Usage:`."""
    return "\n".join(["Usage:", *usage_lines(family)])


REGISTRY = Registry()
command = REGISTRY.command
