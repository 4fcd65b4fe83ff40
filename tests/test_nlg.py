"""Rasa's response generator as configured (bot/nlg.py): helplines from the content file, most specific variation."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import content
from bot.nlg import ContentNLG
from tests.conftest import ROOT, domain_response

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def variation(name: str, **conditions: str) -> str:
    return domain_response(name, **conditions)["text"]


def say(name: str, *events) -> str:
    tracker = DialogueStateTracker.from_events("someone", list(events), slots=DOMAIN.slots)
    return asyncio.run(ContentNLG(domain=DOMAIN).generate(name, tracker, "rest"))["text"]


def test_crisis_reply_has_the_numbers_from_the_content_file_without_any_slot() -> None:
    text = say("utter_crisis", UserUttered("ik wil dood"))
    assert text == variation("utter_crisis").format(**content.helpline_values())
    assert content.helplines()["crisis"]["chat_url"] in text and "{" not in text


@pytest.mark.parametrize(
    "events, language",
    [
        ([UserUttered("I want to kill myself")], "en"),  # the words decide when the slot is still empty
        ([UserUttered("ok", metadata={"language": "en-GB"})], "en"),  # then the channel's language
        ([SlotSet("language", "en"), UserUttered("ik wil dood")], "en"),  # a set slot always wins
        ([UserUttered("ok")], "nl"),
    ],
)
def test_language_without_the_action_server(events, language: str) -> None:
    expected = variation("utter_crisis", **({"language": "en"} if language == "en" else {}))
    assert say("utter_crisis", *events) == expected.format(**content.helpline_values())


def test_the_most_specific_variation_wins() -> None:
    widowed = say("utter_acknowledge_loneliness", SlotSet("language", "en"), SlotSet("life_event", "partner_died"))
    assert widowed == variation("utter_acknowledge_loneliness", language="en", life_event="partner_died")
    plain = say("utter_acknowledge_loneliness", SlotSet("language", "en"))
    assert plain == variation("utter_acknowledge_loneliness", language="en")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_not_understood_after_a_crisis_message_keeps_the_door_to_113_open(language: str) -> None:
    """utter_default is also the policies' core fallback (a turn no rule foresees): in the safety state it never
    only asks to rephrase."""
    slots = [SlotSet("language", language), SlotSet("safety_mode", True)]
    text = say("utter_default", *slots, UserUttered("hmm"))
    assert content.helplines()["crisis"]["chat_url"] in text and "{" not in text
    assert say("utter_default", SlotSet("language", language), UserUttered("hmm")) != text
