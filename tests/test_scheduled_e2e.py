"""Daily exercises end to end: subscribe in the conversation, the dispatcher has the real Rasa compose today's
exercise (Rasa's HTTP API, recorded in the tracker), and the person's "gedaan!" afterwards is understood in context.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.channels.rasa_client import RasaClient
from bot.content import message, privacy_notice
from bot.outbox import Dispatcher, Outbox, WebInboxSender, rasa_composer
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.exercises import ExerciseStore
from bot.storage.models import OutboxMessage, WebInbox, utcnow
from tests.conftest import Servers, domain_response, new_sender, texts


def test_subscribe_receive_the_days_exercise_and_say_done(servers: Servers) -> None:
    sender = new_sender("web")
    conversation = sender.split(":", 1)[1]
    metadata = {"channel": "web", "language": "nl"}
    notice = servers.chat(sender, "ik wil graag elke dag een oefening krijgen", metadata)
    assert texts(notice) == privacy_notice("nl")  # before anything is stored: what, why, how long, how to delete
    asked = servers.chat(sender, "ja, dat is goed", metadata)
    assert texts(asked).startswith(message("ask_exercise_time", "nl"))
    vague = servers.chat(sender, "na het eten", metadata)
    assert message("time_not_understood", "nl") in texts(vague)
    confirmed = servers.chat(sender, "om kwart over acht 's avonds", metadata)
    assert texts(confirmed) == message("subscribed", "nl", time="20:15", timezone="Europe/Amsterdam")

    engine = make_engine(servers.app_database_url)
    user = UserStore(engine).get("web", conversation)
    assert ExerciseStore(engine).subscription(user.id).local_time == "20:15"
    with session_scope(engine) as session:  # today's exercise is due now
        session.add(OutboxMessage(user_id=user.id, kind="exercise", local_date=utcnow().date(), slot="20:15",
                                  due_at=utcnow() - timedelta(minutes=1), state="pending", attempts=0))

    async def dispatch() -> dict:
        client = RasaClient(servers.rasa_url, api_token=servers.token)
        try:
            dispatcher = Dispatcher(Outbox(engine), rasa_composer(client), {"web": WebInboxSender(engine)}, rate=0)
            return await dispatcher.dispatch_due()
        finally:
            await client.aclose()

    assert asyncio.run(dispatch())["sent"] == 1
    with session_scope(engine) as session:
        [(waiting,)] = session.execute(select(WebInbox.messages).where(WebInbox.user_id == user.id)).all()
    assert waiting[0]["text"].startswith("Je oefening van vandaag")
    assert [b["payload"] for b in waiting[0]["buttons"]] == ["/exercise_done", "/request_exercise", "/exercise_later"]
    [logged] = ExerciseStore(engine).recent_keys(user.id)

    done = servers.chat(sender, "gedaan!", metadata)  # understood because the exercise is in the conversation
    assert texts(done) == message("exercise_done", "nl") + "\n" + message("ask_exercise_rating", "nl")
    note_question = servers.chat(sender, '/inform{"exercise_rating": "4"}', metadata)
    assert texts(note_question) == message("ask_exercise_note", "nl")
    thanks = servers.chat(sender, "de thee smaakte beter dan anders", metadata)
    assert texts(thanks) == message("feedback_thanks", "nl")
    [row] = ExerciseStore(engine).done_history(user.id)
    assert (row.exercise_key, row.scheduled, row.rating, row.note) == (logged, True, 4, "de thee smaakte beter dan anders")

    stopped = servers.chat(sender, "/stop_exercises", metadata)
    assert texts(stopped) == message("stopped", "nl")
    assert ExerciseStore(engine).subscription(user.id).active is False
    engine.dispose()


def test_crisis_language_in_the_middle_of_choosing_a_time_gets_help_and_leaves_the_form(servers: Servers) -> None:
    sender = new_sender("web")
    metadata = {"channel": "web", "language": "nl"}
    servers.chat(sender, "stuur me elke dag een oefening", metadata)
    crisis = servers.chat(sender, "ik wil niet meer leven", metadata)
    assert "113" in texts(crisis)
    assert message("time_not_understood", "nl") not in texts(crisis)
    after = servers.chat(sender, "20:15", metadata)  # the form is gone: no subscription appears
    assert message("subscribed", "nl", time="20:15", timezone="Europe/Amsterdam") not in texts(after)
    engine = make_engine(servers.app_database_url)
    user = UserStore(engine).get("web", sender.split(":", 1)[1])
    assert user is None or ExerciseStore(engine).subscription(user.id) is None
    engine.dispose()


def test_declining_the_notice_stores_nothing_and_the_conversation_goes_on(servers: Servers) -> None:
    sender = new_sender("web")
    metadata = {"channel": "web", "language": "nl"}
    assert texts(servers.chat(sender, "stuur me elke dag een oefening", metadata)) == privacy_notice("nl")
    declined = servers.chat(sender, "/deny", metadata)
    assert texts(declined) == domain_response("utter_subscription_left")["text"]
    exercise = servers.chat(sender, "geef me een oefening", metadata)
    assert texts(exercise).startswith("Een oefening voor jou")
    engine = make_engine(servers.app_database_url)
    assert UserStore(engine).get("web", sender.split(":", 1)[1]) is None
    engine.dispose()
