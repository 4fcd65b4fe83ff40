"""Rasa's SQL tracker store, configured from the one settings object (SQLite or PostgreSQL)."""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.settings import get_settings


class SettingsTrackerStore(SQLTrackerStore):
    def __init__(
        self, domain: Optional[Domain] = None, event_broker: Optional[EventBroker] = None, **kwargs: Any
    ) -> None:
        for ignored in ("host", "port", "db", "dialect", "username", "password", "url"):
            kwargs.pop(ignored, None)  # the database comes from settings, not from endpoints.yml
        url = make_url(get_settings().tracker_database_url)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            **kwargs,
        )
