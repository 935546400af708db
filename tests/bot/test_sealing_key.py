"""The key that seals anonymous senders' addresses: from the settings, or made once beside the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.app import key_file, load_sealer
from bot.settings import Settings, SettingsError
from handlers.command.sealing import Address, SealBroken

ADDRESS = Address("slack", "T0LIBS", "U0BEA")


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_key_is_made_once_beside_a_sqlite_database_readable_by_this_user_only(tmp_path: Path) -> None:
    given = settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/convene.db")
    assert key_file(given) == tmp_path / "convene.db.key"
    sealed = load_sealer(given).seal(ADDRESS)
    made = tmp_path / "convene.db.key"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert load_sealer(given).open(sealed) == ADDRESS  # the next start reads the same key
    assert list(tmp_path.iterdir()) == [made]  # nothing else left behind


def test_a_key_from_the_settings_and_a_key_file_named_in_them(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    sealer = load_sealer(settings(convene_secret_key=key))
    assert Fernet(key.encode()).decrypt(sealer.seal(ADDRESS).encode())  # sealed with the key given
    named = tmp_path / "keys" / "convene.key"
    load_sealer(settings(convene_key_file=str(named), database_url="postgresql+asyncpg://h/db"))
    assert named.exists()
    assert key_file(settings(database_url="postgresql+asyncpg://h/db")) == Path("convene.key")


def test_a_key_that_is_not_a_key_stops_start_up_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CONVENE_SECRET_KEY does not hold a key"):
        load_sealer(settings(convene_secret_key="not a key"))
    bad = tmp_path / "bad.key"
    bad.write_text("short\n")
    with pytest.raises(SettingsError, match=r"bad\.key does not hold a key"):
        load_sealer(settings(convene_key_file=str(bad)))


def test_another_key_cannot_open_a_seal() -> None:
    sealed = load_sealer(settings(convene_secret_key=Fernet.generate_key().decode())).seal(ADDRESS)
    other = load_sealer(settings(convene_secret_key=Fernet.generate_key().decode()))
    with pytest.raises(SealBroken):
        other.open(sealed)
    assert sealed != load_sealer(settings(convene_secret_key=Fernet.generate_key().decode())).seal(ADDRESS)
