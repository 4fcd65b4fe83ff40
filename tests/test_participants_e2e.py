"""Course participants end to end, through the real Rasa and action server: two people join a group that starts next
Tuesday (one on the website by typing the code, one on Telegram with the join button's payload), the scheduled
sender brings them the reminder and the day-after message at the right moments of a controllable clock (the fake
Bot API and the web inbox), and what they answer is understood in context."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Dict, List

from sqlalchemy import select

from bot.channels.rasa_client import RasaClient
from bot.channels.telegram_send import LongPayloads
from bot.content import message, nudge_text, privacy_notice
from bot.outbox import Dispatcher, Outbox, TelegramSender, WebInboxSender, rasa_composer
from bot.storage import make_engine, session_scope
from bot.storage.cohorts import CohortStore
from bot.storage.course import CourseStore
from bot.storage.models import OutboxMessage, WebInbox, as_utc, utcnow
from tests.conftest import Servers, new_sender, texts
from tests.fake_telegram import FakeTelegram

TOKEN = "515151:participants-test-token"


def due_of(engine, slot: str) -> List[datetime]:
    with session_scope(engine) as session:
        return [as_utc(due) for due in session.execute(
            select(OutboxMessage.due_at).where(OutboxMessage.slot == slot, OutboxMessage.state == "pending")
            .order_by(OutboxMessage.due_at)).scalars()]


async def dispatch(servers: Servers, engine, telegram: FakeTelegram, now: datetime) -> Dict[str, int]:
    from telegram import Bot

    client = RasaClient(servers.rasa_url, api_token=servers.token)
    async with Bot(TOKEN, base_url=telegram.base_url) as bot:
        senders = {"telegram": TelegramSender(bot, LongPayloads(engine)), "web": WebInboxSender(engine)}
        try:
            return await Dispatcher(Outbox(engine), rasa_composer(client), senders, rate=0, now=lambda: now).dispatch_due()
        finally:
            await client.aclose()


def inbox(engine) -> List[str]:
    with session_scope(engine) as session:
        return [reply["text"] for messages in session.execute(select(WebInbox.messages).order_by(WebInbox.id)).scalars()
                for reply in messages]


def test_joining_then_nudges_at_the_right_time_and_replies_understood(servers: Servers) -> None:
    engine = make_engine(servers.app_database_url)
    place = "Deventer, Buurthuis De Linde"
    group_id = CourseStore(engine).add_group(title="Deventer e2e", start_date=date.today(), place=place, teacher="Anna")
    days = (1 - date.today().weekday()) % 7 or 7  # a Tuesday two to eight days ahead: no Sunday check-in in between
    days += 7 if days < 2 else 0
    first = (datetime.now() + timedelta(days=days)).replace(hour=19, minute=30, second=0, microsecond=0)
    code = CohortStore(engine).start(group_id, first)
    CohortStore(engine).set_details(group_id, teacher_contact="anna@example.org")
    session_one = CohortStore(engine).cohort(group_id).held[0]

    web = new_sender("web")
    metadata = {"channel": "web", "language": "nl"}
    assert texts(servers.chat(web, f"hoi, ik doe mee met de cursus, mijn code is {code.lower()}", metadata)) == privacy_notice("nl")
    assert texts(servers.chat(web, "ja", metadata)) == message("join_ask_name", "nl")
    assert texts(servers.chat(web, "Mieke", metadata)) == message("join_ask_share", "nl")
    welcome = texts(servers.chat(web, "nee, liever niet", metadata))
    assert welcome.startswith("Welkom bij de groep Deventer e2e") and place in welcome

    tg = "telegram:8801"
    tg_meta = {"channel": "telegram", "language": "nl"}
    wrong = servers.chat(tg, "/join_course{\"join_code\": \"ZZZ999\"}", tg_meta)
    assert message("join_code_wrong", "nl") in texts(wrong)
    assert texts(servers.chat(tg, code, tg_meta)) == privacy_notice("nl")
    servers.chat(tg, "/affirm", tg_meta)
    servers.chat(tg, "Ahmed", tg_meta)
    assert texts(servers.chat(tg, "/affirm", tg_meta)).startswith("Welkom bij de groep Deventer e2e")
    people = {person.first_name: person for person in CohortStore(engine).participants(group_id)}
    assert set(people) == {"Mieke", "Ahmed"} and people["Ahmed"].share_checkins and not people["Mieke"].share_checkins

    telegram = FakeTelegram(TOKEN).start()
    try:
        Outbox(engine).plan(utcnow())
        [reminder_at, _] = due_of(engine, "w1-before")  # the day before, 18:00 local, for both
        assert asyncio.run(dispatch(servers, engine, telegram, reminder_at - timedelta(minutes=1)))["sent"] == 0
        assert asyncio.run(dispatch(servers, engine, telegram, reminder_at + timedelta(minutes=1)))["sent"] == 2
        from actions.participants import when

        expected = nudge_text(1, "before", "nl", when=when(session_one, "nl"), place=place)
        assert inbox(engine) == [expected]
        assert [call.text for call in telegram.calls("sendMessage", 8801, ok=True)] == [expected]

        # the reminder is in the conversation: the answer is understood and the teacher will see it
        absent = texts(servers.chat(web, "ik kan er morgen helaas niet bij zijn", metadata))
        assert absent == message("absence_noted", "nl", when=when(session_one, "nl"), teacher="Anna")
        assert CohortStore(engine).absences(group_id) == [{"session": 1, "first_name": "Mieke"}]

        [after_at] = due_of(engine, "w1-after")  # only Ahmed: Mieke was not there
        assert asyncio.run(dispatch(servers, engine, telegram, after_at + timedelta(minutes=1)))["sent"] == 1
        sent = [call.text for call in telegram.calls("sendMessage", 8801, ok=True)]
        assert sent[-1] == nudge_text(1, "after", "nl") and len(inbox(engine)) == 1
        person = texts(servers.chat(tg, "ik wil met een echt mens praten", tg_meta))
        assert message("teacher_contact", "nl", teacher="Anna", contact="anna@example.org") in person
        paused = texts(servers.chat(tg, "pauzeer de cursusberichten even", tg_meta))
        assert paused.startswith("Goed, tot ")
    finally:
        telegram.stop()
    engine.dispose()


def test_crisis_language_while_joining_gets_help_at_once_and_leaves_the_form(servers: Servers) -> None:
    sender = new_sender("web")
    metadata = {"channel": "web", "language": "nl"}
    assert texts(servers.chat(sender, "/join_course", metadata)) == message("join_ask_code", "nl")  # the menu's command
    crisis = texts(servers.chat(sender, "ik wil er niet meer zijn", metadata))
    assert "113" in crisis and message("join_code_wrong", "nl") not in crisis
