"""Crisis help when Rasa cannot answer: the channels' own last line of defence.

When Rasa is down, times out or answers with nothing, a message with crisis language still gets the crisis
reply, with the numbers from bot/content/helplines.yml. It uses the same phrase list as the NLU pipeline
(bot/content/crisis_phrases.yml, here without spaCy: word forms only) and the same words as the bot
(utter_crisis in domain.yml).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, Optional

import yaml

from bot.content import helpline_values
from bot.nlu.crisis_net import has_crisis_phrase
from bot.settings import ROOT


@lru_cache(maxsize=1)
def _crisis_texts() -> Dict[str, str]:
    variations = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_crisis"]
    texts = {}
    for variation in variations:
        conditions = {c["name"]: c["value"] for c in variation.get("condition", [])}
        texts[conditions.get("language", "nl")] = variation["text"]
    return texts


def crisis_reply(text: Optional[str], language: str) -> Optional[str]:
    """The crisis reply for crisis language, in the person's language; None for anything else."""
    if not has_crisis_phrase(text):
        return None
    texts = _crisis_texts()
    return texts.get(language, texts["nl"]).format(**helpline_values())


def warm_up() -> None:
    """Compile the phrase net and read the crisis texts at start-up: the first emergency waits for nothing."""
    has_crisis_phrase("warm up")
    _crisis_texts()
