"""Content files (helplines, crisis phrases, course facts, exercises, channel texts), loaded and validated in one place.

The YAML files beside this module are meant to be edited by non-programmers; a mistake in them
fails a test (tests/test_content.py) instead of reaching a user.
"""
from __future__ import annotations

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
    for key in ("summary", "format", "not_yet_planned", "enrol_pending"):
        _require_languages(data.get(key), f"course.yml {key}")
    for index, group in enumerate(data.get("groups") or []):
        _require(group, ["place", "start_date"], f"course.yml groups[{index}]")
    return data


@lru_cache(maxsize=None)
def exercises(content_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    data = _load("exercises.yml", content_dir)
    items = data.get("exercises")
    if not isinstance(items, list) or not items:
        raise ContentError("exercises.yml: 'exercises' must be a non-empty list")
    seen = set()
    for item in items:
        _require(item, ["key", "minutes"], "exercises.yml")
        if item["key"] in seen:
            raise ContentError(f"exercises.yml: key '{item['key']}' appears twice")
        seen.add(item["key"])
        for field in ("title", "steps", "why"):
            _require_languages(item.get(field), f"exercises.yml {item['key']}.{field}")
        if not 2 <= int(item["minutes"]) <= 10:
            raise ContentError(f"exercises.yml {item['key']}: minutes must be 2-10")
    return items


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


# What each channel adapter says by itself (bot/content/<channel>.yml) and the keys it needs.
CHANNEL_TEXTS = {
    "telegram": ("unavailable", "not_text", "edited", "private_only", "unknown_command", "choose"),
    "web": (
        "malformed_json", "not_an_object", "empty_message", "not_text", "message_too_long", "body_too_large",
        "bad_conversation_id", "bad_payload", "message_and_payload", "rasa_unavailable", "not_found",
        "method_not_allowed",
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
