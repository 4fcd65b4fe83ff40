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
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from bot.nlu.phrases import normalise
from bot.nlu.text_features import NgramFeatures, vectorizers


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


def unique_examples(texts: Sequence[str], is_crisis: Sequence[bool]) -> Tuple[List[str], List[bool]]:
    """Each message once, so a line that stands in two files (a safety batch and the NLU data) does not weigh double.

    Messages count as the same when they differ only in case, accents or spacing: the detector cannot tell them apart.
    """
    first_label: Dict[str, bool] = {}
    unique: List[str] = []
    labels: List[bool] = []
    for text, label in zip(texts, is_crisis):
        key = " ".join(normalise(text).split())
        if key not in first_label:
            first_label[key] = bool(label)
            unique.append(text)
            labels.append(bool(label))
        elif first_label[key] != bool(label):
            raise ValueError(f"this message is labelled both crisis and not crisis, choose one: {text!r}")
    return unique, labels


class CrisisDetector:
    """`probability(texts)` → how likely each text is crisis language (0–1, calibrated)."""

    def __init__(self, lemmatise: Callable[[str], str], parts: Optional[Dict[str, Any]] = None) -> None:
        self.lemmatise = lemmatise
        self.parts = parts  # "chars", "words" (bot/nlu/text_features.py) and "classifier"
        self.features = NgramFeatures(lemmatise, parts) if parts is not None else None

    def _matrix(self, texts: Sequence[str]) -> Any:
        assert self.features is not None
        return self.features.transform(texts)

    def train(self, texts: Sequence[str], is_crisis: Sequence[bool], random_state: int = 42) -> "CrisisDetector":
        texts, is_crisis = unique_examples(texts, is_crisis)
        self.parts = vectorizers(word_ngrams=(1, 3))
        self.features = NgramFeatures(self.lemmatise, self.parts)
        matrix = self.features.fit_transform(texts)
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
