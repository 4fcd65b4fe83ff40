"""Exercise and subscription actions, run the way the action server runs them, against a real SQLite database."""
from __future__ import annotations

import base64
import random
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.exercises import (
    ActionAskDataConsent,
    ActionAskExerciseRating,
    ActionAskExerciseTime,
    ActionExerciseDone,
    ActionGiveExercise,
    ActionPauseExercises,
    ActionResumeExercises,
    ActionSaveExerciseFeedback,
    ActionStopExercises,
    ActionSubscribeExercises,
    ValidateExerciseFeedbackForm,
    ValidateExerciseTimeForm,
    choose_exercise,
    rating_from,
)
from actions.progress import ActionShowProgress
from bot import content
from bot.storage import UserStore
from bot.storage.exercises import ExerciseStore


def tracker(
    text: str = "",
    intent: str = "greet",
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "telegram:555",
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], "metadata": metadata or {}}
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": {"language": "nl", **(slots or {})},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


def validate(form, slot: str, value: Any, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    result = getattr(form, f"validate_{slot}")(value, dispatcher, tracker_, {})
    return result, dispatcher.messages


def slots(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def user_id(engine, sender: str = "telegram:555") -> int:
    channel, key = sender.split(":")
    found = UserStore(engine).get(channel, key)
    assert found is not None
    return found.id


@pytest.fixture
def agreed(action_db) -> None:
    """telegram:555 said yes to the privacy notice (the one way a profile comes to exist)."""
    UserStore(action_db).record_consent("telegram", "555")


# ---- one exercise now ----


def test_no_exercise_comes_back_within_14_days_while_others_remain() -> None:
    catalogue = content.exercises()
    rng = random.Random(7)
    recent: List[str] = []
    for _ in range(len(catalogue)):
        chosen = choose_exercise(recent, catalogue, rng)
        assert chosen["key"] not in recent
        recent.insert(0, chosen["key"])
    assert choose_exercise(recent, catalogue, rng)["key"] == recent[-1], "all used: the one longest ago"


async def test_an_exercise_has_numbered_steps_buttons_and_is_logged(action_db, agreed) -> None:
    messages, events = await run(ActionGiveExercise(), tracker(slots={"language": "en"}))
    [message] = messages
    key = slots(events)["last_exercise"]
    item = next(e for e in content.exercises() if e["key"] == key)
    assert message["text"].startswith(f"An exercise for you: {item['title']['en']}")
    for step in item["steps"]["en"]:
        assert step in message["text"]
    assert "[" not in message["text"]
    if item["needs_others"]:
        assert item["alone"]["en"] in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/exercise_done", "/request_exercise", "/exercise_later"]
    assert ExerciseStore(action_db).recent_keys(user_id(action_db)) == [key]


async def test_the_alone_variant_is_offered_with_every_exercise_that_needs_others(action_db, monkeypatch) -> None:
    social = next(item for item in content.exercises() if item["needs_others"])
    monkeypatch.setattr("actions.exercises.exercises", lambda: [social])
    messages, _ = await run(ActionGiveExercise(), tracker())
    assert social["alone"]["nl"] in messages[0]["text"]


async def test_a_scheduled_exercise_says_it_is_todays(action_db) -> None:
    messages, _ = await run(ActionGiveExercise(), tracker("EXTERNAL: request_exercise", "request_exercise", metadata={"is_external": True}))
    assert messages[0]["text"].startswith("Je oefening van vandaag")


async def test_fourteen_exercises_in_a_row_are_all_different(action_db, agreed) -> None:
    keys = []
    for _ in range(14):
        _, events = await run(ActionGiveExercise(), tracker())
        keys.append(slots(events)["last_exercise"])
    assert len(set(keys)) == 14


# ---- done, how it went ----


@pytest.mark.parametrize(
    "said, rating",
    [("4", 4), ("😀", 4), ("🙂", 3), ("😐", 2), ("🙁", 1), ("ging goed", 3), ("heel goed!", 4), ("niet goed", 1),
     ("viel tegen", 1), ("so-so", 2), ("it went well", 3), ("loved it", 4), ("banaan", None), ("", None)],
)
def test_how_it_went_from_faces_and_words(said: str, rating: Optional[int]) -> None:
    assert rating_from(said) == rating


async def test_done_then_rating_and_a_note_are_stored(action_db, agreed) -> None:
    await run(ActionGiveExercise(), tracker())
    messages, events = await run(ActionExerciseDone(), tracker("gedaan!", "exercise_done"))
    assert messages[0]["text"] == content.message("exercise_done", "nl")
    assert slots(events) == {"exercise_rating": None, "exercise_note": None}
    asked, _ = await run(ActionAskExerciseRating(), tracker())
    assert [b["title"] for b in asked[0]["buttons"]] == ["😀", "🙂", "😐", "🙁"]
    assert asked[0]["buttons"][0]["payload"] == '/inform{"exercise_rating": "4"}'
    form = ValidateExerciseFeedbackForm()
    result, said = validate(form, "exercise_rating", "pannenkoek", tracker("pannenkoek", "inform"))
    assert result == {"exercise_rating": None} and said[0]["text"] == content.message("rating_not_understood", "nl")
    result, _ = validate(form, "exercise_rating", "🙂", tracker("🙂", "inform"))
    assert result == {"exercise_rating": "3"}
    result, _ = validate(form, "exercise_note", "  de zon voelde fijn  ", tracker("de zon voelde fijn", "inform"))
    assert result == {"exercise_note": "de zon voelde fijn"}
    thanks, events = await run(ActionSaveExerciseFeedback(), tracker(slots={"exercise_rating": "3", "exercise_note": "de zon voelde fijn"}))
    assert thanks[0]["text"] == content.message("feedback_thanks", "nl")
    [row] = ExerciseStore(action_db).done_history(user_id(action_db))
    assert (row.rating, row.note) == (3, "de zon voelde fijn") and row.done_at is not None
    assert slots(events) == {"exercise_rating": None, "exercise_note": None}


async def test_skipping_the_questions_stores_no_rating_and_no_note(action_db, agreed) -> None:
    await run(ActionGiveExercise(), tracker())
    await run(ActionExerciseDone(), tracker("klaar", "exercise_done"))
    result, _ = validate(ValidateExerciseFeedbackForm(), "exercise_rating", "overslaan", tracker("overslaan", "inform"))
    assert result == {"exercise_rating": "skipped", "exercise_note": "skipped"}
    result, _ = validate(ValidateExerciseFeedbackForm(), "exercise_note", "/deny", tracker("/deny", "deny"))
    assert result == {"exercise_note": "skipped"}
    await run(ActionSaveExerciseFeedback(), tracker(slots={"exercise_rating": "skipped", "exercise_note": "skipped"}))
    [row] = ExerciseStore(action_db).done_history(user_id(action_db))
    assert (row.rating, row.note) == (None, None)


async def test_a_low_rating_gets_a_kind_answer_not_a_cheerful_one(action_db) -> None:
    await run(ActionGiveExercise(), tracker())
    await run(ActionExerciseDone(), tracker("gedaan", "exercise_done"))
    thanks, _ = await run(ActionSaveExerciseFeedback(), tracker(slots={"exercise_rating": "1", "exercise_note": "skipped"}))
    assert thanks[0]["text"] == content.message("feedback_thanks_low", "nl")


# ---- the daily subscription ----


@pytest.mark.parametrize("said, stored", [("om half negen", "08:30"), ("20:15", "20:15"), ("8pm", "20:00"), ("19:30", "19:30")])
def test_a_clear_time_is_accepted(said: str, stored: str) -> None:
    result, said_back = validate(ValidateExerciseTimeForm(), "exercise_time", said, tracker(said, "inform"))
    assert result == {"exercise_time": stored} and said_back == []


@pytest.mark.parametrize("said", ["na het eten", "after dinner", "soms", "9 of 10 uur"])
def test_a_vague_time_is_asked_again_kindly(said: str) -> None:
    result, said_back = validate(ValidateExerciseTimeForm(), "exercise_time", said, tracker(said, "inform"))
    assert result == {"exercise_time": None}
    assert said_back[0]["text"] == content.message("time_not_understood", "nl")


async def test_the_time_question_offers_morning_afternoon_evening(action_db) -> None:
    asked, _ = await run(ActionAskExerciseTime(), tracker(slots={"language": "en"}))
    assert [b["title"] for b in asked[0]["buttons"]] == ["Morning (09:00)", "Afternoon (14:00)", "Evening (19:30)"]
    assert asked[0]["buttons"][2]["payload"] == '/inform{"exercise_time": "19:30"}'


async def test_subscribe_repeats_the_time_then_a_change_says_so(action_db, agreed) -> None:
    said, events = await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "08:30"}))
    assert said[0]["text"] == content.message("subscribed", "nl", time="08:30", timezone="Europe/Amsterdam")
    assert slots(events) == {"exercise_time": None}
    said, _ = await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "20:15"}))
    assert said[0]["text"] == content.message("subscription_changed", "nl", time="20:15", timezone="Europe/Amsterdam")
    view = ExerciseStore(action_db).subscription(user_id(action_db))
    assert (view.local_time, view.timezone, view.active) == ("20:15", "Europe/Amsterdam", True)


async def test_a_time_zone_typed_with_the_time_is_used(action_db, agreed) -> None:
    result, _ = validate(ValidateExerciseTimeForm(), "exercise_time", "20:15 Europe/London", tracker("20:15 Europe/London", "inform"))
    assert result == {"exercise_time": "20:15 Europe/London"}
    said, _ = await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "20:15 Europe/London"}))
    assert said[0]["text"] == content.message("subscribed", "nl", time="20:15", timezone="Europe/London")
    assert ExerciseStore(action_db).subscription(user_id(action_db)).timezone == "Europe/London"
    result, _ = validate(ValidateExerciseTimeForm(), "exercise_time", "20:15 Mars/Olympus", tracker("x", "inform"))
    assert result == {"exercise_time": None}


async def test_the_browsers_time_zone_is_used_when_the_widget_sends_it(action_db, agreed) -> None:
    await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "09:00", "data_consent": "yes"}, sender_id="web:abcdefgh12", metadata={"timezone": "Europe/London"}))
    assert ExerciseStore(action_db).subscription(user_id(action_db, "web:abcdefgh12")).timezone == "Europe/London"
    await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "09:00", "data_consent": "yes"}, sender_id="web:zzzzzzzz12", metadata={"timezone": "Mars/Olympus"}))
    assert ExerciseStore(action_db).subscription(user_id(action_db, "web:zzzzzzzz12")).timezone == "Europe/Amsterdam"


async def test_pause_a_week_or_until_a_day_then_resume(action_db, agreed) -> None:
    await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "09:00"}))
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    said, _ = await run(ActionPauseExercises(), tracker("pauzeer een week", "pause_exercises"))
    week = today + timedelta(days=7)
    assert ExerciseStore(action_db).subscription(user_id(action_db)).paused_until == week
    assert f"{week.day} " in said[0]["text"]
    await run(ActionPauseExercises(), tracker("even pauze, ik ben op vakantie", "pause_exercises"))  # no end said: a week
    assert ExerciseStore(action_db).subscription(user_id(action_db)).paused_until == week
    await run(ActionPauseExercises(), tracker("pause my exercises for 3 days", "pause_exercises", slots={"language": "en"}))
    assert ExerciseStore(action_db).subscription(user_id(action_db)).paused_until == today + timedelta(days=3)
    said, _ = await run(ActionResumeExercises(), tracker("ga weer door", "resume_exercises"))
    assert said[0]["text"] == content.message("resumed", "nl", time="09:00")
    assert ExerciseStore(action_db).subscription(user_id(action_db)).paused_until is None


async def test_stop_in_one_step_and_never_a_new_profile(action_db, agreed) -> None:
    said, _ = await run(ActionStopExercises(), tracker("/stop_exercises", "stop_exercises", sender_id="telegram:777"))
    assert said[0]["text"] == content.message("not_subscribed", "nl")
    assert UserStore(action_db).get("telegram", "777") is None
    await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "09:00"}))
    said, events = await run(ActionStopExercises(), tracker("stop", "stop_exercises", slots={"exercise_time": "10:00"}))
    assert said[0]["text"] == content.message("stopped", "nl")
    assert ExerciseStore(action_db).subscription(user_id(action_db)).active is False
    assert slots(events)["exercise_time"] is None
    said, _ = await run(ActionPauseExercises(), tracker("pauzeer een week", "pause_exercises"))
    assert said[0]["text"] == content.message("not_subscribed", "nl")


async def test_without_consent_an_exercise_is_given_and_nothing_is_stored(action_db) -> None:
    said, events = await run(ActionGiveExercise(), tracker("een oefening", "request_exercise"))
    assert said[0]["buttons"] and slots(events)["last_exercise"]
    again, _ = await run(ActionGiveExercise(), tracker("nog een", "request_exercise", slots=slots(events)))
    assert slots(_)["last_exercise"] != slots(events)["last_exercise"], "not the same one twice in a row"
    await run(ActionExerciseDone(), tracker("gedaan", "exercise_done"))
    await run(ActionSaveExerciseFeedback(), tracker(slots={"exercise_rating": "4", "exercise_note": "fijn"}))
    assert UserStore(action_db).get("telegram", "555") is None
    with action_db.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from exercise_log").scalar() == 0


async def test_the_subscription_form_asks_consent_first_and_only_once(action_db) -> None:
    form = ValidateExerciseTimeForm()
    asked = await form.required_slots(["data_consent", "exercise_time"], CollectingDispatcher(), tracker(), {})
    assert asked == ["data_consent", "exercise_time"]
    said, _ = await run(ActionAskDataConsent(), tracker())
    notice = content.privacy_notice("nl")
    assert said[0]["text"] == notice and [b["payload"] for b in said[0]["buttons"]] == ["/affirm", "/deny"]
    assert "/vergeet" in notice and "/mijngegevens" in notice
    result, _ = validate(form, "data_consent", "yes", tracker("ja", "affirm"))
    assert result == {"data_consent": "yes"}
    assert UserStore(action_db).with_consent("telegram", "555") is not None
    asked = await form.required_slots(["data_consent", "exercise_time"], CollectingDispatcher(), tracker(), {})
    assert asked == ["exercise_time"], "someone who agreed before is not asked again"


async def test_a_subscription_without_a_yes_stores_nothing(action_db) -> None:
    said, _ = await run(ActionSubscribeExercises(), tracker(slots={"exercise_time": "09:00"}))
    assert said[0]["text"] == content.message("consent_declined", "nl")
    assert UserStore(action_db).get("telegram", "555") is None


# ---- progress ----


async def test_no_history_gets_an_encouraging_line_not_an_empty_chart(action_db) -> None:
    said, _ = await run(ActionShowProgress(), tracker("hoe gaat het met mijn oefeningen", "ask_progress"))
    assert said == [{**said[0], "text": content.message("no_progress_yet", "nl")}]
    assert UserStore(action_db).get("telegram", "555") is None, "looking does not create a profile"


async def test_progress_is_a_summary_and_a_png_with_that_summary_as_alt_text(action_db, agreed) -> None:
    for _ in range(3):
        await run(ActionGiveExercise(), tracker())
        await run(ActionExerciseDone(), tracker("gedaan", "exercise_done"))
    ExerciseStore(action_db).save_checkin(user_id(action_db), 6, date.today())
    said, _ = await run(ActionShowProgress(), tracker("how am I doing", "ask_progress", slots={"language": "en"}))
    summary, chart = said
    assert summary["text"].startswith("You did 3 exercises")
    image = chart["custom"]["image"]
    assert image.startswith("data:image/png;base64,")
    assert base64.b64decode(image.split(",", 1)[1])[:4] == b"\x89PNG"
    assert chart["custom"]["alt"] == summary["text"]


# ---- the weekly check-in ----


@pytest.mark.parametrize("said, score", [("7", 7), ("een 6", 6), ("zes denk ik", 6), ("probably 3", 3), ("0", 0),
                                         ("10!", 10), ("11", None), ("6 of 7", None), ("geen idee", None)])
def test_a_check_in_score_from_what_people_type(said: str, score: Optional[int]) -> None:
    from actions.exercises import score_from

    assert score_from(said) == score


async def test_the_check_in_is_stored_per_week_and_answering_again_replaces_it(action_db, agreed) -> None:
    from actions.exercises import ActionAskCheckinScore, ActionSaveCheckin, ValidateCheckinForm

    asked, _ = await run(ActionAskCheckinScore(), tracker())
    assert [b["title"] for b in asked[0]["buttons"]] == [str(n) for n in range(11)] + ["Overslaan"]
    result, said = validate(ValidateCheckinForm(), "checkin_score", "heel erg", tracker("heel erg", "inform"))
    assert result == {"checkin_score": None} and said[0]["text"] == content.message("checkin_not_understood", "nl")
    result, _ = validate(ValidateCheckinForm(), "checkin_score", "een 6", tracker("een 6", "inform"))
    assert result == {"checkin_score": "6"}
    thanks, events = await run(ActionSaveCheckin(), tracker(slots={"checkin_score": "6"}))
    assert thanks[0]["text"] == content.message("checkin_saved", "nl") and slots(events) == {"checkin_score": None}
    await run(ActionSaveCheckin(), tracker(slots={"checkin_score": "4"}))
    week = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isocalendar()
    assert ExerciseStore(action_db).checkins(user_id(action_db)) == {f"{week[0]}-W{week[1]:02d}": 4}


def test_a_slot_reset_by_an_action_is_not_judged_as_an_answer() -> None:
    """Resetting a slot (None) before a form starts must not produce "I couldn't place that" or a note "None"."""
    from actions.course import ValidateEnrolmentForm
    from actions.exercises import ValidateCheckinForm

    forms = [(ValidateExerciseFeedbackForm(), "exercise_rating"), (ValidateExerciseFeedbackForm(), "exercise_note"),
             (ValidateExerciseTimeForm(), "exercise_time"), (ValidateCheckinForm(), "checkin_score"),
             (ValidateEnrolmentForm(), "contact"), (ValidateEnrolmentForm(), "first_name")]
    for form, slot in forms:
        result, said = validate(form, slot, None, tracker())
        assert (result, said) == ({slot: None}, []), slot
