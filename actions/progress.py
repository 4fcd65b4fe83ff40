""""Hoe gaat het met mijn oefeningen?": a warm one-line summary and a chart of what someone did."""
from __future__ import annotations

import base64
import logging
from collections import Counter
from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import exercise_store, identify, language_of, user_store
from bot.content import exercises, message
from bot.outbox import as_utc
from bot.progress import History, is_empty, render_png, summary
from bot.storage.exercises import iso_week


def history_of(user_id: int, today: date) -> History:
    store = exercise_store()
    done = store.done_history(user_id)
    category = {item["key"]: item.get("category") for item in exercises()}
    per_week = Counter(iso_week(as_utc(row.done_at).date()) for row in done)
    categories = Counter(category[row.exercise_key] for row in done if category.get(row.exercise_key))
    return History(dict(per_week), store.checkins(user_id), dict(categories), today)


class ActionShowProgress(Action):
    """A PNG chart (exercises per week, check-in trend) with a summary that is also its alt text."""

    def name(self) -> Text:
        return "action_show_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            user = user_store().get(*identify(tracker))  # looking never creates a profile
            history = history_of(user.id, date.today()) if user is not None else None
        except SQLAlchemyError:
            logging.getLogger(__name__).exception("could not read the progress")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        if history is None or is_empty(history):
            dispatcher.utter_message(text=message("no_progress_yet", language))
            return []
        line = summary(history, language)
        chart = "data:image/png;base64," + base64.b64encode(render_png(history, language)).decode("ascii")
        dispatcher.utter_message(text=line)
        dispatcher.utter_message(json_message={"image": chart, "alt": line})
        return []
