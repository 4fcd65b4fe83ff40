"""Phrase lists that editors write in plain words, matched on lower-cased, accent-free tokens and Dutch lemmas.

Used by the crisis safety net (`crisis_phrases.yml`) and by the life-event extractor (`life_events.yml`).
In a phrase, "..." stands for up to three other words. `phrase_pattern` is the same list as a plain regular
expression (word forms only, no lemmas): for processes that must not load spaCy, such as the channels.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from spacy.language import Language

GAP = "..."
MAX_GAP_WORDS = 3
# A match with one of these inside it (not from the phrase itself) or right before it is negated:
# "ik wil niet dood", "I don't want to die", "I'm not suicidal".
NEGATIONS = {"niet", "geen", "nie", "not", "dont", "don't", "n't", "doesnt", "isnt"}  # never "no", "nooit", "never": "i never want to wake up"
NEGATION_WINDOW = 2


def normalise(text: str) -> str:
    """Lower case without accents, with typographic apostrophes made plain."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class PhraseMatcher:
    """Finds which labels' phrases occur in a text (labels such as "crisis" or "partner_died")."""

    def __init__(self, nlp: "Language", phrases_by_label: Mapping[str, Iterable[str]]) -> None:
        from spacy.matcher import Matcher

        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        self._phrase: Dict[str, Tuple[str, frozenset]] = {}  # matcher key -> (label, the phrase's own words)
        for label, phrases in phrases_by_label.items():
            for index, phrase in enumerate(phrases):
                words = normalise(phrase).replace(GAP, f" {GAP} ").split()
                patterns = self._patterns(words)
                if patterns:
                    key = f"{label}#{index}"
                    self.matcher.add(key, patterns)
                    self._phrase[key] = (label, frozenset(t.lower_ for w in words for t in nlp(w)))

    def _patterns(self, words: List[str]) -> List[List[Dict[str, Any]]]:
        if not words or all(word == GAP for word in words):
            return []
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

    def spans(self, text: Optional[str]) -> List[Tuple[str, int, int, bool]]:
        """(label, start, end, negated) for every phrase found, in text order (character offsets)."""
        if not text or text.startswith("/"):
            return []
        doc = self.nlp(normalise(text))
        found = []
        for match_id, start, end in sorted(self.matcher(doc), key=lambda m: (m[1], m[2])):
            label, own_words = self._phrase[self.nlp.vocab.strings[match_id]]
            inside = [t.lower_ for t in doc[start:end] if t.lower_ not in own_words]
            before = []
            for token in reversed(doc[max(0, start - NEGATION_WINDOW):start]):
                if token.is_punct:
                    break
                before.append(token.lower_)
            negated = any(word in NEGATIONS for word in inside + before)
            span = doc[start:end]
            found.append((label, span.start_char, span.end_char, negated))
        return found

    def labels(self, text: Optional[str], include_negated: bool = False) -> List[str]:
        """The labels found, in the order they first occur in the text (negated matches only when asked)."""
        seen: List[str] = []
        for label, _start, _end, negated in self.spans(text):
            if label not in seen and (include_negated or not negated):
                seen.append(label)
        return seen

    def lemmas(self, text: str) -> str:
        """The text as normalised lemmas, for features that should not care about word forms."""
        return lemmas_of(self.nlp, text)


def lemmas_of(nlp: "Language", text: str) -> str:
    return " ".join(token.lemma_ for token in nlp(normalise(text)))


def lemmatiser(spacy_model: str) -> "Callable[[str], str]":
    """`PhraseMatcher.lemmas` for a component without phrases."""
    nlp = load_nlp(spacy_model)
    return lambda text: lemmas_of(nlp, text)


@functools.lru_cache(maxsize=None)
def load_nlp(spacy_model: str) -> "Language":
    """One pipeline per path and process: the components that lemmatise share it."""
    import spacy

    return spacy.load(spacy_model)


def phrase_pattern(phrases: Iterable[str]) -> "re.Pattern[str]":
    """One regular expression for the phrases, to search in `normalise(text)`."""
    gap = r"(?:\W+\w+){0,%d}" % MAX_GAP_WORDS
    alternatives = []
    for phrase in phrases:
        words = normalise(phrase).replace(GAP, f" {GAP} ").split()
        while words and words[0] == GAP:
            words.pop(0)
        while words and words[-1] == GAP:
            words.pop()
        pattern = ""
        for word in words:
            pattern += gap if word == GAP else (r"\W+" if pattern else "") + re.escape(word)
        if pattern:
            alternatives.append(pattern)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
