"""The Slack app manifest asks for what Convene uses, and points Slack at the routes Convene serves."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.app import EVENTS_PATH, REDIRECT_PATH, SCOPES
from bot.slack.blocks import FORM_CALLBACK

ROOT = Path(__file__).resolve().parents[2]


def test_the_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())
    features, settings = manifest["features"], manifest["settings"]
    (command,) = features["slash_commands"]
    assert command["command"] == "/convene" and command["should_escape"] is True
    assert command["url"].endswith(EVENTS_PATH)
    assert settings["interactivity"]["is_enabled"] and settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert {"app_home_opened", "user_change", "team_join"} <= set(settings["event_subscriptions"]["bot_events"])
    assert features["app_home"]["home_tab_enabled"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)
    assert all(url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"])
    assert FORM_CALLBACK == "convene_form"


def test_the_guide_covers_both_ways_of_connecting() -> None:
    guide = (ROOT / "docs" / "slack.md").read_text()
    for needed in ("manifest.yaml", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "/convene help"):
        assert needed in guide
