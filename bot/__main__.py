"""Small command line.

  python -m bot processes                     what `make run` starts
  python -m bot outbox plan [--days N]        plan daily exercises for the coming days
  python -m bot outbox dispatch [--once]      send what is due (--once: until nothing is due; else keep running)
  python -m bot outbox status                 messages by state
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import get_settings


def processes() -> str:
    names = ["rasa", "actions", "web", "dispatcher"]
    if get_settings().telegram_bot_token:
        names.append("telegram")
    else:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge is not started.", file=sys.stderr)
    return " ".join(names)


def outbox(args: argparse.Namespace) -> int:
    from bot.outbox import Outbox, dispatch_with_settings
    from bot.storage.db import default_engine

    if args.action == "plan":
        added = Outbox(default_engine()).plan(days=args.days)
        print(f"planned {added} new messages")
    elif args.action == "status":
        counts = Outbox(default_engine()).counts()
        print("  ".join(f"{state}: {count}" for state, count in counts.items()))
    elif args.once:
        from tqdm import tqdm

        due = Outbox(default_engine()).counts()["pending"]
        with tqdm(total=due, unit="msg", disable=not sys.stderr.isatty() or due < 100) as bar:
            tally = asyncio.run(dispatch_with_settings(once=True, progress=bar.update))
        print("  ".join(f"{outcome}: {count}" for outcome, count in tally.items()))
    else:
        asyncio.run(dispatch_with_settings(once=False))
    return 0


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("processes", help="what `make run` starts")
    box = commands.add_parser("outbox", help="the scheduled sender")
    box.add_argument("action", choices=("plan", "dispatch", "status"))
    box.add_argument("--once", action="store_true", help="dispatch: send what is due now, then stop")
    box.add_argument("--days", type=int, default=2, help="plan: how many days ahead (default 2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "processes":
        print(processes())
        return 0
    return outbox(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
