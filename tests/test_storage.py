"""The storage layer against real SQLite and real PostgreSQL (see the database_url fixture)."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.storage import User, UserStore, make_engine, session_scope
from bot.storage.models import Base


@pytest.fixture
def store(database_url: str) -> UserStore:
    engine = make_engine(database_url)
    yield UserStore(engine)
    engine.dispose()


def test_nothing_but_consent_creates_a_profile(store: UserStore) -> None:
    """After forget-me nothing comes back by itself: a language switch or being blocked touch only a profile."""
    store.set_language("telegram", "gone", "en")
    store.mark_inactive("telegram", "gone")
    assert store.reactivate("telegram", "gone") is False
    assert store.get("telegram", "gone") is None
    assert store.with_consent("telegram", "gone") is None
    store.record_consent("telegram", "gone", "en")
    assert store.with_consent("telegram", "gone").language == "en"


def test_consent_creates_one_profile(store: UserStore) -> None:
    created = store.record_consent("telegram", "42", "en")
    again = store.record_consent("telegram", "42", "nl")
    assert created.id == again.id
    assert again.language == "en"  # a second contact never overwrites what we know
    assert again.active is True
    assert again.created_at is not None


def test_same_id_on_two_channels_are_two_people(store: UserStore) -> None:
    assert store.record_consent("telegram", "7").id != store.record_consent("web", "7").id


def test_unknown_language_falls_back_to_dutch(store: UserStore) -> None:
    assert store.record_consent("web", "abc", "fr").language == "nl"
    with pytest.raises(ValueError):
        store.set_language("web", "abc", "fr")
    assert store.get("web", "abc").language == "nl"


def test_language_consent_and_inactive_are_stored(store: UserStore) -> None:
    store.record_consent("telegram", "1")
    store.set_language("telegram", "1", "en")
    store.mark_inactive("telegram", "1")
    user = store.get("telegram", "1")
    assert (user.language, user.active) == ("en", False)
    assert user.consent_at is not None
    exported = user.to_export()
    assert exported["language"] == "en" and exported["active"] is False and exported["consent_at"]


def test_delete_removes_only_that_person(store: UserStore) -> None:
    store.record_consent("web", "a")
    store.record_consent("web", "b")
    assert store.delete("web", "a") is True
    assert store.delete("web", "a") is False
    assert store.get("web", "a") is None
    assert store.get("web", "b") is not None


def test_concurrent_consents_make_one_row(store: UserStore) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(lambda _: store.record_consent("telegram", "race").id, range(8)))
    assert len(ids) == 1
    with session_scope(store.engine) as session:
        rows = session.execute(select(User).where(User.channel_user_id == "race")).scalars().all()
    assert len(rows) == 1


def test_failed_unit_of_work_rolls_back(store: UserStore) -> None:
    with pytest.raises(RuntimeError):
        with session_scope(store.engine) as session:
            session.add(User(channel="web", channel_user_id="ghost"))
            session.flush()
            raise RuntimeError("boom")
    assert store.get("web", "ghost") is None


def test_migrated_schema_matches_the_models_in_types_and_constraints(store: UserStore) -> None:
    """What Alembic's autogenerate would still want to change: nothing (columns, types, nullability, constraints)."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    unique = {tuple(c["column_names"]) for c in inspect(store.engine).get_unique_constraints("users")}
    assert ("channel", "channel_user_id") in unique


def test_one_person_per_channel_is_enforced_by_the_database(store: UserStore) -> None:
    store.record_consent("web", "twice")
    with pytest.raises(IntegrityError):
        with session_scope(store.engine) as session:
            session.add(User(channel="web", channel_user_id="twice", language="nl"))
