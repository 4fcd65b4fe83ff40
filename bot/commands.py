"""Slash commands shared by the channels (Telegram, website): Dutch names with English aliases.

Rasa reads any message starting with "/" as an intent name, so channels translate what people type here:
a known command becomes its intent payload, and anything else typed is sent as plain words, never as a raw
intent. Words after a command are never dropped: crisis language or a whole sentence goes to Rasa's NLU as a
message of its own ("/help ik wil niet meer leven" gets the crisis reply, not the help text).
"""
from __future__ import annotations

import json
import re
from typing import Dict, List, Optional, Tuple

from bot.language import LANGUAGES, requested_language
from bot.storage.cohorts import code_in

# command -> (intent payload, Dutch description, English description)
COMMANDS: Dict[str, Tuple[str, str, str]] = {
    "start": ("/greet", "Begin het gesprek", "Start the conversation"),
    "help": ("/ask_help", "Wat kan ik hier doen?", "What can I do here?"),
    "oefening": ("/request_exercise", "Een oefening voor nu", "An exercise for now"),
    "cursus": ("/ask_course_info", "Over de cursus Creatief Leven", "About the course Creatief Leven"),
    "voortgang": ("/ask_progress", "Hoe gaat het met mijn oefeningen?", "How am I doing with my exercises?"),
    "stop": ("/stop_exercises", "Stop de dagelijkse oefeningen", "Stop the daily exercises"),
    "deelnemen": ("/join_course", "Meedoen met je cursusgroep (met je code)", "Join your course group (with your code)"),
    "taal": ("/switch_language", "Nederlands / English", "Nederlands / English"),
    "mijngegevens": ("/export_my_data", "Wat weet je van mij?", "What do you know about me?"),
    "vergeet": ("/delete_my_data", "Wis mijn gegevens", "Delete my data"),
}

ALIASES: Dict[str, str] = {
    "exercise": "oefening",
    "course": "cursus",
    "progress": "voortgang",
    "language": "taal",
    "join": "deelnemen",
    "mydata": "mijngegevens",
    "forget": "vergeet",
}


LEADING_SLASHES = re.compile(r"^[\s/]+")
MAX_ARGUMENT_WORDS = 2  # more words than this after a command are a sentence, read by the NLU


def command_payload(text: str) -> Optional[str]:
    """What Rasa gets for a slash command ("/Taal@LichtpuntBot" works too); None when it is no known command."""
    if not text.startswith("/"):
        return None
    parts = text[1:].strip().split(maxsplit=1)  # words may follow after a space, tab or newline
    name = parts[0].split("@", 1)[0].lower() if parts else ""
    rest = parts[1] if len(parts) > 1 else ""
    entry = COMMANDS.get(ALIASES.get(name, name))
    if entry is None:
        return None
    rest = rest.strip()
    if not rest:
        return entry[0]
    wanted = rest.lower() if rest.lower() in LANGUAGES else requested_language(rest)
    if entry[0] == "/switch_language" and wanted:
        return "/switch_language" + json.dumps({"language": wanted})
    if entry[0] == "/join_course" and code_in(rest):
        return "/join_course" + json.dumps({"join_code": code_in(rest)})
    if _is_crisis(rest) or len(rest.split()) > MAX_ARGUMENT_WORDS:
        return rest
    return entry[0]


def plain_text(text: str) -> str:
    """Typed text that starts with slashes but is no command: the words only, never a raw intent for Rasa."""
    return LEADING_SLASHES.sub("", text) if text.lstrip().startswith("/") else text


def _is_crisis(text: str) -> bool:
    from bot.channels.safety_net import crisis_reply  # the channels' phrase net, loaded on first use

    return crisis_reply(text, "nl") is not None


ENGLISH_NAMES: Dict[str, str] = {dutch: english for english, dutch in ALIASES.items()}


def command_list(language: str) -> List[Tuple[str, str]]:
    """(command, description) pairs for a menu: English names and descriptions for English speakers."""
    if language == "en":
        return [(ENGLISH_NAMES.get(name, name), entry[2]) for name, entry in COMMANDS.items()]
    return [(name, entry[1]) for name, entry in COMMANDS.items()]
