"""Safety: the crisis reply and the way to a real person. Numbers come from bot/content/helplines.yml."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from bot.content import helpline_vars


class ActionCrisis(Action):
    """Answer crisis language at once, in any state: stop any form, give 113, stay with the person."""

    def name(self) -> Text:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_crisis", **helpline_vars(language_of(tracker)))
        return [ActiveLoop(None)] if tracker.active_loop.get("name") else []


class ActionRequestHuman(Action):
    def name(self) -> Text:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_request_human", **helpline_vars(language_of(tracker)))
        return []
