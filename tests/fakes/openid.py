"""A fake OpenID metadata endpoint on loopback, publishing a test RSA key as the Bot Framework publishes the keys
that sign its tokens, and the tokens it (or an impostor) would sign.

    issuer.metadata_url                   what TEAMS_OPENID_URL is set to
    issuer.token(audience=APP_ID)         a valid Bot Framework token for the app (RS256, signed by the test key)
    issuer.token(key=issuer.stranger)     the same, signed by a key the metadata does not publish
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes import serve_on_loopback

BOT_FRAMEWORK = "https://api.botframework.com"
KID = "convene-test-key"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeOpenId:
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    stranger: rsa.RSAPrivateKey = field(default_factory=_new_key)  # a key nobody publishes
    issuer: str = BOT_FRAMEWORK
    fetched: list[str] = field(default_factory=list)  # paths asked for, in order
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._keys)
        self._runner, self.port = await serve_on_loopback(app)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    def token(
        self,
        *,
        audience: str,
        issuer: str | None = None,
        service_url: str | None = None,
        expires_in: float = 3600,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": int(now + expires_in),
            **claims,
        }
        if service_url is not None:
            body["serviceurl"] = service_url
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid})

    @staticmethod
    def unsigned(*, audience: str, service_url: str | None = None) -> str:
        now = int(time.time())
        body = {"iss": BOT_FRAMEWORK, "aud": audience, "exp": now + 3600, "nbf": now - 10}
        if service_url is not None:
            body["serviceurl"] = service_url
        return jwt.encode(body, None, algorithm="none")  # type: ignore[arg-type]

    async def _metadata(self, request: web.Request) -> web.Response:
        self.fetched.append(request.path)
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self.base}/v1/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.fetched.append(request.path)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update(kid=KID, use="sig", alg="RS256", endorsements=["msteams", "emulator"])
        return web.json_response({"keys": [public]})


@pytest.fixture
async def openid() -> AsyncIterator[FakeOpenId]:
    fake = FakeOpenId()
    await fake.start()
    yield fake
    await fake.close()
