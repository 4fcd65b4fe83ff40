"""End to end through the real Rasa REST channel, with the real action server and trained model."""
import yaml
from sqlalchemy import create_engine, text

from bot import content
from tests.conftest import ROOT, Servers, bubbles, new_sender, texts
from tests.conftest import domain_response as variation


def dutch(name: str) -> str:
    return variation(name)["text"]


def english(name: str) -> str:
    return variation(name, language="en")["text"]


def payloads(replies) -> list:
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def filled(template: str) -> str:
    return template.format(**content.helpline_values())


OFFER_PAYLOADS = {"/request_exercise", "/ask_course_info", "/subscribe_exercises", "/enrol_course"}


def test_greeting_says_it_is_a_chatbot_with_privacy_note_and_buttons(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "hallo")
    assert replies[0]["text"] == dutch("utter_greet")
    assert "chatbot" in replies[0]["text"] and "/mijngegevens" in replies[0]["text"]
    assert len(replies[0]["text"].split()) <= 42, "a short, warm greeting (it was 56 words)"
    assert replies[0]["buttons"] == variation("utter_greet")["buttons"]


def test_loneliness_is_acknowledged_first_and_nothing_is_offered_yet(servers: Servers) -> None:
    sender = new_sender()
    replies = servers.chat(sender, "ik voel me eenzaam")
    assert replies[0]["text"] == dutch("utter_acknowledge_loneliness")
    assert "buttons" not in replies[0]
    assert payloads(replies) == [b["payload"] for b in variation("utter_ask_loneliness_kind")["buttons"]]
    assert not OFFER_PAYLOADS & set(payloads(replies))

    replies = servers.chat(sender, "/answer_both")  # a quick-reply button
    assert replies[0]["text"] == dutch("utter_lonely_both")
    assert "/ask_course_info" in payloads(replies[1:])


def test_first_message_lonely_among_people_gets_the_acknowledgement_not_an_offer(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "ik voel me zo leeg, ook als er mensen om me heen zijn")
    assert replies[0]["text"] == dutch("utter_acknowledge_loneliness")
    assert not OFFER_PAYLOADS & set(payloads(replies))


def test_a_life_event_is_named_before_anything_else(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "sinds mijn vrouw vorig jaar is overleden voel ik me zo alleen")
    assert replies[0]["text"] == variation("utter_acknowledge_loneliness", language="nl", life_event="partner_died")["text"]
    replies = servers.chat(new_sender(), "since the divorce i feel so alone in the evenings")
    assert replies[0]["text"] == variation("utter_acknowledge_loneliness", language="en", life_event="divorce")["text"]


def test_english_speaker_gets_english(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "I feel so lonely lately")
    assert replies[0]["text"] == english("utter_acknowledge_loneliness")


def test_browser_language_sets_the_language_from_the_first_message(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "/greet", metadata={"channel": "web", "language": "en-GB"})
    assert replies[0]["text"] == english("utter_greet")


def test_crisis_mid_flow_gets_113_at_once_and_no_offer(servers: Servers) -> None:
    sender = new_sender()
    servers.chat(sender, "ik voel me eenzaam")
    replies = servers.chat(sender, "ik zie het niet meer zitten")
    lines = content.helplines()
    said = texts(replies)
    assert lines["crisis"]["phone_free"] in said and lines["crisis"]["chat_url"] in said
    assert lines["emergency"]["phone"] in said
    assert "{" not in said, "every helpline placeholder is filled"
    assert not [b for r in replies for b in r.get("buttons", [])], "no offer in the crisis turn"


def test_after_a_crisis_message_the_bot_stays_without_a_menu(servers: Servers) -> None:
    sender = new_sender()
    first = servers.chat(sender, "ik wil er niet meer zijn")
    assert [r["text"] for r in first] == bubbles(filled(dutch("utter_crisis")))
    for message in ("ik weet het niet, alles is zwaar", "hmm", "qwrtzp xkcd vbnm", "nee"):
        replies = servers.chat(sender, message)
        assert texts(replies) == filled(dutch("utter_safety_listening")), message
        assert payloads(replies) == [], message
    again = servers.chat(sender, "ik heb de pillen al klaarliggen")
    assert [r["text"] for r in again] == bubbles(filled(dutch("utter_crisis"))), "a second crisis message repeats the numbers"
    asked = servers.chat(sender, "mag ik een oefening?")
    assert asked[0]["text"].startswith(content.message("exercise", "nl", title="", minutes=0, steps="", why="")[:10])


def test_language_switch_on_request(servers: Servers) -> None:
    sender = new_sender()
    servers.chat(sender, "hoi")
    replies = servers.chat(sender, "/switch_language")
    assert replies[0]["text"] == english("utter_language_switched")
    replies = servers.chat(sender, "/express_loneliness")
    assert replies[0]["text"] == english("utter_acknowledge_loneliness")


def test_request_human_names_de_luisterlijn_from_content(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "/request_human")
    assert content.helplines()["listening"]["phone"] in replies[0]["text"]


def test_talking_stores_no_profile_and_the_conversation_can_be_seen_and_deleted(servers: Servers) -> None:
    sender = new_sender()
    greeting = servers.chat(sender, "hallo", metadata={"channel": "web", "language": "nl"})
    engine = create_engine(servers.app_database_url, future=True)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT channel, language FROM users WHERE channel_user_id = :id"), {"id": sender.split(":", 1)[1]}
        ).one_or_none()
    engine.dispose()
    assert row is None, "no profile without a yes to the privacy notice"
    shown = servers.chat(sender, "/export_my_data")
    assert shown[0]["text"] == content.message("export_no_profile", "nl", messages=1 + len(greeting))
    servers.chat(sender, "/delete_my_data")
    assert texts(servers.chat(sender, "/affirm")) == content.message("data_deleted", "nl")
    tracker = create_engine(f"sqlite:///{servers.var_dir / 'tracker.db'}", future=True)
    with tracker.connect() as connection:
        kept = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one()
    tracker.dispose()
    assert kept == 0, "the conversation itself is deleted"


def test_not_understood_twice_listens_first_and_never_shows_offers(servers: Servers) -> None:
    sender = new_sender()
    replies = servers.chat(sender, "qwrtzp xkcd vbnm")
    assert texts(replies) == dutch("utter_default") and payloads(replies) == []
    replies = servers.chat(sender, "zxcvb plmok")
    assert [r["text"] for r in replies] == [dutch("utter_not_understood_again"), filled(dutch("utter_ways_on"))]
    assert payloads(replies) == []


def test_distress_gets_a_reflection_and_the_ways_on(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "het gaat gewoon helemaal niet goed met me, alles is zwaar")
    assert [r["text"] for r in replies] == [dutch("utter_reflect_distress"), filled(dutch("utter_ways_on"))]
    assert payloads(replies) == []


def test_every_development_crisis_message_gets_the_crisis_reply(servers: Servers) -> None:
    """Crisis recall stays 1.0 on the development sets (tests/nlu/dev, never trained on), through the real server."""
    missed = []
    for name in ("nl", "en", "crisis"):
        data = yaml.safe_load((ROOT / "tests" / "nlu" / "dev" / f"{name}.yml").read_text(encoding="utf-8"))
        block = next(b for b in data["nlu"] if b["intent"] == "crisis")
        for line in block["examples"].strip().splitlines():
            message = line.strip()[2:]
            if content.helplines()["crisis"]["phone_free"] not in texts(servers.chat(new_sender(), message)):
                missed.append(message)
    assert missed == []
