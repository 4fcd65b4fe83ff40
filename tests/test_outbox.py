"""The scheduled sender: planning (time zones, daylight saving, pauses), claiming, sending and its failures.

Planning and claiming run on SQLite and PostgreSQL; sending goes to the fake Telegram Bot API through the same
sending module as the bridge, with a scripted Rasa composing the messages (the real Rasa: test_scheduled_e2e.py).
"""
from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from sqlalchemy import select

from bot.channels.rasa_client import RasaClient
from bot.channels.telegram_send import LongPayloads
from bot.outbox import Dispatcher, Due, Outbox, TelegramSender, WebInboxSender, local_due, rasa_composer
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.exercises import ExerciseStore
from bot.storage.models import OutboxMessage, User, WebInbox
from tests.conftest import ROOT, fresh_postgres_database, migrate
from tests.fake_rasa import ScriptedRasa
from tests.fake_telegram import FakeTelegram

TOKEN = "424242:outbox-test-token"
EXERCISE = [
    {"text": "Je oefening van vandaag: Even genieten", "buttons": [{"title": "Gedaan ✅", "payload": "/exercise_done"}]}
]
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def subscriber(engine, channel: str, user_id: str, local_time: str = "09:00", zone: str = "Europe/Amsterdam") -> int:
    user = UserStore(engine).record_consent(channel, user_id)
    ExerciseStore(engine).subscribe(user.id, local_time, zone)
    return user.id


def rows(engine) -> List[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.id)).scalars())


def due_utc(row: OutboxMessage) -> datetime:
    value = row.due_at
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---- planning ----


def test_local_times_become_the_right_utc_moment_across_daylight_saving() -> None:
    # Last Sunday of March 2026 (29th): clocks go from 02:00 to 03:00 in Amsterdam.
    assert local_due(date(2026, 3, 28), "09:00", "Europe/Amsterdam") == at("2026-03-28T08:00")
    assert local_due(date(2026, 3, 29), "09:00", "Europe/Amsterdam") == at("2026-03-29T07:00")
    assert local_due(date(2026, 3, 29), "02:30", "Europe/Amsterdam") == at("2026-03-29T01:30"), "a missing time comes an hour later"
    # Last Sunday of October 2026 (25th): back from 03:00 to 02:00.
    assert local_due(date(2026, 10, 24), "19:30", "Europe/Amsterdam") == at("2026-10-24T17:30")
    assert local_due(date(2026, 10, 25), "19:30", "Europe/Amsterdam") == at("2026-10-25T18:30")
    assert local_due(date(2026, 10, 25), "02:30", "Europe/Amsterdam") == at("2026-10-25T00:30"), "the first of the two"
    # Someone elsewhere: New York changes on other dates (8 March, 1 November 2026).
    assert local_due(date(2026, 3, 20), "09:00", "America/New_York") == at("2026-03-20T13:00")
    assert local_due(date(2026, 11, 20), "09:00", "America/New_York") == at("2026-11-20T14:00")


def test_planning_twice_never_plans_twice_and_skips_what_is_already_late(database_url: str) -> None:
    engine = make_engine(database_url)
    subscriber(engine, "telegram", "1", "09:00")
    subscriber(engine, "web", "conversation-ny-123", "09:00", "America/New_York")
    now = at("2026-03-28T12:00")  # 13:00 in Amsterdam: today's 09:00 has passed
    outbox = Outbox(engine)
    # Exercises: Amsterdam 29th, 30th; New York 28th (still 08:00 there), 29th, 30th; and on Sunday the 29th,
    # both get the weekly check-in (19:00 local).
    assert outbox.plan(now, days=2) == 7
    assert outbox.plan(now, days=2) == 0
    assert outbox.plan(now + timedelta(hours=1), days=2) == 0
    planned = [(row.local_date.isoformat(), due_utc(row)) for row in rows(engine)]
    assert ("2026-03-29", at("2026-03-29T07:00")) in planned  # the first day of summer time
    assert ("2026-03-28", at("2026-03-28T13:00")) in planned  # New York, already on summer time
    checkins = sorted(due_utc(row) for row in rows(engine) if row.kind == "checkin")
    assert checkins == [at("2026-03-29T17:00"), at("2026-03-29T23:00")]  # 19:00 in Amsterdam and in New York
    assert all(due > now for _, due in planned)
    engine.dispose()


def test_pause_stop_and_a_blocked_person_are_not_planned(database_url: str) -> None:
    engine = make_engine(database_url)
    exercises, users = ExerciseStore(engine), UserStore(engine)
    paused = subscriber(engine, "telegram", "2")
    exercises.pause(paused, date(2026, 12, 3))
    stopped = subscriber(engine, "telegram", "3")
    exercises.stop(stopped)
    subscriber(engine, "telegram", "4")
    users.mark_inactive("telegram", "4")
    outbox = Outbox(engine)
    outbox.plan(at("2026-11-30T12:00"), days=4)
    assert [(row.user_id, row.local_date) for row in rows(engine)] == [(paused, date(2026, 12, 3)), (paused, date(2026, 12, 4))]
    exercises.resume(paused)
    outbox.plan(at("2026-11-30T12:00"), days=4)
    assert [row.local_date.day for row in rows(engine)] == [1, 2, 3, 4]
    engine.dispose()


def test_a_new_time_replaces_what_was_planned_and_nothing_sent_is_touched(database_url: str) -> None:
    engine = make_engine(database_url)
    user_id = subscriber(engine, "telegram", "5", "09:00")
    outbox = Outbox(engine)
    outbox.plan(at("2026-11-30T06:00"), days=1)
    [first] = outbox.claim(at("2026-11-30T08:00"))
    outbox.mark_sent(first, at("2026-11-30T08:00"))
    ExerciseStore(engine).subscribe(user_id, "20:15")
    outbox.plan(at("2026-11-30T08:01"), days=1)
    assert [(row.slot, row.state) for row in rows(engine)] == [("09:00", "sent"), ("20:15", "pending"), ("20:15", "pending")]
    engine.dispose()


# ---- claiming ----


def test_claiming_takes_due_rows_once_and_a_crashed_claim_comes_back(database_url: str) -> None:
    engine = make_engine(database_url)
    for n in range(5):
        subscriber(engine, "telegram", str(100 + n), f"09:0{n}")
    outbox = Outbox(engine)
    outbox.plan(at("2026-11-30T06:00"), days=0)
    now = at("2026-11-30T08:03")  # 09:03 in Amsterdam: four of five are due
    first = outbox.claim(now, limit=3)
    second = outbox.claim(now, limit=3)
    assert len(first) == 3 and len(second) == 1
    assert not {item.id for item in first} & {item.id for item in second}
    assert outbox.claim(now, limit=3) == []
    assert outbox.claim(now + timedelta(minutes=6), limit=10, reclaim_after=timedelta(minutes=5)) != []  # left "sending"
    engine.dispose()


# ---- sending: the fake Telegram, a scripted Rasa ----


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def scripted_rasa() -> Iterator[ScriptedRasa]:
    fake = ScriptedRasa({"request_exercise": EXERCISE}).start()
    yield fake
    assert fake.server is not None
    fake.server.stop()


async def dispatch(engine, telegram: FakeTelegram, rasa: ScriptedRasa, now: datetime, **options: Any) -> Dict[str, int]:
    from telegram import Bot

    client = RasaClient(rasa.url, api_token=rasa.api_token)
    async with Bot(TOKEN, base_url=telegram.base_url) as bot:
        senders = {"telegram": TelegramSender(bot, LongPayloads(engine)), "web": WebInboxSender(engine)}
        dispatcher = Dispatcher(Outbox(engine), rasa_composer(client), senders, rate=0, now=lambda: now, **options)
        try:
            return await dispatcher.dispatch_due()
        finally:
            await client.aclose()


def planned_for(engine, people: Dict[str, str], now: datetime) -> None:
    for sender in people:
        channel, user_id = sender.split(":", 1)
        subscriber(engine, channel, user_id, people[sender])
    Outbox(engine).plan(now - timedelta(hours=12), days=1)


def test_due_exercises_reach_telegram_and_the_web_inbox_through_rasa(database_url: str, telegram: FakeTelegram, scripted_rasa: ScriptedRasa) -> None:
    engine = make_engine(database_url)
    now = at("2026-11-30T09:00")
    planned_for(engine, {"telegram:501": "09:00", "web:conversation-0001": "09:30", "telegram:502": "11:00"}, now)
    tally = asyncio.run(dispatch(engine, telegram, scripted_rasa, now))
    assert tally == {"sent": 2, "failed": 0, "retry": 0, "cancelled": 0}  # 11:00 local is 10:00 UTC: not yet
    assert sorted(scripted_rasa.triggered) == [("telegram:501", "request_exercise"), ("web:conversation-0001", "request_exercise")]
    [message] = telegram.calls("sendMessage", 501, ok=True)
    assert message.text == EXERCISE[0]["text"] and message.buttons[0]["callback_data"] == "/exercise_done"
    assert telegram.calls("sendMessage", 502) == []
    with session_scope(engine) as session:
        [(stored,)] = session.execute(select(WebInbox.messages)).all()
    assert stored[0]["text"] == EXERCISE[0]["text"]
    assert sorted(row.state for row in rows(engine)) == ["pending", "sent", "sent"]
    assert asyncio.run(dispatch(engine, telegram, scripted_rasa, now)) == {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
    engine.dispose()


def test_a_blocked_bot_makes_the_person_inactive_and_cancels_what_waits(database_url: str, telegram: FakeTelegram, scripted_rasa: ScriptedRasa) -> None:
    engine = make_engine(database_url)
    now = at("2026-11-30T09:00")
    planned_for(engine, {"telegram:601": "09:00"}, now)
    telegram.fail_next("sendMessage", 403, chat_id=601)
    assert asyncio.run(dispatch(engine, telegram, scripted_rasa, now))["cancelled"] == 1
    assert UserStore(engine).get("telegram", "601").active is False
    assert {row.state for row in rows(engine)} == {"cancelled"}
    assert len(telegram.calls("sendMessage", 601)) == 1, "a 403 is not tried again"
    assert UserStore(engine).reactivate("telegram", "601") is True  # they wrote again
    assert UserStore(engine).get("telegram", "601").active is True
    engine.dispose()


def test_a_bad_request_fails_at_once_with_its_reason(database_url: str, telegram: FakeTelegram, scripted_rasa: ScriptedRasa) -> None:
    engine = make_engine(database_url)
    now = at("2026-11-30T09:00")
    planned_for(engine, {"telegram:701": "09:00"}, now)
    telegram.fail_next("sendMessage", 400, chat_id=701)
    assert asyncio.run(dispatch(engine, telegram, scripted_rasa, now))["failed"] == 1
    [row] = [row for row in rows(engine) if row.state != "pending"]
    assert row.state == "failed" and "Telegram refused it" in row.last_error
    assert len(telegram.calls("sendMessage", 701)) == 1, "a 400 is not tried again"
    engine.dispose()


def test_flood_control_longer_than_we_wait_makes_the_row_due_again_when_telegram_says(
    database_url: str, telegram: FakeTelegram, scripted_rasa: ScriptedRasa
) -> None:
    engine = make_engine(database_url)
    now = at("2026-11-30T09:00")
    planned_for(engine, {"telegram:801": "09:00"}, now)
    telegram.fail_next("sendMessage", 429, retry_after=600, chat_id=801)
    assert asyncio.run(dispatch(engine, telegram, scripted_rasa, now))["retry"] == 1
    [row] = [row for row in rows(engine) if row.last_error]
    assert row.state == "pending" and "retry after 600" in row.last_error
    assert due_utc(row) == now + timedelta(seconds=600)
    assert len(telegram.calls("sendMessage", 801)) == 1, "not sent again before Telegram said so"
    engine.dispose()


def test_rasa_down_means_later_then_failed_after_five_tries(tmp_path: Path, telegram: FakeTelegram) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    now = at("2026-11-30T09:00")
    planned_for(engine, {"telegram:901": "09:00"}, now)
    broken = ScriptedRasa({"request_exercise": (500, "boom")}).start()
    try:
        outcomes = []
        for attempt in range(5):
            moment = now + timedelta(hours=attempt)  # each retry is due within the hour (30 s .. 4 min back-off)
            tally = asyncio.run(dispatch(engine, telegram, broken, moment))
            outcomes.append("retry" if tally["retry"] else "failed" if tally["failed"] else "?")
    finally:
        broken.server.stop()
    assert outcomes == ["retry", "retry", "retry", "retry", "failed"]
    [row] = [row for row in rows(engine) if row.local_date == date(2026, 11, 30)]
    assert row.state == "failed" and row.attempts == 5 and "gave up after 5 tries" in row.last_error
    assert telegram.calls("sendMessage") == []
    engine.dispose()


def test_two_dispatchers_at_once_on_postgresql_send_every_message_once(telegram: FakeTelegram, scripted_rasa: ScriptedRasa) -> None:
    with fresh_postgres_database() as url:
        engines = [make_engine(url), make_engine(url)]
        now = at("2026-11-30T09:00")
        people = {f"telegram:{2000 + n}": "09:00" for n in range(120)}
        planned_for(engines[0], people, now)

        async def both() -> List[Dict[str, int]]:
            return await asyncio.gather(*(dispatch(engine, telegram, scripted_rasa, now, batch=5) for engine in engines))

        tallies = asyncio.run(both())
        assert sum(t["sent"] for t in tallies) == 120
        assert all(t["sent"] > 0 for t in tallies), "both dispatchers took part"
        per_chat = [len(telegram.calls("sendMessage", 2000 + n, ok=True)) for n in range(120)]
        assert per_chat == [1] * 120
        for engine in engines:
            engine.dispose()


def test_pace_spreads_messages_at_the_configured_rate() -> None:
    """A controllable clock: 100 messages at 25/s take 99/25 s, each one 1/25 s after the one before."""
    from bot.outbox import Pace

    now = [1000.0]
    sent_at: List[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def hundred() -> None:
        pace = Pace(25.0, sleep=sleep, clock=lambda: now[0])
        for _ in range(100):
            await pace.wait()
            sent_at.append(now[0])
            now[0] += 0.001  # sending takes a moment

    asyncio.run(hundred())
    gaps = [later - earlier for earlier, later in zip(sent_at, sent_at[1:])]
    assert min(gaps) == pytest.approx(0.04) and max(gaps) == pytest.approx(0.04)
    assert sent_at[-1] - sent_at[0] == pytest.approx(99 / 25)


# ---- crash safety: kill -9 of the real dispatcher process ----


def test_kill_9_at_a_random_moment_loses_nothing_and_sends_at_most_one_twice(tmp_path: Path, telegram: FakeTelegram, scripted_rasa: ScriptedRasa) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    people = 150
    now = datetime.now(UTC)
    for n in range(people):
        user_id = UserStore(engine).record_consent("telegram", str(3000 + n)).id
        with session_scope(engine) as session:
            session.add(OutboxMessage(user_id=user_id, kind="exercise", local_date=now.date(), slot="09:00",
                                      due_at=now - timedelta(minutes=1), state="pending", attempts=0))
    telegram.send_delay = 0.01
    env = {
        **os.environ, "LICHTPUNT_VAR_DIR": str(tmp_path), "DATABASE_URL": url, "RASA_URL": scripted_rasa.url,
        "RASA_API_TOKEN": scripted_rasa.api_token, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": telegram.base_url,
        "DISPATCH_RATE": "1000", "DISPATCH_RECLAIM_AFTER": "0", "RASA_TELEMETRY_ENABLED": "false",
    }
    command = [sys.executable, "-m", "bot", "outbox", "dispatch", "--once"]
    log = (tmp_path / "dispatcher.log").open("w")
    victim = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    kill_after = random.randint(5, people - 20)  # a random moment in the middle of the run
    deadline = time.monotonic() + 60
    while len(telegram.calls("sendMessage", ok=True)) < kill_after:
        assert victim.poll() is None, (tmp_path / "dispatcher.log").read_text()
        assert time.monotonic() < deadline, "the dispatcher did not get going"
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    sent_before = len(telegram.calls("sendMessage", ok=True))
    assert sent_before < people, "killed before the end"
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    per_chat = [len(telegram.calls("sendMessage", 3000 + n, ok=True)) for n in range(people)]
    assert min(per_chat) == 1, "nothing lost"
    assert sum(count - 1 for count in per_chat) <= 1, f"at most one sent twice (killed after {kill_after})"
    assert {row.state for row in rows(engine)} == {"sent"}
    engine.dispose()


def test_the_cli_plans_and_reports_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    subscriber(engine, "telegram", "4242", "23:59")
    env = {**os.environ, "LICHTPUNT_VAR_DIR": str(tmp_path), "DATABASE_URL": url}
    planned = subprocess.run([sys.executable, "-m", "bot", "outbox", "plan", "--days", "3"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.strip() in {f"planned {n} new messages" for n in (3, 4, 5)}  # today's may be past; a Sunday check-in
    status = subprocess.run([sys.executable, "-m", "bot", "outbox", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert status.stdout.split()[:2] == ["pending:", planned.stdout.split()[1]]
    engine.dispose()


def test_the_check_in_never_lands_on_the_exercise_time() -> None:
    from bot.outbox import checkin_time

    assert checkin_time("09:00") == "19:00"
    assert checkin_time("19:00") == "12:00" and checkin_time("19:30") == "12:00"
    assert checkin_time("21:15") == "19:00"


def test_due_is_named_by_its_conversation() -> None:
    assert Due(1, 2, "exercise", "telegram", "77", "nl", 1).sender_id == "telegram:77"


def test_users_table_link_is_enforced(database_url: str) -> None:
    """Every outbox row belongs to a user: deleting the user deletes what was planned for them."""
    engine = make_engine(database_url)
    subscriber(engine, "telegram", "999")
    Outbox(engine).plan(at("2026-11-30T00:00"), days=1)
    assert rows(engine)
    UserStore(engine).delete("telegram", "999")
    assert rows(engine) == []
    with session_scope(engine) as session:
        assert session.execute(select(User)).all() == []
    engine.dispose()


def test_a_group_opening_in_a_region_tells_the_waiting_list_there_once(tmp_path: Path) -> None:
    from bot.storage.course import CourseStore

    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    course = CourseStore(engine)
    waiting_here = UserStore(engine).record_consent("telegram", "8001").id
    waiting_elsewhere = UserStore(engine).record_consent("telegram", "8002").id
    course.enrol(waiting_here, "Sanne", "sanne@example.nl", "telegram", region="80")
    course.enrol(waiting_elsewhere, "Piet", "piet@example.nl", "telegram", region="10")
    env = {**os.environ, "LICHTPUNT_VAR_DIR": str(tmp_path), "DATABASE_URL": url}
    command = [sys.executable, "-m", "bot", "groups", "add", "--title", "Zwolle dinsdag", "--place", "Zwolle",
               "--region", "80", "--start", "2027-02-02"]
    added = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert "1 people on the waiting list for 80 will hear about it" in added.stdout
    group_id = int(added.stdout.split("added group ")[1].split()[0])
    again = subprocess.run([sys.executable, "-m", "bot", "groups", "edit", str(group_id), "--capacity", "10"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "will hear" not in again.stdout  # told once
    assert [(row.user_id, row.kind) for row in rows(engine)] == [(waiting_here, "group_open")]
    engine.dispose()
