"""The features both of our own classifiers read: character n-grams of the normalised text and word n-grams of its
Dutch lemmas, each tf-idf weighted (sublinear), side by side in one sparse matrix.

Character n-grams carry typos, missing accents, Flemish and texting spellings; lemma n-grams carry the words
whatever their form ("voel", "voelde", "gevoeld"). Used by the crisis detector and the intent classifier.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

import numpy as np
from scipy.sparse import diags, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.nlu.phrases import normalise


def vectorizers(word_ngrams: Tuple[int, int]) -> Dict[str, TfidfVectorizer]:
    """Unfitted: character 2–5-grams within words (seen at least twice) and lemma n-grams."""
    return {
        "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        "words": TfidfVectorizer(analyzer="word", ngram_range=word_ngrams, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
    }


class NgramFeatures:
    """`fit_transform(texts)` once at training, then `transform(texts)` per message."""

    def __init__(self, lemmatise: Callable[[str], str], parts: Dict[str, Any]) -> None:
        self.lemmatise = lemmatise
        self.parts = parts  # "chars" and "words": TfidfVectorizers, saved with the model that uses them
        self._idf: Dict[str, Any] = {}

    def fit_transform(self, texts: Sequence[str]) -> Any:
        normalised, lemmas = self._inputs(texts)
        return hstack([self.parts["chars"].fit_transform(normalised), self.parts["words"].fit_transform(lemmas)]).tocsr()

    def transform(self, texts: Sequence[str]) -> Any:
        return hstack(self.transform_parts(texts)).tocsr()

    def transform_parts(self, texts: Sequence[str]) -> Tuple[Any, Any]:
        """(character n-grams, lemma n-grams), each a matrix with a row per text."""
        normalised, lemmas = self._inputs(texts)
        return self._tfidf("chars", normalised), self._tfidf("words", lemmas)

    def _inputs(self, texts: Sequence[str]) -> Tuple[list, list]:
        return [normalise(t) for t in texts], [self.lemmatise(t) for t in texts]

    def _tfidf(self, part: str, texts: Sequence[str]) -> Any:
        """`TfidfVectorizer.transform`, without sklearn 1.1 summing its whole idf matrix again on every call to see
        whether it is fitted (a fifth of the crisis detector's time per message)."""
        vectorizer: TfidfVectorizer = self.parts[part]
        if part not in self._idf:
            self._idf[part] = diags(vectorizer.idf_, format="csr")
        counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
        if vectorizer.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        return normalize(counts @ self._idf[part], norm=vectorizer.norm, copy=False)
