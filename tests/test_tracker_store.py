"""Our tracker store reads and writes a conversation exactly as Rasa's SQLTrackerStore does (bot/tracker_store.py reads
only the events' JSON, without an ORM object per event, and writes a turn's events in one insert, off the event
loop), on SQLite and on PostgreSQL."""
import asyncio
from typing import Iterator

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import get_settings
from tests.conftest import ROOT, fresh_postgres_database


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, domain: Domain, tmp_path, monkeypatch) -> Iterator:
    from bot.tracker_store import SettingsTrackerStore

    monkeypatch.setenv("LICHTPUNT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKER_STORE_URL", "")
    if request.param == "sqlite":
        monkeypatch.setenv("DATABASE_URL", "")
        get_settings.cache_clear()
        yield SettingsTrackerStore(domain=domain)
    else:
        with fresh_postgres_database(migrated=False) as url:
            monkeypatch.setenv("DATABASE_URL", url)
            get_settings.cache_clear()
            created = SettingsTrackerStore(domain=domain)
            yield created
            created.engine.dispose()
    get_settings.cache_clear()


def two_sessions(domain: Domain) -> DialogueStateTracker:
    events = []
    for session in range(2):
        events += [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        for turn in range(3):
            text = f"sessie {session}, bericht {turn}"
            events += [UserUttered(text, {"name": "greet", "confidence": 0.9}), SlotSet("language", "nl"),
                       ActionExecuted("utter_greet"), BotUttered(f"hoi {turn}"), ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events("lf-tracker-read", events, domain.slots)


def test_a_conversation_reads_back_as_rasa_reads_it(store, domain: Domain) -> None:
    async def run() -> None:
        await store.save(two_sessions(domain))
        for all_sessions in (False, True):
            ours = await store._retrieve("lf-tracker-read", all_sessions)
            rasas = await SQLTrackerStore._retrieve(store, "lf-tracker-read", all_sessions)
            assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasas.events]
        latest = await store.retrieve("lf-tracker-read")
        assert [e.text for e in latest.events if isinstance(e, UserUttered)] == [f"sessie 1, bericht {t}" for t in range(3)]
        full = await store.retrieve_full_tracker("lf-tracker-read")
        assert len([e for e in full.events if isinstance(e, UserUttered)]) == 6
        assert await store.retrieve("lf-nobody") is None

    asyncio.run(run())


def test_a_turn_is_written_as_rasa_writes_it(store, domain: Domain) -> None:
    """Same rows (columns and JSON) as Rasa's own save, turn by turn, for a conversation over two sessions."""
    conversation = two_sessions(domain)
    columns = ("type_name", "intent_name", "action_name", "data")

    def rows(sender_id: str) -> list:
        with store.session_scope() as session:
            found = session.query(*(getattr(store.SQLEvent, c) for c in columns)).filter(
                store.SQLEvent.sender_id == sender_id).order_by(store.SQLEvent.id)
            return [tuple(row) for row in found]

    async def run() -> None:
        events = list(conversation.events)
        for end in (3, 8, 13, len(events)):  # saved after each of these many events, as turns would be
            for sender, save in (("lf-ours", store.save), ("lf-rasa", lambda t: SQLTrackerStore.save(store, t))):
                await save(DialogueStateTracker.from_events(sender, events[:end], domain.slots))
        assert rows("lf-ours") == rows("lf-rasa") != []

    asyncio.run(run())
