"""The FAQ answer is chosen only when the message may be a FAQ question (bot/nlu/faq_selector.py), and then as
Rasa's ResponseSelector chooses it."""
from tests.conftest import Servers


def test_a_faq_question_gets_its_answer_chosen(servers: Servers) -> None:
    parsed = servers.parse("bestaat er een pil tegen eenzaamheid?")
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/medication"


def test_other_messages_skip_the_selector(servers: Servers) -> None:
    parsed = servers.parse("hoi, ik voel me vaak alleen")
    assert parsed["intent"]["name"] != "faq"
    assert "faq" not in parsed.get("response_selector", {})
