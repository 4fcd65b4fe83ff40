"""Start the website server (`python -m bot.channels.web`) as its own process on a free port, for tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional

import requests

from tests.conftest import ROOT, free_port, stop_process


@dataclass
class WebServer:
    url: str
    port: int
    log: Path
    process: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_web_server(rasa_url: str, log: Path, env: Optional[Dict[str, str]] = None, port: Optional[int] = None) -> WebServer:
    """Start the server and wait (at most 30 s) until it answers."""
    port = port or free_port()
    environment = {
        **(env or os.environ),
        "RASA_URL": rasa_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    handle = log.open("a", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.channels.web"], cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    server = WebServer(url=f"http://127.0.0.1:{port}", port=port, log=log, process=process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited early:\n{server.output()[-3000:]}")
        try:
            if requests.get(f"{server.url}/api/health", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_web_server(server)
    raise RuntimeError(f"the web server did not answer within 30 s:\n{server.output()[-3000:]}")


def stop_web_server(server: WebServer) -> None:
    stop_process(server.process, timeout=10)


@contextmanager
def web_server(rasa_url: str, log: Path, env: Optional[Dict[str, str]] = None) -> Iterator[WebServer]:
    server = start_web_server(rasa_url, log, env)
    try:
        yield server
    finally:
        stop_web_server(server)
