"""Sealed addresses: how Convene keeps a way to reach someone without keeping who they are (SPEC.md §2, §6).

An anonymous suggestion stores no sender, only its sender's address (platform, workspace, user id) sealed with
the server's key (`cryptography`'s Fernet: AES in CBC mode with an HMAC, and a fresh random IV each time, so
two seals of one address look nothing alike). Only the outbox's messenger opens a seal, to deliver a reply;
the database, its dumps and every view hold the sealed token alone. The key comes from the settings, or from a
file the runtime keeps beside the database (`bot.app`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass(frozen=True)
class Address:
    platform: str
    workspace: str
    user_id: str


class SealBroken(Exception):
    """A sealed token that this key cannot open (another server's key, or a changed token)."""


class Sealer:
    def __init__(self, key: bytes | str) -> None:
        """`key`: a Fernet key (32 url-safe base64-encoded bytes). Raises ValueError if it is not one."""
        self._fernet = Fernet(key)
        # a key of its own for pseudonyms, derived from the server's key (HKDF, RFC 5869), so that neither
        # use of the key can weaken the other
        self._pseudonyms = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"convene pseudonyms").derive(
            base64.urlsafe_b64decode(key)
        )

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def seal(self, address: Address) -> str:
        """The address as a token only this key opens (about 150 characters)."""
        plain = json.dumps([address.platform, address.workspace, address.user_id]).encode()
        return self._fernet.encrypt(plain).decode("ascii")

    def open(self, token: str) -> Address:
        """The address a token seals; SealBroken if this key did not seal it."""
        try:
            platform, workspace, user_id = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, UnicodeError) as err:
            raise SealBroken("a sealed address this key cannot open") from err
        return Address(str(platform), str(workspace), str(user_id))

    def pseudonym(self, *parts: str | int) -> str:
        """A stable stand-in for the parts (an anonymous vote's member and poll): HMAC-SHA256 under a key derived
        from the server's, as 64 hex digits. The same parts give the same pseudonym; without the key, no one can
        tell whose it is, even by trying every member."""
        message = "\x1f".join(str(p) for p in parts).encode()
        return hmac.new(self._pseudonyms, message, hashlib.sha256).hexdigest()
