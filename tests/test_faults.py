"""Crisis help survives faults: the action server down (Rasa answers by itself), Rasa down (the channels answer)."""
from typing import Iterator

import pytest
import yaml

from bot import content
from tests.conftest import ROOT, Servers, bubbles, new_sender, start_servers, texts

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def crisis_text(language: str) -> str:
    variation = next(
        v for v in RESPONSES["utter_crisis"]
        if {c["value"] for c in v.get("condition", []) if c["name"] == "language"} == ({"en"} if language == "en" else set())
    )
    return variation["text"].format(**content.helpline_values())


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
