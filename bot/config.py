"""Configuration from the environment and ``.env``, in one typed object.

Every variable is documented in ``.env.example``; nothing secret lives in the repository.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the bot keeps its state")
    knowledge_dir: Path | None = Field(
        default=None, description="Override the shipped knowledge files (for content editing)"
    )
    log_level: str = "INFO"

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_application_id: int | None = None
    discord_api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/v10 for a local fake
    discord_gateway_url: str | None = None  # e.g. ws://127.0.0.1:PORT/ for a local fake

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None  # Web API base, e.g. http://127.0.0.1:PORT/api/
    slack_manager_ids: str = ""  # comma-separated user ids allowed to manage any channel
    port: int = 3000

    # Trend sources (bot/trends). Base URLs are overridable so tests can use a local fake.
    pypistats_url: str = "https://pypistats.org/api"
    github_api_url: str = "https://api.github.com"
    stackexchange_api_url: str = "https://api.stackexchange.com/2.3"
    github_token: SecretStr | None = None  # optional: 5,000 instead of 60 requests/hour
    stackexchange_key: str | None = None  # optional: 10,000 instead of 300 requests/day
    trends_timeout: float = 10.0  # seconds per HTTP request
    trends_collect: bool = True  # collect trend data daily while running
    trends_collect_time: str = "05:30"  # UTC, after pypistats' daily refresh

    # Digests (bot/digests): how late a missed run (process down) may still be posted.
    digest_grace_minutes: int = 360

    def platforms(self) -> list[str]:
        """Platforms with credentials configured, in start-up order."""
        found = []
        if self.slack_bot_token:
            found.append("slack")
        if self.discord_token:
            found.append("discord")
        return found
