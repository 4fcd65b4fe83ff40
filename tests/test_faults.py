"""Crisis help survives faults: the action server down (Rasa answers by itself), Rasa down (the channels answer)."""
from typing import Iterator

import pytest

from bot import content
from tests.conftest import Servers, bubbles, domain_response, new_sender, start_servers, texts


def crisis_text(language: str) -> str:
    conditions = {"language": "en"} if language == "en" else {}
    return domain_response("utter_crisis", **conditions)["text"].format(**content.helpline_values())


@pytest.fixture(scope="module")
def rasa_without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("var-no-actions"), with_actions=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(
    "message, language",
    [("ik wil dood", "nl"), ("I want to kill myself", "en"), ("ik hoop dat ik morgen niet meer wakker word", "nl")],
)
def test_a_new_conversations_crisis_message_gets_the_numbers_with_the_action_server_down(
    rasa_without_actions: Servers, message: str, language: str
) -> None:
    replies = rasa_without_actions.chat(new_sender(), message)
    assert [r["text"] for r in replies] == bubbles(crisis_text(language))


def test_after_the_crisis_reply_the_bot_stays_with_the_action_server_down(rasa_without_actions: Servers) -> None:
    sender = new_sender()
    rasa_without_actions.chat(sender, "ik zie het niet meer zitten")
    replies = rasa_without_actions.chat(sender, "ik weet het niet, alles is zwaar")
    said = texts(replies)
    assert content.helplines()["crisis"]["chat_url"] in said and not any(r.get("buttons") for r in replies)
