"""End to end through the real Rasa REST channel, with the real action server and trained model."""
import yaml
from sqlalchemy import create_engine, text

from bot import content
from tests.conftest import ROOT, Servers, new_sender, texts

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def dutch(name: str) -> str:
    return next(v["text"] for v in RESPONSES[name] if "condition" not in v)


def english(name: str) -> str:
    return next(v["text"] for v in RESPONSES[name] if "condition" in v)


def test_greeting_says_it_is_a_chatbot_with_privacy_note_and_buttons(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "hallo")
    assert replies[0]["text"] == dutch("utter_greet")
    assert "chatbot" in replies[0]["text"] and "/vergeet" in replies[0]["text"]
    assert [b["title"] for b in replies[0]["buttons"]] == [
        "Ik voel me eenzaam", "Verschil eenzaamheid en alleen zijn", "Oefening", "Cursus Creatief Leven",
    ]


def test_loneliness_is_acknowledged_first_and_nothing_is_offered_yet(servers: Servers) -> None:
    sender = new_sender()
    replies = servers.chat(sender, "ik voel me eenzaam")
    assert replies[0]["text"] == dutch("utter_acknowledge_loneliness")
    assert "buttons" not in replies[0]
    offered = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert offered == ["/answer_among_people", "/answer_few_contacts_fine", "/answer_both"]

    replies = servers.chat(sender, "/answer_both")  # a quick-reply button
    assert replies[0]["text"] == dutch("utter_lonely_both")
    assert "/ask_course_info" in [b["payload"] for b in replies[1]["buttons"]]


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


def test_crisis_phrase_the_classifier_might_miss_is_caught(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "weet je, soms denk ik dat iedereen beter af is zonder mij")
    assert content.helplines()["crisis"]["phone_free"] in texts(replies)


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


def test_user_is_stored_and_can_see_and_delete_their_data(servers: Servers) -> None:
    sender = new_sender()
    servers.chat(sender, "hallo", metadata={"channel": "web", "language": "nl"})
    engine = create_engine(servers.app_database_url, future=True)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT channel, language FROM users WHERE channel_user_id = :id"), {"id": sender.split(":", 1)[1]}
        ).one()
    assert tuple(row) == ("web", "nl")
    assert "• kanaal: web" in texts(servers.chat(sender, "/export_my_data"))
    servers.chat(sender, "/delete_my_data")
    assert texts(servers.chat(sender, "/affirm")) == content.message("data_deleted", "nl")
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM users WHERE channel_user_id = :id"), {"id": sender.split(":", 1)[1]}
        ).scalar_one()
    engine.dispose()
    assert count == 0


def test_gibberish_gets_a_kind_fallback_with_buttons(servers: Servers) -> None:
    replies = servers.chat(new_sender(), "qwrtzp xkcd vbnm")
    assert replies and replies[0].get("buttons")


def test_every_held_out_crisis_message_gets_the_crisis_reply(servers: Servers) -> None:
    """Crisis recall must be 1.0 on the held-out crisis sets (never trained on): model + phrase net."""
    missed = []
    for language in ("nl", "en"):
        data = yaml.safe_load((ROOT / "tests" / "nlu" / f"heldout_{language}.yml").read_text(encoding="utf-8"))
        block = next(b for b in data["nlu"] if b["intent"] == "crisis")
        for line in block["examples"].strip().splitlines():
            message = line.strip()[2:]
            if content.helplines()["crisis"]["phone_free"] not in texts(servers.chat(new_sender(), message)):
                missed.append(message)
    assert missed == []
