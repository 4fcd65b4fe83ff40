"""The one settings object: environment variables, optionally from a `.env` file.

Defaults run embedded (SQLite under `var/`); `DATABASE_URL` switches to PostgreSQL.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field, validator

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    var_dir: Path = Field(ROOT / "var", env="LICHTPUNT_VAR_DIR")
    database_url: Optional[str] = Field(None, env="DATABASE_URL")
    tracker_store_url: Optional[str] = Field(None, env="TRACKER_STORE_URL")

    rasa_url: str = Field("http://127.0.0.1:5005", env="RASA_URL")
    rasa_timeout: float = Field(30.0, env="RASA_TIMEOUT")
    web_host: str = Field("127.0.0.1", env="WEB_HOST")
    # The action server answers only Rasa: same token on both sides (endpoints.yml sends it with every call).
    action_server_token: Optional[str] = Field(None, env="ACTION_SERVER_TOKEN")
    action_server_host: str = Field("127.0.0.1", env="ACTION_SERVER_HOST")
    web_port: int = Field(8000, env="WEB_PORT")
    # /api/chat: messages per minute per conversation and per client IP (a token bucket: a minute's worth at once,
    # then refilled evenly); over it -> 429 with Retry-After. Crisis language is always answered.
    web_rate_per_conversation: float = Field(20.0, env="WEB_RATE_PER_CONVERSATION", gt=0)
    web_rate_per_ip: float = Field(120.0, env="WEB_RATE_PER_IP", gt=0)
    # Behind one reverse proxy: the client IP is the last X-Forwarded-For entry (else the header is ignored).
    web_trusted_proxy: bool = Field(False, env="WEB_TRUSTED_PROXY")
    # Rasa's HTTP API (127.0.0.1 only) for scheduled messages: `rasa run --enable-api --auth-token` with this token.
    rasa_api_token: Optional[str] = Field(None, env="RASA_API_TOKEN")

    # The scheduled sender (bot/outbox): messages per second over all channels (Telegram allows about 30/s per bot).
    dispatch_rate: float = Field(25.0, env="DISPATCH_RATE", gt=0)
    dispatch_batch: int = Field(20, env="DISPATCH_BATCH", gt=0)
    # A message a crashed dispatcher left half-sent is claimed again after this many seconds.
    dispatch_reclaim_after: float = Field(300.0, env="DISPATCH_RECLAIM_AFTER", ge=0)
    default_timezone: str = Field("Europe/Amsterdam", env="DEFAULT_TIMEZONE")
    # Course nudges never arrive in these hours (the participant's local time); one that would waits until the end.
    quiet_hours_start: str = Field("21:30", env="QUIET_HOURS_START", regex=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    quiet_hours_end: str = Field("08:30", env="QUIET_HOURS_END", regex=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Joining a group: this many wrong codes within an hour pause trying (no guessing of codes).
    join_tries_per_hour: int = Field(5, env="JOIN_TRIES_PER_HOUR", gt=0)
    # The organiser pages (/organiser on the web server) open only with this token; unset keeps them shut.
    organiser_token: Optional[str] = Field(None, env="ORGANISER_TOKEN")

    telegram_bot_token: Optional[str] = Field(None, env="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field("https://api.telegram.org/bot", env="TELEGRAM_BASE_URL")
    telegram_webhook_url: Optional[str] = Field(None, env="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: Optional[str] = Field(None, env="TELEGRAM_WEBHOOK_SECRET")
    telegram_webhook_port: int = Field(8443, env="TELEGRAM_WEBHOOK_PORT")

    default_language: str = Field("nl", env="DEFAULT_LANGUAGE")

    # Privacy (the notice people agree to quotes these): conversation messages are kept this many days, everything
    # about someone who has not written for this many months is deleted; a "my data" download link lives this long.
    retention_event_days: int = Field(90, env="RETENTION_EVENT_DAYS", gt=0)
    retention_inactive_months: int = Field(12, env="RETENTION_INACTIVE_MONTHS", gt=0)
    download_minutes: float = Field(15.0, env="DOWNLOAD_MINUTES", gt=0)

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @validator("default_language")
    def _known_language(cls, value: str) -> str:
        if value not in ("nl", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be 'nl' or 'en'")
        return value

    @validator("default_timezone")
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not a known time zone (e.g. Europe/Amsterdam)")
        return value

    @validator("database_url", "tracker_store_url")
    def _empty_is_unset(cls, value: Optional[str]) -> Optional[str]:
        return value or None

    @property
    def app_database_url(self) -> str:
        """Application database: `DATABASE_URL`, else SQLite in `var/`."""
        return normalise_db_url(self.database_url) or f"sqlite:///{self.var_dir / 'lichtpunt.db'}"

    @property
    def tracker_database_url(self) -> str:
        """Rasa's tracker store: its own URL, else the application database, else SQLite."""
        explicit = normalise_db_url(self.tracker_store_url or self.database_url)
        return explicit or f"sqlite:///{self.var_dir / 'tracker.db'}"


def normalise_db_url(url: Optional[str]) -> Optional[str]:
    """Accept the common `postgres://` spelling that SQLAlchemy 1.4 rejects."""
    if url and url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://"):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings
