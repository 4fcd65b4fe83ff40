"""Course participants: joining a running group with its code, messages between sessions, absences, the teacher,
and the closing message with the two-month outcome check (bot/cohorts.py plans; these actions speak)."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import AsksConsent, cohort_store, identify, language_of, replan_course, typed_answer, user_store
from bot.cohorts import outcome
from bot.content import closing_text, date_in_words, message, nudge_text, weekday_name
from bot.storage.cohorts import CodeProblem, Cohort, ParticipantView, Session, code_in
from bot.storage.models import utcnow
from bot.validators import Invalid, clean_first_name

logger = logging.getLogger(__name__)

PAUSED = "PAUSED"  # join_code while trying codes is paused: the form ends and says so
JOIN_SLOTS = ("join_code", "data_consent", "participant_name", "share_checkins")


def when(one: Session, language: str) -> str:
    """"maandag 2 februari om 19:30" / "Monday 2 February at 19:30"."""
    moment = one.starts_local
    day = date_in_words(moment, language)
    return f"{weekday_name(moment.weekday(), language)} {day} {'at' if language == 'en' else 'om'} {moment:%H:%M}"


def where(cohort: Cohort, language: str) -> str:
    return cohort.where() or ("the place your teacher told you" if language == "en" else "de plek die je docent noemde")


def participant_of(tracker: Tracker) -> Optional[ParticipantView]:
    user = user_store().with_consent(*identify(tracker))
    return cohort_store().participant(user.id) if user is not None else None


def _slot_entity(tracker: Tracker) -> str:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "outbox_slot":
            return str(entity.get("value") or "")
    return ""


# ---- joining with a code ----


class ValidateJoinForm(AsksConsent, FormValidationAction):
    def name(self) -> Text:
        return "validate_join_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """Trying codes paused: nothing more is asked. Consent only from someone who has not given it yet."""
        if tracker.get_slot("join_code") == PAUSED:
            return []
        if tracker.get_slot("join_code") is None and self._paused(tracker):
            return []
        return self.consent_first(domain_slots, tracker)

    @staticmethod
    def _paused(tracker: Tracker) -> bool:
        from bot.settings import get_settings

        try:
            return cohort_store().wrong_tries(tracker.sender_id) >= get_settings().join_tries_per_hour
        except SQLAlchemyError:
            logger.exception("could not count wrong codes")
            return False

    async def extract_join_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A code in the message that started the form ("mijn code is K7Q2XM") or typed when asked for."""
        if tracker.get_slot("join_code") is not None or tracker.get_slot("requested_slot") not in (None, "join_code"):
            return {}
        latest = tracker.latest_message or {}
        if (latest.get("intent") or {}).get("name") in ("crisis", "deny", "stop_exercises", "request_human"):
            return {}
        for entity in latest.get("entities") or []:
            if entity.get("entity") == "join_code" and entity.get("value"):
                return {"join_code": str(entity["value"])}
        text = (latest.get("text") or "").strip()
        found = code_in(text)
        if found:
            return {"join_code": found}
        if tracker.get_slot("requested_slot") == "join_code" and text and not text.startswith("/"):
            return {"join_code": text}  # something else typed when asked: a wrong code, said kindly
        return {}

    @typed_answer
    def validate_join_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value == PAUSED:
            return {"join_code": PAUSED}
        language = language_of(tracker)
        store = cohort_store()
        code = code_in(str(value))
        if code is None:  # no code at all ("weet ik niet"): asked again, not counted as a guess
            dispatcher.utter_message(text=message("join_code_wrong", language))
            return {"join_code": None}
        try:
            if self._paused(tracker):
                return {"join_code": PAUSED}
            store.by_code(code)
            return {"join_code": code}
        except CodeProblem as problem:
            if problem.reason == "expired":
                dispatcher.utter_message(text=message("join_code_expired", language))
                return {"join_code": None}
            store.note_wrong_try(tracker.sender_id)
            if self._paused(tracker):
                return {"join_code": PAUSED}
            dispatcher.utter_message(text=message("join_code_wrong", language))
            return {"join_code": None}
        except SQLAlchemyError:
            logger.exception("could not look up a join code")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return {"join_code": None}

    @typed_answer
    def validate_participant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        try:
            return {"participant_name": clean_first_name(str(value))}
        except Invalid as problem:
            dispatcher.utter_message(text=message(f"invalid_{problem.reason}", language_of(tracker)))
            return {"participant_name": None}


class ActionAskJoinCode(Action):
    def name(self) -> Text:
        return "action_ask_join_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=message("join_ask_code", language_of(tracker)))
        return []


class ActionAskParticipantName(Action):
    def name(self) -> Text:
        return "action_ask_participant_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=message("join_ask_name", language_of(tracker)))
        return []


class ActionAskShareCheckins(Action):
    def name(self) -> Text:
        return "action_ask_share_checkins"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        buttons = [{"title": message("button_yes", language), "payload": "/affirm"},
                   {"title": message("button_no", language), "payload": "/deny"}]
        dispatcher.utter_message(text=message("join_ask_share", language), buttons=buttons)
        return []


def _clear_join() -> List[EventType]:
    return [SlotSet(slot, None) for slot in JOIN_SLOTS]


def _join(dispatcher: CollectingDispatcher, tracker: Tracker, share: bool) -> List[EventType]:
    language = language_of(tracker)
    code = tracker.get_slot("join_code")
    if code in (None, PAUSED):  # the form ended without a code: trying codes is paused
        try:
            minutes = cohort_store().minutes_until_retry(tracker.sender_id)
        except SQLAlchemyError:
            logger.exception("could not read the wrong codes")
            minutes = 60
        dispatcher.utter_message(text=message("join_paused", language, minutes=max(minutes, 1)))
        return _clear_join()
    try:
        store = cohort_store()
        cohort = store.by_code(str(code or ""))
        user = user_store().with_consent(*identify(tracker))
        if user is None:  # the form asks first; never store anything without that yes
            dispatcher.utter_message(text=message("consent_declined", language))
            return _clear_join()
        new = store.join(user.id, cohort.group_id, str(tracker.get_slot("participant_name") or ""), share)
        replan_course(user.id)
    except CodeProblem:
        dispatcher.utter_message(text=message("join_code_expired", language))
        return _clear_join()
    except SQLAlchemyError:
        logger.exception("could not store the participant")
        dispatcher.utter_message(text=message("data_unavailable", language))
        return _clear_join()
    if not new:
        dispatcher.utter_message(text=message("joined_again", language, group=cohort.title))
        return _clear_join()
    upcoming = cohort.next_session(utcnow()) or cohort.held[0]
    dispatcher.utter_message(text=message("joined", language, group=cohort.title, when=when(upcoming, language),
                                          place=where(cohort, language)))
    return _clear_join()


class ActionJoinCourse(Action):
    """The form is done: join the group (or say why not)."""

    def name(self) -> Text:
        return "action_join_course"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _join(dispatcher, tracker, tracker.get_slot("share_checkins") == "yes")


class ActionJoinNo(Action):
    """"Nee" inside the join form: to the last question (may the teacher see your own scores?) it is an answer,
    and joining goes on; earlier (or "stop" at any point) it leaves the form and nothing is stored."""

    def name(self) -> Text:
        return "action_join_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        answered = tracker.get_slot("join_code") not in (None, PAUSED) and tracker.get_slot("participant_name")
        if answered and (tracker.latest_message or {}).get("intent", {}).get("name") == "deny":
            return _join(dispatcher, tracker, share=False) + [ActiveLoop(None)]
        dispatcher.utter_message(text=message("join_left", language_of(tracker)))
        return _clear_join() + [ActiveLoop(None)]


# ---- messages between sessions (started by the scheduled sender) ----


class ActionCourseMessage(Action):
    """What the scheduled sender asks for (entity outbox_slot): "w3-mid" (week 3, mid-week; also "after",
    "before"), "closing" (the outcome check), "invite-4" (placed in group 4: the code and a button). Nothing is
    said when it no longer fits (a session cancelled meanwhile). Typed ("wat is de opdracht van deze week?"):
    this week's small assignment."""

    def name(self) -> Text:
        return "action_course_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        slot = _slot_entity(tracker)
        try:
            if slot.startswith("invite-"):
                return self.invite(dispatcher, int(slot[len("invite-"):]), language)
            person = participant_of(tracker)
            store = cohort_store()
            cohort = store.cohort(person.group_id) if person is not None else None
            if person is None or cohort is None:
                if not slot:
                    dispatcher.utter_message(text=message("absence_not_participant", language))
                return []
            if slot == "closing":
                result = outcome(cohort, store.checkins(cohort.group_id).get(person.user_id, {}))
                buttons = []
                if result == "better":
                    buttons = [{"title": message("button_exercises_keep_going", language),
                                "payload": "/subscribe_exercises"}]
                dispatcher.utter_message(text=closing_text(result, language), buttons=buttons)
                return []
        except (ValueError, SQLAlchemyError):
            logger.exception("could not compose the course message %r", slot)
            return []
        week, part = _week_part(slot) if slot else (_this_week(cohort), "mid")
        session = next((one for one in cohort.held if one.number == week), None)
        if session is None or part not in ("after", "mid", "before"):
            return []
        values = {"when": when(session, language), "place": where(cohort, language)} if part == "before" else {}
        dispatcher.utter_message(text=nudge_text(week, part, language, **values))
        return []

    @staticmethod
    def invite(dispatcher: CollectingDispatcher, group_id: int, language: str) -> List[EventType]:
        cohort = cohort_store().cohort(group_id)
        if cohort is None or not cohort.join_code or cohort.finished(utcnow()):
            return []
        upcoming = cohort.next_session(utcnow()) or cohort.held[0]
        dispatcher.utter_message(
            text=message("cohort_invite", language, group=cohort.title, when=when(upcoming, language),
                         place=where(cohort, language), code=cohort.join_code),
            buttons=[{"title": message("button_join", language),
                      "payload": f'/join_course{{"join_code": "{cohort.join_code}"}}'}],
        )
        return []


class ActionCourseReply(Action):
    """What someone answers to a course message ("het zingen was het leukst", "leuk!", "niks eigenlijk"): heard,
    without a question back and without a menu."""

    def name(self) -> Text:
        return "action_course_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=message("course_reply_thanks", language_of(tracker)))
        return []


def _week_part(slot: str) -> tuple:
    """"w3-mid" -> (3, "mid"); anything else -> (0, "")."""
    week, _, part = slot.partition("-")
    return (int(week[1:]), part) if week[:1] == "w" and week[1:].isdigit() else (0, "")


def _this_week(cohort: Cohort) -> int:
    """The week of the latest session that has begun (week 1 before the course starts)."""
    now = utcnow()
    begun = [one.number for one in cohort.held if cohort.starts_utc(one) <= now]
    return begun[-1] if begun else (cohort.held[0].number if cohort.held else 0)


# ---- what a participant says ----


class ActionAnnounceAbsence(Action):
    """"Ik kan er volgende week niet zijn": noted for the next session, and the teacher sees it."""

    def name(self) -> Text:
        return "action_announce_absence"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            person = participant_of(tracker)
            if person is None:
                dispatcher.utter_message(text=message("absence_not_participant", language))
                return []
            store = cohort_store()
            cohort = store.cohort(person.group_id)
            upcoming = cohort.next_session(utcnow()) if cohort is not None else None
            if upcoming is None:
                dispatcher.utter_message(text=message("absence_no_session", language))
                return []
            store.note_absence(person.user_id, upcoming.id)
            replan_course(person.user_id)  # no "how was it?" the day after a session they missed
        except SQLAlchemyError:
            logger.exception("could not note an absence")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        teacher = cohort.teacher or ("your teacher" if language == "en" else "je docent")
        dispatcher.utter_message(text=message("absence_noted", language, when=when(upcoming, language), teacher=teacher))
        return []


class ActionTeacherContact(Action):
    """After "a real person, please" (utter_request_human: De Luisterlijn): a course participant's own teacher."""

    def name(self) -> Text:
        return "action_teacher_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        try:
            person = participant_of(tracker)
            cohort = cohort_store().cohort(person.group_id) if person is not None else None
        except SQLAlchemyError:
            logger.exception("could not look up the teacher")
            return []
        if cohort is not None and cohort.teacher and cohort.teacher_contact:
            dispatcher.utter_message(text=message("teacher_contact", language_of(tracker), teacher=cohort.teacher,
                                                  contact=cohort.teacher_contact))
        return []


# ---- pause, resume, stop (the daily-exercise actions call these too: one step stops everything) ----


def pause_nudges(user_id: int, until: date) -> bool:
    store = cohort_store()
    person = store.participant(user_id)
    if person is None or person.nudges == "stopped":
        return False
    store.set_nudges(user_id, "paused", until)
    replan_course(user_id)
    return True


def resume_nudges(user_id: int) -> bool:
    store = cohort_store()
    person = store.participant(user_id)
    if person is None or person.nudges == "on":
        return False
    store.set_nudges(user_id, "on")
    replan_course(user_id)
    return True


def stop_nudges(user_id: int) -> bool:
    store = cohort_store()
    person = store.participant(user_id)
    if person is None or person.nudges == "stopped":
        return False
    store.set_nudges(user_id, "stopped")
    replan_course(user_id)
    return True
