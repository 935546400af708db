"""What Convene can do for the person asking: only the commands their roles allow."""

from __future__ import annotations

from handlers.command.context import Ctx
from handlers.command.grammar import closest
from handlers.command.messages import Reply, Section
from handlers.command.registry import REGISTRY, Command, usage_lines
from handlers.command.registry import command as register

ROLE_TITLES = {"all": "For everyone", "chair": "For chairs of a group", "admin": "For the steering group"}


def allowed(cmd: Command, *, is_admin: bool, is_chair: bool) -> bool:
    return cmd.role == "all" or is_admin or (cmd.role == "chair" and is_chair)


@register(
    "help",
    usage="help [command]",
    writes=False,
    summary="what Convene can do for you, or one command's usage",
    examples=("help", "help volunteer"),
)
async def show_help(ctx: Ctx) -> Reply:
    """Everything the speaker may use, by role; or, given words, what they name: one command's usage, summary
    and examples (`help volunteer`), and for a family head (`help milestone`, `help pairing`) every command of
    the family with its usage. Raises UserError when the words name neither, with the nearest command's name."""
    is_chair = bool(await ctx.chaired())
    asked = " ".join(" ".join(w.text.lower().split()) for w in ctx.args.words).strip()
    if asked:
        return one_command(ctx, asked)
    sections = []
    for role in ("all", "chair", "admin"):
        cmds = [c for c in REGISTRY if c.role == role and allowed(c, is_admin=ctx.is_admin, is_chair=is_chair)]
        if cmds:
            body = "\n".join(f"`{c.usage}` — {c.summary}" for c in cmds)
            sections.append(Section(f"*{ROLE_TITLES[role]}*\n{body}"))
    prefix = ctx.config.command if ctx.request.speaker.platform == "slack" else ""
    intro = (
        f"Convene runs the programme's groups, volunteering and suggestions. "
        f"Type `{prefix + ' ' if prefix else ''}help <command>` for one command's usage."
    )
    return Reply(intro + "\n\n" + "\n\n".join(s.text for s in sections), sections=(Section(intro), *sections))


def one_command(ctx: Ctx, asked: str) -> Reply:
    """The help for the command the words `asked` name, or for the family their first word heads."""
    head = asked.split()[0]
    family = REGISTRY.family(head)
    found = REGISTRY.named(asked.split())  # `help volunteer diversity` is `help volunteer`
    if found is not None and (found.name != head or not family[1:]):
        return Reply(_details(found))
    if found is not None:  # a family head that is a command itself: its own help, then the family's others
        return Reply("\n".join([_details(found), "", "Also:", *usage_lines(family[1:])]))
    if family:
        problem = "" if asked == head else f"There is no command “{asked}”. "
        more = f"Type `help {family[0].name}` for one command's examples."
        return Reply("\n".join([f"{problem}The `{head}` commands:", *usage_lines(family), more]))
    guess = closest(asked, [c.name for c in REGISTRY])
    raise ctx.fail(f"There is no command “{asked}”." + (f" Did you mean `{guess}`?" if guess else ""))


def _details(cmd: Command) -> str:
    lines = [f"`{cmd.usage}`", cmd.summary[:1].upper() + cmd.summary[1:] + "."]
    if cmd.role != "all":
        lines.append(f"({ROLE_TITLES[cmd.role]}.)")
    lines += [f"Example: `{e}`" for e in cmd.examples]
    return "\n".join(lines)
