"""The course participants' actions (Tracker.from_dict + CollectingDispatcher against a real SQLite database):
joining with a code (wrong, expired, paused after five tries), the course messages, the outcome check in all
three cases, absences, the teacher's contact, pause and stop in one step."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.exercises import ActionPauseExercises, ActionStopExercises
from actions.participants import (
    PAUSED, ActionAnnounceAbsence, ActionCourseMessage, ActionJoinCourse, ActionJoinNo, ActionTeacherContact,
    ValidateJoinForm, when,
)
from bot.content import closing_text, message, nudge_text
from bot.storage import UserStore, session_scope
from bot.storage.cohorts import CohortStore
from bot.storage.course import CourseStore
from bot.storage.exercises import ExerciseStore, iso_week
from bot.storage.models import OutboxMessage, utcnow

SENDER = "telegram:777"


def tracker(text: str = "", intent: str = "greet", slots: Optional[Dict[str, Any]] = None,
            entities: Optional[List[Dict[str, Any]]] = None, requested: Optional[str] = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "metadata": {}}
    return Tracker.from_dict({
        "sender_id": SENDER,
        "slots": {"language": "nl", "requested_slot": requested, **(slots or {})},
        "latest_message": latest,
        "events": [{"event": "user", "text": text, "parse_data": latest, "metadata": {}}],
        "paused": False, "followup_action": None, "active_loop": {"name": "join_form"} if requested else {},
        "latest_action_name": "action_listen",
    })


def run(action, tracker_: Tracker):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, events


def said(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(item.get("text") or "" for item in messages)


def group(engine, days_ahead: int = 3, teacher_contact: Optional[str] = "06 12345678") -> int:
    """A group whose first session is `days_ahead` days from now (negative: it has begun), weekly after."""
    group_id = CourseStore(engine).add_group(title="Zwolle dinsdag", start_date=utcnow().date(), place="Zwolle, De Kroon",
                                             teacher="Anna")
    first = (datetime.now() + timedelta(days=days_ahead)).replace(hour=19, minute=30, second=0, microsecond=0)
    CohortStore(engine).start(group_id, first)
    if teacher_contact:
        CohortStore(engine).set_details(group_id, teacher_contact=teacher_contact)
    return group_id


def joined(engine, group_id: int, share: bool = False) -> int:
    user_id = UserStore(engine).record_consent("telegram", "777").id
    CohortStore(engine).join(user_id, group_id, "Mieke", share)
    return user_id


def validate(slot: str, value: Any, engine, requested: Optional[str] = None, text: str = "") -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    form = ValidateJoinForm()
    result = getattr(form, f"validate_{slot}")(value, dispatcher, tracker(text, requested=requested or slot), {})
    return {"result": result, "said": said(dispatcher.messages)}


# ---- joining ----


def test_the_code_is_found_in_the_first_message_and_when_asked(action_db) -> None:
    form = ValidateJoinForm()
    found = asyncio.run(form.extract_join_code(CollectingDispatcher(), tracker("mijn code is k7q 2xm", "join_course"), {}))
    assert found == {"join_code": "K7Q2XM"}
    typed = asyncio.run(form.extract_join_code(CollectingDispatcher(), tracker("geen idee", "inform", requested="join_code"), {}))
    assert typed == {"join_code": "geen idee"}  # checked (and answered kindly) by validate_join_code
    asked_name = asyncio.run(form.extract_join_code(
        CollectingDispatcher(), tracker("K7Q2XM", "inform", requested="participant_name"), {}))
    assert asked_name == {}
    button = asyncio.run(form.extract_join_code(CollectingDispatcher(), tracker(
        "/join_course", "join_course", entities=[{"entity": "join_code", "value": "K7Q2XM"}]), {}))
    assert button == {"join_code": "K7Q2XM"}


def test_a_wrong_code_gets_a_kind_reask_and_five_in_an_hour_pause_the_trying(action_db) -> None:
    code = CohortStore(action_db).cohort(group(action_db)).join_code
    assert validate("join_code", code.lower(), action_db)["result"] == {"join_code": code}
    not_a_code = validate("join_code", "geen idee", action_db)
    assert not_a_code == {"result": {"join_code": None}, "said": message("join_code_wrong", "nl")}
    assert CohortStore(action_db).wrong_tries(SENDER) == 0  # words are no guess
    for attempt in range(4):
        wrong = validate("join_code", "ZZZ999", action_db)
        assert wrong["result"] == {"join_code": None}
        assert wrong["said"] == message("join_code_wrong", "nl")
    fifth = validate("join_code", "YYY888", action_db)
    assert fifth["result"] == {"join_code": PAUSED} and fifth["said"] == ""
    # even the right code is not tried now: no guessing
    assert validate("join_code", code, action_db)["result"] == {"join_code": PAUSED}
    messages, events = run(ActionJoinCourse(), tracker(slots={"join_code": PAUSED}))
    assert said(messages) == message("join_paused", "nl", minutes=60)
    messages, events = run(ActionJoinCourse(), tracker(slots={"join_code": None}))  # paused before a code was asked
    assert said(messages) == message("join_paused", "nl", minutes=60)
    assert CohortStore(action_db).participants(1) == []
    required = asyncio.run(ValidateJoinForm().required_slots(
        ["join_code", "data_consent", "participant_name", "share_checkins"], CollectingDispatcher(), tracker(), {}))
    assert required == []  # a new try within the hour asks nothing


def test_the_code_of_a_finished_group_says_so(action_db) -> None:
    group_id = group(action_db, days_ahead=-70)  # the last session was two weeks ago
    code = CohortStore(action_db).cohort(group_id).join_code
    result = validate("join_code", code, action_db)
    assert result == {"result": {"join_code": None}, "said": message("join_code_expired", "nl")}
    assert CohortStore(action_db).wrong_tries(SENDER) == 0  # an expired code is no guess


def test_joining_stores_the_participant_and_plans_their_messages(action_db) -> None:
    group_id = group(action_db)
    cohort = CohortStore(action_db).cohort(group_id)
    UserStore(action_db).record_consent("telegram", "777")
    slots = {"join_code": cohort.join_code, "data_consent": "yes", "participant_name": "Mieke", "share_checkins": "yes"}
    messages, events = run(ActionJoinCourse(), tracker(slots=slots))
    assert said(messages) == message("joined", "nl", group="Zwolle dinsdag", when=when(cohort.held[0], "nl"),
                                     place="Zwolle, De Kroon")
    [person] = CohortStore(action_db).participants(group_id)
    assert (person.first_name, person.share_checkins, person.nudges) == ("Mieke", True, "on")
    with session_scope(action_db) as session:
        kinds = {row.kind for row in session.query(OutboxMessage).filter_by(user_id=person.user_id, state="pending")}
    assert {"nudge", "course_checkin", "closing"} <= kinds
    again, _ = run(ActionJoinCourse(), tracker(slots=slots))
    assert said(again) == message("joined_again", "nl", group="Zwolle dinsdag")


def test_no_to_the_last_question_still_joins_and_no_earlier_stores_nothing(action_db) -> None:
    group_id = group(action_db)
    code = CohortStore(action_db).cohort(group_id).join_code
    messages, _ = run(ActionJoinNo(), tracker("nee", "deny", slots={"join_code": code}))
    assert said(messages) == message("join_left", "nl") and CohortStore(action_db).participants(group_id) == []
    UserStore(action_db).record_consent("telegram", "777")
    messages, _ = run(ActionJoinNo(), tracker("stop", "stop_exercises", slots={"join_code": code, "participant_name": "Mieke"}))
    assert said(messages) == message("join_left", "nl") and CohortStore(action_db).participants(group_id) == []
    messages, _ = run(ActionJoinNo(), tracker("nee", "deny", slots={"join_code": code, "participant_name": "Mieke"}))
    assert said(messages).startswith("Welkom bij de groep Zwolle dinsdag")
    [person] = CohortStore(action_db).participants(group_id)
    assert person.share_checkins is False


def test_nothing_is_stored_without_consent(action_db) -> None:
    group_id = group(action_db)
    slots = {"join_code": CohortStore(action_db).cohort(group_id).join_code, "participant_name": "Mieke"}
    messages, _ = run(ActionJoinCourse(), tracker(slots=slots))
    assert said(messages) == message("consent_declined", "nl")
    assert CohortStore(action_db).participants(group_id) == [] and UserStore(action_db).get("telegram", "777") is None


# ---- course messages ----


def outbox_slot(value: str) -> List[Dict[str, Any]]:
    return [{"entity": "outbox_slot", "value": value}]


def test_a_reminder_names_the_session_and_the_place_and_a_cancelled_one_says_nothing(action_db) -> None:
    group_id = group(action_db)
    joined(action_db, group_id)
    cohort = CohortStore(action_db).cohort(group_id)
    messages, _ = run(ActionCourseMessage(), tracker("", "course_nudge", entities=outbox_slot("w2-before")))
    assert said(messages) == nudge_text(2, "before", "nl", when=when(cohort.held[1], "nl"), place="Zwolle, De Kroon")
    messages, _ = run(ActionCourseMessage(), tracker("", "course_nudge", entities=outbox_slot("w1-mid")))
    assert said(messages) == nudge_text(1, "mid", "nl")
    CohortStore(action_db).cancel(group_id, 2)
    messages, _ = run(ActionCourseMessage(), tracker("", "course_nudge", entities=outbox_slot("w2-before")))
    assert messages == []


def test_asked_for_it_a_participant_gets_this_weeks_assignment_and_others_hear_what_it_is_for(action_db) -> None:
    messages, _ = run(ActionCourseMessage(), tracker("wat is de opdracht van deze week", "course_nudge"))
    assert said(messages) == message("absence_not_participant", "nl")
    joined(action_db, group(action_db, days_ahead=-8))  # session 2 was yesterday
    messages, _ = run(ActionCourseMessage(), tracker("wat is de opdracht van deze week", "course_nudge"))
    assert said(messages) == nudge_text(2, "mid", "nl")


@pytest.mark.parametrize("scores, result", [
    ((8, 7, 4, 3), "better"),
    ((6, 6, 6, 5), "no_change"),
    ((), "no_answers"),
])
def test_the_closing_message_in_all_three_cases(action_db, scores, result) -> None:
    group_id = group(action_db, days_ahead=-50)
    user_id = joined(action_db, group_id)
    held = CohortStore(action_db).cohort(group_id).held
    for session, score in zip((held[0], held[1], held[6], held[7]), scores):
        ExerciseStore(action_db).save_checkin(user_id, score, session.starts_local.date())
    assert {iso_week(one.starts_local.date()) for one in held[6:]}  # the last two weeks exist
    messages, _ = run(ActionCourseMessage(), tracker("", "course_nudge", entities=outbox_slot("closing")))
    [closing] = messages
    assert closing["text"] == closing_text(result, "nl")
    payloads = [button["payload"] for button in closing.get("buttons") or []]
    assert payloads == (["/subscribe_exercises"] if result == "better" else [])
    if result == "no_change":
        assert "huisarts" in closing["text"] and "Luisterlijn" in closing["text"]


def test_an_invitation_carries_the_code_and_a_join_button(action_db) -> None:
    group_id = group(action_db)
    code = CohortStore(action_db).cohort(group_id).join_code
    messages, _ = run(ActionCourseMessage(), tracker("", "course_nudge", entities=outbox_slot(f"invite-{group_id}")))
    [invitation] = messages
    assert code in invitation["text"] and "Zwolle, De Kroon" in invitation["text"]
    assert invitation["buttons"] == [{"title": message("button_join", "nl"),
                                      "payload": f'/join_course{{"join_code": "{code}"}}'}]


# ---- what a participant says ----


def test_cant_come_next_week_is_noted_for_the_next_session(action_db) -> None:
    messages, _ = run(ActionAnnounceAbsence(), tracker("ik kan er volgende week niet zijn", "announce_absence"))
    assert said(messages) == message("absence_not_participant", "nl")
    group_id = group(action_db, days_ahead=-2)  # the next session is in five days: session 2
    joined(action_db, group_id)
    cohort = CohortStore(action_db).cohort(group_id)
    messages, _ = run(ActionAnnounceAbsence(), tracker("ik kan er volgende week niet zijn", "announce_absence"))
    assert said(messages) == message("absence_noted", "nl", when=when(cohort.held[1], "nl"), teacher="Anna")
    assert CohortStore(action_db).absences(group_id) == [{"session": 2, "first_name": "Mieke"}]


def test_a_participant_asking_for_a_person_also_gets_their_teacher(action_db) -> None:
    messages, _ = run(ActionTeacherContact(), tracker("ik wil een mens spreken", "request_human"))
    assert messages == []  # not a participant: De Luisterlijn only (utter_request_human)
    joined(action_db, group(action_db))
    messages, _ = run(ActionTeacherContact(), tracker("ik wil een mens spreken", "request_human"))
    assert said(messages) == message("teacher_contact", "nl", teacher="Anna", contact="06 12345678")


def test_pause_and_stop_cover_course_messages_in_one_step(action_db) -> None:
    group_id = group(action_db)
    user_id = joined(action_db, group_id)
    messages, _ = run(ActionPauseExercises(), tracker("pauzeer de cursusberichten een week", "pause_exercises"))
    assert said(messages).startswith("Goed, tot ")
    assert CohortStore(action_db).participant(user_id).nudges == "paused"
    messages, _ = run(ActionStopExercises(), tracker("stop", "stop_exercises"))
    assert said(messages) == message("nudges_stopped", "nl")
    assert CohortStore(action_db).participant(user_id).nudges == "stopped"
    with session_scope(action_db) as session:
        assert session.query(OutboxMessage).filter_by(user_id=user_id, state="pending").count() == 0


def test_an_answer_to_a_course_message_is_heard_without_a_menu(action_db) -> None:
    from actions.participants import ActionCourseReply

    messages, _ = run(ActionCourseReply(), tracker("het zingen vond ik het leukst", "nlu_fallback"))
    assert messages == [dict(messages[0], text=message("course_reply_thanks", "nl"))]
    assert not messages[0].get("buttons")
