"""Running groups: join codes, the plan of messages between sessions (DST, quiet hours, other time zones),
re-planning after a moved or cancelled session, pause / stop, absences, the outcome check, the CLI."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import List
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.__main__ import main
from bot.cohorts import CoursePlanner, course_plan, invite, out_of_quiet_hours, outcome, trend
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.cohorts import CODE_ALPHABET, CodeProblem, CohortStore, code_in, new_code
from bot.storage.course import CourseStore
from bot.storage.exercises import ExerciseStore, iso_week
from bot.storage.models import OutboxMessage

AMS = ZoneInfo("Europe/Amsterdam")
QUIET = (time(21, 30), time(8, 30))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def running_group(engine, first: str = "2027-03-08T19:30", teacher: str = "Anna") -> int:
    """A group whose 8 weekly sessions start on Monday `first` (Amsterdam time)."""
    group_id = CourseStore(engine).add_group(title="Zwolle maandag", start_date=date.fromisoformat(first[:10]),
                                             place="Zwolle, De Kroon", teacher=teacher)
    CohortStore(engine).start(group_id, datetime.fromisoformat(first))
    return group_id


def participant(engine, group_id: int, who: str = "telegram:901", name: str = "Mieke", share: bool = False) -> int:
    channel, user = who.split(":", 1)
    user_id = UserStore(engine).record_consent(channel, user).id
    CohortStore(engine).join(user_id, group_id, name, share)
    return user_id


def course_rows(engine, user_id: int, state: str = "pending") -> List[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.execute(
            select(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.state == state)
            .order_by(OutboxMessage.due_at)
        ).scalars())


# ---- join codes ----


def test_codes_have_no_look_alikes_and_always_a_letter_and_a_digit() -> None:
    for _ in range(500):
        code = new_code()
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
        assert any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code)


@pytest.mark.parametrize("typed, found", [
    ("mijn code is K7Q2XM", "K7Q2XM"),
    ("k7q2xm", "K7Q2XM"),
    ("code: K7Q 2XM graag", "K7Q2XM"),
    ("K7Q-2XM", "K7Q2XM"),
    ("ik heb een code gekregen", None),  # six-letter words are no code
    ("bel me op 061234", None),  # digits only
    ("K7Q2XMA", None),  # seven characters
])
def test_a_code_is_found_in_what_people_type(typed: str, found) -> None:
    assert code_in(typed) == found


def test_a_code_is_unknown_or_expired(database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = running_group(engine)
    store = CohortStore(engine)
    code = store.cohort(group_id).join_code
    assert store.by_code(code, now=utc("2027-03-01T12:00")).group_id == group_id
    with pytest.raises(CodeProblem) as unknown:
        store.by_code("ZZZ999", now=utc("2027-03-01T12:00"))
    assert unknown.value.reason == "unknown"
    with pytest.raises(CodeProblem) as expired:
        store.by_code(code, now=utc("2027-05-01T12:00"))  # after the last session
    assert expired.value.reason == "expired"
    engine.dispose()


def test_wrong_tries_are_counted_per_conversation_for_an_hour(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    from tests.conftest import migrate

    migrate(f"sqlite:///{tmp_path / 'app.db'}")
    store = CohortStore(engine)
    start = utc("2027-03-01T12:00")
    for minute in range(5):
        store.note_wrong_try("web:abc", start + timedelta(minutes=minute))
    assert store.wrong_tries("web:abc", start + timedelta(minutes=10)) == 5
    assert store.wrong_tries("web:other", start + timedelta(minutes=10)) == 0
    assert store.minutes_until_retry("web:abc", start + timedelta(minutes=10)) == 51
    assert store.wrong_tries("web:abc", start + timedelta(minutes=61)) == 4  # the first try is an hour old
    engine.dispose()


# ---- the plan ----


def test_quiet_hours_are_never_crossed() -> None:
    assert out_of_quiet_hours(datetime(2027, 3, 1, 22, 0), *QUIET) == datetime(2027, 3, 2, 8, 30)
    assert out_of_quiet_hours(datetime(2027, 3, 1, 7, 0), *QUIET) == datetime(2027, 3, 1, 8, 30)
    assert out_of_quiet_hours(datetime(2027, 3, 1, 21, 29), *QUIET) == datetime(2027, 3, 1, 21, 29)
    assert out_of_quiet_hours(datetime(2027, 3, 1, 8, 30), *QUIET) == datetime(2027, 3, 1, 8, 30)
    assert out_of_quiet_hours(datetime(2027, 3, 1, 13, 0), time(12, 0), time(14, 0)) == datetime(2027, 3, 1, 14, 0)


def _plan(engine, group_id: int, zone: str = "Europe/Amsterdam", **options):  # type: ignore[no-untyped-def]
    return course_plan(CohortStore(engine).cohort(group_id), zone, QUIET, **options)


def test_the_plan_follows_the_weeks_and_stays_at_local_time_across_both_dst_changes(database_url: str) -> None:
    engine = make_engine(database_url)
    spring = running_group(engine, "2027-03-08T19:30")  # sessions 1-3 in winter time, 4-8 after 28 March
    plan = {item.slot: item for item in _plan(engine, spring)}
    assert plan["w1-before"].due == utc("2027-03-07T17:00")  # 18:00 CET
    assert plan["w1-after"].due == utc("2027-03-09T09:00")  # 10:00 CET
    assert plan["w1-mid"].due == utc("2027-03-11T09:30")  # 10:30 CET
    assert plan["w4-before"].due == utc("2027-03-28T16:00")  # 18:00 CEST, the day the clocks go forward
    assert plan["w4-after"].due == utc("2027-03-30T08:00")  # 10:00 CEST
    assert "w8-after" not in plan and "w8-mid" not in plan  # the closing message comes instead
    checkins = sorted(item.local_date for item in plan.values() if item.kind == "course_checkin")
    assert checkins[0] == date(2027, 3, 14) and checkins[-1] == date(2027, 5, 2) and len(checkins) == 8  # Sundays
    assert plan["closing"].local_date == date(2027, 5, 3)  # after the last week's check-in
    assert all(plan[f"w{n}-before"].local_date.weekday() == 6 for n in range(1, 9))

    autumn = running_group(engine, "2027-10-18T19:30")  # clocks go back on 31 October
    plan = {item.slot: item for item in _plan(engine, autumn)}
    assert plan["w2-before"].due == utc("2027-10-24T16:00")  # 18:00 CEST
    assert plan["w3-before"].due == utc("2027-10-31T17:00")  # 18:00 CET, the day the clocks go back
    engine.dispose()


def test_someone_in_another_time_zone_gets_messages_at_their_own_local_time(database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = running_group(engine, "2027-02-01T19:30")  # 13:30 in New York
    plan = {item.slot: item for item in _plan(engine, group_id, zone="America/New_York")}
    assert plan["w1-before"].due.astimezone(ZoneInfo("America/New_York")).time() == time(18, 0)
    assert plan["w1-after"].due.astimezone(ZoneInfo("America/New_York")).time() == time(10, 0)
    engine.dispose()


def test_a_nudge_time_in_the_quiet_hours_waits_until_the_morning(database_url: str, monkeypatch) -> None:
    from bot import content

    engine = make_engine(database_url)
    group_id = running_group(engine, "2027-02-01T19:30")
    late = dict(content.nudges(), times={"after": "23:15", "mid": "06:00", "before": "18:00"})
    monkeypatch.setattr("bot.cohorts.nudges", lambda: late)
    plan = {item.slot: item for item in _plan(engine, group_id)}
    assert plan["w1-after"].due.astimezone(AMS) == datetime(2027, 2, 3, 8, 30, tzinfo=AMS)
    assert plan["w1-mid"].due.astimezone(AMS) == datetime(2027, 2, 4, 8, 30, tzinfo=AMS)
    for item in plan.values():
        local = item.due.astimezone(AMS).time()
        assert time(8, 30) <= local < time(21, 30)
    engine.dispose()


def test_moving_and_cancelling_a_session_replans_without_duplicates_or_stale_messages(database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = running_group(engine, "2027-02-01T19:30")
    user_id = participant(engine, group_id)
    planner = CoursePlanner(engine, quiet=QUIET)
    now = utc("2027-01-20T12:00")
    first = planner.plan(now)
    assert first == len(course_rows(engine, user_id)) == 31  # 8 before, 7 after, 7 mid, 8 check-ins, closing
    assert planner.plan(now) == 0 and len(course_rows(engine, user_id)) == 31  # planning twice plans once

    store = CohortStore(engine)
    store.move(group_id, 3, datetime(2027, 2, 17, 19, 0))  # Monday 15th -> Wednesday 17th
    planner.plan(now, group_id=group_id)
    pending = {(row.slot, row.local_date) for row in course_rows(engine, user_id)}
    assert ("w3-before", date(2027, 2, 16)) in pending and ("w3-before", date(2027, 2, 14)) not in pending
    cancelled = {(row.slot, row.local_date) for row in course_rows(engine, user_id, "cancelled")}
    assert ("w3-before", date(2027, 2, 14)) in cancelled
    assert len([slot for slot, _ in pending if slot == "w3-before"]) == 1

    store.cancel(group_id, 5)
    planner.plan(now, group_id=group_id)
    slots = {row.slot for row in course_rows(engine, user_id)}
    assert not {"w5-before", "w5-after", "w5-mid"} & slots
    assert {"w4-after", "w4-mid", "w6-before"} <= slots

    store.move(group_id, 3, datetime(2027, 2, 15, 19, 30))  # back where it was: the cancelled row comes back
    planner.plan(now, group_id=group_id)
    assert ("w3-before", date(2027, 2, 14)) in {(row.slot, row.local_date) for row in course_rows(engine, user_id)}
    assert len([row for row in course_rows(engine, user_id) if row.slot == "w3-before"]) == 1
    engine.dispose()


def test_sent_messages_are_never_sent_again_after_a_replan(database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = running_group(engine, "2027-02-01T19:30")
    participant(engine, group_id)
    planner = CoursePlanner(engine, quiet=QUIET)
    planner.plan(utc("2027-01-20T12:00"))
    with session_scope(engine) as session:
        row = session.execute(select(OutboxMessage).where(OutboxMessage.slot == "w1-before")).scalar_one()
        row.state = "sent"
    CohortStore(engine).move(group_id, 1, datetime(2027, 2, 2, 19, 30))  # a day later: a new, correct reminder
    planner.plan(utc("2027-01-20T12:00"), group_id=group_id)
    with session_scope(engine) as session:
        reminders = session.execute(select(OutboxMessage.local_date, OutboxMessage.state)
                                    .where(OutboxMessage.slot == "w1-before").order_by(OutboxMessage.local_date)).all()
    assert reminders == [(date(2027, 1, 31), "sent"), (date(2027, 2, 1), "pending")]
    engine.dispose()


def test_pause_stop_an_absence_and_a_subscription_change_the_plan(database_url: str) -> None:
    engine = make_engine(database_url)
    group_id = running_group(engine, "2027-02-01T19:30")
    user_id = participant(engine, group_id)
    store, planner, now = CohortStore(engine), CoursePlanner(engine, quiet=QUIET), utc("2027-01-20T12:00")
    planner.plan(now)

    store.set_nudges(user_id, "paused", date(2027, 2, 10))
    planner.plan(now, user_id=user_id)
    assert min(row.local_date for row in course_rows(engine, user_id)) >= date(2027, 2, 10)
    store.set_nudges(user_id, "stopped")
    planner.plan(now, user_id=user_id)
    assert course_rows(engine, user_id) == []
    store.set_nudges(user_id, "on")
    planner.plan(now, user_id=user_id)
    assert len(course_rows(engine, user_id)) == 31

    session_two = store.cohort(group_id).sessions[1]
    store.note_absence(user_id, session_two.id)
    store.note_absence(user_id, session_two.id)  # said twice: noted once
    planner.plan(now, user_id=user_id)
    slots = {row.slot for row in course_rows(engine, user_id)}
    assert "w2-after" not in slots and "w2-mid" in slots  # no "how was it?" after a session they missed
    assert store.absences(group_id) == [{"session": 2, "first_name": "Mieke"}]

    ExerciseStore(engine).subscribe(user_id, "09:00")  # a subscriber's own Sunday check-in covers the course's
    planner.plan(now, user_id=user_id)
    assert not [row for row in course_rows(engine, user_id) if row.kind == "course_checkin"]
    engine.dispose()


def test_the_outcome_check_compares_the_first_and_last_two_weeks(database_url: str) -> None:
    engine = make_engine(database_url)
    cohort = CohortStore(engine).cohort(running_group(engine, "2027-02-01T19:30"))
    weeks = [iso_week(date(2027, 2, 1) + timedelta(weeks=n)) for n in range(8)]
    assert outcome(cohort, {weeks[0]: 8, weeks[1]: 7, weeks[6]: 5, weeks[7]: 4}) == "better"
    assert outcome(cohort, {weeks[0]: 6, weeks[1]: 6, weeks[6]: 6, weeks[7]: 5.5}) == "no_change"
    assert outcome(cohort, {weeks[0]: 5, weeks[7]: 8}) == "no_change"  # worse is not better
    assert outcome(cohort, {weeks[0]: 8, weeks[3]: 2}) == "no_answers"  # nothing in the last two weeks
    assert outcome(cohort, {}) == "no_answers"
    rows = trend(cohort, {1: {weeks[0]: 8, weeks[1]: 6}, 2: {weeks[0]: 6}})
    assert rows == [(weeks[0], 7.0, 2), (weeks[1], 6.0, 1)]
    engine.dispose()


def test_an_enrolment_placed_in_a_group_gets_one_invitation(tmp_path) -> None:
    from tests.conftest import migrate

    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    group_id = running_group(engine)
    user_id = UserStore(engine).record_consent("web", "conv-1").id
    enrolment = CourseStore(engine).enrol(user_id, "Mieke", "mieke@example.org", "web")
    assert invite(engine, enrolment, group_id) and invite(engine, enrolment, group_id)
    invites = [row for row in course_rows(engine, user_id) if row.kind == "invite"]
    assert [row.slot for row in invites] == [f"invite-{group_id}"]
    assert CourseStore(engine).enrolment(enrolment).group_id == group_id
    assert not invite(engine, 999, group_id)
    engine.dispose()


# ---- the CLI ----


def test_the_cli_starts_moves_cancels_and_shows_a_group(tmp_path, monkeypatch, capsys) -> None:
    from bot.settings import get_settings
    from bot.storage import db
    from tests.conftest import migrate

    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    monkeypatch.setattr(db, "_default_engine", None)
    engine = make_engine(url)
    group_id = CourseStore(engine).add_group(title="Online dinsdag", start_date=date(2030, 2, 5), online=True,
                                             teacher="Sam")
    participant(engine, group_id)  # joins once the group has a code; here straight in the table
    assert main(["cohorts", "start", str(group_id), "--first", "2030-02-05T19:30"]) == 0
    code = CohortStore(engine).cohort(group_id).join_code
    assert code and f"join code {code}" in capsys.readouterr().out
    assert main(["cohorts", "move", str(group_id), "3", "--to", "2030-02-20T19:00"]) == 0
    assert main(["cohorts", "cancel", str(group_id), "5"]) == 0
    assert main(["cohorts", "set", str(group_id), "--teacher-contact", "sam@example.org", "--link", "https://meet.example/x"]) == 0
    capsys.readouterr()
    assert main(["cohorts", "show", str(group_id)]) == 0
    shown = capsys.readouterr().out
    assert "Wed 2030-02-20 19:00" in shown and "cancelled" in shown and "participant Mieke" in shown
    assert "sam@example.org" in shown and "pending:" in shown
    assert main(["cohorts", "move", str(group_id), "9", "--to", "2030-02-20T19:00"]) == 1
    assert main(["cohorts", "move", str(group_id), "3", "--to", "volgende week"]) == 2
    assert main(["cohorts", "set", str(group_id), "--timezone", "Mars/Olympus"]) == 2
    assert main(["cohorts", "start", "999", "--first", "2030-02-05T19:30"]) == 1
    assert main(["cohorts", "start"]) == 2
    err = capsys.readouterr().err
    assert "no session 9" in err and "geen datum" in err and "unknown time zone" in err and "no group 999" in err
    assert main(["cohorts", "list"]) == 0
    assert code in capsys.readouterr().out
    engine.dispose()
    get_settings.cache_clear()
