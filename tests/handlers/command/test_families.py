"""Families of commands (`milestone add`, `milestone done`…): their head alone, to `help` or typed as a command,
lists the family's commands with their usage instead of saying there is no such command."""

import pytest

import handlers.admin
import handlers.help  # noqa: F401  (registers help)
from handlers.command.context import Ctx
from handlers.command.errors import UserError
from handlers.command.grammar import tokenize
from handlers.command.messages import Reply
from handlers.command.registry import REGISTRY, Registry
from tests.conftest import Chat


async def _nothing(ctx: Ctx) -> Reply:
    return Reply("done")


def _registry() -> Registry:
    registry = Registry()
    for name in ("thing add", "things", "thing", "thing done", "other"):
        registry.command(name, usage=f"{name} <x>", summary=f"{name} it")(_nothing)
    return registry


def test_a_family_is_its_head_first_then_the_others_in_order() -> None:
    registry = _registry()
    assert [c.name for c in registry.family("thing")] == ["thing", "thing add", "thing done"]
    assert [c.name for c in registry.family("THING")] == ["thing", "thing add", "thing done"]
    assert [c.name for c in registry.family("other")] == ["other"]
    assert registry.family("nothing") == []


def test_the_command_named_by_the_longest_prefix() -> None:
    registry = _registry()
    named = registry.named
    assert [named(w) for w in (["thing", "add", "x"], ["Thing"], ["thing add"], ["thing", "x"])] == [
        registry.get("thing add"),
        registry.get("thing"),
        registry.get("thing add"),
        registry.get("thing"),
    ]
    assert named([]) is None and named(["nothing", "add"]) is None
    assert registry.usage_for(["thing", "done"]) == "thing done <x>"
    assert registry.usage_for(["nothing"]) is None


def test_the_real_families_exist() -> None:
    for head, name in [("admin", "admin list"), ("milestone", "milestone add"), ("group", "group new")]:
        assert name in [c.name for c in REGISTRY.family(head)]


@pytest.mark.parametrize("text", ["milestone", "admin", "prompt"])
def test_a_family_head_alone_is_answered_with_the_family(text: str) -> None:
    with pytest.raises(UserError) as raised:
        REGISTRY.find(tokenize(text))
    message = raised.value.message
    assert f"“{text}” is not a command by itself" in message and "\nUsage:\n" in message
    for cmd in REGISTRY.family(text):
        assert f"`{cmd.usage}` — {cmd.summary}" in message
    assert "Did you mean" not in message and "I don't know" not in message


async def test_a_family_head_typed_alone_lists_its_commands(chat: Chat) -> None:
    reply = await chat.say("Bea", "milestone")
    assert reply.failed
    assert "“milestone” is not a command by itself: say which of these you mean." in reply.text
    assert '`milestone add <group> "<title>" due:YYYY-MM-DD` — ' in reply.text
    assert "`milestone done <group> <n>` — " in reply.text and "(for chairs)" in reply.text
    wrong = await chat.say("Ada", "admin lst")
    assert "There is no command “admin lst”. Did you mean `admin list`?" in wrong.text
    assert "`admin add <person>`" in wrong.text and "`admin list`" in wrong.text
    assert "Did you mean `admin`?" not in wrong.text


async def test_help_for_a_family_head_lists_its_commands(chat: Chat) -> None:
    reply = await chat.say("Bea", "help milestone")
    assert not reply.failed
    assert reply.text.startswith("The `milestone` commands:\n")
    assert '`milestone add <group> "<title>" due:YYYY-MM-DD`' in reply.text
    assert "`milestone done <group> <n>`" in reply.text and "There is no command" not in reply.text
    admin = await chat.say("Bea", "help admin")
    assert "`admin list`" in admin.text and "`admin add <person>`" in admin.text
    assert "`admin remove <person>`" in admin.text
    wrong = await chat.say("Bea", "help milestone someday")
    assert "There is no command “milestone someday”. The `milestone` commands:" in wrong.text


async def test_help_for_a_head_that_is_a_command_shows_it_and_its_family(chat: Chat) -> None:
    reply = await chat.say("Bea", "help group")
    assert reply.text.startswith("`group <group>`") and "\nAlso:\n" in reply.text
    assert "`group new " in reply.text and "`group close <group>" in reply.text
    assert (await chat.say("Bea", "help group new")).text.startswith("`group new ")
    one = await chat.say("Bea", "help volunteer diversity")
    assert one.text.startswith("`volunteer <group>") and "Also:" not in one.text


async def test_an_unknown_command_shows_the_usage_of_the_nearest(chat: Chat) -> None:
    reply = await chat.say("Bea", "volunter diversity")
    assert "Did you mean `volunteer`?" in reply.text
    assert "Usage: `volunteer <group> [as:member|chair] [note:…]`" in reply.text
    assert "Usage:" not in (await chat.say("Bea", "xyzzyq")).text
