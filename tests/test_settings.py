"""Settings: names agreed with the docs, clear one-line errors, secrets kept out of logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DISCORD_TOKEN",
        "POLICYBOT_DATABASE_URL",
        "POLICYBOT_TIMEZONE",
        "POLICYBOT_LOG_LEVEL",
        "POLICYBOT_FEEDS_FILE",
        "POLICYBOT_ALLOW_PRIVATE_FEEDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env leaks in


def test_defaults_need_no_configuration() -> None:
    settings = Settings.load()
    assert settings.discord_token is None
    assert settings.database.drivername == "sqlite+aiosqlite"
    assert settings.database.database == "data/policybot.db"
    assert settings.feeds_file == Path("feeds.yaml")
    assert settings.timezone == "UTC"
    assert settings.allow_private_feeds is False


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    monkeypatch.setenv("POLICYBOT_DATABASE_URL", "postgresql://bot:pw@db.example:5432/policy")
    monkeypatch.setenv("POLICYBOT_FEEDS_FILE", "/etc/policybot/feeds.yaml")
    monkeypatch.setenv("POLICYBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("POLICYBOT_TIMEZONE", "Europe/Brussels")
    monkeypatch.setenv("POLICYBOT_ALLOW_PRIVATE_FEEDS", "true")
    settings = Settings.load()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "secret-token"
    assert settings.database.drivername == "postgresql+asyncpg"
    assert settings.database.password == "pw"
    assert settings.feeds_file == Path("/etc/policybot/feeds.yaml")
    assert settings.log_level == "DEBUG"
    assert str(settings.tz) == "Europe/Brussels"
    assert settings.allow_private_feeds is True


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("POLICYBOT_TIMEZONE=America/New_York\n")
    assert Settings.load().timezone == "America/New_York"


def test_blank_token_means_console_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert Settings.load().discord_token is None


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    monkeypatch.setenv("POLICYBOT_DATABASE_URL", "postgresql://bot:hunter2@db/policy")
    shown = repr(Settings.load()) + str(Settings.load())
    assert "secret-token" not in shown
    assert "hunter2" not in shown


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "POLICYBOT_TIMEZONE",
            "Mars/Olympus",
            "invalid setting POLICYBOT_TIMEZONE: unknown timezone 'Mars/Olympus'",
        ),
        (
            "POLICYBOT_LOG_LEVEL",
            "loud",
            "invalid setting POLICYBOT_LOG_LEVEL: unknown log level 'loud'",
        ),
        (
            "POLICYBOT_DATABASE_URL",
            "not a url",
            "invalid setting POLICYBOT_DATABASE_URL: not a database URL",
        ),
        (
            "POLICYBOT_DATABASE_URL",
            "mysql://x@y/z",
            "invalid setting POLICYBOT_DATABASE_URL: unsupported database",
        ),
        (
            "POLICYBOT_ALLOW_PRIVATE_FEEDS",
            "perhaps",
            "invalid setting POLICYBOT_ALLOW_PRIVATE_FEEDS:",
        ),
    ],
)
def test_invalid_settings_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
