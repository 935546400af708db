"""One workspace's steering group is that workspace's, and people are named within their own workspace."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Request, Speaker
from storage.db import Database

NOW = datetime(2027, 1, 11, 9, 30, tzinfo=UTC)


def ask(team: str, user: str, text: str) -> Request:
    return Request(Speaker("slack", team, user, user.title()), Place(), NOW, text=text)


async def test_an_admin_named_with_a_workspace_is_an_admin_there_only(db: Database) -> None:
    core = Convene(db, CoreConfig(admins=frozenset({"slack:T0LIBS:U0ADA"})))
    assert (await core.handle(ask("T0LIBS", "U0ADA", 'group new "Diversity" kind:task'))).text.startswith("Created")
    elsewhere = await core.handle(ask("T9999", "U0ADA", 'group new "Takeover" kind:task'))
    assert elsewhere.failed and "Only the steering group" in elsewhere.text
    assert "For the steering group" not in (await core.handle(ask("T9999", "U0ADA", "help"))).text
    assert "For the steering group" in (await core.handle(ask("T0LIBS", "U0ADA", "help"))).text


async def test_the_short_form_names_the_one_workspace_served(db: Database) -> None:
    core = Convene(db, CoreConfig(admins=frozenset({"slack:U0ADA"})))
    assert (await core.handle(ask("T0LIBS", "U0ADA", 'group new "Diversity" kind:task'))).text.startswith("Created")


async def test_a_member_reference_reaches_only_the_speakers_own_workspace(db: Database) -> None:
    core = Convene(db, CoreConfig(admins=frozenset({"slack:T0LIBS:U0ADA", "slack:T9999:U0EVE"})))
    await core.handle(ask("T0LIBS", "U0ADA", 'group new "Diversity" kind:task'))
    await core.handle(ask("T0LIBS", "U0ADA", "call diversity"))
    await core.handle(ask("T0LIBS", "U0BEA", "volunteer diversity"))
    bea = await core.member_id(ask("T0LIBS", "U0BEA", "help"))
    # An admin of another workspace presses (or crafts) a button naming Bea by her member id.
    across = await core.handle(ask("T9999", "U0EVE", f"accept <member:{bea}> diversity"))
    assert across.failed and "not known to Convene in this workspace" in across.text
    assert "Accepted U0Bea" in (await core.handle(ask("T0LIBS", "U0ADA", f"accept <member:{bea}> diversity"))).text
