"""Enrolment end to end through Rasa's REST channel and the real action server: the row is checked in the
database (SQLite here; PostgreSQL in test_tracker_store_postgres.py, with the same conversation)."""
from __future__ import annotations

from datetime import date

from bot.content import course, message, retention
from bot.storage import UserStore, make_engine
from bot.storage.course import CourseStore
from tests.conftest import Servers, new_sender, texts


def enrol_through_rest(servers: Servers, database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = CourseStore(engine).add_group(title="Zwolle dinsdag", place="Zwolle, De Kroon", region="80",
                                             start_date=date(2027, 2, 2), price="€ 95", capacity=10)
    sender = new_sender("web")
    chat = lambda text: servers.chat(sender, text, {"channel": "web", "language": "nl"})  # noqa: E731
    assert texts(chat("ik wil me aanmelden voor de cursus")) == message("ask_enrol_consent", "nl", **retention())
    assert texts(chat("/affirm")) == message("ask_first_name", "nl")
    assert texts(chat("Sanne")) == message("ask_contact", "nl")
    assert texts(chat("sanne@example")) == message("invalid_email_domain", "nl") + "\n" + message("ask_contact", "nl")
    asked = chat("Sanne@Example.nl")
    assert texts(asked) == message("ask_course_group", "nl")
    assert f'/inform{{"course_group": "{group_id}"}}' in [b["payload"] for b in asked[0]["buttons"]]
    detour = chat("wat kost het eigenlijk?")
    assert "€ 95" in texts(detour) and texts(detour).endswith(message("ask_course_group", "nl"))
    assert texts(chat(f'/inform{{"course_group": "{group_id}"}}')) == message("ask_age_ok", "nl")
    assert texts(chat("ja")) == message("ask_enrol_note", "nl")
    summary = texts(chat("ik kan alleen op dinsdagavond"))
    assert summary.startswith("Klopt dit?") and "sanne@example.nl" in summary and "dinsdagavond" in summary
    assert texts(chat("/affirm")) == message("enrolled", "nl", first_name="Sanne", contact="sanne@example.nl")
    user = UserStore(engine).get("web", sender.split(":", 1)[1])
    [row] = [row for row in CourseStore(engine).enrolments() if row.user_id == user.id]
    assert (row.group_id, row.first_name, row.contact, row.note, row.status, row.channel) == (
        group_id, "Sanne", "sanne@example.nl", "ik kan alleen op dinsdagavond", "new", "web")
    assert user.consent_at is not None
    engine.dispose()


def test_enrolment_through_rest_is_stored(servers: Servers) -> None:
    enrol_through_rest(servers, servers.app_database_url)


def test_leaving_the_form_stores_nothing(servers: Servers) -> None:
    sender = new_sender("web")
    chat = lambda text: servers.chat(sender, text, {"channel": "web", "language": "nl"})  # noqa: E731
    chat("ik wil me aanmelden voor de cursus")
    chat("/affirm")
    assert texts(chat("laat maar, toch niet")) == message("enrol_left", "nl")
    assert texts(chat("Sanne")) != message("ask_contact", "nl"), "the form is gone"
    engine = make_engine(servers.app_database_url)
    user = UserStore(engine).get("web", sender.split(":", 1)[1])
    assert user is None or CourseStore(engine).enrolment_of(user.id) is None
    engine.dispose()


def test_the_answer_to_the_question_asked_not_the_whole_block(servers: Servers) -> None:
    sender = new_sender("web")
    info = servers.chat(sender, "wat is creatief leven eigenlijk?", {"channel": "web", "language": "nl"})
    assert texts(info) == course()["intro"]["nl"]
    therapy = servers.chat(sender, "is het een soort therapie?", {"channel": "web", "language": "nl"})
    assert texts(therapy) == course()["therapy"]["nl"]
