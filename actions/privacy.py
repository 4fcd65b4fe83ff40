"""Privacy: show what we hold, delete the profile on request."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import course_store, exercise_store, identify, language_of, user_store
from bot.content import message

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("channel", "language", "created_at", "consent_at", "active")


class ActionExportMyData(Action):
    def name(self) -> Text:
        return "action_export_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        channel, channel_user_id = identify(tracker)
        try:
            user = user_store().get(channel, channel_user_id)
        except SQLAlchemyError:
            logger.exception("export failed for %s/%s", channel, channel_user_id)
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        if user is None:
            dispatcher.utter_message(text=message("no_data", language))
            return []
        record = user.to_export()
        labels = dict(zip(PROFILE_FIELDS, message("profile_labels", language).split("|")))
        lines = [f"• {labels[key]}: {record[key]}" for key in PROFILE_FIELDS if record.get(key) is not None]
        try:
            lines.append(_everything_else(user.id, language))
        except SQLAlchemyError:
            logger.exception("export of the exercise and course data failed")
        dispatcher.utter_message(text=message("export_my_data", language, profile="\n".join(lines)))
        return []


def _everything_else(user_id: int, language: str) -> str:
    """The other tables that link to this person, summed up (every table with personal data is here)."""
    exercises, course = exercise_store(), course_store()
    none = message("export_none", language)
    subscription = exercises.subscription(user_id)
    daily = none
    if subscription is not None and subscription.active:
        daily = f"{subscription.local_time} ({subscription.timezone})"
        if subscription.paused_until:
            daily += f", pauze tot {subscription.paused_until}" if language == "nl" else f", paused until {subscription.paused_until}"
    checkins = exercises.checkins(user_id)
    enrolment = course.enrolment_of(user_id)
    return message(
        "export_more", language,
        given=len(exercises.recent_keys(user_id, days=36500)), done=exercises.count_done(user_id), subscription=daily,
        checkins=", ".join(f"{week}: {score}" for week, score in sorted(checkins.items())) or none,
        enrolment=f"{enrolment.first_name}, {enrolment.contact}, {enrolment.status}" if enrolment else none,
    )


class ActionDeleteMyData(Action):
    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        channel, channel_user_id = identify(tracker)
        try:
            user_store().delete(channel, channel_user_id)
        except SQLAlchemyError:
            logger.exception("delete failed for %s/%s", channel, channel_user_id)
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        dispatcher.utter_message(text=message("data_deleted", language))
        return [AllSlotsReset(), SlotSet("language", language)]
