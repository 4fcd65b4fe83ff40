"""Alembic migrations go up and down cleanly on SQLite and PostgreSQL; `make run` may migrate again any time.

Migrations: 0001 users, 0002 exercises / subscriptions / check-ins / outbox / web inbox / button payloads,
0003 course groups and enrolments, 0004 users.last_seen_at and downloads. Upgrades across them keep the rows that are there; downgrades drop only
what the later migration added.
"""
from alembic import command
from alembic.config import Config
from datetime import date

from sqlalchemy import inspect, text

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
    UserStore(engine).record_consent("web", "keep-me", "en")
    command.upgrade(alembic_config(database_url), "head")
    assert UserStore(engine).get("web", "keep-me").language == "en"
    engine.dispose()


def test_upgrading_across_migrations_keeps_rows_and_downgrading_drops_only_later_tables(database_url: str) -> None:
    config = alembic_config(database_url)
    engine = make_engine(database_url)
    command.downgrade(config, "0001_users")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == {"users"}
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (channel, channel_user_id, language) VALUES ('telegram', '5', 'en')"))
    command.upgrade(config, "0002_exercises")
    with engine.begin() as connection:
        user_id, language, active = connection.execute(
            text("SELECT id, language, active FROM users WHERE channel_user_id = '5'")
        ).one()
        assert language == "en" and bool(active) is True  # the server default filled the old row
        connection.execute(text("INSERT INTO subscriptions (user_id, local_time) VALUES (:u, '08:30')"), {"u": user_id})
    command.upgrade(config, "head")
    from bot.storage.course import CourseStore
    from bot.storage.exercises import ExerciseStore

    assert ExerciseStore(engine).subscription(user_id).timezone == "Europe/Amsterdam"
    assert UserStore(engine).get("telegram", "5").last_seen_at is None
    CourseStore(engine).add_group(title="Zwolle", start_date=date(2027, 2, 2))
    command.downgrade(config, "0003_course")
    assert "downloads" not in inspect(engine).get_table_names()
    assert "last_seen_at" not in {column["name"] for column in inspect(engine).get_columns("users")}
    command.downgrade(config, "0002_exercises")
    tables = set(inspect(engine).get_table_names())
    assert "course_groups" not in tables and "enrolments" not in tables
    assert ExerciseStore(engine).subscription(user_id).local_time == "08:30"
    command.upgrade(config, "head")
    assert CourseStore(engine).groups() == []
    assert UserStore(engine).get("telegram", "5").language == "en"
    engine.dispose()
