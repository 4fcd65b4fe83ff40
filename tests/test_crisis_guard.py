"""Crisis safety in the NLU pipeline: the phrase net, the trained detector and the Rasa component that joins them."""
from pathlib import Path
from typing import List

import numpy as np
import pytest
from scipy.sparse import hstack

from bench.nlu_eval import load_examples
from bot.nlu.crisis_detector import CrisisDetector, read_safety_data, unique_examples
from bot.nlu.crisis_net import load_matcher
from bot.nlu.phrases import normalise
from tests.conftest import ROOT, SPACY_MODEL

DEV_SETS = ROOT / "tests" / "nlu" / "dev"


def examples(path: Path, intent: str) -> List[str]:
    return [text for text, labelled in load_examples(path) if labelled == intent]


def nlu_training_texts() -> List[tuple]:
    return [(text, intent == "crisis") for path in (ROOT / "data" / "nlu").rglob("*.yml") for text, intent in load_examples(path)]


@pytest.fixture(scope="module")
def matcher():
    return load_matcher(SPACY_MODEL)


@pytest.fixture(scope="module")
def detector(matcher) -> CrisisDetector:
    """Trained exactly as `rasa train` trains it: data/safety/ plus every NLU training example."""
    crisis, calm = read_safety_data(ROOT / "data" / "safety")
    pairs = [(t, True) for t in crisis] + [(t, False) for t in calm] + nlu_training_texts()
    return CrisisDetector(matcher.lemmas).train([t for t, _ in pairs], [y for _, y in pairs])


@pytest.mark.parametrize(
    "text",
    [
        "ik zie het niet meer zitten",
        "Ik zie het echt NIET meer zitten...",
        "ik wil gewoon echt dood",
        "ik denk aan zelfmoord",
        "soms wil ik er een einde aan maken",
        "ik wil er niet meer zijn",
        "ik doe mezelf pijn",
        "iedereen is beter af zonder mij",
        "ik wou dat ik dood was",
        "kga me van kant maken",
        "wnt to die rly bad tonite",
        "does drowning hurt",
        "a voice keeps telling me to jump",
        "I want to die",
        "i dont want to live anymore",
        "I've been cutting myself again",
        "thinking about ending it all",
        "i wanna kill myself",
    ],
)
def test_explicit_crisis_phrases_are_caught(matcher, text: str) -> None:
    assert matcher.matches(text)


@pytest.mark.parametrize(
    "text",
    ["ik voel me eenzaam", "ik ga dood van verveling", "ik woon alleen", "dat was een dooie boel",
     "I feel lonely", "the course ended it was nice", "/crisis", "my coach keeps telling me to jump higher",
     "kun je me van kantoor ophalen"],
)
def test_ordinary_messages_are_left_alone_by_the_phrase_net(matcher, text: str) -> None:
    assert not matcher.matches(text)


def test_detector_catches_every_development_crisis_message(detector: CrisisDetector, matcher) -> None:
    """The development sets' crisis messages (never trained on) are caught by the net or the detector."""
    crisis = [t for name in ("nl", "en", "crisis") for t in examples(DEV_SETS / f"{name}.yml", "crisis")]
    assert len(crisis) >= 60
    scores = detector.probability(crisis)
    missed = [t for t, s in zip(crisis, scores) if s < 0.5 and not matcher.matches(t)]
    assert missed == []


def test_detector_hears_everyday_words_the_phrase_net_does_not_list(detector: CrisisDetector, matcher) -> None:
    """Passive death wishes and self-harm in words that are in no phrase list and no training example."""
    unlisted = [
        "het liefst zou ik gewoon voorgoed gaan slapen",
        "ik wil bij mijn overleden man zijn, waar hij ook is",
        "i keep thinking the world would be lighter without me in it",
        "when it gets too quiet i hurt my arms until i feel something",
    ]
    assert not any(matcher.matches(t) for t in unlisted), "these must be new to the phrase net"
    assert all(score >= 0.5 for score in detector.probability(unlisted))


def test_detector_leaves_harmless_look_alikes_alone(detector: CrisisDetector) -> None:
    harmless = [
        "ik ga dood van de hitte vandaag",
        "hoe doe ik mijn belastingaangifte",
        "wie heeft er gisteren gewonnen, ajax of psv?",
        "you absolutely killed it at the gig",
        "ik schrijf een werkstuk over zelfmoordpreventie",
        "ik voel me eenzaam op zondag",
    ]
    assert all(score < 0.5 for score in detector.probability(harmless))


def test_rasa_component_forces_crisis_and_vetoes_a_lone_classifier_guess(matcher, detector) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.crisis_guard import CrisisGuard

    guard = CrisisGuard({"threshold": 0.5, "veto_threshold": 0.05}, matcher, detector)
    listed = Message(data={"text": "ik zie het niet meer zitten", "intent": {"name": "deny", "confidence": 0.9}})
    unlisted = Message(data={"text": "ik wil bij mijn overleden vrouw zijn, waar ze ook is",
                             "intent": {"name": "express_loneliness", "confidence": 0.8}})
    tax = Message(data={"text": "hoe vul ik mijn belastingaangifte in",
                        "intent": {"name": "crisis", "confidence": 0.6},
                        "intent_ranking": [{"name": "crisis", "confidence": 0.6},
                                           {"name": "out_of_scope", "confidence": 0.3}]})
    calm = Message(data={"text": "hoi", "intent": {"name": "greet", "confidence": 0.9}})
    guard.process([listed, unlisted, tax, calm])
    assert listed.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert listed.get("intent_ranking")[0]["name"] == "crisis"
    assert unlisted.get("intent")["name"] == "crisis"
    assert tax.get("intent") == {"name": "out_of_scope", "confidence": 0.3}
    assert calm.get("intent")["name"] == "greet" and calm.get("crisis_score") < 0.5


def test_an_unsure_classifiers_first_guess_crisis_is_kept_when_the_fallback_took_over(matcher, detector) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.crisis_guard import CrisisGuard

    # Only the classifier's guess can make these crisis: the detector's own thresholds are out of reach.
    guard = CrisisGuard({"threshold": 1.1, "unsure_threshold": 1.1, "veto_threshold": 0.0}, matcher, detector)

    def unsure(text: str, first: str) -> Message:
        ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": first, "confidence": 0.35},
                   {"name": "out_of_scope" if first == "crisis" else "greet", "confidence": 0.34}]
        return Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})

    tied = unsure("gaan mensen naar de hel als ze het doen? ik ben bang maar ik doe het", "crisis")
    other = unsure("wat is de hoofdstad van peru", "out_of_scope")
    guard.process([tied, other])
    assert tied.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert other.get("intent")["name"] == "nlu_fallback"


def test_a_safety_line_that_yaml_reads_as_a_mapping_is_refused_with_its_file(tmp_path) -> None:
    """An unquoted colon turns a line into a mapping: the detector would learn "{'...': '...'}" as a text."""
    (tmp_path / "crisis_extra.yml").write_text("crisis:\n  - ik wil nog maar een ding: weg\n", encoding="utf-8")
    with pytest.raises(ValueError, match="crisis_extra.yml.*quotes"):
        read_safety_data(tmp_path)


def test_a_message_in_two_files_is_learnt_once() -> None:
    """A look-alike that is also an NLU example ("this heat is killing me") must not weigh double in the detector."""
    texts = ["this heat is killing me", "ik wil er niet meer zijn",
             "This heat is  killing me", "Ik wil er níet meer zijn"]
    unique = unique_examples(texts, [False, True, False, True])
    assert unique == (["this heat is killing me", "ik wil er niet meer zijn"], [False, True])


def test_a_message_labelled_both_crisis_and_not_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="both crisis and not crisis.*Ik ben op"):
        unique_examples(["ik ben op", "hoi", "Ik ben op"], [False, False, True])


def test_a_change_in_how_the_components_learn_retrains_them(monkeypatch) -> None:
    """Rasa reuses a trained component while config and data are unchanged: our source is part of the fingerprint."""
    import bot.nlu.crisis_guard as guard_module
    import bot.nlu.intent_classifier as classifier_module

    for module, component in ((guard_module, guard_module.CrisisGuard),
                              (classifier_module, classifier_module.LinearIntentClassifier)):
        monkeypatch.setattr(module, "code_fingerprint", lambda: "before")
        before = component.fingerprint_addon({})
        monkeypatch.setattr(module, "code_fingerprint", lambda: "after")
        assert component.fingerprint_addon({}) != before, component.__name__


def test_a_change_in_the_safety_data_retrains_the_guard(tmp_path) -> None:
    """The safety data is read from disk, not handed over by Rasa: editing one of its files changes the fingerprint."""
    from bot.nlu.crisis_guard import CrisisGuard

    (tmp_path / "crisis.yml").write_text("crisis:\n  - ik wil niet meer\n", encoding="utf-8")
    before = CrisisGuard.fingerprint_addon({"safety_data": str(tmp_path)})
    (tmp_path / "crisis.yml").write_text("crisis:\n  - ik wil niet meer leven\n", encoding="utf-8")
    assert CrisisGuard.fingerprint_addon({"safety_data": str(tmp_path)}) != before


def test_detector_features_are_sklearns_tfidf(detector: CrisisDetector, matcher) -> None:
    """The detector's own tf-idf step (faster per message) gives exactly what TfidfVectorizer.transform gives."""
    texts = ["ik zie het niet meer zitten", "I want to sleep and never wake up", "hoi!", "", "zondagen zijn het ergst 😔"]
    chars, words = detector.parts["chars"], detector.parts["words"]
    expected = hstack([chars.transform([normalise(t) for t in texts]), words.transform([matcher.lemmas(t) for t in texts])])
    assert np.allclose(detector._matrix(texts).toarray(), expected.toarray())
