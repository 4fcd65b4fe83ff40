"""The intent classifier (bot/nlu/intent_classifier.py): its model on a small data set, the shape Rasa reads from
it (`faq` + `response_selector`), and the trained bot answering through it."""
import pytest

from bot.nlu.intent_classifier import IntentModel, by_intent, selector_output
from bot.nlu.phrases import normalise
from tests.conftest import Servers

SMALL = {
    "greet": ["hoi", "hallo", "goedemorgen", "hey daar", "hello", "good morning", "hi there"],
    "express_loneliness": ["ik voel me alleen", "niemand ziet me staan", "ik mis iemand om mee te praten",
                           "I feel so alone", "nobody really sees me", "I miss having someone close"],
    "faq/medication": ["is er een pil tegen eenzaamheid", "helpen medicijnen tegen eenzaamheid",
                       "kan de huisarts iets voorschrijven", "is there a pill for loneliness",
                       "can my GP prescribe something", "do meds help against loneliness"],
    "faq/recovery": ["gaat het ooit over", "kan het beter worden", "is er hoop",
                     "will it ever get better", "is there hope", "does it go away"],
    "join_course": ["mijn code is K7Q2XM", "ik heb een code van de docent", "how do I join my group",
                    "R2D7KM", "I got a code from my teacher", "9HFX3T"],
}
JOIN_CODE = r"\b(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{6}\b"


@pytest.fixture(scope="module")
def model() -> IntentModel:
    texts = [t for examples in SMALL.values() for t in examples]
    labels = [label for label, examples in SMALL.items() for _ in examples]
    return IntentModel(normalise).train(texts, labels, regexes=[JOIN_CODE])


def test_the_model_ranks_every_label_with_probabilities_that_add_up(model: IntentModel) -> None:
    (ranking,) = model.rank(["hallo daar"])
    assert ranking[0][0] == "greet"
    assert {label for label, _ in ranking} == set(SMALL)
    assert all(a >= b for (_, a), (_, b) in zip(ranking, ranking[1:]))
    assert sum(p for _, p in ranking) == pytest.approx(1.0)


def test_a_join_code_it_never_saw_is_recognised_by_the_data_s_regex(model: IntentModel) -> None:
    assert model.rank(["PX4M2Q"])[0][0][0] == "join_course"


def test_a_text_of_only_new_words_gets_a_weaker_guess(model: IntentModel) -> None:
    """Character n-grams find an intent in anything ("Joost" looks like "kost"): unknown words weaken the guess."""
    assert model.all_words_unknown("qwrtzp xkcd") and not model.all_words_unknown("hallo qwrtzp")
    assert not model.all_words_unknown("👍") and not model.all_words_unknown("")
    plain, weakened = model.rank(["qwrtzp xkcd"])[0], model.rank(["qwrtzp xkcd"], unknown_words_factor=0.5)[0]
    assert [p / 2 for _, p in plain] == pytest.approx([p for _, p in weakened])
    assert model.rank(["hallo daar"], unknown_words_factor=0.5) == model.rank(["hallo daar"])
    assert model.rank([]) == []


def test_a_faq_answer_is_summed_into_its_intent_and_chosen_as_its_answer() -> None:
    ranking = [("faq/medication", 0.4), ("greet", 0.35), ("faq/recovery", 0.2), ("deny", 0.05)]
    assert by_intent(ranking) == [("faq", pytest.approx(0.6)), ("greet", 0.35), ("deny", 0.05)]
    chosen = selector_output("faq", ranking)
    assert chosen["response"]["intent_response_key"] == "faq/medication"
    assert chosen["response"]["utter_action"] == "utter_faq/medication"
    assert chosen["response"]["confidence"] == pytest.approx(0.4 / 0.6)
    assert [r["intent_response_key"] for r in chosen["ranking"]] == ["faq/medication", "faq/recovery"]


def test_it_saves_and_loads_to_the_same_answers(model: IntentModel, tmp_path) -> None:
    model.save(tmp_path / "model.joblib")
    loaded = IntentModel.load(tmp_path / "model.joblib", normalise)
    texts = ["I feel alone", "kan ik een pil krijgen", "PX4M2Q", ""]
    assert loaded.rank(texts) == model.rank(texts)


def test_a_faq_question_gets_its_answer_chosen(servers: Servers) -> None:
    parsed = servers.parse("bestaat er een pil tegen eenzaamheid?")
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/medication"


def test_other_messages_get_no_faq_answer(servers: Servers) -> None:
    parsed = servers.parse("hoi, ik voel me vaak alleen")
    assert parsed["intent"]["name"] != "faq"
    assert "faq" not in parsed.get("response_selector", {})


def test_the_bot_answers_a_faq_question_with_the_chosen_answer(servers: Servers) -> None:
    replies = servers.chat("lf-faq-medication", "is there a pill against loneliness?")
    text = " ".join(r.get("text", "") for r in replies).lower()
    assert "pill that takes away fear" in text and "gp" in text, replies
