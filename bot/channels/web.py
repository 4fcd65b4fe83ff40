"""The website channel: a demo page, the embeddable chat widget, and the JSON API it calls.

Run with `python -m bot.channels.web` (the Procfile does). The widget posts to `/api/chat`; this
server checks the input, turns slash commands into intent payloads and forwards to Rasa's REST
channel as sender "web:<conversation id>" with metadata {"channel": "web", "language": ...}.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web
from sqlalchemy import select

from bot.channels.identity import identity, metadata
from bot.channels.rasa_client import RasaClient, RasaUnavailable
from bot.channels.safety_net import crisis_reply, warm_up
from bot.commands import COMMANDS, command_payload, plain_text
from bot.content import channel_text, helplines
from bot.language import LANGUAGES, language_from_locale
from bot.organiser import PREFIX, create_organiser_app
from bot.settings import Settings, get_settings
from bot.storage.course import CourseStore
from bot.storage.db import default_engine, session_scope
from bot.storage.models import User, WebInbox
from bot.storage.privacy import fetch_download

logger = logging.getLogger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).resolve().parent / "web_static"
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 64 * 1024
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # always fullmatch: "$" would let a trailing newline in
# A quick-reply payload as Rasa sends it: "/intent" with optional JSON entities, e.g. /switch_language{"language": "en"}
BUTTON_PAYLOAD = re.compile(r"/[A-Za-z_][A-Za-z0-9_]{0,99}(\{[^\n]{0,200}\})?")  # fullmatch, as above (bounded)

# A chart the bot drew (progress), sent inline as a PNG data URI.
CHART_IMAGE = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]{1,2000000}")
INBOX_BATCH = 50
DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # fullmatch
TIME_ZONE = re.compile(r"[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}")  # an IANA name as browsers give it; checked again on use

RASA_CLIENT = web.AppKey("rasa_client", RasaClient)
RASA_URL = web.AppKey("rasa_url", str)

class BadRequest(Exception):
    """User input we refuse, with the reason the widget shows."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def error_response(code: str, status: int, language: str) -> web.Response:
    reason = channel_text("web", code, language, max_chars=MAX_MESSAGE_CHARS)
    return web.json_response({"error": code, "reason": reason}, status=status)


def _language(value: Any) -> str:
    return language_from_locale(value if isinstance(value, str) else None) or get_settings().default_language


# Payloads the widget sends by itself (start, language switch) and the slash commands' intents.
ALWAYS_ACCEPTED = {"/greet", *(f'/switch_language{{"language": "{lang}"}}' for lang in LANGUAGES)} | {
    entry[0] for entry in COMMANDS.values()
}


class OfferedPayloads:
    """The button payloads each conversation's last bot turn offered (bounded, most recent conversations kept)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._offered: "OrderedDict[str, Set[str]]" = OrderedDict()

    def remember(self, conversation_id: str, messages: List[Dict[str, Any]]) -> None:
        self._offered[conversation_id] = {b["payload"] for m in messages for b in m.get("buttons", [])}
        self._offered.move_to_end(conversation_id)
        while len(self._offered) > self.limit:
            self._offered.popitem(last=False)

    def offered(self, conversation_id: str) -> Set[str]:
        return ALWAYS_ACCEPTED | self._offered.get(conversation_id, set())


OFFERED = web.AppKey("offered_payloads", OfferedPayloads)


class RateLimit:
    """A token bucket per key: `per_minute` messages a minute, a minute's worth at once, refilled evenly.

    Bounded memory: beyond `max_keys` the longest-unused keys are forgotten (a full bucket is the same as none).
    """

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.capacity, self.per_second, self.clock, self.max_keys = max(1.0, per_minute), per_minute / 60, clock, max_keys
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()  # key -> (tokens, when)

    def _tokens(self, key: str, now: float) -> float:
        tokens, when = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - when) * self.per_second)

    def wait(self, key: str) -> float:
        """Seconds until `key` may send again; 0 now."""
        return max(0.0, (1 - self._tokens(key, self.clock())) / self.per_second)

    def take(self, key: str) -> None:
        now = self.clock()
        self._buckets[key] = (self._tokens(key, now) - 1, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


class RateLimits:
    """The chat API's limits: per conversation and per client IP (settings: WEB_RATE_PER_*, WEB_TRUSTED_PROXY)."""

    def __init__(self, per_conversation: float, per_ip: float, trusted_proxy: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.conversation, self.ip = RateLimit(per_conversation, clock), RateLimit(per_ip, clock)
        self.trusted_proxy = trusted_proxy

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimits":
        return cls(settings.web_rate_per_conversation, settings.web_rate_per_ip, settings.web_trusted_proxy)

    def client_ip(self, request: web.Request) -> str:
        """request.remote; behind a trusted proxy, the address it appended last to X-Forwarded-For."""
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip() if self.trusted_proxy else ""
        return forwarded or request.remote or "unknown"

    def admit(self, request: web.Request, conversation_id: str) -> int:
        """0 (and counted) when this message may go to Rasa; else the whole seconds to wait (Retry-After)."""
        ip = self.client_ip(request)
        wait = max(self.conversation.wait(conversation_id), self.ip.wait(ip))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.conversation.take(conversation_id)
        self.ip.take(ip)
        return 0


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


def rasa_text(body: Dict[str, Any], offered: Optional[Set[str]] = None) -> str:
    """What to send to Rasa: a button payload the bot offered, or typed text (slash commands become intents).

    A payload nobody offered ("/crisis", "/delete_my_data" forged by hand) is not passed on as an intent: its
    words go to Rasa as plain text, like anything typed.
    """
    message, payload = body.get("message"), body.get("payload")
    if message is not None and payload is not None:
        raise BadRequest("message_and_payload")
    if payload is not None:
        if not isinstance(payload, str) or not BUTTON_PAYLOAD.fullmatch(payload):
            raise BadRequest("bad_payload")
        if payload in (ALWAYS_ACCEPTED if offered is None else offered):
            return payload
        return plain_text(payload).strip()
    if message is None:
        raise BadRequest("empty_message")
    if not isinstance(message, str):
        raise BadRequest("not_text")
    text = message.strip()
    if not text:
        raise BadRequest("empty_message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest("message_too_long", status=413)
    if text.startswith("/"):
        text = command_payload(text) or plain_text(text).strip()
        if not text:
            raise BadRequest("empty_message")
    return text


def reply_for_widget(reply: Any) -> Optional[Dict[str, Any]]:
    """Keep only what the widget shows: text, buttons (title + payload) and an http(s) image."""
    if not isinstance(reply, dict):
        return None
    shown: Dict[str, Any] = {}
    if isinstance(reply.get("text"), str) and reply["text"].strip():
        shown["text"] = reply["text"]
    buttons = [
        {"title": button["title"], "payload": button["payload"]}
        for button in reply.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str)
    ]
    if buttons:
        shown["buttons"] = buttons
    custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
    image = reply.get("image") or custom.get("image")
    if isinstance(image, str) and (image.startswith(("https://", "http://", "/")) or CHART_IMAGE.fullmatch(image)):
        shown["image"] = image
        if isinstance(custom.get("alt"), str):
            shown["alt"] = custom["alt"]
    download = custom.get("download") if isinstance(custom.get("download"), dict) else {}
    token, filename = download.get("token"), download.get("filename")
    if isinstance(token, str) and DOWNLOAD_TOKEN.fullmatch(token) and isinstance(filename, str):
        shown["download"] = {"url": f"api/download/{token}", "filename": filename}  # relative to the widget's server
    return shown or None


async def get_download(request: web.Request) -> web.Response:
    """A person's "my data" file, by the secret link the bot gave them; gone after DOWNLOAD_MINUTES."""
    language = _language(request.query.get("language"))
    token = request.match_info["token"]
    found = await asyncio.to_thread(fetch_download, default_engine(), token) if DOWNLOAD_TOKEN.fullmatch(token) else None
    if found is None:
        return error_response("download_gone", 404, language)
    filename, content = found
    return web.Response(
        body=content.encode("utf-8"), content_type="application/json", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


async def chat(request: web.Request) -> web.Response:
    """POST {"conversation_id", "message" | "payload", "language"} -> {"messages": [...]}."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return error_response("body_too_large", 413, get_settings().default_language)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return error_response("malformed_json", 400, get_settings().default_language)
    if not isinstance(body, dict):
        return error_response("not_an_object", 400, get_settings().default_language)
    language = _language(body.get("language"))
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return error_response("bad_conversation_id", 400, language)
    memory = request.app[OFFERED]
    try:
        text = rasa_text(body, memory.offered(conversation_id))
    except BadRequest as refused:
        return error_response(refused.code, refused.status, language)
    retry_after = request.app[RATE_LIMITS].admit(request, conversation_id)
    if retry_after:  # too many messages; crisis language still gets the helplines (from the safety net, not Rasa)
        rescue = crisis_reply(text, language)
        if rescue is not None:
            return web.json_response({"conversation_id": conversation_id, "messages": [{"text": rescue}]})
        limited = error_response("rate_limited", 429, language)
        limited.headers["Retry-After"] = str(retry_after)
        return limited
    zone = body.get("timezone")  # the browser's, for daily exercises at the person's own clock time
    who = identity(CHANNEL, conversation_id)
    about = metadata(CHANNEL, language, timezone=zone if isinstance(zone, str) and TIME_ZONE.fullmatch(zone) else None)
    try:
        replies = await request.app[RASA_CLIENT].send(who.sender_id, text, about)
    except RasaUnavailable as error:
        logger.warning("Rasa unavailable: %s", error)
        replies = []
    if not replies:  # down, or an action failed and Rasa said nothing: never silence, and crisis help always
        rescue = crisis_reply(text, language)
        if rescue is None:
            return error_response("rasa_unavailable", 503, language)
        return web.json_response({"conversation_id": conversation_id, "messages": [{"text": rescue}]})
    messages: List[Dict[str, Any]] = [shown for shown in map(reply_for_widget, replies) if shown]
    memory.remember(conversation_id, messages)
    return web.json_response({"conversation_id": conversation_id, "messages": messages})


async def inbox(request: web.Request) -> web.Response:
    """GET ?conversation_id=...&after=N -> scheduled messages for this conversation with id > N, oldest first.

    The widget remembers the last id it showed, so nothing is shown twice and nothing waiting is lost.
    """
    language = _language(request.query.get("language"))
    conversation_id = request.query.get("conversation_id", "")
    if not CONVERSATION_ID.fullmatch(conversation_id):
        return error_response("bad_conversation_id", 400, language)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return error_response("bad_after", 400, language)
    rows = await asyncio.to_thread(_waiting, conversation_id, after)
    messages = [shown for _, replies in rows for shown in map(reply_for_widget, replies or []) if shown]
    if messages:
        request.app[OFFERED].remember(conversation_id, messages)  # its buttons may be pressed now
    last = rows[-1][0] if rows else after
    return web.json_response({"conversation_id": conversation_id, "messages": messages, "last": last})


def _waiting(conversation_id: str, after: int) -> List[Tuple[int, List[Dict[str, Any]]]]:
    query = (
        select(WebInbox.id, WebInbox.messages)
        .join(User, User.id == WebInbox.user_id)
        .where(User.channel == CHANNEL, User.channel_user_id == conversation_id, WebInbox.id > after)
        .order_by(WebInbox.id)
        .limit(INBOX_BATCH)
    )
    with session_scope(default_engine()) as session:
        return [(int(row_id), replies) for row_id, replies in session.execute(query)]


async def get_helplines(request: web.Request) -> web.Response:
    """The helpline numbers for the "Hulp nodig?" link, straight from bot/content/helplines.yml."""
    return web.json_response(helplines())


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def static(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    path = STATIC_DIR / name

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            path, headers={"Content-Type": f"{content_type}; charset=utf-8", "Cache-Control": "no-cache"}
        )

    return handler


@web.middleware
async def cors_and_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """CORS for /api/*, JSON errors for /api/*, and security headers for the pages."""
    is_api = request.path.startswith("/api/")
    try:
        if is_api and request.method == "OPTIONS":
            response = web.Response(status=204)  # CORS preflight: the widget may live on another site
        else:
            response = await handler(request)
    except web.HTTPNotFound:
        if is_api:
            response = error_response("not_found", 404, get_settings().default_language)
        else:
            response = web.Response(status=404, text="404: niet gevonden / not found", content_type="text/plain")
    except web.HTTPMethodNotAllowed as refused:
        if not is_api:
            raise
        response = error_response("method_not_allowed", 405, get_settings().default_language)
        response.headers["Allow"] = ",".join(sorted(refused.allowed_methods))
    if is_api:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "3600"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"  # a widget on another site may read it
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'self'",
        )
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _rasa_client(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client to Rasa for the app's lifetime."""
    client = RasaClient(app[RASA_URL], timeout=get_settings().rasa_timeout)
    app[RASA_CLIENT] = client
    yield
    await client.aclose()


def create_app(rasa_url: Optional[str] = None, rate_limits: Optional[RateLimits] = None) -> web.Application:
    """The web application; `rasa_url` and `rate_limits` default to the settings (RASA_URL, WEB_RATE_*)."""
    app = web.Application(middlewares=[cors_and_errors], client_max_size=MAX_BODY_BYTES)
    app[RASA_URL] = rasa_url or get_settings().rasa_url
    app[OFFERED] = OfferedPayloads()
    app[RATE_LIMITS] = rate_limits or RateLimits.from_settings(get_settings())
    app.cleanup_ctx.append(_rasa_client)
    app.on_startup.append(_warm_up_safety_net)
    app.router.add_get("/", static("index.html", "text/html"))
    app.router.add_get("/favicon.svg", static("favicon.svg", "image/svg+xml"))
    app.router.add_get("/demo.js", static("demo.js", "text/javascript"))
    app.router.add_get("/demo.css", static("demo.css", "text/css"))
    app.router.add_get("/widget.js", static("widget.js", "text/javascript"))
    app.router.add_get("/widget.css", static("widget.css", "text/css"))
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/helplines", get_helplines)
    app.router.add_get("/api/inbox", inbox)
    app.router.add_get("/api/download/{token}", get_download)
    app.add_subapp(PREFIX, create_organiser_app(CourseStore(default_engine()), get_settings().organiser_token))
    app.router.add_get("/api/health", health)
    return app


async def _warm_up_safety_net(app: web.Application) -> None:
    warm_up()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per chat message otherwise
    settings = get_settings()
    print(f"Lichtpunt chat: http://localhost:{settings.web_port}", flush=True)
    web.run_app(create_app(), host=settings.web_host, port=settings.web_port, print=None, access_log=None)


if __name__ == "__main__":
    main()
