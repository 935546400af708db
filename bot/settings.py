"""Settings, read once from the environment and `.env`. The only module that reads the environment."""

from __future__ import annotations

import difflib
import os
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.db import DEFAULT_URL

# Variables in these families that Convene does not know are almost always typos: they stop start-up.
OUR_PREFIXES = ("CONVENE_", "SLACK_", "TEAMS_", "MICROSOFT_APP_")


class SettingsError(Exception):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="forbid", case_sensitive=False)

    database_url: str = DEFAULT_URL
    convene_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    convene_command: str = "/convene"
    convene_announce_channel: str | None = None
    convene_log_level: str = "INFO"
    convene_workspace_rate: float = Field(default=4.0, gt=0, le=100)  # outbox posts a second to one workspace
    convene_misfire_grace: int = Field(default=3600, ge=60)  # seconds a missed scheduled occurrence is still sent
    convene_pairing_window_weeks: int = Field(default=12, ge=1, le=52)  # no pair repeats within this many weeks
    convene_secret_key: SecretStr | None = None  # the key that seals anonymous senders' addresses (Fernet)
    convene_key_file: str | None = None  # where that key is kept when not given (default: beside the database)
    convene_public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")  # calendar links
    convene_console_files: str = "convene-files"  # where the console saves the files messages carry (charts)
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = "0.0.0.0"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Microsoft Teams (bot/teams): the Azure Bot's app registration. Without an app id, CONVENE_TEAMS=dev runs
    # Teams without authentication, for the Teams app test tool or the Bot Framework Emulator on this machine.
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: Literal["SingleTenant", "MultiTenant"] = "SingleTenant"
    convene_teams: Literal["dev"] | None = None
    # Where the keys that sign Bot Framework and Entra tokens are published (OpenID metadata); Microsoft's by
    # default. Tests point it at a fake.
    teams_openid_url: str | None = None

    @field_validator("convene_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> frozenset[str]:
        if isinstance(value, str):
            entries = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple, set, frozenset)):
            entries = [str(v).strip() for v in value]
        else:
            raise ValueError("give admins as platform:user_id, separated by commas")
        for entry in entries:
            parts = entry.split(":")
            if len(parts) not in (2, 3) or not all(parts):
                raise ValueError(
                    f"{entry!r} is not platform:workspace:user_id (for example slack:T0123ABCD:U0456EFGH), "
                    "or platform:user_id where Convene serves one workspace (slack:U0456EFGH, console:alice)"
                )
        return frozenset(entries)

    @field_validator("convene_command")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith("/") or " " in value:
            raise ValueError("the command must start with / and have no spaces, like /convene")
        return value

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None or self.slack_client_id is not None

    @property
    def teams_enabled(self) -> bool:
        """Teams is served with an app id (every request authenticated), or without one in development mode
        (CONVENE_TEAMS=dev: nothing authenticated, for local tools only)."""
        return self.microsoft_app_id is not None or self.convene_teams == "dev"


def _check_unknown(environ: dict[str, str]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in sorted(environ):
        upper = name.upper()
        if upper.startswith(OUR_PREFIXES) and upper not in known:
            guess = difflib.get_close_matches(upper, known, n=1)
            hint = f" Did you mean {guess[0]}?" if guess else ""
            raise SettingsError(f"Unknown setting {name}.{hint}")


def load(env_file: str | None = ".env") -> Settings:
    """The settings, or SettingsError naming the first unknown or invalid one."""
    _check_unknown(dict(os.environ))
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as err:
        problems = []
        for e in err.errors():
            name = str(e["loc"][0]).upper() if e["loc"] else "settings"
            problems.append(f"Unknown setting {name}" if e["type"] == "extra_forbidden" else f"{name}: {e['msg']}")
        raise SettingsError("Invalid settings: " + "; ".join(problems) + ".") from None
