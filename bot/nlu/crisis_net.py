"""The crisis phrase net: explicit crisis phrases (bot/content/crisis_phrases.yml, nl + en) that always mean crisis.

Light on purpose (spaCy only, no Rasa, no TensorFlow): the NLU pipeline uses it (bot/nlu/crisis_guard.py),
and so do the channels when Rasa cannot answer (bot/channels/safety_net.py).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, List, Optional

from bot import content
from bot.nlu.phrases import PhraseMatcher, load_nlp, normalise, phrase_pattern

if TYPE_CHECKING:
    from spacy.language import Language

CRISIS_INTENT = "crisis"
TOPIC = "crisis_topic"  # a one-word phrase ("zelfmoord", "suicide"): also how an essay or a news item talks


def _phrases() -> List[str]:
    phrases = content.crisis_phrases()
    return phrases["nl"] + phrases["en"]


class CrisisMatcher(PhraseMatcher):
    """Word forms and Dutch lemmas (spaCy): what the NLU pipeline uses."""

    def __init__(self, nlp: "Language") -> None:
        phrases = _phrases()
        one_word = [p for p in phrases if len(p.split()) == 1]
        super().__init__(nlp, {CRISIS_INTENT: [p for p in phrases if p not in one_word], TOPIC: one_word})

    def matches(self, text: Optional[str]) -> bool:
        """Any listed phrase, one-word topics included, that is not negated ("ik wil niet dood").

        `labels(text)` tells which: CRISIS_INTENT for a phrase of several words, TOPIC for a one-word topic.
        """
        return bool(self.labels(text))


def load_matcher(spacy_model: str) -> CrisisMatcher:
    return CrisisMatcher(load_nlp(spacy_model))


@lru_cache(maxsize=1)
def _pattern() -> "re.Pattern[str]":
    return phrase_pattern(_phrases())


def has_crisis_phrase(text: Optional[str]) -> bool:
    """The phrase net without spaCy (word forms only): for the channels when Rasa cannot answer."""
    return bool(text) and not text.startswith("/") and bool(_pattern().search(normalise(text)))
