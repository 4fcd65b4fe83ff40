"""Language: keep the `language` slot right (a custom slot mapping, run after every user message).

Sessions start with Rasa's own `action_session_start` (nothing here can make a conversation's start fail), and
helpline numbers are filled in by `bot/nlg.py` inside Rasa: this action only decides the language.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import identify, is_scheduled, latest_metadata, user_store
from bot.language import LANGUAGES, detect_language, language_from_locale, requested_language
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def _metadata_language(metadata: Any) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    return language_from_locale(metadata.get("language"))


class ActionDetectLanguage(Action):
    """The language, in this order: an explicit switch request, then the language the message is written in;
    when nothing is known yet in this session: the language stored with us, the channel's (browser or Telegram
    app), the default. Otherwise it stays."""

    def name(self) -> Text:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        current = tracker.get_slot("language")
        text = "" if is_scheduled(tracker) else tracker.latest_message.get("text") or ""  # not the person's words
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "switch_language":
            entity = next(tracker.get_latest_entity_values("language"), None)
            wanted = entity if entity in LANGUAGES else requested_language(text)
            if wanted is None:
                wanted = "nl" if current == "en" else "en"
            return self._set(tracker, current, wanted, store=True)
        detected = detect_language(text)
        if detected is not None:
            return [] if detected == current else self._set(tracker, current, detected, store=True)
        if current is None:
            known = self._stored_language(tracker)
            found = known or _metadata_language(latest_metadata(tracker)) or get_settings().default_language
            return self._set(tracker, current, found, store=False)
        return []

    @staticmethod
    def _stored_language(tracker: Tracker) -> Optional[str]:
        try:
            user = user_store().get(*identify(tracker))
        except SQLAlchemyError:
            logger.exception("could not read the stored language; using the channel's")
            return None
        return user.language if user is not None else None

    @staticmethod
    def _set(tracker: Tracker, current: Optional[str], wanted: str, store: bool) -> List[EventType]:
        if store and wanted != current:
            channel, channel_user_id = identify(tracker)
            try:
                user_store().set_language(channel, channel_user_id, wanted)
            except SQLAlchemyError:
                logger.exception("could not store the language; the conversation goes on")
        return [SlotSet("language", wanted)]
