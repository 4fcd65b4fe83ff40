"""`make run` under supervisord: a killed action server comes back while the website keeps answering; a stop leaves nothing.

The stack starts the way the Makefile's run target starts it (`python -m bot run`: the Procfile's processes under
supervisord), on free ports and with its own var/ folder, from a directory without a `.env` so a developer's own
settings (a real Telegram token, other ports) stay out of the test.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest
import requests

from bot.channels.safety_net import crisis_reply
from bot.content import channel_text, message, retention
from bot.supervise import runtime_dir
from tests.conftest import MODEL, ROOT, VENV_BIN, free_port, migrate, stop_process, wait_for

pytestmark = pytest.mark.timeout(600)
START_TIMEOUT = 180  # loading the Rasa model alone takes 40-60 s here
RESTART_TIMEOUT = 60
STATUS_LINE = re.compile(r"^(\S+)\s+(\S+)\s+pid (\d+)", re.MULTILINE)


class Stack:
    def __init__(self, tmp_path: Path) -> None:
        if not MODEL.exists():
            pytest.fail(f"{MODEL} is missing: run `make train` (make test does it for you)")
        self.var_dir = tmp_path / "var"
        self.var_dir.mkdir()
        migrate(f"sqlite:///{self.var_dir / 'lichtpunt.db'}")  # make run migrates before it starts
        self.rasa_port, self.action_port, self.web_port = free_port(), free_port(), free_port()
        env = {
            key: value for key, value in os.environ.items()
            if key not in ("RASA_URL", "ACTION_ENDPOINT_URL")  # set from the ports below by `python -m bot run`
        }
        env.update({
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONPATH": str(ROOT),  # started from tmp_path (no .env there); the processes still run in ROOT
            "LICHTPUNT_VAR_DIR": str(self.var_dir),
            "RASA_PORT": str(self.rasa_port),
            "ACTION_SERVER_PORT": str(self.action_port),
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.web_port),
            "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
            "RASA_API_TOKEN": uuid.uuid4().hex,
            "DATABASE_URL": "",
            "TRACKER_STORE_URL": "",
            "TELEGRAM_BOT_TOKEN": "",
        })
        self.log = tmp_path / "run.log"
        with self.log.open("w") as out:
            self.supervisor = subprocess.Popen(
                [str(VENV_BIN / "python"), "-m", "bot", "run"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.config = runtime_dir(self.var_dir) / "supervisord.conf"
        self.env = env
        self.seen_pids: Set[int] = set()

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def status(self) -> Dict[str, Tuple[str, int]]:
        """name -> (state, pid) of the running processes, as `supervisorctl status` tells it."""
        result = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(self.config), "status"],
            env=self.env, capture_output=True, text=True, timeout=30,
        )
        found = {name: (state, int(pid)) for name, state, pid in STATUS_LINE.findall(result.stdout)}
        self.seen_pids.update(pid for _, pid in found.values())
        return found

    def chat(self, message: str) -> List[Dict[str, object]]:
        response = requests.post(
            f"{self.web_url}/api/chat",
            json={"conversation_id": uuid.uuid4().hex, "message": message, "language": "nl"},
            timeout=90,
        )
        assert response.status_code == 200, f"{response.status_code} {response.text}\n{self.output()[-3000:]}"
        return response.json()["messages"]

    def say(self, conversation: str, message: str) -> requests.Response:
        return requests.post(
            f"{self.web_url}/api/chat", json={"conversation_id": conversation, "message": message, "language": "nl"}, timeout=90,
        )

    def comes_back(self, name: str, killed: int, url: str) -> None:
        """Wait until supervisord runs `name` again under a new pid and `url` answers."""
        deadline = time.monotonic() + RESTART_TIMEOUT + (START_TIMEOUT if name == "rasa" else 0)
        while True:
            state, pid = self.status().get(name, ("?", 0))
            if state == "RUNNING" and pid not in (0, killed):
                try:
                    if requests.get(url, timeout=2).ok:
                        return
                except requests.RequestException:
                    pass
            assert time.monotonic() < deadline, f"{name} did not come back:\n{self.output()[-3000:]}"
            time.sleep(0.3)

    def stop(self) -> None:
        stop_process(self.supervisor, timeout=90)
        for pid, _ in still_running(self.seen_pids):  # only if the supervisor failed: no test leaves a server behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def still_running(groups: Set[int]) -> List[Tuple[int, str]]:
    """Processes (from the process table) in one of these process groups: supervisord gives each child its own."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if int(entry.name) in groups or int(fields[2]) in groups:
            left.append((int(entry.name), f"{stat[:stat.rindex(')') + 1]} state {fields[0]}"))
    return left


def gives_an_exercise(replies: List[Dict[str, object]]) -> bool:
    """The exercise with its buttons comes from the action server (action_give_exercise)."""
    return any(button.get("payload") == "/exercise_done" for reply in replies for button in reply.get("buttons") or [])


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_a_killed_action_server_comes_back_and_a_stop_leaves_nothing_running(stack: Stack) -> None:
    wait_for(f"{stack.web_url}/api/health", START_TIMEOUT, stack.supervisor, stack.log)
    wait_for(f"{stack.action_url}/health", START_TIMEOUT, stack.supervisor, stack.log)
    wait_for(f"http://127.0.0.1:{stack.rasa_port}/", START_TIMEOUT, stack.supervisor, stack.log)
    assert gives_an_exercise(stack.chat("/oefening")), stack.output()[-3000:]
    started = stack.status()
    assert set(started) == {"rasa", "actions", "web", "dispatcher"}, started
    assert all(state == "RUNNING" for state, _ in started.values()), started

    killed = started["actions"][1]
    os.kill(killed, signal.SIGKILL)
    web_answered: List[bool] = []
    deadline = time.monotonic() + RESTART_TIMEOUT
    while True:
        try:
            web_answered.append(requests.get(f"{stack.web_url}/api/health", timeout=2).ok)
        except requests.RequestException:
            web_answered.append(False)
        state, pid = stack.status().get("actions", ("?", 0))
        if state == "RUNNING" and pid not in (0, killed):
            try:
                if requests.get(f"{stack.action_url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
        assert time.monotonic() < deadline, f"the action server did not come back:\n{stack.output()[-3000:]}"
        time.sleep(0.3)
    assert web_answered and all(web_answered), f"the website stopped answering while the action server was down: {web_answered}"
    after = stack.status()
    assert {name: pid for name, (_, pid) in after.items() if name != "actions"} == {
        name: pid for name, (_, pid) in started.items() if name != "actions"
    }, "only the killed process was restarted"
    assert "exited: actions (terminated by SIGKILL; not expected)" in stack.output()
    assert gives_an_exercise(stack.chat("/oefening")), stack.output()[-3000:]

    # Rasa itself killed in the middle of the enrolment form: people are told kindly, crisis language still gets
    # the helplines, and after the restart the form goes on where it was (the tracker store kept it).
    conversation = uuid.uuid4().hex
    assert stack.say(conversation, "ik wil me aanmelden voor de cursus").json()["messages"][0]["text"] == message(
        "ask_enrol_consent", "nl", **retention())
    assert stack.say(conversation, "ja").json()["messages"][0]["text"] == message("ask_first_name", "nl")
    rasa_pid = stack.status()["rasa"][1]
    os.kill(rasa_pid, signal.SIGKILL)
    down = stack.say(conversation, "Sanne")
    assert down.status_code == 503 and down.json()["reason"] == channel_text("web", "rasa_unavailable", "nl")
    crisis = stack.say(conversation, "ik wil niet meer leven")
    assert crisis.status_code == 200 and crisis.json()["messages"][0]["text"] == crisis_reply("ik wil niet meer leven", "nl")
    stack.comes_back("rasa", rasa_pid, f"http://127.0.0.1:{stack.rasa_port}/")
    resumed = stack.say(conversation, "Sanne")
    assert resumed.status_code == 200 and resumed.json()["messages"][0]["text"] == message("ask_contact", "nl")
    after = stack.status()

    groups = {pid for _, pid in after.values()}
    stack.supervisor.send_signal(signal.SIGTERM)
    assert stack.supervisor.wait(timeout=90) == 0, stack.output()[-3000:]
    assert still_running(groups) == [], "the supervisor left processes behind"
    assert "DeprecationWarning" not in stack.output(), "third-party deprecation warnings reach the run's output"
