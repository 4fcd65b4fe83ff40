"""The deterministic crisis safety net, on the saved blank Dutch pipeline."""
import pytest
import yaml

from bot.nlu.crisis_guard import load_matcher
from tests.conftest import ROOT

SPACY_MODEL = str(ROOT / "models" / "spacy" / "nl_blank")


@pytest.fixture(scope="module")
def matcher():
    return load_matcher(SPACY_MODEL)


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
    [
        "ik voel me eenzaam",
        "ik ga dood van verveling",
        "ik woon alleen",
        "dat was een dooie boel",
        "I feel lonely",
        "the course ended it was nice",
        "/crisis",
    ],
)
def test_ordinary_messages_are_left_alone(matcher, text: str) -> None:
    assert not matcher.matches(text)


def test_rasa_component_forces_the_crisis_intent(matcher) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.crisis_guard import CrisisGuard

    guard = CrisisGuard(matcher)
    missed = Message(data={"text": "ik zie het niet meer zitten", "intent": {"name": "deny", "confidence": 0.9}})
    calm = Message(data={"text": "hoi", "intent": {"name": "greet", "confidence": 0.9}})
    guard.process([missed, calm])
    assert missed.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert missed.get("intent_ranking")[0]["name"] == "crisis"
    assert calm.get("intent")["name"] == "greet"


def test_unsure_classifier_with_crisis_among_its_top_guesses_means_crisis(matcher) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.crisis_guard import CrisisGuard

    def unsure(second: str, confidence: float) -> Message:
        ranking = [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "express_loneliness", "confidence": 0.42},
            {"name": second, "confidence": confidence},
        ]
        return Message(data={"text": "ik heb mijn pillen klaargelegd", "intent": ranking[0], "intent_ranking": ranking})

    worrying, unclear, confident = unsure("crisis", 0.4), unsure("crisis", 0.1), unsure("greet", 0.4)
    sure = Message(data={"text": "hoi", "intent": {"name": "greet", "confidence": 0.5},
                         "intent_ranking": [{"name": "greet", "confidence": 0.5}, {"name": "crisis", "confidence": 0.45}]})
    CrisisGuard(matcher, uncertain_crisis_threshold=0.3).process([worrying, unclear, confident, sure])
    assert worrying.get("intent")["name"] == "crisis"
    assert unclear.get("intent")["name"] == "nlu_fallback"
    assert confident.get("intent")["name"] == "nlu_fallback"
    assert sure.get("intent")["name"] == "greet"


def test_held_out_crisis_examples_are_all_caught_by_model_or_guard_later() -> None:
    """The held-out crisis set exists in both languages (bench/nlu_eval.py reports recall on it)."""
    for language in ("nl", "en"):
        data = yaml.safe_load((ROOT / "tests" / "nlu" / f"heldout_{language}.yml").read_text())
        crisis = [block for block in data["nlu"] if block.get("intent") == "crisis"]
        assert crisis and len(crisis[0]["examples"].strip().splitlines()) >= 10
