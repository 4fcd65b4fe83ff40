"""Content files load and validate; the bot's words stay true to the domain brief (an audit)."""
import re
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest
import yaml

from bot import content
from tests.conftest import ROOT, SPACY_MODEL

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
    assert {"partner_died", "divorce", "moved"} <= set(content.life_events())
    assert len(content.exercises()) >= 30
    assert content.course()["name"] == "Creatief Leven"
    assert set(content.crisis_phrases()) == {"nl", "en"}
    assert content.message("exercise", "en", title="T", minutes=3, steps="S", why="W").startswith("An exercise")


def test_every_channel_text_has_dutch_and_english() -> None:
    for channel, keys in content.CHANNEL_TEXTS.items():
        texts = content.channel_texts(channel)
        for key in keys:
            assert texts[key]["nl"] and texts[key]["en"], f"{channel}.yml {key}"
    assert "2000" in content.channel_text("web", "message_too_long", "en", max_chars=2000)


GOOD_EXERCISE = """exercises:
  - key: x
    category: savouring
    minutes: 5
    needs_others: false
    title: {nl: Hoi, en: Hi}
    steps: {nl: [a, b], en: [c, d]}
    why: {nl: c, en: d}
"""


@pytest.mark.parametrize(
    "change, complaint",
    [
        (("minutes: 5", "minutes: 12"), "minutes"),
        (("category: savouring", "category: sport"), "category"),
        (("needs_others: false", "needs_others: true"), "alone"),
        (("needs_others: false", "needs_others: maybe"), "needs_others"),
        (("en: [c, d]", "en: [c]"), "same number"),
        (("nl: [a, b]", "nl: [a, b, a, b, a, b]"), "1 to 5"),
        (("why: {nl: c, en: d}", "why: {nl: c}"), "why"),
        (("title: {nl: Hoi, en: Hi}", "title: {nl: \"Hoi {naam}\", en: Hi}"), "braces"),
        (("key: x", "key: Twee Woorden"), "key"),
        (("title: {nl: Hoi, en: Hi}", "title: {nl: Hoi}"), "title"),
    ],
)
def test_a_malformed_exercise_names_what_is_wrong(tmp_path: Path, change, complaint: str) -> None:
    assert content.exercises.__wrapped__(_write(tmp_path, GOOD_EXERCISE))  # the good one loads
    with pytest.raises(content.ContentError, match=complaint):
        content.exercises.__wrapped__(_write(tmp_path, GOOD_EXERCISE.replace(*change)))


def _write(folder: Path, text: str) -> Path:
    (folder / "exercises.yml").write_text(text, encoding="utf-8")
    return folder


def test_the_catalogue_covers_every_category_and_never_assumes_company() -> None:
    catalogue = content.exercises()
    per_category = {category: 0 for category in content.EXERCISE_CATEGORIES}
    for item in catalogue:
        per_category[item["category"]] += 1
    assert min(per_category.values()) >= 3, per_category
    assume = re.compile(r"\b(je|jouw|your) (partner|vrouw|man|moeder|vader|familie|kinderen|vriend(in)?|vrienden|"
                        r"wife|husband|mother|father|family|kids|children|friends?)\b", re.I)
    overclaim = re.compile(r"maandenlang|for months|groot onderzoek|large trial|bewezen|proven", re.I)
    problems = []
    for item in catalogue:
        for lang in ("nl", "en"):
            texts = [item["title"][lang], item["why"][lang], *item["steps"][lang], (item.get("alone") or {}).get(lang, "")]
            problems += [(item["key"], text) for text in texts if assume.search(text) or overclaim.search(text)]
    assert problems == []
    assert sum(item["needs_others"] for item in catalogue) >= 5
    assert all(item.get("alone") for item in catalogue if item["needs_others"])


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
        # what users might write (training data, phrase lists) may mention 113; the bot's own words may not
        if path == HELPLINE_FILE or {"nlu", "safety"} & set(path.parts) or path.name == "crisis_phrases.yml":
            continue
        text = path.read_text(encoding="utf-8")
        for number in numbers:
            assert number not in text, f"{path.relative_to(ROOT)} contains helpline number {number}"
        if path.suffix == ".yml":
            assert not number_113.search(text), f"{path.relative_to(ROOT)} hard-codes 113/112"


def test_crisis_reply_is_built_from_the_helpline_file() -> None:
    values = content.helpline_values()
    for variation in DOMAIN["responses"]["utter_crisis"]:
        for name in ("crisis_phone", "crisis_phone_free", "crisis_chat", "emergency_phone"):
            assert "{" + name + "}" in variation["text"]
    filled = DOMAIN["responses"]["utter_crisis"][0]["text"].format(**values)
    lines = content.helplines()
    assert lines["crisis"]["phone"] in filled and lines["crisis"]["phone_free"] in filled
    assert lines["crisis"]["chat_url"] in filled and lines["emergency"]["phone"] in filled


def test_every_placeholder_is_a_slot_or_a_helpline_value() -> None:
    known = set(DOMAIN["slots"]) | set(content.helpline_values())
    for name, text in domain_texts():
        for placeholder in re.findall(r"{(\w+)}", text):
            assert placeholder in known, f"{name}: {{{placeholder}}} would stay unfilled"


def test_crisis_wording_follows_113s_advice() -> None:
    """Honest that this is a chatbot, the chat first for someone who is typing, calling is free, 112 in danger."""
    values = content.helpline_values()
    for variation in DOMAIN["responses"]["utter_crisis"]:
        text = variation["text"]
        assert "chatbot" in text
        assert text.index("{crisis_chat}") < text.index("{crisis_phone}"), "the chat comes first"
        assert re.search(r"gratis|free", text) and "{emergency_phone}" in text
    assert values["crisis_phone"] == "113"


@pytest.fixture(scope="module")
def life_events():
    from bot.nlu.life_events import LifeEventMatcher
    from bot.nlu.phrases import load_nlp

    return LifeEventMatcher(load_nlp(SPACY_MODEL))


@pytest.mark.parametrize("text, event", [
    ("sinds de miskraam voel ik me zo alleen", "baby_lost"),
    ("onze baby is na twee dagen overleden", "baby_lost"),
    ("since losing the baby nobody says anything to me", "baby_lost"),
    ("the stillbirth was in May and the baby room is still there", "baby_lost"),
    ("sinds de bevalling zit ik alleen thuis met de baby", "new_baby"),
    ("we just had a baby and I feel so alone", "new_baby"),
    ("ik huil elke avond als een baby, zo alleen voel ik me", None),
    ("I cried like a baby last night, I'm so lonely", None),
])
def test_a_lost_baby_never_gets_the_new_baby_words(life_events, text: str, event: Optional[str]) -> None:
    found = life_events.event(text)
    assert (found and found["value"]) == event, found


def test_every_life_event_is_named_in_both_languages() -> None:
    events = set(content.life_events())
    assert events == set(DOMAIN["slots"]["life_event"]["values"]), "life_events.yml and the slot must agree"
    for response in ("utter_acknowledge_loneliness", "utter_ask_isolation_feeling"):
        named = {
            ({c["name"]: c["value"] for c in v["condition"]}.get("life_event"),
             {c["name"]: c["value"] for c in v["condition"]}.get("language"))
            for v in DOMAIN["responses"][response] if "condition" in v
        }
        for event in events:
            assert (event, "nl") in named and (event, "en") in named, f"{response}: {event}"


# Promises for what does not exist yet: allowed only where their issue is still open (daily exercises, enrolment).
NOT_YET = re.compile(r"binnenkort|coming soon|kletsen|just want a chat|dagelijkse berichten|daily messages", re.I)
NOT_YET_ALLOWED: set = set()  # both offers exist now: nothing may promise "coming soon"


def test_nothing_promises_what_does_not_exist() -> None:
    offenders = [(where, text) for where, text in all_bot_texts() if NOT_YET.search(text) and where not in NOT_YET_ALLOWED]
    assert offenders == []


def _story_shapes(folder: Path) -> dict:
    shapes = {}
    for path in folder.glob("*.yml"):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", []):
            shapes[story["story"]] = tuple(step.get("intent") or step.get("action") for step in story["steps"]
                                           if "intent" in step or "action" in step)
    return shapes


def test_test_stories_are_not_copies_of_training_stories() -> None:
    """A test story that repeats a training story step for step proves only that memorisation works."""
    training = set(_story_shapes(ROOT / "data" / "stories").values())
    copies = [name for name, shape in _story_shapes(ROOT / "tests" / "stories").items() if shape in training]
    assert copies == []


def test_every_test_story_file_is_one_rasa_reads_as_a_test() -> None:
    """Rasa only evaluates files whose names start with test_; any other file would be skipped in silence."""
    assert all(path.name.startswith("test_") for path in (ROOT / "tests" / "stories").glob("*.yml"))


NUDGES = content.CONTENT_DIR / "nudges.yml"


@pytest.mark.parametrize(
    "change, complaint",
    [
        (('after: "10:00"', 'after: "10 uur"'), "HH:MM"),
        (("mid_days: 3", "mid_days: 9"), "mid_days"),
        (("  8:\n", "  9:\n"), "weeks 1 to 8"),
        (("{when}, {place}", "{when}"), "exactly"),  # a reminder without its place
        (("{when}, {place}", "{when}, {place}, {price}"), "exactly"),  # a fact the bot cannot fill in
        (("{listening_name}: {listening_phone}.", "{listening_name}."), "exactly"),
    ],
)
def test_a_malformed_nudge_file_names_what_is_wrong(tmp_path: Path, change, complaint: str) -> None:
    good = NUDGES.read_text(encoding="utf-8")
    assert change[0] in good, "the change must apply to the real file"
    (tmp_path / "nudges.yml").write_text(good, encoding="utf-8")
    assert content.nudges.__wrapped__(tmp_path)["weeks"][1]["mid"]["nl"]  # the real one loads
    (tmp_path / "nudges.yml").write_text(good.replace(*change, 1), encoding="utf-8")
    with pytest.raises(content.ContentError, match=complaint):
        content.nudges.__wrapped__(tmp_path)


def test_every_nudge_stays_positive_and_promises_no_facts() -> None:
    data = content.nudges()
    texts = [part[lang] for week in data["weeks"].values() for part in week.values() for lang in ("nl", "en")]
    texts += [closing[lang] for closing in data["closing"].values() for lang in ("nl", "en")]
    for text in texts:
        lowered = text.lower()
        for word in ("vrijwilliger", "volunteer", "join a club", "word lid", "€", "binnenkort", "coming soon"):
            assert word not in lowered, (word, text)
    assert "huisarts" in data["closing"]["no_change"]["nl"] and "GP" in data["closing"]["no_change"]["en"]
