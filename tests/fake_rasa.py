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
    api_token: str = "fake-rasa-api-token"
    triggered: List[Tuple[str, str]] = field(default_factory=list)  # (conversation id, intent) of trigger_intent calls

    def start(self) -> "ScriptedRasa":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._answer)
        app.router.add_post("/conversations/{sender}/trigger_intent", self._trigger)
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

    async def _trigger(self, request: web.Request) -> web.Response:
        """Rasa's HTTP API: start a turn with an intent; the script answers under the intent's name."""
        if request.query.get("token") != self.api_token:
            return web.json_response({"status": "failure", "reason": "NotAuthenticated"}, status=401)
        body = await request.json()
        sender, intent = request.match_info["sender"], body["name"]
        self.triggered.append((sender, intent))
        answer = self.script.get(intent, [{"text": f"triggered: {intent}"}])
        if isinstance(answer, tuple):
            status, raw = answer
            return web.Response(status=status, text=raw, content_type="text/plain")
        messages = [{"recipient_id": sender, **message} for message in answer]
        return web.json_response({"tracker": {"sender_id": sender}, "messages": messages})
