"""A crisis detector trained on its own data: a calibrated linear model over character and lemma n-grams.

Separate from the intent classifier, so it can learn from far more crisis wording and hard negatives
("ik ga dood van de hitte", an essay about suicide prevention, grief without a death wish) than an
intent class should hold. Training data: `data/safety/crisis_*.yml` (lists `crisis` and `not_crisis`)
plus every example of the NLU training data (intent `crisis` or not).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import joblib
import numpy as np
import yaml
from scipy.sparse import diags, hstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from bot.nlu.phrases import normalise


def read_safety_data(folder: Path) -> Tuple[List[str], List[str]]:
    """(crisis, not_crisis) messages from every `*.yml` in the folder."""
    crisis: List[str] = []
    calm: List[str] = []
    for path in sorted(Path(folder).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, found in (("crisis", crisis), ("not_crisis", calm)):
            for line in data.get(key) or []:
                if not isinstance(line, (str, int, float)):  # "een ding: haar achterna" unquoted is a mapping
                    raise ValueError(f"{path}: under {key}, put quotes around this line: {line!r}")
                found.append(str(line))
    return crisis, calm


class CrisisDetector:
    """`probability(texts)` → how likely each text is crisis language (0–1, calibrated)."""

    def __init__(self, lemmatise: Callable[[str], str], parts: Optional[Dict[str, Any]] = None) -> None:
        self.lemmatise = lemmatise
        self.parts = parts
        self._idf: Dict[str, Any] = {}

    def _matrix(self, texts: Sequence[str], fit: bool = False) -> Any:
        assert self.parts is not None
        chars, words = self.parts["chars"], self.parts["words"]
        normalised = [normalise(t) for t in texts]
        lemmas = [self.lemmatise(t) for t in texts]
        if fit:
            return hstack([chars.fit_transform(normalised), words.fit_transform(lemmas)]).tocsr()
        return hstack([self._tfidf("chars", normalised), self._tfidf("words", lemmas)]).tocsr()

    def _tfidf(self, part: str, texts: Sequence[str]) -> Any:
        """`TfidfVectorizer.transform`, without sklearn 1.1 summing its whole idf matrix again on every call to see
        whether it is fitted (a fifth of the detector's time per message)."""
        vectorizer: TfidfVectorizer = self.parts[part]  # type: ignore[index]
        if part not in self._idf:
            self._idf[part] = diags(vectorizer.idf_, format="csr")
        counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
        if vectorizer.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        return normalize(counts @ self._idf[part], norm=vectorizer.norm, copy=False)

    def train(self, texts: Sequence[str], is_crisis: Sequence[bool], random_state: int = 42) -> "CrisisDetector":
        self.parts = {
            "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
            "words": TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        }
        matrix = self._matrix(texts, fit=True)
        linear = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000, random_state=random_state)
        self.parts["classifier"] = CalibratedClassifierCV(linear, cv=5, method="sigmoid").fit(
            matrix, np.asarray(is_crisis, dtype=int)
        )
        return self

    def probability(self, texts: Sequence[str]) -> List[float]:
        if self.parts is None:
            raise RuntimeError("the crisis detector is not trained")
        return [float(p) for p in self.parts["classifier"].predict_proba(self._matrix(texts))[:, 1]]

    def save(self, path: Path) -> None:
        joblib.dump(self.parts, path)

    @classmethod
    def load(cls, path: Path, lemmatise: Callable[[str], str]) -> "CrisisDetector":
        return cls(lemmatise, joblib.load(path))
