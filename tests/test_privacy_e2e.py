"""Forget-me end to end through the real Rasa and action server: after "/vergeet" and a yes, no row in any table
(ours or Rasa's tracker store) mentions the person, and nothing comes back by itself. SQLite here; the same
function runs on PostgreSQL in test_tracker_store_postgres.py."""
from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import inspect, text

from bot.content import message, privacy_notice
from bot.outbox import Outbox
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.models import WebInbox
from bot.storage.privacy import PrivacyStore
from tests.conftest import Servers, domain_response, new_sender, texts


def rows_about(engine: Any, conversation_id: str, user_id: int) -> Dict[str, List[Any]]:
    """Every row, in every table of this database, that names the person or points at their profile."""
    found: Dict[str, List[Any]] = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            columns = {column["name"] for column in inspect(engine).get_columns(table)}
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                mentions = conversation_id in repr(dict(row))
                linked = "user_id" in columns and row["user_id"] == user_id
                if mentions or linked or (table == "users" and row["id"] == user_id):
                    found.setdefault(table, []).append(dict(row))
    return found


def forget_me_leaves_nothing(servers: Servers, app_url: str, tracker_url: str) -> None:
    sender = new_sender("web")
    conversation = sender.split(":", 1)[1]
    chat = lambda said: servers.chat(sender, said, {"channel": "web", "language": "nl"})  # noqa: E731
    assert texts(chat("stuur me elke dag een oefening")) == privacy_notice("nl")
    assert texts(chat("/affirm")).startswith(message("ask_exercise_time", "nl"))
    assert texts(chat("20:15")) == message("subscribed", "nl", time="20:15", timezone="Europe/Amsterdam")
    assert texts(chat("geef me een oefening")).startswith("Een oefening voor jou")
    app, tracker = make_engine(app_url), make_engine(tracker_url)
    user_id = UserStore(app).get("web", conversation).id
    assert Outbox(app).plan() > 0, "daily exercises are planned for the person"
    with session_scope(app) as session:
        session.add(WebInbox(user_id=user_id, messages=[{"text": "je oefening van vandaag"}]))
    exported = chat("/export_my_data")
    token = exported[-1]["custom"]["download"]["token"]
    assert PrivacyStore(app, tracker).download(token) is not None
    assert set(rows_about(app, conversation, user_id)) >= {"users", "subscriptions", "exercise_log", "outbox", "web_inbox", "downloads"}

    assert texts(chat("/delete_my_data")) == domain_response("utter_confirm_delete")["text"]  # "/vergeet" in the channels
    assert texts(chat("/affirm")) == message("data_deleted", "nl")

    assert rows_about(app, conversation, user_id) == {}
    assert rows_about(tracker, conversation, user_id) == {}, "Rasa's tracker store keeps nothing of the conversation"
    assert PrivacyStore(app, tracker).download(token) is None

    again = chat("hoi, ik ben er weer")  # a new conversation, and no profile comes back by itself
    assert texts(again)
    chat("I feel lonely on Sundays")  # a language switch stores nothing either
    assert UserStore(app).get("web", conversation) is None
    app.dispose()
    tracker.dispose()


def test_forget_me_leaves_no_row_about_the_person(servers: Servers) -> None:
    forget_me_leaves_nothing(servers, servers.app_database_url, f"sqlite:///{servers.var_dir / 'tracker.db'}")


def test_saying_no_to_forget_me_keeps_everything(servers: Servers) -> None:
    sender = new_sender("web")
    chat = lambda said: servers.chat(sender, said, {"channel": "web", "language": "nl"})  # noqa: E731
    chat("ik voel me vaak alleen")
    chat("/delete_my_data")
    assert texts(chat("/deny")) == domain_response("utter_delete_cancelled")["text"]
    engine = make_engine(f"sqlite:///{servers.var_dir / 'tracker.db'}")
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    engine.dispose()
    assert kept > 5
