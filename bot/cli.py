"""The `convene` command: console, serve, migrate, demo, teams-package."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot import console, web
from bot.settings import Settings, SettingsError, load
from bot.teams import package as teams_package
from storage.db import Database
from storage.migrate import upgrade


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convene", description="Convene: the staff-development programme's chat bot.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    c = sub.add_parser("console", help="talk to Convene in this terminal (seeds demo data into a new database)")
    c.add_argument("--as", dest="speaker", default="Ada", help="who is speaking at first (default: Ada)")
    demo_flag = c.add_mutually_exclusive_group()
    demo_flag.add_argument(
        "--demo",
        dest="demo",
        action="store_true",
        default=True,
        help="seed the sample consortium into an empty database (the default)",
    )
    demo_flag.add_argument("--no-demo", dest="demo", action="store_false", help="start with an empty database")
    sub.add_parser("serve", help="run the web server (Slack, Teams, /healthz) and the scheduler")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("demo", help="seed the sample consortium into an empty database, then open the console")
    teams_package.add_arguments(sub.add_parser("teams-package", help="write the Teams app package for a Teams admin"))
    return p


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    print(f"The database is up to date ({settings.database_url.split('@')[-1]}).")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _run(args.command or "console", args)
    except SettingsError as err:  # at start-up, or found while starting (a Slack token Slack refuses)
        print(f"convene: {err}", file=sys.stderr)
        return 2


def _run(command: str, args: argparse.Namespace) -> int:
    settings = load()
    if command in ("console", "demo"):
        lines = None if sys.stdin.isatty() else sys.stdin
        return asyncio.run(
            console.run(settings, lines, speaker=getattr(args, "speaker", "Ada"), seed_demo=getattr(args, "demo", True))
        )
    if command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if command == "serve":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(web.serve(settings))
        return 0
    if command == "teams-package":
        return teams_package.run(args, settings)
    raise AssertionError(command)
