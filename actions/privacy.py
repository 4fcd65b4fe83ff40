"""Privacy: show what we hold, delete the profile on request."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import identify, language_of, user_store
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
        dispatcher.utter_message(text=message("export_my_data", language, profile="\n".join(lines)))
        return []


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
