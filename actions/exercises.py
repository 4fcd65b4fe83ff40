"""Daily positive micro-exercises: one now, done / another / later, how it went, and the daily subscription."""
from __future__ import annotations

import logging
import random
import re
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Text, Tuple
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.participants import pause_nudges, resume_nudges, stop_nudges
from actions.common import AsksConsent, typed_answer, exercise_store, identify, is_scheduled, language_of, latest_metadata, user_store
from bot.content import date_in_words, exercises, message, privacy_notice
from bot.timeparse import format_time, parse_pause_until, parse_time

logger = logging.getLogger(__name__)

REPEAT_AFTER_DAYS = 14
# How it went: the buttons' values and what people type instead.
RATINGS = {"4": 4, "3": 3, "2": 2, "1": 1, "😀": 4, "😄": 4, "😃": 4, "🙂": 3, "😊": 3, "😐": 2, "😕": 2, "🙁": 1, "☹️": 1}
RATING_WORDS = {
    4: ("heel goed", "super", "top", "geweldig", "leuk", "fijn", "loved", "great", "really good", "very well"),
    3: ("goed", "ging goed", "prima", "wel aardig", "good", "went well", "fine", "nice"),
    2: ("ging wel", "gaat wel", "matig", "zozo", "so-so", "so so", "okay", "ok", "meh"),
    1: ("viel tegen", "niet goed", "slecht", "lastig", "moeilijk", "not great", "bad", "hard", "didn't work"),
}
SKIP_WORDS = ("nee", "no", "liever niet", "rather not", "niks", "nothing", "overslaan", "skip", "-", "laat maar")
MAX_NOTE_CHARS = 500


def user_id_of(tracker: Tracker) -> Optional[int]:
    """This person's id in our tables when they agreed to the privacy notice; None: nothing is stored for them."""
    user = user_store().with_consent(*identify(tracker))
    return user.id if user is not None else None


def choose_exercise(recent: List[str], catalogue: List[Dict[str, Any]], rng: random.Random = random.Random()) -> Dict[str, Any]:
    """One exercise this person did not get in the last 14 days while others remain; else the least recent."""
    fresh = [item for item in catalogue if item["key"] not in recent]
    if fresh:
        return rng.choice(fresh)
    by_age = {key: index for index, key in enumerate(recent)}  # recent is newest first
    oldest = max(by_age.get(item["key"], -1) for item in catalogue)
    return next(item for item in catalogue if by_age.get(item["key"], -1) == oldest)


def exercise_text(item: Dict[str, Any], language: str, scheduled: bool) -> str:
    steps = item["steps"][language]
    lines = steps[0] if len(steps) == 1 else "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
    text = message(
        "exercise_today" if scheduled else "exercise", language,
        title=item["title"][language], minutes=item["minutes"], steps=lines, why=item["why"][language],
    )
    if item.get("alone"):
        text += "\n\n" + message("exercise_alone", language, alone=item["alone"][language])
    return text


class ActionGiveExercise(Action):
    """One exercise now, with buttons: done / another one / later."""

    def name(self) -> Text:
        return "action_give_exercise"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        catalogue = exercises()
        scheduled = is_scheduled(tracker)
        store = exercise_store()
        try:
            user_id = user_id_of(tracker)
            recent = store.recent_keys(user_id, REPEAT_AFTER_DAYS) if user_id is not None else []
        except SQLAlchemyError:
            logger.exception("could not read the exercise history; choosing without it")
            user_id, recent = None, []
        recent = recent or [tracker.get_slot("last_exercise") or ""]  # no history kept: at least not the same twice
        choice = choose_exercise(recent, catalogue)
        if user_id is not None:
            try:
                store.log_given(user_id, choice["key"], scheduled=scheduled)
            except SQLAlchemyError:
                logger.exception("could not log the exercise given")
        buttons = [
            {"title": message("button_done", language), "payload": "/exercise_done"},
            {"title": message("button_another", language), "payload": "/request_exercise"},
            {"title": message("button_later", language), "payload": "/exercise_later"},
        ]
        dispatcher.utter_message(text=exercise_text(choice, language, scheduled), buttons=buttons)
        return [SlotSet("last_exercise", choice["key"])]


class ActionExerciseDone(Action):
    """"Gedaan!": the latest exercise is marked done (the feedback form asks how it went)."""

    def name(self) -> Text:
        return "action_exercise_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        try:
            user_id = user_id_of(tracker)
            if user_id is not None:
                exercise_store().mark_done(user_id)
        except SQLAlchemyError:
            logger.exception("could not mark the exercise done")
        dispatcher.utter_message(text=message("exercise_done", language_of(tracker)))
        return [SlotSet("exercise_rating", None), SlotSet("exercise_note", None)]


def rating_from(text: str) -> Optional[int]:
    """1-4 from a button value, an emoji or a few words; None when it is not clear."""
    value = (text or "").strip().lower().rstrip("!.")
    if value in RATINGS:
        return RATINGS[value]
    for emoji, rating in RATINGS.items():
        if not emoji.isdigit() and emoji in value:
            return rating
    for rating in (1, 2, 4, 3):  # "niet goed" before "goed", "heel goed" before "goed"
        if any(word == value or f" {word}" in f" {value}" for word in RATING_WORDS[rating]):
            return rating
    return None


class ValidateExerciseFeedbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_exercise_feedback_form"

    @typed_answer
    def validate_exercise_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if _skipped(value, tracker):
            return {"exercise_rating": "skipped", "exercise_note": "skipped"}
        rating = rating_from(str(value))
        if rating is None:
            dispatcher.utter_message(text=message("rating_not_understood", language_of(tracker)))
            return {"exercise_rating": None}
        return {"exercise_rating": str(rating)}

    @typed_answer
    def validate_exercise_note(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if _skipped(value, tracker):
            return {"exercise_note": "skipped"}
        return {"exercise_note": str(value).strip()[:MAX_NOTE_CHARS] or "skipped"}


def _skipped(value: Any, tracker: Tracker) -> bool:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return intent == "deny" or str(value or "").strip().lower().rstrip("!.") in SKIP_WORDS


class ActionSaveExerciseFeedback(Action):
    def name(self) -> Text:
        return "action_save_exercise_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        rating_slot, note_slot = tracker.get_slot("exercise_rating"), tracker.get_slot("exercise_note")
        rating = int(rating_slot) if rating_slot and str(rating_slot).isdigit() else None
        note = note_slot if note_slot and note_slot != "skipped" else None
        try:
            user_id = user_id_of(tracker)
            if user_id is not None:
                exercise_store().save_feedback(user_id, rating, note)
        except SQLAlchemyError:
            logger.exception("could not store the feedback")
        dispatcher.utter_message(text=message("feedback_thanks_low" if rating == 1 else "feedback_thanks", language_of(tracker)))
        return [SlotSet("exercise_rating", None), SlotSet("exercise_note", None)]


class ActionAskExerciseRating(Action):
    """The feedback form's first question, with a face per answer."""

    def name(self) -> Text:
        return "action_ask_exercise_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        faces = message("rating_buttons", language).split("|")
        buttons = [
            {"title": face, "payload": f'/inform{{"exercise_rating": "{value}"}}'} for face, value in zip(faces, "4321")
        ]
        dispatcher.utter_message(text=message("ask_exercise_rating", language), buttons=buttons)
        return []


class ActionAskExerciseNote(Action):
    def name(self) -> Text:
        return "action_ask_exercise_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        buttons = [{"title": message("button_rather_not", language), "payload": "/deny"}]
        dispatcher.utter_message(text=message("ask_exercise_note", language), buttons=buttons)
        return []


# ---- the daily subscription ----

TIME_CHOICES = ("09:00", "14:00", "19:30")


class ActionAskDataConsent(Action):
    """The privacy notice: what is stored, why, how long, how to delete; yes or rather not."""

    def name(self) -> Text:
        return "action_ask_data_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        buttons = [
            {"title": message("button_consent_yes", language), "payload": "/affirm"},
            {"title": message("button_rather_not", language), "payload": "/deny"},
        ]
        dispatcher.utter_message(text=privacy_notice(language), buttons=buttons)
        return []


class ActionAskExerciseTime(Action):
    """Morning, afternoon or evening as buttons, or any clock time typed."""

    def name(self) -> Text:
        return "action_ask_exercise_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        titles = message("time_buttons", language).split("|")
        buttons = [
            {"title": title, "payload": f'/inform{{"exercise_time": "{value}"}}'} for title, value in zip(titles, TIME_CHOICES)
        ]
        dispatcher.utter_message(text=message("ask_exercise_time", language), buttons=buttons)
        return []


class ValidateExerciseTimeForm(AsksConsent, FormValidationAction):
    def name(self) -> Text:
        return "validate_exercise_time_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """The privacy notice comes first, once: only for someone who has not agreed to it yet."""
        return self.consent_first(domain_slots, tracker)

    @typed_answer
    def validate_exercise_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text, zone = split_timezone(str(value or ""))
        parsed = parse_time(text)
        if parsed is None:
            dispatcher.utter_message(text=message("time_not_understood", language_of(tracker)))
            return {"exercise_time": None}
        chosen = format_time(parsed, language_of(tracker))
        return {"exercise_time": f"{chosen} {zone}" if zone else chosen}


ZONE_NAME = re.compile(r"\b[A-Z][A-Za-z_]+(?:/[A-Za-z_\-]+){1,2}\b")


def split_timezone(text: str) -> Tuple[str, Optional[str]]:
    """"20:15 Europe/London" -> ("20:15", "Europe/London"): someone elsewhere names their time zone."""
    for match in ZONE_NAME.finditer(text or ""):
        try:
            ZoneInfo(match.group(0))
        except (ValueError, KeyError, OSError):
            continue
        return (text[:match.start()] + text[match.end():]).strip(), match.group(0)
    return text, None


class ActionSubscribeExercises(Action):
    """Store the subscription (or its new time) and repeat the time back."""

    def name(self) -> Text:
        return "action_subscribe_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        chosen, named_zone = split_timezone(str(tracker.get_slot("exercise_time") or ""))
        parsed = parse_time(chosen)
        if parsed is None:  # cannot happen after the form; kept so a broken slot never subscribes at a wrong time
            dispatcher.utter_message(text=message("time_not_understood", language_of(tracker)))
            return [SlotSet("exercise_time", None)]
        local_time = parsed.strftime("%H:%M")
        try:
            user_id = user_id_of(tracker)
            if user_id is None and tracker.get_slot("data_consent") == "yes":  # agreed in this form just now
                user_id = user_store().record_consent(*identify(tracker), language_of(tracker)).id
            if user_id is None:  # the form asks first; never store anything without that yes
                dispatcher.utter_message(text=message("consent_declined", language_of(tracker)))
                return [SlotSet("exercise_time", None)]
            store = exercise_store()
            existing = store.subscription(user_id)
            zone = named_zone or (existing.timezone if existing else _timezone_from(tracker))
            store.subscribe(user_id, local_time, zone)
        except SQLAlchemyError:
            logger.exception("could not store the subscription")
            dispatcher.utter_message(text=message("data_unavailable", language_of(tracker)))
            return [SlotSet("exercise_time", None)]
        changed = existing is not None and existing.active
        key = "subscription_changed" if changed else "subscribed"
        dispatcher.utter_message(text=message(key, language_of(tracker), time=local_time, timezone=zone))
        return [SlotSet("exercise_time", None)]


def _timezone_from(tracker: Tracker) -> str:
    """A time zone the channel told us (the widget sends the browser's), else the default."""
    from bot.settings import get_settings

    zone = latest_metadata(tracker).get("timezone") or (tracker.get_slot("session_started_metadata") or {}).get("timezone")
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
            return zone
        except (ValueError, KeyError, OSError):
            pass
    return get_settings().default_timezone


class ActionPauseExercises(Action):
    """"Pauzeer een week" / "tot maandag": no daily exercise until then (a week when no end is said)."""

    def name(self) -> Text:
        return "action_pause_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        """Daily exercises and, for a course participant, the messages between sessions: both wait."""
        language = language_of(tracker)
        try:
            user_id = user_id_of(tracker)
            store = exercise_store()
            subscription = store.subscription(user_id) if user_id is not None else None
            daily = subscription is not None and subscription.active
            zone = subscription.timezone if subscription is not None else _timezone_from(tracker)
            today = datetime.now(ZoneInfo(zone)).date()
            until = parse_pause_until(tracker.latest_message.get("text") or "", today) or date.fromordinal(
                today.toordinal() + 7
            )
            if daily:
                store.pause(user_id, until)
            course = user_id is not None and pause_nudges(user_id, until)
        except SQLAlchemyError:
            logger.exception("could not pause")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        if daily:
            dispatcher.utter_message(text=message("paused", language, until=_day(until, language)))
        if course:
            dispatcher.utter_message(text=message("nudges_paused", language, until=_day(until, language)))
        if not daily and not course:
            dispatcher.utter_message(text=message("not_subscribed", language))
        return []


class ActionResumeExercises(Action):
    def name(self) -> Text:
        return "action_resume_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            user_id = user_id_of(tracker)
            store = exercise_store()
            subscription = store.subscription(user_id) if user_id is not None else None
            if subscription is not None:
                store.resume(user_id)
            course = user_id is not None and resume_nudges(user_id)
        except SQLAlchemyError:
            logger.exception("could not resume")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        if subscription is not None:
            dispatcher.utter_message(text=message("resumed", language, time=subscription.local_time))
        if course:
            dispatcher.utter_message(text=message("nudges_resumed", language))
        if subscription is None and not course:
            dispatcher.utter_message(text=message("not_subscribed", language))
        return []


class ActionStopExercises(Action):
    """Stop daily exercises (and a participant's course messages) in one step, from any state (also mid-form)."""

    def name(self) -> Text:
        return "action_stop_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        channel, channel_user_id = identify(tracker)
        try:
            user = user_store().get(channel, channel_user_id)  # stopping never creates a profile
            stopped = user is not None and _stop(user.id)
            course = user is not None and stop_nudges(user.id)
        except SQLAlchemyError:
            logger.exception("could not stop the daily exercises")
            dispatcher.utter_message(text=message("data_unavailable", language_of(tracker)))
            return []
        if stopped or not course:
            dispatcher.utter_message(text=message("stopped" if stopped else "not_subscribed", language_of(tracker)))
        if course:
            dispatcher.utter_message(text=message("nudges_stopped", language_of(tracker)))
        return [SlotSet("exercise_time", None), SlotSet("exercise_rating", None), SlotSet("exercise_note", None)]


def _stop(user_id: int) -> bool:
    store = exercise_store()
    subscription = store.subscription(user_id)
    return subscription is not None and subscription.active and store.stop(user_id)


def _day(value: date, language: str) -> str:
    return date_in_words(value, language)




# ---- the weekly check-in ----

NUMBER_WORDS = {
    "nul": 0, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
    "negen": 9, "tien": 10, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}


def score_from(text: str) -> Optional[int]:
    """0-10 from "7", "een 6", "zes denk ik", "probably 3"; None when there is no single clear number."""
    words = re.findall(r"\d+|[^\W\d_]+", (text or "").lower())
    found = {int(word) if word.isdigit() else NUMBER_WORDS[word] for word in words if word.isdigit() or word in NUMBER_WORDS}
    if "een" in words and len(found) > 1:  # "een 6": the article, not the number one
        found.discard(1)
    if len(found) != 1:
        return None
    value = found.pop()
    return value if 0 <= value <= 10 else None


class ActionAskCheckinScore(Action):
    def name(self) -> Text:
        return "action_ask_checkin_score"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        buttons = [{"title": str(n), "payload": f'/inform{{"checkin_score": "{n}"}}'} for n in range(11)]
        buttons.append({"title": message("button_skip", language), "payload": "/deny"})
        dispatcher.utter_message(text=message("ask_checkin_score", language), buttons=buttons)
        return []


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_checkin_form"

    @typed_answer
    def validate_checkin_score(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        score = score_from(str(value or ""))
        if score is None:
            dispatcher.utter_message(text=message("checkin_not_understood", language_of(tracker)))
            return {"checkin_score": None}
        return {"checkin_score": str(score)}


class ActionSaveCheckin(Action):
    def name(self) -> Text:
        return "action_save_checkin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        score = score_from(str(tracker.get_slot("checkin_score") or ""))
        try:
            user_id = user_id_of(tracker)
            store = exercise_store()
            subscription = store.subscription(user_id) if user_id is not None else None
            zone = subscription.timezone if subscription else _timezone_from(tracker)
            if score is not None and user_id is not None:
                store.save_checkin(user_id, score, datetime.now(ZoneInfo(zone)).date())
            elif user_id is None:
                dispatcher.utter_message(text=message("thanks_not_kept", language))
                return [SlotSet("checkin_score", None)]
        except SQLAlchemyError:
            logger.exception("could not store the check-in")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return [SlotSet("checkin_score", None)]
        dispatcher.utter_message(text=message("checkin_saved", language))
        return [SlotSet("checkin_score", None)]
