"""Telegram bridge: Telegram updates in, Rasa's REST channel in the middle, Telegram messages out.

Run it with `python -m bot.channels.telegram` (the Procfile does, when TELEGRAM_BOT_TOKEN is set).
Long polling by default; a webhook when TELEGRAM_WEBHOOK_URL is set. Like the python-telegram-bot
examples: one small function per kind of update, all wired in `build_application`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from functools import partial
from typing import Any, AsyncIterator, Dict, List, Optional
from urllib.parse import urlparse

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, CallbackQuery, Chat, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels import telegram_send
from bot.channels.identity import identity, metadata
from bot.channels.rasa_client import RasaClient, RasaUnavailable
from bot.channels.telegram_send import LongPayloads, deliver
from bot.channels.safety_net import crisis_reply, warm_up
from bot.commands import ALIASES, COMMANDS, command_list, command_payload, plain_text
from bot.content import telegram_text
from bot.language import language_from_locale
from bot.settings import Settings, get_settings
from bot.storage import UserStore
from bot.storage.db import default_engine

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 seconds



# ---- handlers: one per kind of update ----


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message goes to Rasa as words (never as a raw intent, whatever it starts with)."""
    await converse(update, context, plain_text(update.effective_message.text))


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/oefening, /taal, ... (or an English alias): Rasa gets the intent behind it."""
    payload = command_payload(update.effective_message.text)
    if payload:
        await converse(update, context, payload)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "unknown_command")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under one of Rasa's questions: its payload goes to Rasa, the keyboard goes away."""
    query = update.callback_query
    await deliver(query.answer)
    if query.message is None:  # a button under an inline-mode message: not one of ours
        return
    data = query.data or ""
    if _offered(query, data):
        payload = context.bot_data["payloads"].payload_for(data) or _button_title(query)
    else:  # a modified client can send any data: what no button of ours says goes to Rasa as words, never an intent
        payload = plain_text(data).strip() or None
    if query.message.is_accessible:
        with contextlib.suppress(NetworkError):  # includes BadRequest: the keyboard was gone already
            await query.edit_message_reply_markup(reply_markup=None)
    if payload:
        await converse(update, context, payload)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, video, documents, locations, contacts: Rasa only reads text."""
    await say(update, context, "not_text")


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "edited")


async def group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Conversations about loneliness belong in a private chat; groups only get pointed there."""
    await say(update, context, "private_only", bot=context.bot.username)


async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one error handler. A 403 means the person blocked the bot: no scheduled message may go there."""
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden) and chat is not None and chat.type == ChatType.PRIVATE:
        users: UserStore = context.bot_data["users"]
        try:
            await asyncio.to_thread(users.mark_inactive, CHANNEL, str(chat.id))
        except SQLAlchemyError:
            logger.exception("could not mark chat %s inactive", chat.id)
        else:
            logger.info("chat %s blocked the bot; its profile (if any) is marked inactive", chat.id)
        return
    if update is None and isinstance(context.error, NetworkError):  # polling; PTB tries again by itself
        logger.warning("Telegram cannot be reached: %s", context.error)
        return
    logger.error("could not handle an update", exc_info=context.error)


# ---- talking to Rasa ----


async def converse(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> None:
    """One turn: Rasa's answer to `message`, sent back; one turn at a time per chat, in order."""
    chat = update.effective_chat
    lock = context.chat_data.setdefault("turn", asyncio.Lock())
    async with lock:
        async with typing(chat):
            replies = await ask_rasa(update, context, message)
        await send_replies(update, context, replies)


async def ask_rasa(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> List[Dict[str, Any]]:
    """Rasa's replies, or the kind "briefly unavailable" when Rasa or the action server fails us."""
    chat, user = update.effective_chat, update.effective_user
    about = metadata(CHANNEL, language_from_locale(user.language_code if user else None), chat_type=chat.type)
    rasa: RasaClient = context.bot_data["rasa"]
    if chat.type == ChatType.PRIVATE:
        await reactivate(context.bot_data["users"], chat.id)
    try:
        replies = await rasa.send(identity(CHANNEL, chat.id).sender_id, message, about)
    except RasaUnavailable as problem:
        logger.warning("Rasa is unavailable: %s", problem)
        replies = []
    else:
        if not replies:
            logger.warning("Rasa answered with nothing (is the action server down?)")
    if not replies:  # never silence; crisis language gets the helplines even now
        language = await language_of(update, context)
        rescue = crisis_reply(message, language)
        return [{"text": rescue or telegram_text("unavailable", language)}]
    return replies


async def reactivate(users: UserStore, chat_id: int) -> None:
    """Someone who had blocked the bot writes again: scheduled messages may reach them again."""
    try:
        if await asyncio.to_thread(users.reactivate, CHANNEL, str(chat_id)):
            logger.info("chat %s writes again after blocking the bot; active again", chat_id)
    except SQLAlchemyError:
        logger.exception("could not mark chat %s active again", chat_id)


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: List[Dict[str, Any]]) -> None:
    language = await language_of(update, context)
    await telegram_send.send_replies(context.bot, update.effective_chat.id, replies, language, context.bot_data["payloads"])


# ---- sending to Telegram ----


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **values: Any) -> None:
    """One of the bridge's own texts (bot/content/telegram.yml), in the person's language."""
    message = telegram_text(key, await language_of(update, context), **values)
    await deliver(partial(update.effective_chat.send_message, message))


@contextlib.asynccontextmanager
async def typing(chat: Chat) -> AsyncIterator[None]:
    """Show "typing…" for as long as Rasa thinks."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()


COMMAND_PAYLOADS = {entry[0] for entry in COMMANDS.values()}


def _offered(query: CallbackQuery, data: str) -> bool:
    """Was `data` a button under this message? Telegram sends the message with its keyboard; a message too old
    to be sent along (inaccessible) leaves our stored long payloads and the commands' intents."""
    if query.message is not None and query.message.is_accessible:
        markup = getattr(query.message, "reply_markup", None)
        return any(button.callback_data == data for row in (markup.inline_keyboard if markup else ()) for button in row)
    return data.startswith(LongPayloads.PREFIX) or data in COMMAND_PAYLOADS


def _button_title(query: CallbackQuery) -> Optional[str]:
    """A forgotten long payload: Rasa gets the button's title instead, as if the person typed it."""
    markup = getattr(query.message, "reply_markup", None)
    for row in markup.inline_keyboard if markup else ():
        for candidate in row:
            if candidate.callback_data == query.data:
                return candidate.text
    return None


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language the person chose with us (stored by the actions), else their Telegram app's."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type == ChatType.PRIVATE:
        users: UserStore = context.bot_data["users"]
        with contextlib.suppress(SQLAlchemyError):
            known = await asyncio.to_thread(users.get, CHANNEL, str(chat.id))
            if known is not None:
                return known.language
    return language_from_locale(user.language_code if user else None) or get_settings().default_language


# ---- start-up and shut-down ----


async def register_commands(application: Application) -> None:
    """The command menu: Dutch for everyone, English for Telegram apps set to English."""
    await deliver(partial(application.bot.set_my_commands, command_list("nl")))
    await deliver(partial(application.bot.set_my_commands, command_list("en"), language_code="en"))


async def close_rasa(application: Application) -> None:
    await application.bot_data["rasa"].aclose()


def build_application(settings: Settings) -> Application:
    warm_up()  # the crisis phrase net, ready before the first message
    application = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .concurrent_updates(True)  # many people at once; `converse` keeps each chat in order
        .job_queue(None)
        .post_init(register_commands)
        .post_shutdown(close_rasa)
        .build()
    )
    application.bot_data.update(
        rasa=RasaClient(settings.rasa_url, timeout=settings.rasa_timeout),
        users=UserStore(default_engine()),
        payloads=LongPayloads(default_engine()),
    )
    application.add_handlers(
        [
            MessageHandler((filters.ChatType.GROUPS | filters.ChatType.CHANNEL) & ~filters.StatusUpdate.ALL, group),
            MessageHandler(filters.UpdateType.EDITED, edited),
            CommandHandler(list(COMMANDS) + list(ALIASES), command),
            MessageHandler(filters.Regex(r"^/"), unknown_command),  # Rasa would read it as an intent name
            MessageHandler(filters.TEXT, text),
            MessageHandler(~filters.StatusUpdate.ALL, not_text),
            CallbackQueryHandler(button),
        ]
    )
    application.add_error_handler(error)
    return application


async def token_accepted(settings: Settings) -> bool:
    """Ask Telegram once who we are, so a wrong token ends in one clear line instead of a retry loop."""
    try:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_base_url) as bot:
            logger.info("connected to Telegram as @%s", bot.username)
    except InvalidToken:
        return False
    except TelegramError as problem:
        logger.warning("Telegram cannot be reached yet (%s); trying again while starting", problem)
    return True


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    if not settings.telegram_bot_token:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge does not start.")
        return
    if not asyncio.run(token_accepted(settings)):
        print(
            "Telegram does not accept TELEGRAM_BOT_TOKEN: check the token @BotFather gave you "
            f"(and TELEGRAM_BASE_URL, now {settings.telegram_base_url}).",
            file=sys.stderr,
        )
        sys.exit(1)
    application = build_application(settings)
    if settings.telegram_webhook_url:
        application.run_webhook(
            listen=settings.web_host,
            port=settings.telegram_webhook_port,
            url_path=urlparse(settings.telegram_webhook_url).path,
            webhook_url=settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret or secrets.token_urlsafe(32),
            bootstrap_retries=-1,
        )
    else:
        application.run_polling(bootstrap_retries=-1)


if __name__ == "__main__":
    main()
