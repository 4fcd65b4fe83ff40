"""Content files load and validate; the bot's words stay true to the domain brief (an audit)."""
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import yaml

from bot import content
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
HELPLINE_FILE = ROOT / "bot" / "content" / "helplines.yml"

# Never a diagnosis or clinical label in what the bot says.
CLINICAL = re.compile(
    r"stoornis|diagnos|pati[eë]nt|symptoo?m|symptom|disorder|ziektebeeld|mental illness|psychiatri",
    re.IGNORECASE,
)
# "Get more contact" advice: fine for isolation without loneliness, never as the cure for loneliness.
MORE_CONTACT = re.compile(
    r"vrijwillig|volunteer|contactgroep|contact group|buurthuis|community cent|\bclub\b|sociale activiteit",
    re.IGNORECASE,
)
ALLOWED_MORE_CONTACT = {"utter_few_contacts_fine", "utter_faq/contact_groups"}
NEGATION = re.compile(r"\b(niet|geen|not|doesn't|isn't)\b|\bnot\b", re.IGNORECASE)


def domain_texts() -> Iterator[Tuple[str, str]]:
    for name, variations in DOMAIN["responses"].items():
        for variation in variations:
            yield name, variation.get("text", "")
            for button in variation.get("buttons", []):
                yield name, button["title"]


def content_texts() -> Iterator[Tuple[str, str]]:
    def walk(where: str, value: object) -> Iterator[Tuple[str, str]]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from walk(f"{where}.{key}", inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                yield from walk(f"{where}[{index}]", inner)
        elif isinstance(value, str):
            yield where, value

    for path in sorted((ROOT / "bot" / "content").glob("*.yml")):
        if path.name == "crisis_phrases.yml":  # what users might say, not what the bot says
            continue
        yield from walk(path.name, yaml.safe_load(path.read_text(encoding="utf-8")))


def all_bot_texts() -> List[Tuple[str, str]]:
    return list(domain_texts()) + list(content_texts())


def test_content_files_load_and_validate() -> None:
    assert content.helplines()["crisis"]["phone"]
    assert len(content.exercises()) >= 8
    assert content.course()["name"] == "Creatief Leven"
    assert set(content.crisis_phrases()) == {"nl", "en"}
    assert content.message("exercise", "en", title="T", minutes=3, steps="S", why="W").startswith("An exercise")


def test_every_channel_text_has_dutch_and_english() -> None:
    for channel, keys in content.CHANNEL_TEXTS.items():
        texts = content.channel_texts(channel)
        for key in keys:
            assert texts[key]["nl"] and texts[key]["en"], f"{channel}.yml {key}"
    assert "2000" in content.channel_text("web", "message_too_long", "en", max_chars=2000)


def test_a_content_mistake_is_caught_at_load(tmp_path: Path) -> None:
    (tmp_path / "exercises.yml").write_text(
        "exercises:\n  - key: x\n    minutes: 5\n    title: {nl: Hoi}\n    steps: {nl: a, en: b}\n    why: {nl: c, en: d}\n"
    )
    with pytest.raises(content.ContentError, match="title"):
        content.exercises(tmp_path)


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_every_response_has_dutch_and_english(name: str) -> None:
    variations = DOMAIN["responses"][name]
    dutch = [v for v in variations if "condition" not in v]
    english = [
        v for v in variations
        if any(c.get("name") == "language" and c.get("value") == "en" for c in v.get("condition", []))
    ]
    assert dutch and english, f"{name} needs a Dutch (default) and an English variation"
    # Rasa prefers an unconditional channel-specific variation over a language-conditioned one.
    assert not any("channel" in v for v in variations), f"{name}: no channel-specific variations"
    assert len(dutch[0].get("buttons", [])) == len(english[0].get("buttons", [])), name
    assert [b["payload"] for b in dutch[0].get("buttons", [])] == [b["payload"] for b in english[0].get("buttons", [])]


def test_no_clinical_labels_in_bot_texts() -> None:
    offenders = [(where, text) for where, text in all_bot_texts() if CLINICAL.search(text)]
    assert offenders == []


def test_more_contact_is_never_the_cure_for_loneliness() -> None:
    for where, text in all_bot_texts():
        if MORE_CONTACT.search(text):
            assert where in ALLOWED_MORE_CONTACT, f"{where} suggests more contact: {text}"
    for variation in DOMAIN["responses"]["utter_faq/contact_groups"]:
        assert NEGATION.search(variation["text"]), "the contact-group answer must say it doesn't cure loneliness"


def test_acknowledgement_offers_nothing() -> None:
    for variation in DOMAIN["responses"]["utter_acknowledge_loneliness"]:
        assert "buttons" not in variation
        assert not re.search(r"cursus|course|oefening|exercise", variation["text"], re.IGNORECASE)


def test_texts_are_short_enough_for_a_chat_bubble() -> None:
    for where, text in domain_texts():
        assert len(text) <= 600, f"{where} is a leaflet, not a chat bubble ({len(text)} chars)"


def _helpline_numbers() -> List[str]:
    lines = content.helplines()
    return [lines["crisis"]["phone_free"], lines["listening"]["phone"], "0800 0113", "088-0767000", "0880767000"]


def test_helplines_live_only_in_the_content_file() -> None:
    numbers = _helpline_numbers()
    number_113 = re.compile(r"(?<![\d{])11[23](?![\d}])")
    sources = [ROOT / "domain.yml", ROOT / "credentials.yml", ROOT / "endpoints.yml"]
    for folder in ("actions", "bot", "data"):
        sources += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".yml", ".js", ".html", ".css"}]
    for path in sources:
        if path == HELPLINE_FILE or "nlu" in path.parts or path.name == "crisis_phrases.yml":
            continue
        text = path.read_text(encoding="utf-8")
        for number in numbers:
            assert number not in text, f"{path.relative_to(ROOT)} contains helpline number {number}"
        if path.suffix == ".yml":
            assert not number_113.search(text), f"{path.relative_to(ROOT)} hard-codes 113/112"


def test_crisis_reply_is_built_from_the_helpline_slots() -> None:
    slots = content.helpline_slots()
    for variation in DOMAIN["responses"]["utter_crisis"]:
        for slot in ("crisis_phone", "crisis_phone_free", "crisis_chat", "emergency_phone"):
            assert "{" + slot + "}" in variation["text"]
    assert set(slots) <= set(DOMAIN["slots"]), "every helpline value needs a slot in domain.yml"
    filled = DOMAIN["responses"]["utter_crisis"][0]["text"].format(**slots)
    assert "113" in filled and "0800-0113" in filled and "112" in filled
