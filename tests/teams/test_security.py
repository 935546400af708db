"""With an app id, /api/messages takes only what the Bot Connector sends for this app (SPEC.md §6): a token
signed by a key the issuer publishes, from a trusted issuer, for this app, not expired, for this serviceUrl.
Everything else is refused with 401, before anything is read or done; what Convene sends carries its token."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build
from bot.settings import SettingsError
from storage.models import Member
from tests.teams.conftest import APP_ID, BEA, OUTBOUND_TOKEN, TENANT, Tenant, personal, settings_for


async def members(tenant: Tenant) -> int:
    async with tenant.parts.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Member)) or 0)


async def test_a_valid_token_is_accepted_and_what_convene_sends_carries_its_own(secured: Tenant) -> None:
    assert await secured.post(secured.message(BEA, "help")) == 202
    answers = secured.connector.to(personal(BEA))
    assert len(answers) == 1 and answers[0].authorization == f"Bearer {OUTBOUND_TOKEN}"


async def test_an_entra_token_for_the_apps_tenant_is_accepted(secured: Tenant) -> None:
    assert secured.openid is not None
    activity = secured.message(BEA, "help")
    token = secured.openid.token(audience=APP_ID, issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0")
    assert await secured.post(activity, token=token) == 202


def forged(tenant: Tenant, activity: dict[str, Any]) -> dict[str, str]:
    openid = tenant.openid
    assert openid is not None
    url = activity["serviceUrl"]
    return {
        "wrong issuer": openid.token(audience=APP_ID, service_url=url, issuer="https://login.example.org"),
        "another tenant's Entra": openid.token(
            audience=APP_ID, service_url=url, issuer="https://login.microsoftonline.com/someone-else/v2.0"
        ),
        "wrong audience": openid.token(audience="another-app", service_url=url),
        "expired": openid.token(audience=APP_ID, service_url=url, expires_in=-900),
        "unsigned": openid.unsigned(audience=APP_ID, service_url=url),
        "unknown key": openid.token(audience=APP_ID, service_url=url, key=openid.stranger),
        "unknown key id": openid.token(audience=APP_ID, service_url=url, kid="nobody-knows-this-key"),
        "another serviceUrl": openid.token(audience=APP_ID, service_url="https://attacker.example.org/"),
        "not a token": "not-a-jwt",
    }


async def test_forged_tokens_are_refused_with_401(secured: Tenant, caplog: pytest.LogCaptureFixture) -> None:
    activity = secured.message(BEA, "join wellbeing")
    for name, token in forged(secured, activity).items():
        assert await secured.post(activity, token=token) == 401, name
    for headers in ({"Authorization": ""}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        assert await secured.post(activity, headers=headers) == 401, headers
    assert secured.connector.calls == [] and await members(secured) == 0
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_request_without_any_token_is_refused(secured: Tenant) -> None:
    response = await secured.client.post("/api/messages", json=secured.message(BEA, "help"))
    assert response.status == 401


async def test_with_a_valid_token_a_malformed_body_is_a_400(secured: Tenant) -> None:
    assert secured.openid is not None
    headers = {"Authorization": "Bearer " + secured.openid.token(audience=APP_ID), "Content-Type": "application/json"}
    for body in ("{", "[]", json.dumps({"type": "message"}), json.dumps({"type": "message", "conversation": {}})):
        response = await secured.client.post("/api/messages", data=body, headers=headers)
        assert response.status in (400, 401), body  # 401 where the body names no serviceUrl the token's matches
        assert response.status < 500


async def test_the_issuers_keys_are_fetched_once(secured: Tenant) -> None:
    assert secured.openid is not None
    for _ in range(3):
        assert await secured.post(secured.message(BEA, "help")) == 202
    assert secured.openid.fetched == ["/v1/.well-known/openidconfiguration", "/v1/keys"]


async def test_development_mode_says_so_loudly(teams: Tenant, caplog: pytest.LogCaptureFixture) -> None:
    assert teams.parts.teams is not None and teams.parts.teams.development
    warned = [r for r in caplog.get_records("setup") if "WITHOUT AUTHENTICATION" in r.getMessage()]
    assert warned and warned[0].levelno == logging.WARNING
    assert await teams.post(teams.message(BEA, "help")) == 202  # no token asked for
    assert teams.connector.to(personal(BEA))[0].authorization is None  # none sent either


async def test_settings_that_cannot_work_stop_start_up(db_url: str) -> None:
    cases = [
        dict(microsoft_app_id=APP_ID, convene_teams="dev"),
        dict(convene_teams=None, microsoft_app_id=APP_ID, microsoft_app_tenant_id=TENANT),
        dict(convene_teams=None, microsoft_app_id=APP_ID, microsoft_app_password="s"),
    ]
    for values in cases:
        with pytest.raises(SettingsError):
            await build(settings_for(db_url, **values), {}, migrate=False)
    assert not settings_for(db_url, convene_teams=None).teams_enabled
    assert settings_for(db_url, convene_teams=None, microsoft_app_id=APP_ID).teams_enabled
