"""Rasa's tracker store on PostgreSQL (bot/tracker_store.py): a real conversation's events land there, in order."""
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Servers, domain_response, fresh_postgres_database, new_sender, start_servers


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    with fresh_postgres_database() as url:
        running = start_servers(tmp_path_factory.mktemp("var-postgres"), database_url=url)
        try:
            yield running, url
        finally:
            running.stop()


def test_a_conversation_is_stored_in_postgresql(on_postgres: tuple) -> None:
    servers, url = on_postgres
    servers: Servers
    sender = new_sender()
    first = servers.chat(sender, "ik voel me eenzaam")
    assert first[0]["text"] == domain_response("utter_acknowledge_loneliness")["text"]
    second = servers.chat(sender, "/answer_both")
    assert second[0]["text"] == domain_response("utter_lonely_both")["text"]

    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type_name, intent_name, action_name FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        ).all()
        profile = connection.execute(
            text("SELECT channel, language FROM users WHERE channel_user_id = :id"), {"id": sender.split(":", 1)[1]}
        ).one_or_none()
    engine.dispose()
    said = [intent for kind, intent, _ in rows if kind == "user"]
    done = [action for kind, _, action in rows if kind == "action"]
    assert said == ["express_loneliness", "answer_both"]
    assert done.index("utter_acknowledge_loneliness") < done.index("utter_ask_loneliness_kind") < done.index("utter_lonely_both")
    assert profile is None, "talking creates no profile (only a yes to the privacy notice does)"


def test_an_enrolment_through_rest_is_stored_in_postgresql(on_postgres: tuple) -> None:
    from tests.test_enrolment_e2e import enrol_through_rest

    servers, url = on_postgres
    enrol_through_rest(servers, url)


def test_forget_me_leaves_no_row_about_the_person_in_postgresql(on_postgres: tuple) -> None:
    from tests.test_privacy_e2e import forget_me_leaves_nothing

    servers, url = on_postgres
    forget_me_leaves_nothing(servers, url, url)


def test_a_moment_without_the_database_connections_costs_no_turn(on_postgres: tuple) -> None:
    """PostgreSQL drops every connection (a restart, a failover) between two turns: both Rasa's tracker store and
    the action server replace them before use, and the conversation goes on."""
    servers, url = on_postgres
    servers: Servers
    sender = new_sender()
    assert servers.chat(sender, "ik voel me eenzaam")[0]["text"] == domain_response("utter_acknowledge_loneliness")["text"]
    admin = create_engine(url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar()
    admin.dispose()
    assert dropped >= 2, "Rasa and the action server each held a connection"
    assert servers.chat(sender, "/answer_both")[0]["text"] == domain_response("utter_lonely_both")["text"]
    assert servers.chat(sender, "/request_exercise")[0]["buttons"], "the action server reads the database again too"
