"""Who is writing: the one place that builds and reads Rasa sender ids and the metadata channels send.

Every channel talks to Rasa as "<channel>:<id in that channel>" ("telegram:12345", "web:3f9c…"), with metadata
{"channel": ..., "language": ...} plus what that channel knows (a browser's time zone, Telegram's chat type).
Storage keys people by the same (channel, id) pair, so forget-me and retention find a person's conversation
in Rasa's tracker store from their profile, and the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

CHANNELS = ("telegram", "web", "rest", "cmdline")


@dataclass(frozen=True)
class Identity:
    channel: str
    user_id: str

    @property
    def sender_id(self) -> str:
        return f"{self.channel}:{self.user_id}"


def identity(channel: str, user_id: object) -> Identity:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return Identity(channel, str(user_id))


def parse(sender_id: str, metadata: Optional[Mapping[str, Any]] = None, input_channel: Optional[str] = None) -> Identity:
    """The identity behind a Rasa sender id. Ours are "<channel>:<id>"; a bare id (Rasa's shell, a REST client
    of someone else) keeps the whole id and takes its channel from the metadata or Rasa's input channel."""
    prefix, _, rest = sender_id.partition(":")
    if rest and prefix in CHANNELS:
        return Identity(prefix, rest)
    named = (metadata or {}).get("channel")
    channel = named if named in CHANNELS else input_channel if input_channel in CHANNELS else "rest"
    return Identity(channel, sender_id)


def metadata(channel: str, language: Optional[str], **extra: Any) -> Dict[str, Any]:
    """What a channel sends along with a message (None values left out)."""
    found = {"channel": channel, "language": language, **extra}
    return {key: value for key, value in found.items() if value is not None}
