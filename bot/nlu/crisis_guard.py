"""Crisis safety in the NLU pipeline: a phrase net that cannot miss what it lists, and a trained detector.

Runs after the intent classifiers. A message becomes `crisis` when
- it contains an explicit crisis phrase of more than one word (`bot/content/crisis_phrases.yml`), or
- the crisis detector (`bot/nlu/crisis_detector.py`, trained on `data/safety/` and the NLU data) scores it at
  or above `threshold`, or at or above `unsure_threshold` while no other intent is `confident`, or
- it names a one-word crisis topic ("zelfmoord", "suicide"), unless the detector scores it below `topic_veto`
  and another intent has at least `topic_confident`: "I'm writing an essay on suicide prevention" is a school
  question.
When only the classifier says `crisis` and the detector scores below `veto_threshold`, the next intent is used
(a tax question is not a crisis); at or above it, the classifier's `crisis` stands, also when it was only the first
guess of an unsure classifier ("do people go to hell for killing themselves? I'm doing it" ties with out_of_scope).
Every message gets `crisis_score` in the parse result.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from bot.nlu import code_fingerprint, files_digest
from bot.nlu.crisis_detector import CrisisDetector, read_safety_data
from bot.nlu.crisis_net import CRISIS_INTENT, CrisisMatcher, load_matcher

FALLBACK_INTENT = "nlu_fallback"
DETECTOR_FILE = "crisis_detector.joblib"

try:  # the Rasa component; the pieces it joins stay usable without Rasa's graph machinery
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
    class CrisisGuard(GraphComponent):
        """Chooses `crisis` on a listed phrase or a confident detector; vetoes a lone classifier guess."""

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {
                "spacy_model": "models/spacy/nl_blank",
                "safety_data": "data/safety",
                "threshold": 0.6,
                "unsure_threshold": 0.4,
                "confident": 0.95,
                "topic_veto": 0.2,
                "topic_confident": 0.5,
                "veto_threshold": 0.3,
            }

        def __init__(
            self,
            config: Dict[Text, Any],
            matcher: CrisisMatcher,
            detector: Optional[CrisisDetector] = None,
            model_storage: Optional[ModelStorage] = None,
            resource: Optional[Resource] = None,
        ) -> None:
            self.config = {**self.get_default_config(), **config}
            self.matcher = matcher
            self.detector = detector
            self._model_storage = model_storage
            self._resource = resource

        @classmethod
        def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
            """The safety data is read from disk, not given by Rasa's graph: a change in it must retrain."""
            return files_digest(Path(config.get("safety_data", "data/safety")).glob("*.yml"), code_fingerprint())

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "CrisisGuard":
            return cls(config, load_matcher(config["spacy_model"]), None, model_storage, resource)

        @classmethod
        def load(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
            **kwargs: Any,
        ) -> "CrisisGuard":
            matcher = load_matcher(config["spacy_model"])
            with model_storage.read_from(resource) as folder:
                detector = CrisisDetector.load(Path(folder) / DETECTOR_FILE, matcher.lemmas)
            return cls(config, matcher, detector, model_storage, resource)

        def train(self, training_data: TrainingData) -> Resource:
            crisis, calm = read_safety_data(Path(self.config["safety_data"]))
            texts = crisis + calm
            labels = [True] * len(crisis) + [False] * len(calm)
            for example in training_data.intent_examples:
                if example.get(TEXT):
                    texts.append(example.get(TEXT))
                    labels.append(example.get(INTENT) == CRISIS_INTENT)
            self.detector = CrisisDetector(self.matcher.lemmas).train(texts, labels)
            assert self._model_storage is not None and self._resource is not None
            with self._model_storage.write_to(self._resource) as folder:
                self.detector.save(Path(folder) / DETECTOR_FILE)
            return self._resource

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        def process(self, messages: List[Message]) -> List[Message]:
            texts = [m.get(TEXT) or "" for m in messages]
            scores = self._scores(texts)
            for message, text, score in zip(messages, texts, scores):
                message.set("crisis_score", round(score, 4), add_to_output=True)
                if text.startswith("/"):  # a button payload names its intent itself
                    continue
                if self._is_crisis(message, text, score):
                    self._choose(message, {"name": CRISIS_INTENT, "confidence": 1.0})
                elif self._classifier_top(message) == CRISIS_INTENT:
                    if score < self.config["veto_threshold"]:
                        self._choose(message, self._next_best(message))
                    else:  # the classifier's first guess, even when the fallback took over for being unsure
                        self._choose(message, {"name": CRISIS_INTENT, "confidence": 1.0})
            return messages

        def _is_crisis(self, message: Message, text: str, score: float) -> bool:
            config = self.config
            phrases = self.matcher.labels(text)  # negated matches ("ik wil niet dood") are left out
            if CRISIS_INTENT in phrases or score >= config["threshold"]:
                return True
            other_is_sure = self._next_best(message).get("confidence", 0.0) >= config["confident"]
            if score >= config["unsure_threshold"] and not other_is_sure:
                return True
            if phrases:  # only a one-word topic ("zelfmoord")
                other = self._next_best(message).get("confidence", 0.0)
                return not (score < config["topic_veto"] and other >= config["topic_confident"])
            return False

        def _scores(self, texts: List[str]) -> List[float]:
            scored = [i for i, t in enumerate(texts) if t and not t.startswith("/")]
            scores = [0.0] * len(texts)
            if self.detector is not None and scored:
                for i, score in zip(scored, self.detector.probability([texts[i] for i in scored])):
                    scores[i] = score
            return scores

        @staticmethod
        def _classifier_top(message: Message) -> Optional[str]:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
            return ranking[0].get("name") if ranking else None

        @staticmethod
        def _next_best(message: Message) -> Dict[str, Any]:
            ranking = message.get(INTENT_RANKING_KEY) or []
            others = [r for r in ranking if r.get("name") not in (CRISIS_INTENT, FALLBACK_INTENT)]
            return others[0] if others else {"name": FALLBACK_INTENT, "confidence": 0.0}

        @staticmethod
        def _choose(message: Message, chosen: Dict[str, Any]) -> None:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != chosen["name"]]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)

except ImportError:  # pragma: no cover - Rasa is always installed in this project's venv
    pass
