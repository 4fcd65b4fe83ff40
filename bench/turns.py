"""Speed and memory of a full turn through the REST channel: this bot vs the stock `rasa init` bot.

Prints, for each bot: training time, time from process start to first reply, p50/p95 latency for
1 user and for 10 concurrent users, throughput, and the Rasa server's resident memory.
Usage: python bench/turns.py [--turns 40] [--users 10] [--rounds 3] [--skip-train] [--prod]
The concurrent load runs once unmeasured (so every Sanic worker has served), then `--rounds` times; the median
round's throughput is the figure, and every round's is printed. The last lines compare with issue 13's targets.
--prod also measures this bot in the production profile (endpoints.prod.yml: PostgreSQL tracker store at
127.0.0.1:5432, Redis lock store at 127.0.0.1:6379, two Sanic workers), as `LICHTPUNT_PROFILE=prod` runs it.
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
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import fresh_postgres_database, stop_process  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"}

OUR_TURNS = ["hallo", "ik voel me eenzaam", "/answer_both", "wat is het verschil tussen eenzaamheid en alleen zijn",
             "ik zie het niet meer zitten", "I feel lonely"]
STOCK_TURNS = ["hello", "I am sad", "yes", "bye"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> Tuple[float, float]:
    """Resident memory of a process and its children (Sanic's workers), in MB (from /proc): total and largest."""
    sizes = []
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except FileNotFoundError:
            pass
    return sum(sizes), max(sizes, default=0.0)


def timed_run(args: List[str], cwd: Path, env: Dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        await response.json()
        response.raise_for_status()
    return time.perf_counter() - start


async def first_reply(url: str, process: subprocess.Popen, started: float, text: str) -> float:
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError("Rasa exited before answering")
            try:
                await turn(session, url, f"warmup-{uuid.uuid4().hex}", text)
                return time.monotonic() - started
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.2)


async def load(url: str, turns: List[str], users: int, per_user: int) -> Dict[str, float]:
    latencies: List[float] = []

    async def one_user(session: aiohttp.ClientSession) -> None:
        sender = f"bench-{uuid.uuid4().hex}"
        for index in range(per_user):
            latencies.append(await turn(session, url, sender, turns[index % len(turns)]))

    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(one_user(session) for _ in range(users)))
        elapsed = time.perf_counter() - start
    return {**percentiles(latencies), "throughput": len(latencies) / elapsed, "latencies": latencies}


def percentiles(latencies: List[float]) -> Dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000}


def combined(rounds: List[Dict[str, object]]) -> Dict[str, object]:
    """Several rounds of the same load (new conversations each): latencies pooled, the median round's throughput
    (which connections land on which Sanic worker differs from round to round), every round's throughput listed."""
    throughputs = [r["throughput"] for r in rounds]
    latencies = [latency for r in rounds for latency in r["latencies"]]
    return {**percentiles(latencies), "throughput": statistics.median(throughputs), "rounds": throughputs}


def measure(name: str, project: Path, model: Path, turns: List[str], args: argparse.Namespace,
            train_seconds: Optional[float], with_actions: bool, database_url: str = "") -> Dict[str, object]:
    """`database_url` (PostgreSQL): the production profile, with Redis and two Sanic workers."""
    prod = bool(database_url)
    env = dict(ENV)
    var_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env["LICHTPUNT_VAR_DIR"] = str(var_dir)
    if prod:
        env.update({"DATABASE_URL": database_url, "TRACKER_STORE_URL": "",
                    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "2", "SANIC_WORKERS": "2"})
    processes = []
    rasa_port = free_port()
    if with_actions:
        action_port = free_port()
        env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
        env.setdefault("ACTION_SERVER_TOKEN", "bench-token")
        subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=project, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(subprocess.Popen(
            [str(BIN / "python"), "-m", "bot.action_server", "--actions", "actions", "--port", str(action_port)],
            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    started = time.monotonic()
    rasa = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(rasa_port), "-i", "127.0.0.1"]
        + (["--endpoints", "endpoints.prod.yml" if prod else "endpoints.yml", "--credentials", "credentials.yml"]
           if with_actions else []),
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(rasa)
    try:
        startup = asyncio.run(first_reply(url, rasa, started, turns[0]))
        single = asyncio.run(load(url, turns, 1, args.turns))
        # Every Sanic worker serves a first turn before anything is timed (a worker that has not served yet pays
        # for its first database connections and first parse in the timed run): one unmeasured round, for both bots.
        asyncio.run(load(url, turns, args.users, len(turns)))
        rounds = [asyncio.run(load(url, turns, args.users, args.turns // 2)) for _ in range(args.rounds)]
        concurrent = combined(rounds)
        memory, largest = rss_mb(rasa.pid)
    finally:
        for process in processes:
            stop_process(process)  # terminate, then kill: Sanic's workers do not always stop on SIGTERM
        shutil.rmtree(var_dir, ignore_errors=True)
    workers = int(env.get("SANIC_WORKERS", "1"))
    return {"bot": name, "train_s": train_seconds, "start_to_first_reply_s": startup, "single": single,
            "concurrent": concurrent, "rss_mb": memory, "rss_largest_mb": largest, "workers": workers}


def print_row(result: Dict[str, object], users: int) -> None:
    single, concurrent = result["single"], result["concurrent"]
    train = f"{result['train_s']:.0f}" if result["train_s"] is not None else "-"
    print(f"{result['bot']:10} train {train:>4} s | first reply {result['start_to_first_reply_s']:5.1f} s | "
          f"1 user p50 {single['p50_ms']:6.1f} ms p95 {single['p95_ms']:6.1f} ms | "
          f"{users} users p50 {concurrent['p50_ms']:6.1f} ms p95 {concurrent['p95_ms']:6.1f} ms "
          f"{concurrent['throughput']:5.1f} turns/s (rounds: {', '.join(f'{t:.1f}' for t in concurrent['rounds'])}) | "
          f"Rasa RSS {result['rss_mb']:6.0f} MB"
          + (f" in all, {result['rss_largest_mb']:.0f} MB the largest of {result['workers']} workers"
             if result["workers"] > 1 else ""))


def print_targets(by_bot: Dict[str, Dict[str, object]]) -> None:
    ours, stock, prod = by_bot["lichtpunt"], by_bot["rasa-init"], by_bot.get("ours-prod")
    lines = [("1 user p50 vs stock (target <= 0.8)", ours["single"]["p50_ms"] / stock["single"]["p50_ms"]),
             ("RSS vs stock (target <= 1)", ours["rss_mb"] / stock["rss_mb"])]
    if prod:
        lines += [("prod throughput vs stock's one process (target >= 1.5)",
                   prod["concurrent"]["throughput"] / stock["concurrent"]["throughput"]),
                  ("prod p95 ms (target <= 400)", prod["concurrent"]["p95_ms"]),
                  ("prod RSS of the largest worker vs stock (target <= 1)", prod["rss_largest_mb"] / stock["rss_mb"])]
    lines.append(("start to first reply s (target <= 15)", ours["start_to_first_reply_s"]))
    if ours["train_s"] is not None:
        lines.append(("train s (target <= 120)", ours["train_s"]))
    for label, value in lines:
        print(f"  {label:58} {value:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=40, help="turns for the single user")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the concurrent load (median reported)")
    parser.add_argument("--skip-train", action="store_true", help="reuse models/lichtpunt.tar.gz, don't time training")
    parser.add_argument("--prod", action="store_true", help="also measure the production profile (PostgreSQL, Redis, 2 workers)")
    args = parser.parse_args()

    ours_model = ROOT / "models" / "lichtpunt.tar.gz"
    ours_train = None
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    if not args.skip_train:
        # an empty cache: every component trains, as on a fresh clone (the project's .rasa/cache would be reused)
        ours_train = timed_run([str(BIN / "rasa"), "train", "--force", "--out", str(scratch), "--fixed-model-name",
                                "ours", "--num-threads", "2"], ROOT, {**ENV, "RASA_CACHE_DIRECTORY": str(scratch / "cache")})
        ours_model = scratch / "ours.tar.gz"
    stock_dir = scratch / "stock"
    stock_dir.mkdir()
    stock_train = timed_run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock_dir)], scratch, ENV)
    stock_model = next((stock_dir / "models").glob("*.tar.gz"))

    results = [measure("lichtpunt", ROOT, ours_model, OUR_TURNS, args, ours_train, with_actions=True)]
    if args.prod:
        with fresh_postgres_database(migrated=False) as url:  # measure() migrates it, as `make migrate` would
            results.append(measure("ours-prod", ROOT, ours_model, OUR_TURNS, args, None, with_actions=True,
                                   database_url=url))
    results.append(measure("rasa-init", stock_dir, stock_model, STOCK_TURNS, args, stock_train, with_actions=False))
    print(f"\n{os.cpu_count()} cores; {args.turns} turns for 1 user, {args.users} users x {args.turns // 2} turns")
    for result in results:
        print_row(result, args.users)
    print_targets({r["bot"]: r for r in results})
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
