"""Deterministic crisis safety net: a classifier can miss, a phrase list cannot.

Runs after the intent classifiers. When a message contains an explicit crisis phrase from
`bot/content/crisis_phrases.yml` (nl + en), the intent becomes `crisis` with confidence 1.0.
When the classifier is unsure (the FallbackClassifier fired) and `crisis` is among its top guesses,
the guard also chooses `crisis`: when in doubt, the safe answer is the one with 113 in it.
Matching uses spaCy's `Matcher` on lower-cased, accent-free tokens and on Dutch lemmas.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Text

import spacy
from spacy.language import Language
from spacy.matcher import Matcher

from bot import content

CRISIS_INTENT = "crisis"
FALLBACK_INTENT = "nlu_fallback"
GAP = "..."
MAX_GAP_WORDS = 3


def normalise(text: str) -> str:
    """Lower case without accents, with typographic apostrophes made plain."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class CrisisMatcher:
    """Finds explicit crisis phrases in free text."""

    def __init__(self, nlp: Language, phrases: Iterable[str]) -> None:
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        for index, phrase in enumerate(phrases):
            words = normalise(phrase).replace(GAP, f" {GAP} ").split()
            if not words or all(word == GAP for word in words):
                continue
            self.matcher.add(f"crisis_{index}", self._patterns(words))

    def _patterns(self, words: List[str]) -> List[List[Dict[str, Any]]]:
        by_lower: List[Dict[str, Any]] = []
        by_lemma: List[Dict[str, Any]] = []
        for word in words:
            if word == GAP:
                gap = [{"OP": "?"}] * MAX_GAP_WORDS
                by_lower += gap
                by_lemma += gap
                continue
            for token in self.nlp(word):
                by_lower.append({"LOWER": token.lower_})
                by_lemma.append({"LEMMA": token.lemma_})
        return [by_lower, by_lemma]

    def matches(self, text: Optional[str]) -> bool:
        if not text or text.startswith("/"):
            return False
        return bool(self.matcher(self.nlp(normalise(text))))


def load_matcher(spacy_model: str) -> CrisisMatcher:
    phrases = content.crisis_phrases()
    return CrisisMatcher(spacy.load(spacy_model), phrases["nl"] + phrases["en"])


try:  # the Rasa component; the matcher above stays usable without Rasa's graph machinery
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
    class CrisisGuard(GraphComponent):
        """Forces the `crisis` intent on explicit crisis phrases."""

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {"spacy_model": "models/spacy/nl_blank", "uncertain_crisis_threshold": 0.3}

        def __init__(self, matcher: CrisisMatcher, uncertain_crisis_threshold: float = 0.3) -> None:
            self.matcher = matcher
            self.uncertain_crisis_threshold = uncertain_crisis_threshold

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "CrisisGuard":
            return cls(load_matcher(config["spacy_model"]), config["uncertain_crisis_threshold"])

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        def process(self, messages: List[Message]) -> List[Message]:
            for message in messages:
                if self.matcher.matches(message.get(TEXT)) or self._unsure_maybe_crisis(message):
                    self._force_crisis(message)
            return messages

        def _unsure_maybe_crisis(self, message: Message) -> bool:
            if (message.get(INTENT) or {}).get("name") != FALLBACK_INTENT:
                return False
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
            return any(
                r.get("name") == CRISIS_INTENT and r.get("confidence", 0) >= self.uncertain_crisis_threshold
                for r in ranking[:2]
            )

        @staticmethod
        def _force_crisis(message: Message) -> None:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS_INTENT]
            message.set(INTENT, {"name": CRISIS_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": CRISIS_INTENT, "confidence": 1.0}] + ranking,
                add_to_output=True,
            )

except ImportError:  # pragma: no cover - Rasa is always installed in this project's venv
    pass
