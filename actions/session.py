"""Session start and language: set up each conversation, keep the `language` slot right."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import identify, latest_metadata, user_store
from bot.content import helpline_slots
from bot.language import detect_language, language_from_locale, requested_language
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def _metadata_language(metadata: Any) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    return language_from_locale(metadata.get("language") or metadata.get("language_code"))


class ActionSessionStart(Action):
    """Start a session: carry slots over, take the language from the channel, remember the user."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        carried = {
            name: value
            for name, value in tracker.slots.items()
            if value is not None and name != "session_started_metadata"
        }
        language = (
            carried.get("language")
            or _metadata_language(tracker.get_slot("session_started_metadata"))
            or get_settings().default_language
        )
        carried["language"] = language
        events += [SlotSet(name, value) for name, value in carried.items()]
        channel, channel_user_id = identify(tracker)
        try:
            user_store().ensure(channel, channel_user_id, language)
        except SQLAlchemyError:
            logger.exception("could not record user %s/%s; the conversation goes on", channel, channel_user_id)
        events.append(ActionExecuted("action_listen"))
        return events


class ActionDetectLanguage(Action):
    """Custom slot mapping for `language` and the helpline slots, run after every user message.

    Helplines: copied from bot/content/helplines.yml whenever they differ, so replies show them.
    Language, in this order: an explicit switch request, then the language the message is written in, then the
    channel's language (browser or Telegram) when nothing is known yet. Otherwise keep it.
    """

    def name(self) -> Text:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        helplines = [
            SlotSet(name, value) for name, value in helpline_slots().items() if tracker.get_slot(name) != value
        ]
        return helplines + self._language_events(tracker)

    def _language_events(self, tracker: Tracker) -> List[EventType]:
        current = tracker.get_slot("language")
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "switch_language":
            entity = next(tracker.get_latest_entity_values("language"), None)
            wanted = entity if entity in ("nl", "en") else requested_language(text)
            if wanted is None:
                wanted = "nl" if current == "en" else "en"
            return self._set(tracker, current, wanted)
        detected = detect_language(text)
        if detected is None and current is None:
            detected = _metadata_language(latest_metadata(tracker)) or get_settings().default_language
        if detected is None or detected == current:
            return []
        return self._set(tracker, current, detected)

    @staticmethod
    def _set(tracker: Tracker, current: Optional[str], wanted: str) -> List[EventType]:
        if wanted != current:
            channel, channel_user_id = identify(tracker)
            try:
                user_store().set_language(channel, channel_user_id, wanted)
            except SQLAlchemyError:
                logger.exception("could not store language for %s/%s", channel, channel_user_id)
        return [SlotSet("language", wanted)]
