from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "TRACKER_STORE_URL", "LICHTPUNT_VAR_DIR", "DEFAULT_LANGUAGE", "RASA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository


def test_defaults_run_embedded_on_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    assert settings.app_database_url == f"sqlite:///{tmp_path / 'var' / 'lichtpunt.db'}"
    assert settings.tracker_database_url == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    assert settings.default_language == "nl"
    assert settings.telegram_bot_token is None


def test_database_url_switches_both_stores_to_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://bot@db.example:5432/lichtpunt")
    settings = Settings()
    assert settings.app_database_url == "postgresql://bot@db.example:5432/lichtpunt"
    assert settings.tracker_database_url == "postgresql://bot@db.example:5432/lichtpunt"


def test_tracker_store_can_have_its_own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@127.0.0.1/app")
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://bot@127.0.0.1/tracker")
    settings = Settings()
    assert settings.app_database_url.endswith("/app")
    assert settings.tracker_database_url.endswith("/tracker")


def test_empty_database_url_means_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    assert Settings(var_dir=tmp_path).app_database_url.startswith("sqlite:///")


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RASA_URL=http://127.0.0.1:6005\nDEFAULT_LANGUAGE=en\n")
    settings = Settings()
    assert settings.rasa_url == "http://127.0.0.1:6005"
    assert settings.default_language == "en"


def test_unknown_default_language_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    with pytest.raises(ValidationError, match="DEFAULT_LANGUAGE"):
        Settings()
