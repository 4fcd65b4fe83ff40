"""The constant work done once (bot/rasa_speedups.py) checks and resolves exactly as Rasa does, and the running bot
really uses our tracker store: a tracker store that fails to import makes Rasa fall back, silently, to one in memory."""
from __future__ import annotations

import uuid

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from sqlalchemy import create_engine, text

from bot import rasa_speedups, tracker_store  # loading the tracker store installs the speedups, as in the Rasa server
from tests.conftest import Servers

GOOD = {
    "events": [{"event": "slot", "name": "language", "value": "nl", "timestamp": None}],
    "responses": [{"text": "Hoi", "buttons": [{"title": "Ja", "payload": "/affirm"}]}],
}
BAD = [
    {"events": [{"name": "language", "value": "nl"}]},  # an event without its type
    {"events": [{"event": "slot", "name": 3}]},  # a slot name that is not text
    {"events": "slot"},
    {"responses": {"text": "not a list"}},
]


def action() -> RemoteAction:
    return RemoteAction("action_whatever", None)


def test_installed_when_the_tracker_store_is_loaded() -> None:
    assert tracker_store.rasa_speedups is rasa_speedups
    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result
    assert Event.resolve_by_type is rasa_speedups.resolve_by_type


def test_a_good_action_answer_passes() -> None:
    assert action()._validate_action_result(GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_a_bad_action_answer_is_refused_like_rasa_does(answer: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action()._validate_action_result(answer)
    with pytest.raises(ValidationError):  # Rasa's own check agrees
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())


def test_events_resolve_to_the_same_classes() -> None:
    for _ in range(2):  # first through Rasa's lookup, then from the table
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert "no_such_event" not in rasa_speedups._event_types


def test_the_running_bot_stores_conversations_in_its_database(servers: Servers) -> None:
    sender = f"stored-{uuid.uuid4().hex}"
    assert servers.chat(sender, "hoi")
    engine = create_engine(f"sqlite:///{servers.var_dir / 'tracker.db'}")
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :sender"), {"sender": sender}
        ).scalar_one()
        journal = connection.execute(text("PRAGMA journal_mode")).scalar_one()
    engine.dispose()
    assert count > 0
    assert journal == "wal"  # saving a turn needs no fsync (bot/tracker_store.py)
