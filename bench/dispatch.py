"""The scheduled sender's speed: 10,000 due messages to a fake Telegram Bot API on 127.0.0.1.

Prints two figures:
- unthrottled: messages per second through the whole dispatcher (claim in batches, send through the Telegram
  sending module, mark each row sent before the next one: crash-safe) - target >= 1,000/s on two cores;
- throttled at DISPATCH_RATE (default 25/s) for 20 s: the rate achieved - target 25 +- 1.
Rasa's part (composing the message) is replaced by a fixed reply here; bench/turns.py measures Rasa.
Usage: python bench/dispatch.py [--messages 10000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import threading
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from telegram import Bot  # noqa: E402

from bot.channels.telegram_send import LongPayloads  # noqa: E402
from bot.outbox import Dispatcher, Due, Outbox, TelegramSender  # noqa: E402
from bot.storage import make_engine  # noqa: E402
from bot.storage.models import OutboxMessage, User, utcnow  # noqa: E402
from tests.conftest import POSTGRES_ADMIN_URL, free_port, migrate  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "777:bench-token"
REPLY = [{"text": "Je oefening van vandaag: Even genieten (3 min)", "buttons": [{"title": "Gedaan ✅", "payload": "/exercise_done"}]}]


def fill(engine, count: int, first_chat: int) -> None:
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(insert(User), [{"channel": "telegram", "channel_user_id": str(first_chat + n), "language": "nl",
                                           "active": True, "created_at": now} for n in range(count)])
        ids = [row[0] for row in connection.execute(text("SELECT id FROM users WHERE channel_user_id >= :f ORDER BY id"),
                                                    {"f": str(first_chat)})][-count:]
        connection.execute(insert(OutboxMessage), [
            {"user_id": user_id, "kind": "exercise", "local_date": date.today(), "slot": "09:00",
             "due_at": now - timedelta(minutes=1), "state": "pending", "attempts": 0} for user_id in ids])


async def run(engine, telegram: "RemoteTelegram", rate: float, seconds: float = 0.0) -> tuple:
    async def compose(item: Due):
        return REPLY

    async with Bot(TOKEN, base_url=telegram.base_url) as bot:
        dispatcher = Dispatcher(Outbox(engine), compose, {"telegram": TelegramSender(bot, LongPayloads(engine))}, rate=rate, batch=50)
        started = time.perf_counter()
        if seconds:
            task = asyncio.create_task(dispatcher.dispatch_due())
            await asyncio.sleep(seconds)
            task.cancel()
            sent = Outbox(engine).counts()["sent"]
        else:
            sent = (await dispatcher.dispatch_due())["sent"]
        return sent, time.perf_counter() - started


def database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        name = "lichtpunt_bench"
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    return url


def serve_fake_telegram(port: int, ready) -> None:  # type: ignore[no-untyped-def]
    """The fake Bot API in its own process (its own core and GIL), as Telegram would be."""
    from tests.fake_telegram import BackgroundServer

    fake = FakeTelegram(TOKEN)
    from aiohttp import web

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", fake._handle)
    fake._server = BackgroundServer(app, port).start()
    ready.set()
    threading.Event().wait()


class RemoteTelegram:
    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/bot"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rate", type=float, default=25.0)
    args = parser.parse_args()
    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_fake_telegram, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    telegram = RemoteTelegram(port)
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(database(args.database, Path(folder)))
            fill(engine, args.messages, 10_000_000)
            sent, took = asyncio.run(run(engine, telegram, rate=0))
            print(f"dispatch ({args.database}) unthrottled: {sent} messages in {took:.1f} s = {sent / took:,.0f} msg/s (target >= 1,000)")
            fill(engine, 1_000, 20_000_000)
            before = Outbox(engine).counts()["sent"]
            sent, took = asyncio.run(run(engine, telegram, rate=args.rate, seconds=20.0))
            achieved = (sent - before) / 20.0
            print(f"dispatch ({args.database}) throttled at {args.rate:g}/s for 20 s: {achieved:.2f} msg/s (target {args.rate:g} +- 1)")
            engine.dispose()
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
