"""Custom actions, run the way the action server runs them: Tracker.from_dict + CollectingDispatcher."""
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.exercises import ActionGiveExercise
from actions.privacy import ActionDeleteMyData, ActionExportMyData
from actions.session import ActionDetectLanguage
from bot import content
from bot.storage import UserStore, make_engine
from bot.storage.privacy import EVENTS, FORGET_SLOT
from tests.conftest import migrate


def tracker(
    text: str = "",
    intent: str = "greet",
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "web:abc",
    metadata: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": slots or {},
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_input_channel": "rest",
        }
    )


async def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    monkeypatch.setattr(common, "default_engine", lambda: engine)
    monkeypatch.setattr(common, "tracker_engine", lambda: conversations)
    conversations = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    EVENTS.metadata.create_all(conversations)  # Rasa's events table, as its tracker store makes it
    return UserStore(engine)


def said(sender_id: str, *texts: str) -> None:
    """Rasa's tracker store holding these messages of `sender_id` (alternately the person and the bot)."""
    engine = common.tracker_engine()
    with engine.begin() as connection:
        for n, text in enumerate(texts):
            kind = "user" if n % 2 == 0 else "bot"
            connection.execute(EVENTS.insert().values(
                sender_id=sender_id, type_name=kind, timestamp=time.time() - 60 + n, data=json.dumps({"event": kind, "text": text})
            ))


def conversation_rows(sender_id: str) -> int:
    with common.tracker_engine().connect() as connection:
        return len(connection.execute(EVENTS.select().where(EVENTS.c.sender_id == sender_id)).fetchall())


# ---- language: the custom slot mapping run after every user message ----

async def test_english_text_switches_to_english_and_a_profile_remembers_it(store: UserStore) -> None:
    _, events = await run(ActionDetectLanguage(), tracker("I feel so lonely", "express_loneliness", {"language": "nl"}))
    assert slot_events(events) == {"language": "en"}
    assert store.get("web", "abc") is None, "no profile without consent, not even for the language"
    store.record_consent("web", "abc", "nl")
    await run(ActionDetectLanguage(), tracker("I feel so lonely", "express_loneliness", {"language": "nl"}))
    assert store.get("web", "abc").language == "en"


async def test_unclear_text_keeps_the_language() -> None:
    _, events = await run(ActionDetectLanguage(), tracker("ok", "affirm", {"language": "en"}))
    assert events == []


async def test_switch_request_toggles_or_names_the_language(store: UserStore) -> None:
    _, events = await run(ActionDetectLanguage(), tracker("/taal", "switch_language", {"language": "nl"}))
    assert slot_events(events)["language"] == "en"
    _, events = await run(ActionDetectLanguage(), tracker("kunnen we Engels praten", "switch_language", {"language": "nl"}))
    assert slot_events(events)["language"] == "en"
    entity = [{"entity": "language", "value": "nl"}]
    _, events = await run(ActionDetectLanguage(), tracker("", "switch_language", {"language": "en"}, entities=entity))
    assert slot_events(events)["language"] == "nl"


async def test_channel_language_is_used_when_nothing_is_known_and_nothing_is_stored(store: UserStore) -> None:
    _, events = await run(ActionDetectLanguage(), tracker("👋", "greet", {}, metadata={"language": "en-US"}))
    assert slot_events(events)["language"] == "en"
    assert store.get("web", "abc") is None, "a channel's guess is not stored as the person's choice"


async def test_a_new_session_takes_the_language_the_person_chose_before(store: UserStore) -> None:
    store.record_consent("telegram", "99", "en")
    start = tracker("👋", "greet", {}, sender_id="telegram:99", metadata={"language": "nl"})
    _, events = await run(ActionDetectLanguage(), start)
    assert slot_events(events)["language"] == "en"


async def test_language_survives_a_broken_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # never migrated
    monkeypatch.setattr(common, "default_engine", lambda: engine)
    _, events = await run(ActionDetectLanguage(), tracker("👋", "greet", {}))
    assert slot_events(events)["language"] == "nl"
    _, events = await run(ActionDetectLanguage(), tracker("I feel so lonely", "express_loneliness", {"language": "nl"}))
    assert slot_events(events)["language"] == "en"


# ---- exercises and course ----

async def test_exercise_in_the_users_language_never_twice_in_a_row() -> None:
    first = content.exercises()[0]
    messages, events = await run(ActionGiveExercise(), tracker(slots={"language": "en", "last_exercise": first["key"]}))
    chosen = slot_events(events)["last_exercise"]
    assert chosen != first["key"]
    item = next(e for e in content.exercises() if e["key"] == chosen)
    assert item["title"]["en"] in messages[0]["text"]
    assert messages[0]["text"].startswith("An exercise for you")


# ---- privacy ----

def download(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The file the export offers, read back by its token the way the channels do."""
    offered = messages[-1]["custom"]["download"]
    found = common.privacy_store().download(offered["token"])
    assert found is not None and found[0] == offered["filename"]
    return json.loads(found[1])


async def test_export_shows_what_is_stored_in_words_and_as_a_file(store: UserStore) -> None:
    store.record_consent("web", "abc", "en")
    said("web:abc", "hello", "Hi! How are you?")
    messages, _ = await run(ActionExportMyData(), tracker(slots={"language": "en"}))
    text = messages[0]["text"]
    assert "• channel: web" in text and "• language: en" in text and "• active: yes" in text
    assert "True" not in text and "T" not in text.split("consent: ")[1].split("\n")[0]  # words, not ISO stamps
    assert "• messages in our conversation: 2" in text
    record = download(messages)
    assert record["profile"]["channel_user_id"] == "abc" and record["profile"]["consent_at"]
    assert [m["text"] for m in record["conversation"]] == ["hello", "Hi! How are you?"]
    assert [m["from"] for m in record["conversation"]] == ["you", "lichtpunt"]


async def test_a_download_link_expires(store: UserStore) -> None:
    from datetime import timedelta

    from bot.storage.models import utcnow

    messages, _ = await run(ActionExportMyData(), tracker(slots={"language": "nl"}))
    token = messages[-1]["custom"]["download"]["token"]
    from bot.settings import get_settings

    minutes = get_settings().download_minutes
    assert common.privacy_store().download(token, now=utcnow() + timedelta(minutes=minutes - 1)) is not None
    assert common.privacy_store().download(token, now=utcnow() + timedelta(minutes=minutes + 1)) is None
    assert common.privacy_store().download("not-a-token") is None


async def test_export_and_delete_cover_exercises_check_ins_and_the_enrolment(store: UserStore) -> None:
    from datetime import date

    from bot.storage.course import CourseStore
    from bot.storage.exercises import ExerciseStore
    from bot.storage.models import Base

    user_id = store.record_consent("web", "abc", "nl").id
    exercises, course = ExerciseStore(store.engine), CourseStore(store.engine)
    exercises.log_given(user_id, "three_good_things")
    exercises.mark_done(user_id)
    exercises.subscribe(user_id, "08:30")
    exercises.save_checkin(user_id, 6, date(2026, 11, 29))
    course.enrol(user_id, "Sanne", "sanne@example.nl", "web", region="80")
    said("web:abc", "ik wil me aanmelden")
    messages, _ = await run(ActionExportMyData(), tracker(slots={"language": "nl"}))
    text = messages[0]["text"]
    assert "gekregen: 1, gedaan: 1" in text and "08:30 (Europe/Amsterdam)" in text
    assert "2026-W48: 6" in text and "Sanne, sanne@example.nl, new" in text
    record = download(messages)
    personal = {
        table.name for table in Base.metadata.sorted_tables if "user_id" in table.c
    }
    assert personal <= set(record), "every table that links to a person is in the file"
    assert record["checkins"][0]["score"] == 6 and record["enrolments"][0]["first_name"] == "Sanne"
    _, events = await run(ActionDeleteMyData(), tracker(slots={"language": "nl"}))
    assert slot_events(events)[FORGET_SLOT] is True  # the tracker store deletes this turn instead of saving it
    with store.engine.connect() as connection:
        left = {table.name: connection.execute(table.select()).fetchall() for table in Base.metadata.sorted_tables}
    assert {name: rows for name, rows in left.items() if rows} == {}, "every table with personal data is emptied"
    assert conversation_rows("web:abc") == 0, "and the conversation itself"


async def test_export_without_a_profile(store: UserStore) -> None:
    said("web:nobody", "hoi", "Hoi!", "gaat wel")
    messages, _ = await run(ActionExportMyData(), tracker(sender_id="web:nobody", slots={"language": "nl"}))
    assert messages[0]["text"] == content.message("export_no_profile", "nl", messages=3)
    assert download(messages)["profile"] is None
    assert store.get("web", "nobody") is None, "looking never creates a profile"


async def test_delete_removes_the_profile_and_resets(store: UserStore) -> None:
    store.record_consent("web", "abc", "en")
    store.record_consent("web", "other", "nl")
    said("web:abc", "mine")
    said("web:other", "theirs")
    messages, events = await run(ActionDeleteMyData(), tracker(slots={"language": "en"}))
    assert store.get("web", "abc") is None
    assert store.get("web", "other") is not None
    assert (conversation_rows("web:abc"), conversation_rows("web:other")) == (0, 1)
    assert messages[0]["text"] == content.message("data_deleted", "en")
    assert events[0]["event"] == "reset_slots"
    assert slot_events(events)["language"] == "en"


def test_the_sender_id_prefix_names_the_channel_before_metadata_does() -> None:
    assert common.identify(tracker(sender_id="web:x1", metadata={"channel": "telegram"})) == ("web", "x1")
    assert common.identify(tracker(sender_id="abc", metadata={"channel": "telegram"})) == ("telegram", "abc")
    assert common.identify(tracker(sender_id="abc")) == ("rest", "abc")


async def test_a_scheduled_turn_never_changes_the_language(store: UserStore) -> None:
    """The scheduled sender's turn reads "EXTERNAL: request_exercise": English words, but not the person's."""
    store.record_consent("telegram", "99", "nl")
    scheduled = tracker("EXTERNAL: request_exercise", "request_exercise", {"language": "nl"}, sender_id="telegram:99",
                        metadata={"is_external": True})
    _, events = await run(ActionDetectLanguage(), scheduled)
    assert events == []
    assert store.get("telegram", "99").language == "nl"
