"""The one way channels talk to Rasa: its REST channel, with metadata (channel, language, ...)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


def clean_text(text: str) -> str:
    """Text that can be sent as UTF-8 JSON: a lone surrogate ("\\ud800", from a broken client) becomes U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class RasaClient:
    def __init__(self, base_url: str, timeout: float = 30.0, client: Optional[httpx.AsyncClient] = None) -> None:
        self.webhook = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Send one user message; return Rasa's replies (dicts with text, buttons, image, ...)."""
        payload: Dict[str, Any] = {"sender": sender, "message": clean_text(text), "metadata": metadata or {}}
        try:
            response = await self._client.post(self.webhook, json=payload)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa at {self.webhook} did not answer: {error!r}") from error
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code}: {response.text[:200]}")
        try:
            replies = response.json()
        except ValueError as error:
            raise RasaUnavailable("Rasa answered with something that is not JSON") from error
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered with an unexpected shape")
        return replies

    async def aclose(self) -> None:
        await self._client.aclose()
