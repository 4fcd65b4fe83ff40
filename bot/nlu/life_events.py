"""Life events (a partner who died, a divorce, a move, ...) found in any message, as the entity `life_event`.

Phrases come from `bot/content/life_events.yml`; the slot `life_event` lets responses name the event with care.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from spacy.language import Language

from bot import content
from bot.nlu.phrases import PhraseMatcher, load_nlp

ENTITY = "life_event"


class LifeEventMatcher(PhraseMatcher):
    def __init__(self, nlp: Language) -> None:
        events = content.life_events()
        super().__init__(nlp, {event: phrases["nl"] + phrases["en"] for event, phrases in events.items()})

    def event(self, text: Optional[str]) -> Optional[Dict[str, Any]]:
        """The most specific (longest) event phrase in the text, as a Rasa entity; None when there is none."""
        spans = self.spans(text)
        if not spans:
            return None
        label, start, end, _negated = max(spans, key=lambda s: (s[2] - s[1], -s[1]))
        assert text is not None
        return {"entity": ENTITY, "value": label, "start": start, "end": end, "value_text": text[start:end]}


try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
    class LifeEventExtractor(GraphComponent):
        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {"spacy_model": "models/spacy/nl_blank"}

        def __init__(self, matcher: LifeEventMatcher) -> None:
            self.matcher = matcher

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "LifeEventExtractor":
            return cls(LifeEventMatcher(load_nlp(config["spacy_model"])))

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        def process(self, messages: List[Message]) -> List[Message]:
            for message in messages:
                found = self.matcher.event(message.get(TEXT))
                if found:
                    entity = {k: v for k, v in found.items() if k != "value_text"}
                    entity["extractor"] = self.__class__.__name__
                    message.set(ENTITIES, (message.get(ENTITIES) or []) + [entity], add_to_output=True)
            return messages

except ImportError:  # pragma: no cover
    pass
