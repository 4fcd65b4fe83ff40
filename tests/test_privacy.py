"""The privacy storage layer (bot/storage/privacy.py) on SQLite and PostgreSQL: retention deletes what is past its
time and nothing else; export and forget reach every table (Rasa's tracker store in the same database here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from bot.storage import UserStore, make_engine, session_scope
from bot.storage.exercises import ExerciseStore
from bot.storage.models import Base, Download, User
from bot.storage.privacy import EVENTS, PERSONAL_TABLES, PrivacyStore
from tests.conftest import ROOT, migrate

NOW = datetime.now(timezone.utc)  # downloads expire by the real clock


@pytest.fixture
def store(database_url: str) -> Iterator[PrivacyStore]:
    """Our tables and Rasa's `events` table in one database, as with DATABASE_URL on PostgreSQL."""
    engine = make_engine(database_url)
    EVENTS.metadata.create_all(engine)
    yield PrivacyStore(engine, engine)
    engine.dispose()


def person(store: PrivacyStore, user_id: str, agreed: datetime) -> int:
    users = UserStore(store.engine)
    users.record_consent("telegram", user_id)
    with session_scope(store.engine) as session:
        session.execute(User.__table__.update().where(User.channel_user_id == user_id).values(consent_at=agreed, created_at=agreed))
    return users.get("telegram", user_id).id


def wrote(store: PrivacyStore, user_id: str, when: datetime, text: str = "hoi") -> None:
    with store.tracker_engine.begin() as connection:
        connection.execute(EVENTS.insert().values(
            sender_id=f"telegram:{user_id}", type_name="user", timestamp=when.timestamp(),
            data=json.dumps({"event": "user", "text": text}),
        ))


def events_of(store: PrivacyStore, user_id: str) -> list:
    with store.tracker_engine.connect() as connection:
        rows = connection.execute(select(EVENTS.c.data).where(EVENTS.c.sender_id == f"telegram:{user_id}").order_by(EVENTS.c.id))
        return [json.loads(data)["text"] for (data,) in rows]


def test_retention_deletes_old_messages_and_people_who_left_and_keeps_the_rest(store: PrivacyStore) -> None:
    gone = person(store, "1", NOW - timedelta(days=500))
    ExerciseStore(store.engine).subscribe(gone, "09:00")
    wrote(store, "1", NOW - timedelta(days=400), "lang geleden")
    person(store, "2", NOW - timedelta(days=500))
    wrote(store, "2", NOW - timedelta(days=100), "oud")
    wrote(store, "2", NOW - timedelta(days=10), "recent")
    person(store, "3", NOW - timedelta(days=30))  # agreed a month ago, wrote nothing since
    wrote(store, "anonymous", NOW - timedelta(days=91), "zonder profiel")
    live = store.save_download("telegram:2", "a.json", "{}", minutes=60 * 24 * 365 * 10)
    expired = store.save_download("telegram:2", "b.json", "{}", minutes=-60 * 24)  # expired a day before NOW

    purged = store.purge(event_days=90, inactive_months=12, now=NOW)

    assert (purged.events, purged.people, purged.downloads) == (3, 1, 1)
    users = UserStore(store.engine)
    assert users.get("telegram", "1") is None and ExerciseStore(store.engine).subscription(gone) is None
    assert events_of(store, "1") == [] and events_of(store, "anonymous") == []
    assert events_of(store, "2") == ["recent"]
    assert users.get("telegram", "3") is not None
    seen = users.get("telegram", "2").last_seen_at
    assert abs((seen.replace(tzinfo=timezone.utc) if seen.tzinfo is None else seen) - (NOW - timedelta(days=10))) < timedelta(seconds=1)
    assert store.download(live) is not None and store.download(expired) is None
    with session_scope(store.engine) as session:
        assert session.execute(select(Download.token)).scalars().all() == [live]


def test_someone_who_keeps_writing_is_never_purged_even_after_their_old_messages_are(store: PrivacyStore) -> None:
    person(store, "4", NOW - timedelta(days=800))
    wrote(store, "4", NOW - timedelta(days=60))
    store.purge(event_days=90, inactive_months=12, now=NOW)  # notes day -60 as last seen
    later = NOW + timedelta(days=200)  # by then that message is past 90 days and gone...
    store.purge(event_days=90, inactive_months=12, now=later)
    assert events_of(store, "4") == []
    assert UserStore(store.engine).get("telegram", "4") is not None, "...but 260 days without a word is not 12 months"
    store.purge(event_days=90, inactive_months=12, now=NOW + timedelta(days=330))
    assert UserStore(store.engine).get("telegram", "4") is None


def test_export_covers_every_table_that_links_to_a_person(store: PrivacyStore) -> None:
    linked = {table.name for table in Base.metadata.sorted_tables if "user_id" in table.c}
    assert linked == {table.__tablename__ for table in PERSONAL_TABLES}
    user_id = person(store, "5", NOW)
    ExerciseStore(store.engine).save_checkin(user_id, 4, date(2026, 11, 29))
    wrote(store, "5", NOW, "hallo")
    record = store.export("telegram", "5")
    assert linked <= set(record) and record["checkins"][0]["score"] == 4
    assert record["conversation"][0]["text"] == "hallo"
    json.dumps(record)  # plain JSON values only


def test_forget_leaves_other_people_alone(store: PrivacyStore) -> None:
    person(store, "6", NOW)
    person(store, "7", NOW)
    wrote(store, "6", NOW, "zes")
    wrote(store, "7", NOW, "zeven")
    assert store.forget("telegram", "6") is True
    assert store.forget("telegram", "6") is False
    assert events_of(store, "6") == [] and events_of(store, "7") == ["zeven"]
    assert UserStore(store.engine).get("telegram", "7") is not None


def test_the_retention_command_runs_on_an_empty_installation(tmp_path: Path) -> None:
    migrate(f"sqlite:///{tmp_path / 'lichtpunt.db'}")  # Rasa has not made its tracker store yet
    env = {**os.environ, "LICHTPUNT_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "TRACKER_STORE_URL": ""}
    done = subprocess.run([sys.executable, "-m", "bot", "retention"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "deleted 0 old conversation events, 0 inactive people, 0 expired downloads" in done.stdout
