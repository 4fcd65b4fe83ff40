"""The one storage layer: SQLAlchemy 1.4 with the 2.0-style API, SQLite or PostgreSQL."""
from bot.storage.db import make_engine, session_scope
from bot.storage.models import Base, User
from bot.storage.users import UserStore

__all__ = ["Base", "User", "UserStore", "make_engine", "session_scope"]
