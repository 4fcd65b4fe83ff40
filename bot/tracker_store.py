"""Rasa's SQL tracker store, configured from the one settings object (SQLite or PostgreSQL), with its database work
off the event loop (a thread) and a turn's new events written in one insert.

Forget-me reaches the conversation too: when a turn ends with the `forget_me` slot set (action_delete_my_data,
after the person confirmed), its events are deleted instead of saved, and the next message starts afresh.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
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

    # Rasa's SQL tracker store talks to the database synchronously inside its async methods: a Sanic worker waiting
    # for PostgreSQL could serve nobody else meanwhile. Here the database work runs in a thread, so other
    # conversations' turns go on while one waits (one conversation's turns are still one at a time: Rasa's lock).

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        events = await asyncio.to_thread(self._read_events, sender_id, fetch_events_from_all_sessions)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _read_events(self, sender_id: str, fetch_events_from_all_sessions: bool) -> List[Dict[str, Any]]:
        """Rasa's own query, reading only the events' JSON: no ORM object per event (a turn reads every event of the
        session)."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            return [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]

    async def save(self, tracker: DialogueStateTracker) -> None:
        if forgotten_this_turn(tracker):
            await asyncio.to_thread(delete_conversation, self.engine, tracker.sender_id)
            return
        await self.stream_events(tracker)
        await asyncio.to_thread(self._write_new_events, tracker)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the events after those stored in this session), as one multi-row insert."""
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()

    @staticmethod
    def _row(sender_id: str, event: Event) -> Dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def forgotten_this_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == FORGET_SLOT and event.value:
            return True
    return False
