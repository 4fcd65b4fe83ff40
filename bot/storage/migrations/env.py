"""Alembic environment: the URL comes from settings unless a caller passes one (tests do)."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.settings import get_settings
from bot.storage.db import make_engine
from bot.storage.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)

url = config.attributes.get("url") or get_settings().app_database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # SQLite changes a column by copying the table and dropping the old one; with foreign keys on, that drop
            # would cascade and delete every row that points at it (subscriptions, enrolments, ...).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the implicit transaction, or the migration's own would never commit
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
