"""Engine and session handling shared by actions, channels and the CLI."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, a write-ahead log and a busy timeout for concurrent writers."""
    if url.startswith("sqlite"):
        return use_sqlite_pragmas(create_engine(url, future=True, connect_args={"timeout": 15}))
    return create_engine(url, future=True, pool_pre_ping=True)


def use_sqlite_pragmas(engine: Engine) -> Engine:
    """Every new connection of this SQLite engine gets foreign keys and a write-ahead log."""

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead log: readers never wait for the writer, and a commit needs no fsync (synchronous=NORMAL
        # stays safe against a crashed or killed process; only a power cut may lose the last commits).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    factory = sessionmaker(engine, future=True, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_default_engine: Optional[Engine] = None


def default_engine() -> Engine:
    """The application database from settings, created once per process."""
    global _default_engine
    if _default_engine is None:
        from bot.settings import get_settings

        _default_engine = make_engine(get_settings().app_database_url)
    return _default_engine


_tracker_engine: Optional[Engine] = None


def tracker_engine() -> Engine:
    """Rasa's tracker store database (the application database unless TRACKER_STORE_URL says otherwise)."""
    global _tracker_engine
    from bot.settings import get_settings

    settings = get_settings()
    if settings.tracker_database_url == settings.app_database_url:
        return default_engine()
    if _tracker_engine is None:
        _tracker_engine = make_engine(settings.tracker_database_url)
    return _tracker_engine
