"""Sending to Telegram: (chat id, language, Rasa's replies) in, Telegram messages out.

The one module that sends, used by the bridge's handlers and by the scheduled sender (bot/outbox.py) alike:
Telegram's limits (4,096 characters, 64 bytes of button data), flood control (429: wait as told), and retries
on 5xx and time-outs live here.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import warnings
from collections import OrderedDict
from datetime import timedelta
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar, Union

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.content import telegram_text
from bot.storage.db import session_scope
from bot.storage.models import ButtonPayload
from bot.storage.privacy import fetch_download

logger = logging.getLogger(__name__)

SHORT_TITLE, SHORT_PER_ROW = 3, 6  # "😀", "7": side by side
DATA_PNG = "data:image/png;base64,"
RETRY_PAUSES = (1.0, 2.0, 4.0)  # seconds to wait after a 5xx or time-out before the 2nd, 3rd and 4th try
MAX_RETRY_AFTER = 120.0  # flood control asking for a longer wait than this gives up on the message

T = TypeVar("T")


async def send_replies(
    bot: Bot, chat_id: int, replies: List[Dict[str, Any]], language: str, payloads: "LongPayloads"
) -> None:
    """Rasa's replies to one chat, in order: images as photos, a "my data" file as a document, long texts in
    parts, buttons under the last part."""
    for reply in replies:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        image = reply.get("image") or custom.get("image")
        if isinstance(image, str) and image:
            await deliver(partial(bot.send_photo, chat_id, photo_of(image), caption=custom.get("alt")))
        download = custom.get("download") if isinstance(custom.get("download"), dict) else {}
        if isinstance(download.get("token"), str) and payloads.engine is not None:
            found = await asyncio.to_thread(fetch_download, payloads.engine, download["token"])
            if found is not None:
                filename, content = found
                await deliver(partial(bot.send_document, chat_id, InputFile(content.encode("utf-8"), filename=filename)))
        markup = keyboard(reply.get("buttons"), payloads)
        message = reply.get("text") or ""
        if not message and markup:
            message = telegram_text("choose", language)
        parts = split_text(message)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await deliver(partial(bot.send_message, chat_id, part, reply_markup=markup if last else None))


def photo_of(image: str) -> Union[str, bytes]:
    """A URL as it is; a chart the bot drew (a PNG data URI) as the bytes Telegram gets uploaded."""
    if image.startswith(DATA_PNG):
        return base64.b64decode(image[len(DATA_PNG):], validate=True)
    return image


def keyboard(buttons: Optional[List[Dict[str, Any]]], payloads: "LongPayloads") -> Optional[InlineKeyboardMarkup]:
    """Rasa's buttons, one per row (titles are sentences); short ones (a face, a number) side by side, up to
    SHORT_PER_ROW in a row; link buttons open their link."""
    rows: List[List[InlineKeyboardButton]] = []
    for item in buttons or []:
        title, payload = item.get("title"), str(item.get("payload") or "")
        if not title:
            continue
        if item.get("type") == "web_url":
            button = InlineKeyboardButton(title, url=payload)
        else:
            button = InlineKeyboardButton(title, callback_data=payloads.key_for(payload or title))
        short = len(title) <= SHORT_TITLE
        if short and rows and len(rows[-1]) < SHORT_PER_ROW and all(len(b.text) <= SHORT_TITLE for b in rows[-1]):
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows) if rows else None


async def deliver(send: Callable[[], Awaitable[T]]) -> T:
    """Send to Telegram; on flood control (429) wait as told, on 5xx or time-outs back off; a few tries.

    A 400 (BadRequest) is not tried again: the same request would fail the same way. A 403 (Forbidden: the
    person blocked the bot) is not a network error either and goes straight to the caller.
    """
    for pause in RETRY_PAUSES:
        try:
            return await send()
        except RetryAfter as flood:
            wait = retry_after_seconds(flood)
            if wait > MAX_RETRY_AFTER:
                raise
            logger.warning("Telegram asks to slow down: waiting %.1f s", wait)
            await asyncio.sleep(wait)
        except BadRequest:
            raise
        except NetworkError as problem:  # time-outs and 5xx; 403 and 401 are not network errors
            logger.warning("Telegram did not take it (%s); trying again in %.0f s", problem, pause)
            await asyncio.sleep(pause)
    return await send()


def retry_after_seconds(flood: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # int now, timedelta in a later release
        value = flood.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def split_text(message: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> List[str]:
    """Telegram's 4,096-character limit (counted in UTF-16, as Telegram does), cut at a line or a space."""
    parts = []
    while _utf16_length(message) > limit:
        cut = _fitting(message, limit)
        space = max(message.rfind("\n", 0, cut + 1), message.rfind(" ", 0, cut + 1))
        if space > cut // 2:
            cut = space
        parts.append(message[:cut].rstrip())
        message = message[cut:].lstrip()
    if message.strip():
        parts.append(message)
    return parts


def _utf16_length(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def _fitting(message: str, limit: int) -> int:
    """How many characters of `message` fit in `limit` UTF-16 units."""
    used = 0
    for index, character in enumerate(message):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > limit:
            return index
    return len(message)


class LongPayloads:
    """Telegram keeps at most 64 bytes of callback data; longer payloads get a short key.

    With an engine, the key and payload are stored in the database (`button_payloads`), so a button still works
    after a restart and when another process (the scheduled sender) sent it. Without one, in memory only.
    """

    PREFIX = "#"

    def __init__(self, engine: Optional[Engine] = None, cache_size: int = 10_000) -> None:
        self.engine = engine
        self._cache: "OrderedDict[str, str]" = OrderedDict()
        self._size = cache_size

    def key_for(self, payload: str) -> str:
        fits = len(payload.encode("utf-8")) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
        if fits and not payload.startswith(self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        if key not in self._cache and self.engine is not None:
            self._store(key, payload)
        self._remember(key, payload)
        return key

    def payload_for(self, data: str) -> Optional[str]:
        """The payload behind a button, or None when it is unknown (never stored, or deleted since)."""
        if not data.startswith(self.PREFIX):
            return data
        found = self._cache.get(data)
        if found is None and self.engine is not None:
            try:
                with session_scope(self.engine) as session:
                    found = session.execute(select(ButtonPayload.payload).where(ButtonPayload.key == data)).scalar()
            except SQLAlchemyError:
                logger.exception("could not read a button payload")
        if found is not None:
            self._remember(data, found)
        return found

    def _store(self, key: str, payload: str) -> None:
        try:
            with session_scope(self.engine) as session:  # type: ignore[arg-type]
                if session.get(ButtonPayload, key) is None:
                    session.add(ButtonPayload(key=key, payload=payload))
        except IntegrityError:
            pass  # another process stored the same payload at the same moment: same key, same payload
        except SQLAlchemyError:
            logger.exception("could not store a button payload; it works until this process stops")

    def _remember(self, key: str, payload: str) -> None:
        self._cache[key] = payload
        self._cache.move_to_end(key)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
