"""Small command line: `python -m bot processes` lists what `make run` starts."""
from __future__ import annotations

import sys

from bot.settings import get_settings


def processes() -> str:
    names = ["rasa", "actions", "web"]
    if get_settings().telegram_bot_token:
        names.append("telegram")
    else:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge is not started.", file=sys.stderr)
    return " ".join(names)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "processes":
        print(processes())
    else:
        print("usage: python -m bot processes", file=sys.stderr)
        sys.exit(2)
