"""Load through the real chain, bounded in time: 50 web conversations at once for 60 seconds (web server -> Rasa ->
action server), each enrolling for the course once and chatting on. No errors, and every enrolment stored exactly
once. The conversations are bench/load.py's; `make bench` prints the same run's latency figures on its own servers.
"""
from __future__ import annotations

import asyncio
import importlib.util
import statistics
import sys
from datetime import date
from typing import Iterator

import pytest

from bot.storage import make_engine
from bot.storage.course import CourseStore
from tests.conftest import ROOT, Servers
from tests.webserver import WebServer, web_server

USERS, SECONDS = 50, 60

spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
bench_load = sys.modules["bench_load"] = importlib.util.module_from_spec(spec)  # dataclasses look it up there
spec.loader.exec_module(bench_load)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def unlimited(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The web server in front of the session's Rasa, with rate limits out of the way (all from 127.0.0.1)."""
    env = {**servers.env, "WEB_RATE_PER_CONVERSATION": "1000000", "WEB_RATE_PER_IP": "1000000"}
    with web_server(servers.rasa_url, tmp_path_factory.mktemp("web-load") / "web.log", env) as server:
        yield server


@pytest.mark.timeout(600)
def test_fifty_conversations_for_a_minute_no_errors_and_every_enrolment_stored_once(
    unlimited: WebServer, servers: Servers, capsys: pytest.CaptureFixture,
) -> None:
    engine = make_engine(servers.app_database_url)
    store = CourseStore(engine)
    groups = [store.add_group(title=f"Load {day}", place="Zwolle, De Kroon", region="80", start_date=date(2027, 2, 2),
                              capacity=USERS) for day in ("dinsdag", "donderdag")]
    engine.dispose()
    url = f"{unlimited.url}/api/chat"
    asyncio.run(bench_load.warm_up(url))
    figures, conversations, elapsed = asyncio.run(bench_load.load(url, USERS, SECONDS, groups))

    assert figures.errors == []
    stored = bench_load.stored_enrolments(servers.app_database_url)
    assert sorted(stored[c.id] for c in conversations) == [1] * USERS, "each conversation enrolled exactly once"
    assert len(figures.enrolled) == USERS
    ordered = sorted(figures.latencies)
    with capsys.disabled():
        print(f"\nload: {len(ordered)} turns in {elapsed:.0f} s, p50 {statistics.median(ordered) * 1000:.0f} ms, "
              f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.0f} ms, 0 errors, {USERS}/{USERS} enrolments stored once")
