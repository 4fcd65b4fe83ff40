"""Rasa's response generator with two additions, so every reply works without the action server.

- Helpline numbers (`{crisis_phone}`, `{listening_url}`, ...) come from `bot/content/helplines.yml` at the moment
  of speaking: the crisis reply never depends on a custom action, a slot or the database.
- When several conditional variations fit, the most specific one wins (the one with most conditions), so
  "English + partner died" beats plain "English". When the `language` slot is still empty (the action server
  did not answer yet), the language of the message itself or of the channel decides.
Configured in endpoints.yml (`nlg: type: bot.nlg.ContentNLG`).
"""
from __future__ import annotations

import random
from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.content import helpline_values
from bot.language import detect_language, language_from_locale

CONDITION = "condition"


def most_specific(variations: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Of the variations that fit, keep those with the most conditions."""
    if not variations:
        return variations
    most = max(len(v.get(CONDITION) or []) for v in variations)
    return [v for v in variations if len(v.get(CONDITION) or []) == most]


def fallback_language(tracker: DialogueStateTracker) -> Optional[str]:
    """The language of the latest message, else the channel's, for when the `language` slot is empty."""
    message = tracker.latest_message
    scheduled = bool(message and (message.metadata or {}).get("is_external"))  # "EXTERNAL: ..." is not the person's
    from_text = None if scheduled else detect_language(message.text if message else None)
    if from_text:
        return from_text
    for metadata in ((message.metadata if message else None), tracker.get_slot("session_started_metadata")):
        if isinstance(metadata, dict):
            found = language_from_locale(metadata.get("language") or metadata.get("language_code"))
            if found:
                return found
    return None


class ContentNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        slots = tracker.current_slot_values()
        if not slots.get("language"):
            slots["language"] = fallback_language(tracker)
        return self.generate_from_slots(utter_action, slots, output_channel, **kwargs)

    def generate_from_slots(
        self, utter_action: Text, filled_slots: Dict[Text, Any], output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        return super().generate_from_slots(utter_action, {**filled_slots, **helpline_values()}, output_channel, **kwargs)

    def _random_response_for(
        self, utter_action: Text, output_channel: Text, filled_slots: Dict[Text, Any]
    ) -> Optional[Dict[Text, Any]]:
        if utter_action not in self.responses:
            return None
        fitting = ResponseVariationFilter(self.responses).responses_for_utter_action(
            utter_action, output_channel, filled_slots
        )
        candidates = most_specific(fitting)
        return random.choice(candidates) if candidates else None
