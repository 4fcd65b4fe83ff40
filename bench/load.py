"""Load: many web conversations at once through the real chain (web server -> Rasa -> action server).

Starts its own servers on free ports with a fresh var/ folder (SQLite), adds two course groups, then runs
`--users` conversations for `--seconds`: each one enrols for the course once (the turns of
tests/test_enrolment_e2e.py, through /api/chat as the widget sends them) and then chats on until the time is up.
Prints errors (target 0), p50/p95 latency per turn, throughput, and checks in the enrolments table (through
bot/storage) that every conversation is enrolled exactly once. The web server's rate limits are raised for the run.
Usage: python bench/load.py [--users 50] [--seconds 60]
Figures, not a test: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import messages  # noqa: E402
from bot.storage import User, make_engine, session_scope  # noqa: E402
from bot.storage.course import CourseStore  # noqa: E402

BIN = Path(sys.executable).parent
# After the enrolment: ordinary conversation, with one more "sign me up" that must not enrol anyone twice.
CHAT_TURNS = ["hallo", "ik voel me eenzaam", "allebei", "wat is het verschil tussen eenzaamheid en alleen zijn",
              "mijn aanmelding", "geef me een oefening", "later", "ik wil me aanmelden voor de cursus", "laat maar",
              "wat kost de cursus?", "dank je wel", "I feel lonely", "doei"]

NAMES = ["Sanne", "Daan", "Fatima", "Henk", "Noor", "Ruud", "Anne-Marie", "Joost", "Mila", "Kees"]


@dataclass
class Figures:
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    enrolled: List[str] = field(default_factory=list)  # conversation ids whose enrolment the bot confirmed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def template(key: str) -> str:
    """The fixed start of one of the bot's own texts (bot/content/messages.yml), before any {placeholder}."""
    return messages()[key]["nl"].split("{")[0].strip()


class Conversation:
    def __init__(self, session: aiohttp.ClientSession, url: str, figures: Figures, number: int) -> None:
        self.session, self.url, self.figures, self.number = session, url, figures, number
        self.id = uuid.uuid4().hex
        self.last: List[Dict[str, Any]] = []

    async def turn(self, message: Optional[str] = None, payload: Optional[str] = None) -> str:
        """One turn; returns the bot's texts joined ("" after an error, which is counted)."""
        body: Dict[str, Any] = {"conversation_id": self.id, "language": "nl"}
        body.update({"payload": payload} if payload is not None else {"message": message})
        start = time.perf_counter()
        try:
            async with self.session.post(self.url, json=body) as response:
                data = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as problem:
            self.figures.errors.append(f"{message or payload!r}: {problem!r}")
            return ""
        self.figures.latencies.append(time.perf_counter() - start)
        if status != 200 or not data.get("messages"):
            self.figures.errors.append(f"{message or payload!r}: HTTP {status} {str(data)[:200]}")
            return ""
        self.last = data["messages"]
        return "\n".join(m.get("text", "") for m in self.last)

    def expect(self, said: str, key: str, step: str) -> bool:
        if template(key) in said:
            return True
        if said:
            self.figures.errors.append(f"enrolment step {step!r}: expected {key}, got {said[:160]!r}")
        return False

    def offered(self, prefix: str) -> Optional[str]:
        return next((b["payload"] for m in self.last for b in m.get("buttons", []) if b["payload"].startswith(prefix)), None)

    async def enrol(self, group_id: int) -> bool:
        """The turns of tests/test_enrolment_e2e.py, as the widget sends them (buttons as payloads)."""
        steps = [
            ("ik wil me aanmelden voor de cursus", None, "ask_enrol_consent"),
            (None, "/affirm", "ask_first_name"),
            (NAMES[self.number % len(NAMES)], None, "ask_contact"),
            (f"deelnemer{self.number}@example", None, "invalid_email_domain"),
            (f"Deelnemer{self.number}@Example.nl", None, "ask_course_group"),
            ("wat kost het eigenlijk?", None, "ask_course_group"),  # a question in between; the form goes on
            (None, f'/inform{{"course_group": "{group_id}"}}', "ask_age_ok"),
            ("ja", None, "ask_enrol_note"),
            ("ik kan alleen op dinsdagavond", None, None),  # the summary: "Klopt dit?"
            (None, "/affirm", "enrolled"),
        ]
        for message, payload, key in steps:
            said = await self.turn(message, payload)
            if key is None:
                if "Klopt dit?" not in said:
                    self.figures.errors.append(f"enrolment: no summary, got {said[:160]!r}")
                    return False
            elif not self.expect(said, key, message or payload or ""):
                return False
        self.figures.enrolled.append(self.id)
        return True

    async def run(self, group_id: int, deadline: float) -> None:
        await self.enrol(group_id)
        index = self.number  # people say different things at the same moment
        while time.monotonic() < deadline:
            await self.turn(CHAT_TURNS[index % len(CHAT_TURNS)])
            index += 1


def spawn(args: List[str], env: Dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


async def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the process exited\n{log.read_text()[-2000:]}")
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s\n{log.read_text()[-2000:]}")


async def load(url: str, users: int, seconds: float, groups: List[int]) -> tuple:
    figures = Figures()
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=180)) as session:
        start = time.monotonic()
        conversations = [Conversation(session, url, figures, number) for number in range(users)]
        await asyncio.gather(*(c.run(groups[c.number % len(groups)], start + seconds) for c in conversations))
        elapsed = time.monotonic() - start
    return figures, conversations, elapsed


async def warm_up(url: str) -> None:
    """The first turns load lazy parts of Rasa; they are not counted."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
        conversation = Conversation(session, url, Figures(), -1)
        for text in ("hallo", "ik voel me eenzaam", "wat kost de cursus?"):
            await conversation.turn(text)


def stored_enrolments(database_url: str) -> Counter:
    """Enrolment rows per web conversation id, read from the enrolments table through bot/storage."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            users = dict(session.execute(select(User.id, User.channel_user_id).where(User.channel == "web")).all())
        rows = CourseStore(engine).enrolments()
    finally:
        engine.dispose()
    return Counter(users.get(row.user_id, f"user {row.user_id}") for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the var/ folder with the servers' logs")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    database_url = f"sqlite:///{var_dir / 'lichtpunt.db'}"
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    env = {
        **os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0",
        "LICHTPUNT_VAR_DIR": str(var_dir), "DATABASE_URL": "", "TRACKER_STORE_URL": "",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook", "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        "RASA_URL": f"http://127.0.0.1:{rasa_port}", "WEB_HOST": "127.0.0.1", "WEB_PORT": str(web_port),
        # every conversation comes from 127.0.0.1: the limits must not shape the figures
        "WEB_RATE_PER_CONVERSATION": "1000000", "WEB_RATE_PER_IP": "1000000",
    }
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = make_engine(database_url)
    store = CourseStore(engine)
    groups = [store.add_group(title=f"Zwolle {day}", place="Zwolle, De Kroon", region="80", start_date=date(2027, 2, 2),
                              price="€ 95", capacity=50) for day in ("dinsdag", "donderdag")]
    engine.dispose()

    processes: List[subprocess.Popen] = []
    try:
        actions = spawn([str(BIN / "python"), "-m", "bot.action_server", "--actions", "actions", "--port", str(action_port)],
                        env, var_dir / "actions.log")
        processes.append(actions)
        rasa = spawn([str(BIN / "rasa"), "run", "--model", str(ROOT / "models" / "lichtpunt.tar.gz"), "--port",
                      str(rasa_port), "-i", "127.0.0.1", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
                     env, var_dir / "rasa.log")
        processes.append(rasa)
        web = spawn([str(BIN / "python"), "-m", "bot.channels.web"], env, var_dir / "web.log")
        processes.append(web)
        asyncio.run(wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, var_dir / "actions.log"))
        asyncio.run(wait_until_up(f"http://127.0.0.1:{rasa_port}/", rasa, var_dir / "rasa.log"))
        asyncio.run(wait_until_up(f"http://127.0.0.1:{web_port}/api/health", web, var_dir / "web.log"))
        chat_url = f"http://127.0.0.1:{web_port}/api/chat"
        asyncio.run(warm_up(chat_url))
        figures, conversations, elapsed = asyncio.run(load(chat_url, args.users, args.seconds, groups))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    per_conversation = stored_enrolments(database_url)
    ordered = sorted(figures.latencies)
    turns = len(ordered)
    print(f"\n{os.cpu_count()} cores; {args.users} web conversations for {args.seconds:.0f} s "
          f"(ran {elapsed:.1f} s: the last turns finish after the deadline)")
    print(f"turns {turns} | errors {len(figures.errors)} | p50 {statistics.median(ordered) * 1000:.0f} ms | "
          f"p95 {ordered[max(0, int(turns * 0.95) - 1)] * 1000:.0f} ms | max {ordered[-1] * 1000:.0f} ms | "
          f"throughput {turns / elapsed:.1f} turns/s")
    twice = [key for key, count in per_conversation.items() if count > 1]
    missing = [c.id for c in conversations if per_conversation[c.id] == 0]
    strangers = [key for key in per_conversation if key not in {c.id for c in conversations}]
    print(f"enrolments confirmed by the bot {len(figures.enrolled)}/{args.users} | stored exactly once "
          f"{args.users - len(missing) - len(twice)}/{args.users} | not stored {len(missing)} | stored twice {len(twice)} | rows for unknown users {len(strangers)}")
    for problem in figures.errors[:10]:
        print("  error:", problem)
    if args.keep:
        print(f"logs and databases: {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    if figures.errors or missing or twice or strangers:
        sys.exit(1)


if __name__ == "__main__":
    main()
