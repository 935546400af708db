"""Who may post to /api/messages: with an app id, only the Bot Connector, proving it with a token that Microsoft
signed for this app (SPEC.md §6). Without one (CONVENE_TEAMS=dev) nothing is checked, for local tools only.

The Agents SDK's own check (`jwt_authorization_middleware`, `JwtTokenValidator`) reads its keys from
Microsoft's fixed addresses, which no test can stand in for, leaves the issuer unchecked unless told, and
answers a token without a key id with a 500. So the check is written here, with PyJWT's `PyJWKClient` (what the
SDK uses underneath), following the Bot Framework's rules for a request from the Bot Connector:

- a bearer token, signed RS256 by a key the issuer's OpenID metadata publishes (looked up by its key id);
- issued by the Bot Framework (`https://api.botframework.com`), or by Entra ID for the app's own tenant;
- for this app (`aud` is the app id), not expired (five minutes' clock skew allowed);
- its `serviceurl` claim, when it has one, is the activity's serviceUrl (replies go where Teams said).

What passes becomes the SDK's `ClaimsIdentity`, which its CloudAdapter uses to fetch the outbound token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from jwt import PyJWKClient

log = logging.getLogger("convene.teams")

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
ENTRA_METADATA = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
LEEWAY = 300.0  # seconds of clock skew the Bot Framework allows
METADATA_TTL = 24 * 3600.0  # the metadata names the key set; the key set itself is cached by PyJWKClient
KEYS_TTL = 24 * 3600.0
KEYS_COOLDOWN = 60.0  # an unknown key id refetches the key set at most once a minute


class Refused(Exception):
    """The request is not from the Bot Connector for this app: answered 401. The message is for the log."""


@dataclass
class _Source:
    metadata_url: str
    fetched_at: float = 0.0
    client: PyJWKClient | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class TokenValidator:
    """Checks the bearer token of a request to /api/messages (see the module's docstring)."""

    def __init__(
        self,
        app_id: str,
        tenant_id: str | None,
        session: aiohttp.ClientSession,
        *,
        metadata_url: str | None = None,
    ) -> None:
        self.app_id = app_id
        self.session = session
        bot_framework = _Source(metadata_url or BOT_FRAMEWORK_METADATA)
        self._by_issuer: dict[str, _Source] = {BOT_FRAMEWORK_ISSUER: bot_framework}
        if tenant_id:
            entra = bot_framework if metadata_url else _Source(ENTRA_METADATA.format(tenant=tenant_id))
            self._by_issuer[f"https://login.microsoftonline.com/{tenant_id}/v2.0"] = entra
            self._by_issuer[f"https://sts.windows.net/{tenant_id}/"] = entra

    async def claims(self, authorization: str | None, service_url: Any) -> dict[str, Any]:
        """The token's claims; Refused unless it is the Bot Connector's, for this app and this activity."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Refused("no bearer token")
        try:
            read = jwt.decode_complete(token, options={"verify_signature": False})  # the header and the claims
            header, unverified = read["header"], read["payload"]
        except jwt.PyJWTError as err:
            raise Refused(f"a token that is not a JWT ({type(err).__name__})") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Refused(f"a token not signed RS256 with a key id (alg {header.get('alg')!r})")
        issuer = unverified.get("iss")
        source = self._by_issuer.get(issuer) if isinstance(issuer, str) else None
        if source is None:
            raise Refused(f"a token from an issuer Convene does not trust ({str(issuer)[:80]!r})")
        key = await self._key(source, header["kid"])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as err:
            raise Refused(f"a token that does not hold ({type(err).__name__})") from None
        claimed = claims.get("serviceurl")
        if claimed is not None and _same_url(claimed, service_url) is False:
            raise Refused("a token for another serviceUrl than the activity's")
        return claims

    async def _key(self, source: _Source, kid: str) -> Any:
        client = await self._client(source)
        try:
            found = await asyncio.to_thread(client.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as err:
            raise Refused(f"the signing keys could not be fetched ({err})") from None
        except jwt.PyJWTError:
            raise Refused("a token signed by a key the issuer does not publish") from None
        return found.key

    async def _client(self, source: _Source) -> PyJWKClient:
        async with source.lock:
            if source.client is None or time.monotonic() - source.fetched_at > METADATA_TTL:
                try:
                    async with self.session.get(
                        source.metadata_url, timeout=aiohttp.ClientTimeout(total=10)
                    ) as response:
                        response.raise_for_status()
                        metadata = await response.json(content_type=None)
                    jwks_uri = str(metadata["jwks_uri"])
                except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as err:
                    if source.client is None:
                        raise Refused(f"the OpenID metadata could not be read ({type(err).__name__})") from None
                    log.warning("the OpenID metadata could not be read again; keeping the keys known: %s", err)
                    source.fetched_at = time.monotonic()
                    return source.client
                source.client = PyJWKClient(
                    jwks_uri, cache_jwk_set=True, lifespan=KEYS_TTL, timeout=10, cooldown_duration=KEYS_COOLDOWN
                )
                source.fetched_at = time.monotonic()
            return source.client


def _same_url(claimed: Any, given: Any) -> bool | None:
    """Whether two serviceUrls name the same service (scheme, host, port and path, a trailing / aside); None if
    the activity gives none."""
    if not isinstance(given, str):
        return None
    if not isinstance(claimed, str):
        return False
    return claimed.strip().rstrip("/").lower() == given.strip().rstrip("/").lower()
