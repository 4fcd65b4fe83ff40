"""Privacy: show what we hold, delete the profile on request."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import identify, language_of, user_store

logger = logging.getLogger(__name__)

LABELS = {
    "nl": {"channel": "kanaal", "language": "taal", "created_at": "sinds", "consent_at": "toestemming", "active": "actief"},
    "en": {"channel": "channel", "language": "language", "created_at": "since", "consent_at": "consent", "active": "active"},
}


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
            user = None
        if user is None:
            dispatcher.utter_message(response="utter_no_data")
            return []
        record = user.to_export()
        labels = LABELS[language]
        lines = [f"• {labels[key]}: {record[key]}" for key in labels if record.get(key) is not None]
        dispatcher.utter_message(response="utter_export_my_data", profile="\n".join(lines))
        return []


class ActionDeleteMyData(Action):
    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        channel, channel_user_id = identify(tracker)
        try:
            user_store().delete(channel, channel_user_id)
        except SQLAlchemyError:
            logger.exception("delete failed for %s/%s", channel, channel_user_id)
            dispatcher.utter_message(response="utter_default")
            return []
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_data_deleted")
        return [AllSlotsReset(), SlotSet("language", language)]
