"""The production profile on loopback: two Rasa processes (one with two Sanic workers) sharing this machine's
PostgreSQL (tracker store and app database) and Redis (lock store, endpoints.prod.yml), one action server.
One conversation's messages alternate between the processes, a form in the middle, and stay coherent;
concurrent messages of one conversation are handled one at a time (no lost or interleaved events)."""
from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

from bot.content import message, privacy_notice
from bot.storage import UserStore, make_engine
from bot.storage.exercises import ExerciseStore
from tests.conftest import IN_CI, MODEL, VENV_BIN, _spawn, free_port, fresh_postgres_database, stop_process, texts, wait_for

REDIS = ("127.0.0.1", 6379)


def _redis_problem() -> str:
    import redis

    try:
        redis.Redis(host=REDIS[0], port=REDIS[1], socket_timeout=2).ping()
        return ""
    except redis.exceptions.RedisError as error:
        return str(error)


@pytest.fixture(scope="module")
def two_rasas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[List[str], str, str]]:
    problem = _redis_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"Redis must run in CI but {REDIS} does not answer: {problem}")
        pytest.skip(f"no Redis at {REDIS}: {problem}")
    log_dir = tmp_path_factory.mktemp("scale")
    token = uuid.uuid4().hex
    with fresh_postgres_database() as url:
        action_port = free_port()
        env = {
            **os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "LICHTPUNT_VAR_DIR": str(log_dir), "DATABASE_URL": url, "TRACKER_STORE_URL": "",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook", "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
            "REDIS_HOST": REDIS[0], "REDIS_PORT": str(REDIS[1]), "REDIS_DB": "1",
            # A ticket's lifetime counts from when the message arrived: eight queued turns on a machine busy with
            # the whole test suite can take longer than Rasa's default 60 s (README, "The production profile").
            "TICKET_LOCK_LIFETIME": "300",
        }
        processes = {"actions": _spawn("actions", [str(VENV_BIN / "python"), "-m", "bot.action_server", "--actions",
                                                   "actions", "--port", str(action_port)], env, log_dir)}
        urls = []
        try:
            for name, workers in (("rasa-a", "2"), ("rasa-b", "1")):
                port = free_port()
                urls.append(f"http://127.0.0.1:{port}")
                processes[name] = _spawn(name, [
                    str(VENV_BIN / "rasa"), "run", "--model", str(MODEL), "--port", str(port), "-i", "127.0.0.1",
                    "--credentials", "credentials.yml", "--endpoints", "endpoints.prod.yml", "--enable-api",
                    "--auth-token", token,
                ], {**env, "SANIC_WORKERS": workers}, log_dir)
            wait_for(f"http://127.0.0.1:{action_port}/health", 60, processes["actions"], log_dir / "actions.log")
            for name, url_ in zip(("rasa-a", "rasa-b"), urls):
                wait_for(f"{url_}/", 300, processes[name], log_dir / f"{name}.log")
            yield urls, url, token
        finally:
            for process in processes.values():
                stop_process(process)


def chat(url: str, sender: str, text: str) -> List[Dict[str, Any]]:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={
        "sender": sender, "message": text, "metadata": {"channel": "web", "language": "nl"}}, timeout=120)
    response.raise_for_status()
    return response.json()


def test_a_form_goes_on_whichever_process_gets_the_next_message(two_rasas) -> None:
    (a, b), database_url, _ = two_rasas
    sender = f"web:scale-{uuid.uuid4().hex[:12]}"
    assert texts(chat(a, sender, "stuur me elke dag een oefening")) == privacy_notice("nl")
    assert texts(chat(b, sender, "ja, dat is goed")).startswith(message("ask_exercise_time", "nl"))
    confirmed = chat(a, sender, "om kwart over acht 's avonds")
    assert texts(confirmed) == message("subscribed", "nl", time="20:15", timezone="Europe/Amsterdam")
    engine = make_engine(database_url)
    user = UserStore(engine).get("web", sender.split(":", 1)[1])
    assert ExerciseStore(engine).subscription(user.id).local_time == "20:15"
    engine.dispose()


def test_concurrent_messages_of_one_conversation_are_handled_one_at_a_time(two_rasas) -> None:
    (a, b), _, token = two_rasas
    sender = f"web:scale-{uuid.uuid4().hex[:12]}"
    said = ["hoi", "ik voel me alleen", "wat is creatief leven", "hoeveel kost het", "is het therapie",
            "dank je wel", "wie ben jij eigenlijk", "tot ziens"]
    with ThreadPoolExecutor(max_workers=len(said)) as pool:
        answers = list(pool.map(lambda pair: chat(pair[1], sender, pair[0]), zip(said, [a, b] * len(said))))
    assert all(answers), "every message got an answer"
    tracker = requests.get(f"{b}/conversations/{sender}/tracker", params={"token": token}, timeout=60).json()
    turns: List[List[str]] = []
    for event in tracker["events"]:
        if event["event"] == "user":
            turns.append([event["text"]])
        elif turns and event["event"] == "action":
            turns[-1].append(event["name"])
    assert sorted(turn[0] for turn in turns) == sorted(said)  # no message lost
    for turn in turns:  # each message finished (its reply, then listening) before the next one began
        assert turn[-1] == "action_listen" and turn.count("action_listen") == 1, turn
        assert len(turn) >= 3, turn  # at least one action answered it


def test_the_prod_profile_is_what_make_run_selects(tmp_path: Path) -> None:
    from bot.supervise import prepare_environment, program_command, procfile

    env = prepare_environment({"LICHTPUNT_PROFILE": "prod"}, env_file=tmp_path / "none.env")
    assert (env["RASA_ENDPOINTS"], env["SANIC_WORKERS"], env["REDIS_HOST"]) == ("endpoints.prod.yml", "2", "127.0.0.1")
    assert "--endpoints %(ENV_RASA_ENDPOINTS)s" in program_command(procfile()["rasa"], env)  # supervisord fills it in
    plain = prepare_environment({}, env_file=tmp_path / "none.env")
    assert (plain["RASA_ENDPOINTS"], plain["SANIC_WORKERS"]) == ("endpoints.yml", "1")
