"""Positive micro-exercises from bot/content/exercises.yml."""
from __future__ import annotations

import random
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from bot.content import exercises, message


class ActionGiveExercise(Action):
    """One exercise now, never the same one twice in a row."""

    def name(self) -> Text:
        return "action_give_exercise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        catalogue = exercises()
        last = tracker.get_slot("last_exercise")
        choice = random.choice([item for item in catalogue if item["key"] != last] or catalogue)
        dispatcher.utter_message(
            text=message(
                "exercise",
                language,
                title=choice["title"][language],
                minutes=choice["minutes"],
                steps=choice["steps"][language],
                why=choice["why"][language],
            )
        )
        return [SlotSet("last_exercise", choice["key"])]
