"""What Convene can do for the person asking: only the commands their roles allow."""

from __future__ import annotations

from handlers.command.context import Ctx
from handlers.command.grammar import closest
from handlers.command.messages import Reply, Section
from handlers.command.registry import REGISTRY, Command
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
    is_chair = bool(await ctx.chaired())
    asked = " ".join(w.text.lower() for w in ctx.args.words).strip()
    if asked:
        found = REGISTRY.get(asked) or REGISTRY.get(asked.split()[0])
        if found is None:
            guess = closest(asked, [c.name for c in REGISTRY])
            raise ctx.fail(f"There is no command “{asked}”." + (f" Did you mean `{guess}`?" if guess else ""))
        lines = [f"`{found.usage}`", found.summary.capitalize() + "."]
        if found.role != "all":
            lines.append(f"({ROLE_TITLES[found.role]}.)")
        lines += [f"Example: `{e}`" for e in found.examples]
        return Reply("\n".join(lines))
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
