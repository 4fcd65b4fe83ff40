"""Content files (helplines, crisis phrases, course facts, exercises, channel texts), loaded and validated in one place.

The YAML files beside this module are meant to be edited by non-programmers; a mistake in them
fails a test (tests/test_content.py) instead of reaching a user.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bot.language import LANGUAGES

CONTENT_DIR = Path(__file__).resolve().parent


class ContentError(ValueError):
    """A content file is missing something the bot needs."""


def _load(name: str, content_dir: Optional[Path] = None) -> Dict[str, Any]:
    path = (content_dir or CONTENT_DIR) / name
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top")
    return data


def _require(data: Dict[str, Any], keys: List[str], where: str) -> None:
    for key in keys:
        if data.get(key) in (None, ""):
            raise ContentError(f"{where}: '{key}' is missing")


def _require_languages(value: Any, where: str) -> Dict[str, str]:
    if not isinstance(value, dict) or any(not value.get(lang) for lang in LANGUAGES):
        raise ContentError(f"{where}: needs both 'nl' and 'en' text")
    return value


@lru_cache(maxsize=None)
def helplines(content_dir: Optional[Path] = None) -> Dict[str, Any]:
    data = _load("helplines.yml", content_dir)
    for line in ("crisis", "emergency", "listening"):
        if line not in data:
            raise ContentError(f"helplines.yml: '{line}' is missing")
    _require(data["crisis"], ["name", "phone", "phone_free", "chat_url"], "helplines.yml crisis")
    _require(data["emergency"], ["phone"], "helplines.yml emergency")
    _require(data["listening"], ["name", "phone", "url"], "helplines.yml listening")
    return data


def helpline_values() -> Dict[str, str]:
    """Values that responses use to show helplines (`{crisis_phone}` etc.), filled in by `bot.nlg`."""
    lines = helplines()
    return {
        "crisis_name": str(lines["crisis"]["name"]),
        "crisis_phone": str(lines["crisis"]["phone"]),
        "crisis_phone_free": str(lines["crisis"]["phone_free"]),
        "crisis_chat": str(lines["crisis"]["chat_url"]),
        "emergency_phone": str(lines["emergency"]["phone"]),
        "listening_name": str(lines["listening"]["name"]),
        "listening_phone": str(lines["listening"]["phone"]),
        "listening_url": str(lines["listening"]["url"]),
    }


@lru_cache(maxsize=None)
def life_events(content_dir: Optional[Path] = None) -> Dict[str, Dict[str, List[str]]]:
    """Phrases per life event and language (`life_events.yml`)."""
    data = _load("life_events.yml", content_dir)
    for event, phrases in data.items():
        for lang in LANGUAGES:
            listed = (phrases or {}).get(lang)
            if not isinstance(listed, list) or not listed or not all(isinstance(p, str) and p.strip() for p in listed):
                raise ContentError(f"life_events.yml: '{event}' needs a list of '{lang}' phrases")
    return {event: {lang: [p.strip() for p in phrases[lang]] for lang in LANGUAGES} for event, phrases in data.items()}


@lru_cache(maxsize=None)
def crisis_phrases(content_dir: Optional[Path] = None) -> Dict[str, List[str]]:
    data = _load("crisis_phrases.yml", content_dir)
    for lang in LANGUAGES:
        phrases = data.get(lang)
        if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ContentError(f"crisis_phrases.yml: '{lang}' must be a list of phrases")
    return {lang: [p.strip() for p in data[lang]] for lang in LANGUAGES}


@lru_cache(maxsize=None)
def course(content_dir: Optional[Path] = None) -> Dict[str, Any]:
    data = _load("course.yml", content_dir)
    _require(data, ["name"], "course.yml")
    for key in COURSE_TEXTS:
        _require_languages(data.get(key), f"course.yml {key}")
    if "groups" in data:
        raise ContentError("course.yml: groups are managed with `python -m bot groups` now, not in this file")
    return data


COURSE_TEXTS = ("summary", "format", "recognition", "intro", "how", "therapy", "for_whom", "when_general",
                "cost_unknown", "no_groups", "no_online", "groups_heading", "nearest_heading", "group_opened")


EXERCISE_CATEGORIES = (
    "gratitude", "savouring", "kindness", "creativity", "playful_social", "senses_body", "self_compassion",
)
EXERCISE_KEY = re.compile(r"[a-z0-9_]{1,64}")
MAX_STEP_CHARS = 200
MAX_WHY_CHARS = 200


@lru_cache(maxsize=None)
def exercises(content_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The catalogue, every entry checked: a mistake names the exercise and the field."""
    data = _load("exercises.yml", content_dir)
    items = data.get("exercises")
    if not isinstance(items, list) or not items:
        raise ContentError("exercises.yml: 'exercises' must be a non-empty list")
    seen = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ContentError(f"exercises.yml: entry {index + 1} is not a mapping")
        _require(item, ["key", "minutes", "category"], f"exercises.yml entry {index + 1}")
        key = str(item["key"])
        where = f"exercises.yml {key}"
        if not EXERCISE_KEY.fullmatch(key):
            raise ContentError(f"{where}: key may only have lowercase letters, digits and _")
        if key in seen:
            raise ContentError(f"exercises.yml: key '{key}' appears twice")
        seen.add(key)
        if item["category"] not in EXERCISE_CATEGORIES:
            raise ContentError(f"{where}: category must be one of {', '.join(EXERCISE_CATEGORIES)}")
        if not isinstance(item["minutes"], int) or not 2 <= item["minutes"] <= 10:
            raise ContentError(f"{where}: minutes must be a whole number from 2 to 10")
        if not isinstance(item.get("needs_others"), bool):
            raise ContentError(f"{where}: needs_others must be true or false")
        for field, limit in (("title", 80), ("why", MAX_WHY_CHARS)):
            texts = _require_languages(item.get(field), f"{where}.{field}")
            if any(len(str(texts[lang])) > limit or "\n" in str(texts[lang]).strip() for lang in LANGUAGES):
                raise ContentError(f"{where}.{field}: one line of at most {limit} characters")
        _check_steps(item.get("steps"), where)
        if item["needs_others"]:
            _require_languages(item.get("alone"), f"{where}.alone (needed when needs_others is true)")
        elif item.get("alone"):
            raise ContentError(f"{where}: 'alone' is only for exercises that need others")
        for lang in LANGUAGES:
            for text in [item["title"][lang], item["why"][lang], *item["steps"][lang], (item.get("alone") or {}).get(lang, "")]:
                if "{" in str(text) or "}" in str(text):
                    raise ContentError(f"{where}: no {{braces}} in texts (the bot fills those in itself)")
    return items


def _check_steps(steps: Any, where: str) -> None:
    if not isinstance(steps, dict) or any(not isinstance(steps.get(lang), list) for lang in LANGUAGES):
        raise ContentError(f"{where}.steps: needs a list of steps in both 'nl' and 'en'")
    counts = {len(steps[lang]) for lang in LANGUAGES}
    if len(counts) != 1 or not 1 <= counts.pop() <= 5:
        raise ContentError(f"{where}.steps: 1 to 5 steps, the same number in every language")
    for lang in LANGUAGES:
        for step in steps[lang]:
            if not isinstance(step, str) or not step.strip() or len(step) > MAX_STEP_CHARS:
                raise ContentError(f"{where}.steps.{lang}: every step is a short text (at most {MAX_STEP_CHARS} characters)")


NUDGE_PARTS = ("after", "mid", "before")
NUDGE_PLACEHOLDERS = {"before": {"when", "place"}, "no_change": {"listening_name", "listening_phone"}}
OUTCOMES = ("better", "no_change", "no_answers")
MAX_NUDGE_CHARS = 350


@lru_cache(maxsize=None)
def nudges(content_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Course messages between sessions, per week 1-8, and the closing messages (`nudges.yml`), checked."""
    data = _load("nudges.yml", content_dir)
    times = data.get("times")
    if not isinstance(times, dict) or any(not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", str(times.get(part, "")))
                                           for part in NUDGE_PARTS):
        raise ContentError("nudges.yml times: after, mid and before each need a time as HH:MM")
    if not isinstance(data.get("mid_days"), int) or not 1 <= data["mid_days"] <= 5:
        raise ContentError("nudges.yml mid_days: a whole number of days from 1 to 5")
    weeks = data.get("weeks")
    if not isinstance(weeks, dict) or sorted(weeks) != list(range(1, 9)):
        raise ContentError("nudges.yml weeks: needs weeks 1 to 8")
    for week, parts in weeks.items():
        for part in ("theme", *NUDGE_PARTS):
            _check_nudge(_require_languages((parts or {}).get(part), f"nudges.yml week {week} {part}"),
                         NUDGE_PLACEHOLDERS.get(part, set()), f"nudges.yml week {week} {part}")
    closing = data.get("closing") or {}
    for outcome in OUTCOMES:
        _check_nudge(_require_languages(closing.get(outcome), f"nudges.yml closing {outcome}"),
                     NUDGE_PLACEHOLDERS.get(outcome, set()), f"nudges.yml closing {outcome}")
    return data


def _check_nudge(texts: Dict[str, str], placeholders: set, where: str) -> None:
    for lang in LANGUAGES:
        text = str(texts[lang])
        if len(text) > MAX_NUDGE_CHARS:
            raise ContentError(f"{where}.{lang}: at most {MAX_NUDGE_CHARS} characters")
        found = re.findall(r"{([^{}]*)}", text)
        if sorted(found) != sorted(placeholders) or text.count("{") != len(found):
            wanted = ", ".join("{" + name + "}" for name in sorted(placeholders)) or "no {braces}"
            raise ContentError(f"{where}.{lang}: needs exactly {wanted}")


def nudge_text(week: int, part: str, language: str, **values: Any) -> str:
    text = nudges()["weeks"][week][part]["en" if language == "en" else "nl"]
    return text.format(**values) if values else text


def closing_text(result: str, language: str) -> str:
    text = nudges()["closing"][result]["en" if language == "en" else "nl"]
    return text.format(**helpline_values())


@lru_cache(maxsize=None)
def messages(content_dir: Optional[Path] = None) -> Dict[str, Dict[str, str]]:
    data = _load("messages.yml", content_dir)
    for key, value in data.items():
        _require_languages(value, f"messages.yml {key}")
    return data


def _in_language(texts: Dict[str, Dict[str, str]], key: str, language: str, values: Dict[str, Any]) -> str:
    text = texts[key]["en" if language == "en" else "nl"]
    return text.format(**values) if values else text


def message(key: str, language: str, **values: Any) -> str:
    """One short text in the given language, with its {placeholders} filled in."""
    return _in_language(messages(), key, language, values)


def weekday_name(weekday: int, language: str) -> str:
    """Monday is 0, as `date.weekday()`: "maandag" / "Monday" (messages.yml `weekdays`)."""
    return message("weekdays", language).split("|")[weekday]


def date_in_words(value: Any, language: str, year: bool = False) -> str:
    """A date (or datetime) as people say it: "5 december", with `year` "5 december 2026"."""
    months = message("months", language).split("|")
    text = f"{value.day} {months[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def retention() -> Dict[str, int]:
    """How long we keep things ({days}, {months}), for every text that promises it."""
    from bot.settings import get_settings

    settings = get_settings()
    return {"days": settings.retention_event_days, "months": settings.retention_inactive_months}


def privacy_notice(language: str) -> str:
    """What is stored, why, how long, how to delete."""
    return message("privacy_notice", language, **retention())


# What each channel adapter says by itself (bot/content/<channel>.yml) and the keys it needs.
CHANNEL_TEXTS = {
    "telegram": ("unavailable", "not_text", "edited", "private_only", "unknown_command", "choose"),
    "web": (
        "malformed_json", "not_an_object", "empty_message", "not_text", "message_too_long", "body_too_large",
        "bad_conversation_id", "bad_payload", "message_and_payload", "rasa_unavailable", "not_found",
        "method_not_allowed", "bad_after", "download_gone", "rate_limited",
    ),
}


@lru_cache(maxsize=None)
def channel_texts(channel: str, content_dir: Optional[Path] = None) -> Dict[str, Dict[str, str]]:
    """The texts a channel adapter says without asking Rasa (unavailable, a sticker, bad input, ...)."""
    data = _load(f"{channel}.yml", content_dir)
    for key in CHANNEL_TEXTS[channel]:
        _require_languages(data.get(key), f"{channel}.yml {key}")
    return data


def channel_text(channel: str, key: str, language: str, **values: Any) -> str:
    return _in_language(channel_texts(channel), key, language, values)


def telegram_text(key: str, language: str, **values: Any) -> str:
    return channel_text("telegram", key, language, **values)
