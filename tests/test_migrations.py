"""Alembic migrations go up and down cleanly on SQLite and PostgreSQL; `make run` may migrate again any time.

There is one migration so far: a test that upgrades across migrations with data in the tables comes with the
second one (the exercises and course issues add tables).
"""
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from bot.storage import UserStore, make_engine
from tests.conftest import ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def test_down_to_base_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    assert "users" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(database_url), "base")
    assert "users" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(database_url), "head")
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrating_again_at_head_changes_nothing_and_keeps_rows(database_url: str) -> None:
    """Every `make run` and `make test` runs `alembic upgrade head`: a second run must be harmless."""
    engine = make_engine(database_url)
    UserStore(engine).ensure("web", "keep-me", "en")
    command.upgrade(alembic_config(database_url), "head")
    assert UserStore(engine).get("web", "keep-me").language == "en"
    engine.dispose()
