"""A fake Telegram Bot API on 127.0.0.1, for tests: the bridge reaches it through PTB's `base_url`.

It serves `/bot<token>/<method>` like Telegram, hands queued updates to `getUpdates` (a short long
poll that honours `offset`), records every call, and fails the next calls of a method on demand
(429 with `retry_after`, 403, 500). In webhook mode it delivers updates the way Telegram does:
a POST to the registered URL with the `X-Telegram-Bot-Api-Secret-Token` header.

    telegram = FakeTelegram("123:abc").start()
    telegram.send_text(42, "ik voel me zo alleen")
    reply = telegram.wait_for("sendMessage", chat_id=42)
"""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import requests
from aiohttp import web

# Parameters that PTB sends JSON-encoded inside form data.
JSON_PARAMETERS = {"reply_markup", "commands", "scope", "allowed_updates", "entities", "reply_parameters"}
INTEGER_PARAMETERS = {"chat_id", "offset", "limit", "timeout", "message_id", "update_id"}
STICKER = {
    "file_id": "sticker-1", "file_unique_id": "sticker-u1", "type": "regular",
    "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "🙂",
}
ERRORS = {
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Call:
    """One request the bot made, with the status the fake answered."""

    method: str
    params: Dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> Optional[int]:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text") or ""

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        """The inline keyboard's buttons, flattened: [{"text": ..., "callback_data": ...}]."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class _Failure:
    method: str
    status: int
    times: int
    retry_after: Optional[int]
    chat_id: Optional[int]


class BackgroundServer:
    """An aiohttp application served on 127.0.0.1 from its own thread and event loop."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self._app = app
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: Optional[web.AppRunner] = None

    def start(self) -> "BackgroundServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class FakeTelegram:
    def __init__(self, token: str, username: str = "LichtpuntTestBot", poll_wait: float = 0.5) -> None:
        self.token = token
        self.bot = {"id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Lichtpunt", "username": username}
        self.poll_wait = poll_wait
        self.webhook: Dict[str, Any] = {}
        self.commands: Dict[str, List[Dict[str, str]]] = {}
        self._calls: List[Call] = []
        self._updates: List[Dict[str, Any]] = []
        self._failures: List[_Failure] = []
        self._chats: Dict[int, Dict[str, Any]] = {}
        self._sent: Dict[int, Dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._server: Optional[BackgroundServer] = None
        self.send_delay = 0.0  # seconds each sendMessage takes (a slow Telegram, for crash tests)

    # ---- running ----

    def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._server = BackgroundServer(app).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def base_url(self) -> str:
        """What the bot gets as TELEGRAM_BASE_URL (PTB appends the token and the method)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.port}/bot"

    # ---- updates from the fake people ----

    def inject(self, kind: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """Queue one update ({"message": ...}, {"callback_query": ...}, ...) for getUpdates."""
        update = {"update_id": next(self._update_ids), kind: payload}
        with self._lock:
            self._updates.append(update)
        return update

    def send_text(self, chat_id: int, text: str, language_code: Optional[str] = "nl", chat_type: str = "private") -> Dict[str, Any]:
        message = self.message(chat_id, language_code, chat_type, text=text)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.inject("message", message)

    def send_sticker(self, chat_id: int, language_code: Optional[str] = "nl") -> Dict[str, Any]:
        return self.inject("message", self.message(chat_id, language_code, "private", sticker=STICKER))

    def send_photo(self, chat_id: int, language_code: Optional[str] = "nl") -> Dict[str, Any]:
        photo = [{"file_id": "photo-1", "file_unique_id": "photo-u1", "width": 90, "height": 90}]
        return self.inject("message", self.message(chat_id, language_code, "private", photo=photo))

    def send_location(self, chat_id: int, language_code: Optional[str] = "nl") -> Dict[str, Any]:
        location = {"latitude": 52.37, "longitude": 4.89}
        return self.inject("message", self.message(chat_id, language_code, "private", location=location))

    def send_group_text(self, chat_id: int, text: str, language_code: Optional[str] = "nl", chat_type: str = "group") -> Dict[str, Any]:
        return self.send_text(chat_id, text, language_code, chat_type=chat_type)

    def post_in_channel(self, chat_id: int, text: str) -> Dict[str, Any]:
        return self.inject("channel_post", self.message(chat_id, None, "channel", text=text))

    def edit_text(self, chat_id: int, text: str, language_code: Optional[str] = "nl") -> Dict[str, Any]:
        message = self.message(chat_id, language_code, "private", text=text)
        message["edit_date"] = int(time.time())
        return self.inject("edited_message", message)

    def press_button(
        self, chat_id: int, callback_data: str, message_id: Optional[int] = None, language_code: Optional[str] = "nl",
        keyboard: Optional[List[List[Dict[str, str]]]] = None,
    ) -> Dict[str, Any]:
        """A tap on an inline button; `message_id` defaults to the last message with a keyboard in that chat.
        With `keyboard`, the button sits under a message this fake never saw sent (an earlier process sent it)."""
        with self._lock:
            if message_id is None:
                message_id = max(
                    (mid for mid, sent in self._sent.items() if sent["chat"]["id"] == chat_id and sent.get("reply_markup")),
                    default=None,
                )
            message = self._sent.get(message_id) if message_id is not None else None
        query = {
            "id": f"query-{next(self._update_ids)}",
            "from": self._user(chat_id, language_code),
            "chat_instance": f"instance-{chat_id}",
            "data": callback_data,
        }
        query["message"] = message or {
            "message_id": next(self._message_ids), "date": int(time.time()), "from": self.bot,
            "chat": {"id": chat_id, "type": "private", "first_name": "Sam"}, "text": "(an earlier question)",
        }
        if keyboard is not None:
            query["message"]["reply_markup"] = {"inline_keyboard": keyboard}
        return self.inject("callback_query", query)

    def message(self, chat_id: int, language_code: Optional[str] = "nl", chat_type: str = "private", **content: Any) -> Dict[str, Any]:
        """A message from a person (or a channel) with `content` (text=..., sticker=...), not queued."""
        chat: Dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Sam"
        else:
            chat["title"] = "Koffieclub"
        with self._lock:
            self._chats[chat_id] = chat
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, **content}
        if chat_type != "channel":
            message["from"] = self._user(chat_id if chat_type == "private" else 777, language_code)
        return message

    @staticmethod
    def _user(user_id: int, language_code: Optional[str]) -> Dict[str, Any]:
        user: Dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Sam"}
        if language_code:
            user["language_code"] = language_code
        return user

    # ---- faults on demand ----

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: Optional[int] = None, chat_id: Optional[int] = None) -> None:
        """Answer the next `times` calls of `method` (for `chat_id`, if given) with this HTTP status."""
        with self._lock:
            self._failures.append(_Failure(method.lower(), status, times, retry_after, chat_id))

    def _failure_for(self, method: str, params: Dict[str, Any]) -> Optional[_Failure]:
        for failure in self._failures:
            if failure.method == method.lower() and failure.times > 0 and failure.chat_id in (None, params.get("chat_id")):
                failure.times -= 1
                return failure
        return None

    # ---- what the bot did ----

    def calls(self, method: Optional[str] = None, chat_id: Optional[int] = None, ok: Optional[bool] = None) -> List[Call]:
        with self._lock:
            found = list(self._calls)
        return [
            call for call in found
            if (method is None or call.method.lower() == method.lower())
            and (chat_id is None or call.chat_id == chat_id)
            and (ok is None or (call.status == 200) == ok)
        ]

    def texts(self, chat_id: int) -> List[str]:
        """Texts the bot delivered to one chat, in order."""
        return [call.text for call in self.calls("sendMessage", chat_id, ok=True)]

    def wait_for(
        self,
        method: str,
        chat_id: Optional[int] = None,
        where: Callable[[Call], bool] = lambda call: True,
        timeout: float = 30.0,
        ok: Optional[bool] = True,
    ) -> Call:
        """The first matching call, waiting for it at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls(method, chat_id, ok):
                if where(call):
                    return call
            if time.monotonic() > deadline:
                seen = [(c.method, c.chat_id, c.status, c.text[:80]) for c in self.calls()][-15:]
                raise AssertionError(f"no {method} to {chat_id} within {timeout}s; last calls: {seen}")
            time.sleep(0.1)

    def push_webhook(self, update: Dict[str, Any], secret: Optional[str] = None) -> requests.Response:
        """Deliver an update as Telegram does: to the URL from setWebhook, with its secret header."""
        url = self.webhook.get("url")
        assert url, "the bot has not called setWebhook"
        token = self.webhook.get("secret_token") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        return requests.post(url, data=json.dumps(update), headers={"Content-Type": "application/json", **headers}, timeout=10)

    def webhook_update(self, kind: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """An update for push_webhook (not queued for getUpdates)."""
        return {"update_id": next(self._update_ids), kind: payload}

    # ---- the HTTP side ----

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _parameters(request)
        if request.match_info["token"] != self.token:
            return self._record(method, params, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with self._lock:
            failure = self._failure_for(method, params)
        if failure is not None:
            body: Dict[str, Any] = {"ok": False, "error_code": failure.status}
            if failure.status == 429:
                body["description"] = f"Too Many Requests: retry after {failure.retry_after or 1}"
                body["parameters"] = {"retry_after": failure.retry_after or 1}
            else:
                body["description"] = ERRORS.get(failure.status, "Error")
            return self._record(method, params, failure.status, body)
        if method.lower() == "getupdates":
            result: Any = await self._get_updates(params)
        else:
            answer = getattr(self, f"_api_{method.lower()}", None)
            if answer is None:
                return self._record(method, params, 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
            result = answer(params)
        return self._record(method, params, 200, {"ok": True, "result": result})

    def _record(self, method: str, params: Dict[str, Any], status: int, body: Dict[str, Any]) -> web.Response:
        with self._lock:
            self._calls.append(Call(method, params, status))
        return web.json_response(body, status=status)

    async def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.poll_wait)
        while True:
            with self._lock:
                if offset:
                    self._updates = [update for update in self._updates if update["update_id"] >= offset]
                ready = self._updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.05)

    def _api_getme(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return {**self.bot, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_deletewebhook(self, params: Dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_setwebhook(self, params: Dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _api_getwebhookinfo(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_sendmessage(self, params: Dict[str, Any]) -> Dict[str, Any]:
        if self.send_delay:
            time.sleep(self.send_delay)  # blocks this fake's own loop only: one slow Telegram
        return self._sent_message(params, text=params.get("text", ""))

    def _api_sendphoto(self, params: Dict[str, Any]) -> Dict[str, Any]:
        photo = [{"file_id": "sent-photo", "file_unique_id": "sent-photo-u", "width": 640, "height": 480}]
        return self._sent_message(params, photo=photo)

    def _api_senddocument(self, params: Dict[str, Any]) -> Dict[str, Any]:
        document = {"file_id": "sent-document", "file_unique_id": "sent-document-u", "file_name": "file"}
        return self._sent_message(params, document=document)

    def _api_sendchataction(self, params: Dict[str, Any]) -> bool:
        return True

    def _api_answercallbackquery(self, params: Dict[str, Any]) -> bool:
        return True

    def _api_editmessagereplymarkup(self, params: Dict[str, Any]) -> Any:
        with self._lock:
            message = self._sent.get(params.get("message_id"))
            if message is None:
                return True
            message.pop("reply_markup", None)
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return dict(message)

    def _api_setmycommands(self, params: Dict[str, Any]) -> bool:
        self.commands[params.get("language_code") or ""] = params.get("commands") or []
        return True

    def _api_getmycommands(self, params: Dict[str, Any]) -> List[Dict[str, str]]:
        return self.commands.get(params.get("language_code") or "", [])

    def _api_deletemycommands(self, params: Dict[str, Any]) -> bool:
        self.commands.pop(params.get("language_code") or "", None)
        return True

    def _api_close(self, params: Dict[str, Any]) -> bool:
        return True

    def _sent_message(self, params: Dict[str, Any], **content: Any) -> Dict[str, Any]:
        chat_id = params.get("chat_id")
        with self._lock:
            chat = self._chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "Sam"})
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": self.bot, **content}
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self._sent[message["message_id"]] = message
            return dict(message)


async def _parameters(request: web.Request) -> Dict[str, Any]:
    """The call's parameters, from a query string, form data (PTB's way), multipart or JSON."""
    raw: Dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json())
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[f"{key}_bytes"] = value.file.read()  # what was uploaded, for tests that read it
            raw[key] = f"<file {value.filename}>" if isinstance(value, web.FileField) else value
    params: Dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key in JSON_PARAMETERS:
            value = json.loads(value)
        elif isinstance(value, str) and key in INTEGER_PARAMETERS:
            try:
                value = int(value)
            except ValueError:
                pass
        params[key] = value
    return params
