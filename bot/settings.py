"""One typed settings object, read from the environment (and an optional ``.env``).

Built once in the composition root and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/policybot.db"

# Plain URLs are accepted and given the async driver this project ships with.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_SUPPORTED_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def async_database_url(value: str) -> URL:
    """A database URL as policybot connects to it (plain ``sqlite:``/``postgresql:`` get the
    async driver this project ships with); ``ValueError`` names what is wrong."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL (e.g. sqlite:///data/policybot.db)") from None
    url = url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))
    if url.drivername not in _SUPPORTED_DRIVERS:
        raise ValueError(f"unsupported database {url.drivername!r}; use sqlite or postgresql")
    return url


class Settings(BaseSettings):
    """Everything an operator can configure. Environment names are ``POLICYBOT_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="POLICYBOT_", env_file=".env", extra="ignore", frozen=True
    )

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "discord_token")
    )
    database_url: str = DEFAULT_DATABASE_URL
    # How long a write retries a database another program keeps locked, before giving up.
    database_busy_seconds: float = Field(default=30.0, gt=0, le=3600)
    feeds_file: Path = Path("feeds.yaml")
    # An operator's catalog additions (companies, laws, vocabulary); see the README.
    catalog_file: Path | None = None
    log_level: str = "INFO"
    timezone: str = "UTC"
    allow_private_feeds: bool = False
    # Feed polling (see "Polling behaviour" in the README).
    poll_interval_minutes: int = Field(default=60, ge=15, le=1440)
    poll_unconditional_interval_minutes: int = Field(default=360, ge=15, le=1440)
    poll_concurrency: int = Field(default=20, ge=1, le=200)
    poll_per_host: int = Field(default=2, ge=1, le=8)
    poll_tick_seconds: float = Field(default=60.0, gt=0)
    # Pollers sharing a PostgreSQL database lease the feeds they fetch for this long, renewed
    # while in flight; a poller that dies leaves its feeds to the others after it.
    poll_lease_seconds: float = Field(default=120.0, ge=3, le=3600)
    user_agent: str = "policybot/0.1 (+https://github.com/policybot/policybot; self-hosted)"
    fetch_timeout_seconds: float = Field(default=30.0, gt=0)
    fetch_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    parse_workers: int = Field(default=2, ge=1, le=16)
    parse_timeout_seconds: float = Field(default=20.0, gt=0)
    # Each parser process's address space, in MB: a document that needs more is refused.
    parse_memory_mb: int = Field(default=512, ge=192, le=65536)
    feeds_file_check_seconds: float = Field(default=10.0, gt=0)
    # One ingestion cycle's slice (run's and `poll --once`'s alike): analysis gets what
    # polling and indexing left of it (one batch at least), so a backlog (a cold archive, a
    # re-queue after a rules change) goes on over cycles, newest items first, feeds are still
    # polled on time and a cron poll ends within its interval.
    analysis_slice_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Stamped after every cycle; `policybot health` (a container's HEALTHCHECK) reads it.
    # Unset: next to the SQLite file, or data/heartbeat with PostgreSQL.
    heartbeat_file: Path | None = None
    # Discord: `policybot sync-commands` targets this server (instant updates) unless --global.
    dev_guild_id: int | None = Field(default=None, gt=0)
    max_feeds_per_guild: int = Field(default=50, ge=1, le=500)
    # Discord sharding (see "Scaling" in the README): this process connects the shards
    # SHARD_IDS (comma-separated, e.g. "0,1"; all of them when unset) out of SHARD_COUNT.
    shard_count: int | None = Field(default=None, ge=1, le=4096)
    shard_ids: str | None = None

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        return async_database_url(value).render_as_string(hide_password=False)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shard_id_list(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            ids = sorted({int(part) for part in value.split(",") if part.strip()})
        except ValueError:
            raise ValueError(f"not a comma-separated list of shard numbers: {value!r}") from None
        return ",".join(map(str, ids))

    @model_validator(mode="after")
    def _shard_ids_below_count(self) -> Settings:
        if self.shard_ids is not None and self.shard_count is None:
            raise ValueError("POLICYBOT_SHARD_IDS needs POLICYBOT_SHARD_COUNT")
        if self.shard_count is not None and self.shard_ids is not None:
            wrong = [i for i in map(int, self.shard_ids.split(",")) if i >= self.shard_count]
            if wrong:
                raise ValueError(
                    f"POLICYBOT_SHARD_IDS must be below POLICYBOT_SHARD_COUNT="
                    f"{self.shard_count}: {','.join(map(str, wrong))}"
                )
        return self

    @property
    def shard_id_list(self) -> tuple[int, ...] | None:
        """POLICYBOT_SHARD_IDS as numbers; None: every shard of POLICYBOT_SHARD_COUNT."""
        if self.shard_ids is None:
            return None
        return tuple(int(part) for part in self.shard_ids.split(","))

    @property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def heartbeat(self) -> Path:
        """Where cycles stamp their time: the setting, else beside the SQLite database."""
        if self.heartbeat_file is not None:
            return self.heartbeat_file
        url = self.database
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).with_name("policybot.heartbeat")
        return Path("data/heartbeat")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment; invalid values become one ``ConfigError`` line."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc)) from None

    def __repr_args__(self) -> Any:
        # SecretStr already hides the token; keep the password of a database URL out of logs too.
        for name, value in super().__repr_args__():
            if name == "database_url":
                value = make_url(str(value)).render_as_string(hide_password=True)
            yield name, value


def environment_name(field: str) -> str:
    """The variable an operator sets for ``field``: ``POLICYBOT_TIMEZONE``, ``DISCORD_TOKEN``."""
    return "DISCORD_TOKEN" if field == "discord_token" else f"POLICYBOT_{field.upper()}"


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """``POLICYBOT_*`` variables no setting reads (typos, mostly), each with the closest real
    name, if any: pydantic ignores them silently, so a mistyped setting would never apply."""
    known = {environment_name(name) for name in Settings.model_fields}
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith("POLICYBOT_")
        and name.upper() not in known
        and not name.upper().startswith("POLICYBOT_TEST_")  # the test suite's own variables
    )
    return [
        (name, next(iter(get_close_matches(name.upper(), known, n=1)), None)) for name in unknown
    ]


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if not error["loc"]:  # a check across settings names them in its message
        return f"invalid settings: {message}{more}"
    return f"invalid setting {environment_name(str(error['loc'][0]))}: {message}{more}"
