"""Rasa's ResponseSelector, run only for messages that may be a FAQ question.

The stock selector chooses a FAQ answer for every message, also "hoi" and "ik voel me eenzaam": about a tenth of
a turn's CPU here. This one runs the same trained model when the retrieval intent (`faq`) is among the
classifier's first `candidates` intents, and leaves other messages without a `response_selector` (nothing reads it
for them). Among the first three, not only the first: the crisis guard can still replace a vetoed `crisis` by the
next intent in the ranking, and the fallback classifier decides later too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**ResponseSelector.get_default_config(), "candidates": 3}

    def may_be_asked(self, message: Message) -> bool:
        ranking = message.get(INTENT_RANKING_KEY) or []
        return any(entry.get("name") == self.retrieval_intent for entry in ranking[: self.component_config["candidates"]])

    def process(self, messages: List[Message]) -> List[Message]:
        super().process([message for message in messages if self.may_be_asked(message)])
        return messages
