"""Shared fixtures. The real Rasa server and action server start once per test session."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "lichtpunt.tar.gz"
SPACY_MODEL = str(ROOT / "models" / "spacy" / "nl_blank")  # the blank Dutch pipeline `make setup` builds
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate politely, then kill: no test leaves a server behind."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@dataclass
class Servers:
    """The running bot: Rasa (REST channel) and the action server, with their own var/ folder."""

    rasa_url: str
    action_url: str
    var_dir: Path
    env: Dict[str, str]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rest_webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def app_database_url(self) -> str:
        return f"sqlite:///{self.var_dir / 'lichtpunt.db'}"

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)

    def parse(self, text: str) -> Dict[str, Any]:
        """What the NLU pipeline makes of a text (Rasa's HTTP API, with the test session's token)."""
        response = requests.post(f"{self.rasa_url}/model/parse", params={"token": self.token}, json={"text": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def chat(self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        payload: Dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            payload["metadata"] = metadata
        response = requests.post(self.rest_webhook, json=payload, timeout=60)
        response.raise_for_status()
        return response.json()


def _spawn(name: str, args: List[str], env: Dict[str, str], log_dir: Path) -> subprocess.Popen:
    log = (log_dir / f"{name}.log").open("w")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_servers(var_dir: Path, with_actions: bool = True, database_url: str = "") -> Servers:
    """Rasa (REST channel, HTTP API with a token) and, unless told otherwise, the action server, on free ports.

    Without actions, Rasa's action endpoint points at a port where nothing listens: the action server is down.
    With a `database_url`, the application database and Rasa's tracker store live there (else SQLite in var_dir).
    """
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it for you)")
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "LICHTPUNT_VAR_DIR": str(var_dir),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": "",
    }
    migrate(database_url or f"sqlite:///{var_dir / 'lichtpunt.db'}")
    running = Servers(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        var_dir=var_dir,
        env=env,
    )
    try:
        if with_actions:
            running.processes["actions"] = _spawn(
                "actions",
                [str(VENV_BIN / "python"), "-m", "bot.action_server", "--actions", "actions", "--port", str(action_port)],
                env,
                var_dir,
            )
        running.processes["rasa"] = _spawn(
            "rasa",
            [
                str(VENV_BIN / "rasa"), "run", "--model", str(MODEL), "--port", str(rasa_port),
                "-i", "127.0.0.1", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
                "--enable-api", "--auth-token", running.token,
            ],
            env,
            var_dir,
        )
        if with_actions:
            wait_for(f"{running.action_url}/health", 60, running.processes["actions"], var_dir / "actions.log")
        wait_for(f"{running.rasa_url}/", 240, running.processes["rasa"], var_dir / "rasa.log")
    except BaseException:
        running.stop()
        raise
    return running


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("var"))
    try:
        yield running
    finally:
        running.stop()


RESPONSES: Dict[str, List[Dict[str, Any]]] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def domain_response(name: str, **conditions: str) -> Dict[str, Any]:
    """The domain's variation of a response whose conditions are exactly these (none: the Dutch default)."""
    return next(v for v in RESPONSES[name] if {c["name"]: c["value"] for c in v.get("condition", [])} == conditions)


def first_sentence(name: str, **conditions: str) -> str:
    """The start of a response, for tests that wait for it to arrive."""
    return domain_response(name, **conditions)["text"].split(". ")[0]


def bubbles(text: str) -> List[str]:
    """How a response arrives: Rasa sends each paragraph (split on a blank line) as a message of its own."""
    return [part for part in text.strip().split("\n\n") if part]


def texts(replies: List[Dict[str, Any]]) -> str:
    """All reply texts of one turn, joined, for assertions."""
    return "\n".join(reply.get("text", "") for reply in replies)


def new_sender(prefix: str = "web") -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


# ---- databases: the same storage tests run on SQLite and on PostgreSQL ----

def _postgres_available() -> Optional[str]:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, future=True)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        return str(error).splitlines()[0]


@contextmanager
def fresh_postgres_database(migrated: bool = True) -> Iterator[str]:
    """A new, empty PostgreSQL database (migrated to head unless told otherwise), dropped afterwards."""
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL must run in CI but {POSTGRES_ADMIN_URL} does not answer: {problem}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {problem}")
    name = f"lichtpunt_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, migrated to head: a temporary SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        migrate(url)
        yield url
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def action_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A migrated SQLite database that the custom actions use (through actions.common) for one test."""
    from actions import common
    from bot.storage import make_engine

    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = make_engine(url)
    monkeypatch.setattr(common, "default_engine", lambda: engine)
    yield engine
    engine.dispose()
