"""The one way channels talk to Rasa: its REST channel, with metadata (channel, language, ...)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


def clean_text(text: str) -> str:
    """Text that can be sent as UTF-8 JSON: a lone surrogate ("\\ud800", from a broken client) becomes U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class RasaClient:
    def __init__(
        self,
        base_url: str,
        timeout: float = 30.0,
        client: Optional[httpx.AsyncClient] = None,
        api_token: Optional[str] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.webhook = self.base_url + "/webhooks/rest/webhook"
        self.api_token = api_token
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

    async def trigger(
        self, sender: str, intent: str, entities: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """Start a turn without a user message (a scheduled exercise): Rasa's HTTP API, recorded in the tracker.

        The person's reply ("gedaan!") then lands in the same conversation and is understood in context.
        """
        if not self.api_token:
            raise RasaUnavailable("RASA_API_TOKEN is not set: scheduled messages need Rasa's API")
        url = f"{self.base_url}/conversations/{quote(sender, safe=':')}/trigger_intent"  # Rasa does not unquote %3A
        body = {"name": intent, "entities": entities or {}}
        try:
            response = await self._client.post(url, params={"token": self.api_token}, json=body)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa at {url} did not answer: {error!r}") from error
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {response.status_code}: {response.text[:200]}")
        try:
            messages = response.json().get("messages")
        except (ValueError, AttributeError) as error:
            raise RasaUnavailable("Rasa answered with something unexpected") from error
        if not isinstance(messages, list):
            raise RasaUnavailable("Rasa answered without messages")
        return [_as_reply(message) for message in messages if isinstance(message, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()


def _as_reply(message: Dict[str, Any]) -> Dict[str, Any]:
    """The API's collected messages ({"recipient_id", "text", "buttons", ...}) in the REST channel's shape."""
    return {key: value for key, value in message.items() if key != "recipient_id" and value not in (None, [], "")}
