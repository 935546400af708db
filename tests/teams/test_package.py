"""`convene teams-package`, run as an admin runs it: the zip holds a manifest the Teams schema accepts, the icons
Teams asks for and command menus within Teams' limits; a bad detail is refused with a sentence naming it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from bot.teams import package
from handlers.command.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
DOMAIN = "convene.example.org"
ACCENT_RGB = (0x2C, 0x4A, 0x6E)


def convene(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `tmp` (no `.env` there), without our settings or MICROSOFT_* from this process."""
    environ = {
        k: v for k, v in os.environ.items() if not k.upper().startswith(("CONVENE_", "SLACK_", "TEAMS_", "MICROSOFT_"))
    }
    environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'unused.db'}"
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=environ, timeout=120, cwd=tmp
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of a package made by the real command, by name."""
    tmp = tmp_path_factory.mktemp("teams")
    done = convene(
        tmp, "teams-package", "--out", "tmp/x.zip", "--app-id", APP_ID.upper(), "--domain", DOMAIN, "--version", "1.2.3"
    )
    assert done.returncode == 0, done.stderr
    assert "tmp/x.zip" in done.stdout
    with zipfile.ZipFile(tmp / "tmp" / "x.zip") as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def manifest(built: dict[str, bytes]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(built["manifest.json"])
    return loaded


def test_the_zip_holds_the_manifest_and_both_icons_at_its_root(built: dict[str, bytes]) -> None:
    assert sorted(built) == ["color.png", "manifest.json", "outline.png"]


def test_the_manifest_is_valid_against_the_shipped_teams_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(package.SCHEMA_FILE.read_text())
    # The schema is valid draft-04; its formats are left unchecked: a few of its patterns use ECMAScript's
    # \\p{L}, which Python's re lacks, in parts of the manifest Convene does not use.
    jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA).validate(schema)
    jsonschema.Draft4Validator(schema).validate(manifest)
    assert schema["properties"]["manifestVersion"]["const"] == manifest["manifestVersion"] == package.MANIFEST_VERSION
    assert manifest["$schema"].endswith(f"/v{package.MANIFEST_VERSION}/MicrosoftTeams.schema.json")


def test_the_manifest_names_the_bot_its_scopes_and_the_domain(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    assert manifest["id"] == bot["botId"] == APP_ID  # written in lower case, however it was typed
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert manifest["validDomains"] == [DOMAIN]
    assert manifest["version"] == "1.2.3"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["name"]["short"] == "Convene"
    assert all(url == f"https://{DOMAIN}/" for url in manifest["developer"].values() if url.startswith("http"))


def test_the_command_menus_keep_within_teams_limits(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    lists = bot["commandLists"]
    assert len(lists) <= 3
    scopes = [scope for entry in lists for scope in entry["scopes"]]
    assert sorted(scopes) == sorted(bot["scopes"])  # a list for every scope, and no scope in two lists
    for entry in lists:
        commands = entry["commands"]
        assert 1 <= len(commands) <= package.MAX_COMMANDS == 10
        titles = [c["title"] for c in commands]
        assert len(set(titles)) == len(titles) and titles[0] == "help"
        for command in commands:
            assert 0 < len(command["title"]) <= package.MAX_TITLE == 32
            assert 0 < len(command["description"]) <= package.MAX_DESCRIPTION == 128
            registered = REGISTRY.get(command["title"])
            assert registered is not None and registered.role == "all"  # the menu is shown to everyone
            assert command["description"].lower().startswith(registered.summary[:20].lower())


def test_a_summary_too_long_for_the_menu_is_cut_at_a_word() -> None:
    text = "the directory of groups: kind, status, chairs, members, seats left and open calls; " * 3
    cut = package.shorten(text, package.MAX_DESCRIPTION)
    assert len(cut) <= package.MAX_DESCRIPTION and cut.endswith("…") and text.startswith(cut[:-1])


def test_the_colour_icon_is_192_square_and_full_bleed_with_its_logo_in_the_safe_area(built: dict[str, bytes]) -> None:
    icon = Image.open(io.BytesIO(built["color.png"]))
    assert icon.format == "PNG" and icon.size == (192, 192) and icon.mode == "RGB"
    margin = (192 - package.SAFE_AREA) // 2
    pixels = icon.load()
    assert pixels is not None
    safe = range(margin, 192 - margin)
    outside = [pixels[x, y] for x in range(192) for y in range(192) if x not in safe or y not in safe]
    assert set(outside) == {ACCENT_RGB}  # full bleed, and nothing of the logo outside the 120×120 safe area
    inside = {pixels[x, y] for x in safe for y in safe}
    assert (255, 255, 255) in inside


def test_the_outline_icon_is_32_square_white_on_transparent(built: dict[str, bytes]) -> None:
    icon = Image.open(io.BytesIO(built["outline.png"]))
    assert icon.format == "PNG" and icon.size == (32, 32) and icon.mode == "RGBA"
    data = icon.tobytes()
    pixels = [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels)  # white, or nothing at all
    alphas = [a for *_, a in pixels]
    assert alphas.count(0) > len(alphas) // 2  # mostly transparent background
    assert max(alphas) == 255  # and an outline that is fully there
    assert all(icon.getpixel(corner)[3] == 0 for corner in ((0, 0), (31, 0), (0, 31), (31, 31)))  # type: ignore[index]


def test_the_same_details_make_the_same_bytes(tmp_path: Path) -> None:
    details = package.AppDetails(app_id=APP_ID, domain=DOMAIN, version="1.0.0")
    first = package.write_package(details, tmp_path / "a.zip").read_bytes()
    assert package.write_package(details, tmp_path / "b.zip").read_bytes() == first


def test_a_bad_app_id_is_refused_naming_the_problem(tmp_path: Path) -> None:
    done = convene(tmp_path, "teams-package", "--out", "x.zip", "--app-id", "convene-bot", "--domain", DOMAIN)
    assert done.returncode == 2
    assert "'convene-bot' is not a GUID" in done.stderr and "00000000-0000-0000-0000-000000000000" in done.stderr
    assert not (tmp_path / "x.zip").exists()


def test_the_app_id_comes_from_microsoft_app_id_when_not_given(tmp_path: Path) -> None:
    done = convene(tmp_path, "teams-package", "--domain", DOMAIN, env={"MICROSOFT_APP_ID": APP_ID})
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / package.DEFAULT_OUT) as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == APP_ID
    missing = convene(tmp_path, "teams-package", "--out", "y.zip", "--domain", DOMAIN)
    assert missing.returncode == 2 and "No Microsoft App ID" in missing.stderr and "MICROSOFT_APP_ID" in missing.stderr


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--domain", "https://convene.example.org/api/messages", "host name only"),
        ("--domain", "localhost", "is not a host name"),
        ("--version", "1.0", "is not MAJOR.MINOR.PATCH"),
        ("--name", "Convene for the whole consortium!", "at most 30"),
        ("--website", "convene.example.org", "is not an http(s):// address"),
    ],
)
def test_other_bad_details_are_refused_naming_them(tmp_path: Path, option: str, value: str, said: str) -> None:
    args = {"--app-id": APP_ID, "--domain": DOMAIN, option: value}
    done = convene(tmp_path, "teams-package", *[part for pair in args.items() for part in pair])
    assert done.returncode == 2 and said in done.stderr and done.stderr.startswith("convene: ")
    assert not (tmp_path / package.DEFAULT_OUT).exists()


def test_the_guide_takes_an_admin_from_azure_to_help() -> None:
    guide = (ROOT / "docs" / "teams.md").read_text()
    for needed in (
        "convene teams-package",
        "/api/messages",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
        "MICROSOFT_APP_TYPE",
        "CONVENE_TEAMS=dev",
        "SingleTenant",
        "Agents Playground",
        "Upload",
        "help",
    ):
        assert needed in guide, needed
