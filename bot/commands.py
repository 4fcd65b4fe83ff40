"""Slash commands shared by the channels (Telegram, website): Dutch names with English aliases.

Rasa reads any message starting with "/" as an intent name, so channels translate commands
to intent payloads here instead of sending "/vergeet" to Rasa as it is.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

# command -> (intent payload, Dutch description, English description)
COMMANDS: Dict[str, Tuple[str, str, str]] = {
    "start": ("/greet", "Begin het gesprek", "Start the conversation"),
    "help": ("/ask_help", "Wat kan ik hier doen?", "What can I do here?"),
    "oefening": ("/request_exercise", "Een oefening voor nu", "An exercise for now"),
    "cursus": ("/ask_course_info", "Over de cursus Creatief Leven", "About the course Creatief Leven"),
    "stop": ("/stop_exercises", "Stop de dagelijkse berichten", "Stop the daily messages"),
    "taal": ("/switch_language", "Nederlands / English", "Nederlands / English"),
    "voortgang": ("/ask_progress", "Mijn voortgang", "My progress"),
    "mijngegevens": ("/export_my_data", "Wat weet je van mij?", "What do you know about me?"),
    "vergeet": ("/delete_my_data", "Wis mijn gegevens", "Delete my data"),
}

ALIASES: Dict[str, str] = {
    "exercise": "oefening",
    "course": "cursus",
    "language": "taal",
    "progress": "voortgang",
    "mydata": "mijngegevens",
    "forget": "vergeet",
}


def command_payload(text: str) -> Optional[str]:
    """The intent payload for a slash command ("/Taal@LichtpuntBot" works too), else None."""
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    name = ALIASES.get(name, name)
    entry = COMMANDS.get(name)
    return entry[0] if entry else None


ENGLISH_NAMES: Dict[str, str] = {dutch: english for english, dutch in ALIASES.items()}


def command_list(language: str) -> List[Tuple[str, str]]:
    """(command, description) pairs for a menu: English names and descriptions for English speakers."""
    if language == "en":
        return [(ENGLISH_NAMES.get(name, name), entry[2]) for name, entry in COMMANDS.items()]
    return [(name, entry[1]) for name, entry in COMMANDS.items()]
