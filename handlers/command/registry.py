"""The table of commands: each one's name, usage, who may use it, and the function that does it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
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

    def find(self, args: Args) -> tuple[Command, Args]:
        """The command the words name (two-word names first), and the arguments after its name."""
        words = args.words
        if not words or words[0].quoted:
            raise UserError("Say what you'd like to do, for example `help` or `groups`.")
        head = words[0].text.lower()
        if len(words) > 1 and not words[1].quoted:
            pair = f"{head} {words[1].text.lower()}"
            if pair in self._commands:
                return self._commands[pair], Args(words[2:], args.options)
        if head in self._commands:
            return self._commands[head], Args(words[1:], args.options)
        heads = sorted({n.split()[0] for n in self._commands})
        guess = closest(head, heads)
        hint = f" Did you mean `{guess}`?" if guess else ""
        raise UserError(f"I don't know the command “{words[0].text}”.{hint} Type `help` to see what you can do.")


REGISTRY = Registry()
command = REGISTRY.command
