"""A stand-in for Rasa's REST channel that answers from a script and remembers what it got (channel tests)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from aiohttp import web

from tests.fake_telegram import BackgroundServer

# A scripted answer: Rasa's replies (a list), or (HTTP status, raw body) for a broken answer.
Answer = Union[List[Dict[str, Any]], Tuple[int, str]]


@dataclass
class ScriptedRasa:
    """A stand-in for Rasa's REST channel that answers from a script and remembers what it got."""

    script: Dict[str, Answer]
    delay: Dict[str, float] = field(default_factory=dict)
    received: List[Dict[str, Any]] = field(default_factory=list)
    server: Optional[BackgroundServer] = None

    def start(self) -> "ScriptedRasa":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._answer)
        self.server = BackgroundServer(app).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    async def _answer(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        await asyncio.sleep(self.delay.get(body["message"], 0))
        answer = self.script.get(body["message"], [{"text": f"echo: {body['message']}"}])
        if isinstance(answer, tuple):
            status, raw = answer
            return web.Response(status=status, text=raw, content_type="text/plain")
        return web.json_response(answer)
