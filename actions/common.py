"""Small helpers every action uses: who is this, which language, the user store."""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, List, Tuple

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.identity import parse
from bot.storage import UserStore
from bot.storage.cohorts import CohortStore
from bot.storage.course import CourseStore
from bot.storage.db import default_engine, tracker_engine
from bot.storage.exercises import ExerciseStore
from bot.storage.privacy import PrivacyStore

logger = logging.getLogger(__name__)



def typed_answer(validate: Callable[..., Dict[str, Any]]) -> Callable[..., Dict[str, Any]]:
    """For a form's `validate_<slot>`: a slot reset by an action (None) is no answer, so nothing is checked or said."""
    slot = validate.__name__[len("validate_"):]

    @functools.wraps(validate)
    def checked(self: Any, value: Any, dispatcher: Any, tracker: Tracker, domain: Any) -> Dict[str, Any]:
        if value is None:
            return {slot: None}
        return validate(self, value, dispatcher, tracker, domain)

    return checked


def language_of(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "nl"


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Metadata the channel sent with the latest user message (empty when none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def is_scheduled(tracker: Tracker) -> bool:
    """The turn was started by the scheduled sender (Rasa's trigger_intent), not by something the person wrote."""
    latest = tracker.latest_message or {}
    return bool((latest.get("metadata") or {}).get("is_external")) or (latest.get("text") or "").startswith("EXTERNAL: ")


def identify(tracker: Tracker) -> Tuple[str, str]:
    """(channel, channel user id) of the person in this conversation (bot/channels/identity.py)."""
    metadata = latest_metadata(tracker) or tracker.get_slot("session_started_metadata") or {}
    who = parse(tracker.sender_id, metadata if isinstance(metadata, dict) else None, tracker.get_latest_input_channel())
    return who.channel, who.user_id


def user_store() -> UserStore:
    return UserStore(default_engine())


def exercise_store() -> ExerciseStore:
    return ExerciseStore(default_engine())


def course_store() -> CourseStore:
    return CourseStore(default_engine())


def cohort_store() -> CohortStore:
    return CohortStore(default_engine())


def replan_course(user_id: int) -> None:
    """A participant's pending course messages follow at once what just changed (joined, paused, an absence)."""
    from bot.cohorts import CoursePlanner

    CoursePlanner(default_engine()).plan(user_id=user_id)


def privacy_store() -> PrivacyStore:
    return PrivacyStore(default_engine(), tracker_engine())


class AsksConsent:
    """For a form that asks the privacy notice first (slot data_consent): once, only from someone who has not
    agreed yet; a yes makes the profile (declining leaves the form by the form's 'deny' rule)."""

    @staticmethod
    def consent_first(domain_slots: List[str], tracker: Tracker) -> List[str]:
        if "data_consent" not in domain_slots or tracker.get_slot("data_consent") is not None:
            return list(domain_slots)
        try:
            agreed = user_store().with_consent(*identify(tracker)) is not None
        except SQLAlchemyError:
            logger.exception("could not read the profile; asking for consent")
            agreed = False
        return [slot for slot in domain_slots if slot != "data_consent"] if agreed else list(domain_slots)

    @typed_answer
    def validate_data_consent(self, value: Any, dispatcher: Any, tracker: Tracker, domain: Any) -> Dict[str, Any]:
        try:
            user_store().record_consent(*identify(tracker), language_of(tracker))
        except SQLAlchemyError:
            logger.exception("could not record consent; the form's last step tries again")
        return {"data_consent": "yes"}
