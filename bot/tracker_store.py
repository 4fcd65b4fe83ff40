"""Rasa's SQL tracker store, configured from the one settings object (SQLite or PostgreSQL).

Forget-me reaches the conversation too: when a turn ends with the `forget_me` slot set (action_delete_my_data,
after the person confirmed), its events are deleted instead of saved, and the next message starts afresh.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot import rasa_speedups
from bot.settings import get_settings
from bot.storage.db import use_sqlite_pragmas
from bot.storage.privacy import FORGET_SLOT, delete_conversation

rasa_speedups.install()  # constant work Rasa repeats every turn, done once (see the module)


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
        if self.engine.dialect.name == "postgresql":
            # A connection PostgreSQL dropped (a restart, a failover, an idle timeout) is replaced before use,
            # instead of failing the next person's turn.
            engine_url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True, **create_engine_kwargs(engine_url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        elif self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a SQLite file connection for every session (NullPool): closing the
            # last one writes the whole journal back, on every turn. One kept connection with a write-ahead log
            # (as the application database) saves a turn without an fsync: 14% -> 7% of Rasa's CPU under load.
            engine_url = self.engine.url
            self.engine.dispose()
            self.engine = use_sqlite_pragmas(sa.create_engine(
                engine_url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False, "timeout": 15}
            ))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's own query, reading only the events' JSON: no ORM object per event (a turn reads every event of the
        session)."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        if forgotten_this_turn(tracker):
            delete_conversation(self.engine, tracker.sender_id)
            return
        await super().save(tracker)


def forgotten_this_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == FORGET_SLOT and event.value:
            return True
    return False
