"""Phrase lists that editors write in plain words, matched on lower-cased, accent-free tokens and Dutch lemmas.

Used by the crisis safety net (`crisis_phrases.yml`) and by the life-event extractor (`life_events.yml`).
In a phrase, "..." stands for up to three other words. `phrase_pattern` is the same list as a plain regular
expression (word forms only, no lemmas): for processes that must not load spaCy, such as the channels.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from spacy.language import Language

GAP = "..."
MAX_GAP_WORDS = 3


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
        for label, phrases in phrases_by_label.items():
            patterns = [self._patterns(normalise(p).replace(GAP, f" {GAP} ").split()) for p in phrases]
            patterns = [pattern for pair in patterns if pair for pattern in pair]
            if patterns:
                self.matcher.add(label, patterns)

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

    def spans(self, text: Optional[str]) -> List[Tuple[str, int, int]]:
        """(label, start, end) character spans of every phrase found, in text order."""
        if not text or text.startswith("/"):
            return []
        doc = self.nlp(normalise(text))
        found = []
        for match_id, start, end in sorted(self.matcher(doc), key=lambda m: (m[1], m[2])):
            span = doc[start:end]
            found.append((self.nlp.vocab.strings[match_id], span.start_char, span.end_char))
        return found

    def labels(self, text: Optional[str]) -> List[str]:
        """The labels found, in the order they first occur in the text."""
        seen: List[str] = []
        for label, _start, _end in self.spans(text):
            if label not in seen:
                seen.append(label)
        return seen

    def lemmas(self, text: str) -> str:
        """The text as normalised lemmas, for features that should not care about word forms."""
        return " ".join(token.lemma_ for token in self.nlp(normalise(text)))


def load_nlp(spacy_model: str) -> "Language":
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
