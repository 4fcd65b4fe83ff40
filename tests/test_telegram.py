"""The Telegram bridge, end to end: the real bridge process against a fake Telegram Bot API.

Three bridges run as `python -m bot.channels.telegram`, each with its own fake Telegram:
- `bridge`: long polling, the real Rasa and action servers behind a proxy that a test can switch off;
- `webhook_bridge`: webhook mode with a secret, the real Rasa;
- `scripted_bridge`: a scripted stand-in for Rasa (images, long texts, long payloads, slow answers).
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import aiohttp
import pytest
import requests
from aiohttp import web
from sqlalchemy import create_engine, text

from bot.channels.safety_net import crisis_reply
from bot.channels.telegram_send import LongPayloads, keyboard, split_text
from bot.commands import COMMANDS, command_list
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.models import Download, utcnow
from bot.content import telegram_text
from tests.conftest import ROOT, Servers, domain_response, first_sentence, free_port, migrate, stop_process
from tests.fake_rasa import ScriptedRasa
from tests.fake_telegram import STICKER, BackgroundServer, Call, FakeTelegram

pytestmark = pytest.mark.timeout(600)

TOKEN = "123456:lichtpunt-test-token"
SECRET = "lichtpunt-webhook-secret"
ACKNOWLEDGEMENT = first_sentence("utter_acknowledge_loneliness")
QUESTION_BUTTONS = {b["title"]: b["payload"] for b in domain_response("utter_ask_loneliness_kind")["buttons"]}


# ---- helpers ----


@dataclass
class Bridge:
    """One running bridge process and the fake Telegram it talks to."""

    telegram: FakeTelegram
    process: subprocess.Popen
    log: Path

    def reply(self, chat_id: int, starts_with: str = "", timeout: float = 60.0) -> Call:
        """The first message to `chat_id` that starts with `starts_with`."""
        try:
            return self.telegram.wait_for("sendMessage", chat_id, lambda call: call.text.startswith(starts_with), timeout)
        except AssertionError as problem:
            raise AssertionError(f"{problem}\n--- bridge log ---\n{self.log_tail()}") from None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def bridge_env(telegram: FakeTelegram, base: Dict[str, str], **extra: str) -> Dict[str, str]:
    return {
        **base,
        "RASA_TELEMETRY_ENABLED": "false",
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": "",
        "TELEGRAM_WEBHOOK_SECRET": "",
        **extra,
    }


def start_bridge(telegram: FakeTelegram, env: Dict[str, str], log: Path) -> Bridge:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.channels.telegram"], cwd=ROOT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    return Bridge(telegram, process, log)


def stop_bridge(bridge: Bridge) -> None:
    stop_process(bridge.process)
    bridge.telegram.stop()


def wait_until_polling(bridge: Bridge) -> None:
    """The bridge is ready once it asks for updates (commands are registered before that)."""
    try:
        bridge.telegram.wait_for("getUpdates", timeout=60)
    except AssertionError as problem:
        raise AssertionError(f"{problem}\n--- bridge log ---\n{bridge.log_tail()}") from None


def base_env(tmp: Path) -> Dict[str, str]:
    """Environment for a bridge without the real Rasa: its own migrated var/ folder."""
    migrate(f"sqlite:///{tmp / 'lichtpunt.db'}")
    return {**os.environ, "LICHTPUNT_VAR_DIR": str(tmp), "DATABASE_URL": ""}


def user_active(servers: Servers, chat_id: int) -> Optional[bool]:
    engine = create_engine(servers.app_database_url, future=True)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT active FROM users WHERE channel = 'telegram' AND channel_user_id = :id"),
                {"id": str(chat_id)},
            ).first()
    finally:
        engine.dispose()
    return None if row is None else bool(row[0])


def eventually(check, timeout: float = 30.0, every: float = 0.3) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


class RasaProxy:
    """Stands between the bridge and the real Rasa, so a test can stop "Rasa" and start it again."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self._server: Optional[BackgroundServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._server = BackgroundServer(app, self.port).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    async def _forward(self, request: web.Request) -> web.Response:
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(
                self.target + request.path, data=await request.read(), headers={"Content-Type": "application/json"}
            ) as answer:
                return web.Response(body=await answer.read(), status=answer.status, content_type="application/json")


# ---- fixtures ----


@pytest.fixture(scope="module")
def rasa_proxy(servers: Servers) -> Iterator[RasaProxy]:
    proxy = RasaProxy(servers.rasa_url)
    proxy.open()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def bridge(servers: Servers, rasa_proxy: RasaProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    with polling_bridge(servers.env, tmp_path_factory.mktemp("bridge"), RASA_URL=rasa_proxy.url) as running:
        yield running


@contextlib.contextmanager
def polling_bridge(base: Dict[str, str], folder: Path, **settings: str) -> Iterator[Bridge]:
    """A bridge in long-polling mode against a new fake Telegram, its log in `folder`, stopped afterwards."""
    telegram = FakeTelegram(TOKEN).start()
    running = start_bridge(telegram, bridge_env(telegram, base, **settings), folder / "telegram.log")
    try:
        wait_until_polling(running)
        yield running
    finally:
        stop_bridge(running)


@pytest.fixture(scope="module")
def webhook_bridge(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    with running_webhook_bridge(servers, tmp_path_factory.mktemp("webhook")) as running:
        yield running


@contextlib.contextmanager
def running_webhook_bridge(servers: Servers, folder: Path) -> Iterator[Bridge]:
    """A bridge in webhook mode in front of the real Rasa, listening once Telegram (the fake) knows its URL."""
    telegram = FakeTelegram(TOKEN).start()
    port = free_port()
    env = bridge_env(
        telegram, servers.env, RASA_URL=servers.rasa_url, WEB_HOST="127.0.0.1",
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    running = start_bridge(telegram, env, folder / "telegram.log")
    try:
        try:
            telegram.wait_for("setWebhook", timeout=60)
        except AssertionError as problem:
            raise AssertionError(f"{problem}\n{running.log_tail()}") from None
        assert eventually(lambda: _port_open(port), timeout=20), running.log_tail()
        yield running
    finally:
        stop_bridge(running)


CHART = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
LONG_PAYLOAD = '/choose_group{"course_group": "' + "Amsterdam-Noord, buurthuis De Klaproos, dinsdagavond" + '"}'
SCRIPT = {
    "grafiek": [{"image": "https://example.org/progress.png"}, {"text": "Zo gaat het tot nu toe."}],
    "voortgang": [{"text": "Je deed 3 oefeningen."}, {"custom": {"image": CHART, "alt": "Je deed 3 oefeningen."}}],
    "lang": [{"text": ("Een zin over verbinding. " * 200).strip()}],
    "mijn gegevens": [{"text": "Dit weet ik van je."}, {"custom": {"download": {"token": "tok-" + "x" * 20, "filename": "mijn.json"}}}],
    "groep": [{"text": "Welke groep?", "buttons": [{"title": "Amsterdam-Noord", "payload": LONG_PAYLOAD}]}],
    "stil": [],
    "ik wil niet meer leven": [],  # Rasa says nothing (an action failed) to crisis language
    "kapot": (500, "Internal Server Error"),
    "geen json": (200, "<html>not json</html>"),
    "verkeerde vorm": (200, '{"text": "a dict, not a list"}'),
}


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedRasa]:
    rasa = ScriptedRasa(SCRIPT, delay={"traag": 10.0, "eerst even wachten": 1.5}).start()
    yield rasa
    assert rasa.server is not None
    rasa.server.stop()


@pytest.fixture(scope="module")
def scripted_bridge(scripted: ScriptedRasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    tmp = tmp_path_factory.mktemp("scripted")
    with polling_bridge(base_env(tmp), tmp, RASA_URL=scripted.url, RASA_TIMEOUT="2") as running:
        yield running


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---- pieces, no servers needed ----


def test_group_text_names_the_bot() -> None:
    assert telegram_text("private_only", "en", bot="LichtpuntBot").endswith("@LichtpuntBot")


def test_long_text_is_split_at_telegrams_limit_on_word_boundaries() -> None:
    message = " ".join(f"woord{index}" for index in range(2000)) + " 🙂" * 3000
    parts = split_text(message)
    assert len(parts) > 2
    assert all(len(part.encode("utf-16-le")) // 2 <= 4096 for part in parts)
    assert " ".join(parts).split() == message.split()
    assert split_text("kort") == ["kort"]
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]


def test_long_payloads_get_a_short_key_that_leads_back() -> None:
    payloads = LongPayloads()
    assert payloads.key_for("/answer_both") == "/answer_both"
    key = payloads.key_for(LONG_PAYLOAD)
    assert len(key.encode()) <= 64 and key != LONG_PAYLOAD
    assert payloads.payload_for(key) == LONG_PAYLOAD
    assert payloads.payload_for("#forgotten") is None
    markup = keyboard([{"title": "Allebei", "payload": "/answer_both"}, {"title": "Site", "payload": "https://x.nl", "type": "web_url"}], payloads)
    assert markup is not None
    assert [row[0].callback_data for row in markup.inline_keyboard] == ["/answer_both", None]
    assert markup.inline_keyboard[1][0].url == "https://x.nl"


def test_without_a_token_the_bridge_says_so_and_exits_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "LICHTPUNT_VAR_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "", "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "bot.channels.telegram"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stdout


def test_a_wrong_token_gives_one_clear_error_and_a_non_zero_exit(tmp_path: Path) -> None:
    telegram = FakeTelegram(TOKEN).start()
    try:
        env = bridge_env(telegram, base_env(tmp_path), TELEGRAM_BOT_TOKEN="999999:not-the-real-token")
        done = subprocess.run(
            [sys.executable, "-m", "bot.channels.telegram"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        telegram.stop()
    assert done.returncode != 0
    assert "does not accept TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert [call.method for call in telegram.calls()] == ["getMe"]


# ---- against a scripted Rasa ----


def test_images_go_out_as_photos(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3001, "grafiek")
    scripted_bridge.reply(3001, "Zo gaat het")
    photo = scripted_bridge.telegram.wait_for("sendPhoto", 3001)
    assert photo.params["photo"] == "https://example.org/progress.png"


def test_a_long_reply_arrives_in_parts_as_plain_text(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3002, "lang")
    scripted_bridge.reply(3002, "Een zin")
    parts = eventually(lambda: len(scripted_bridge.telegram.texts(3002)) >= 2 and scripted_bridge.telegram.texts(3002))
    assert parts, scripted_bridge.log_tail()
    assert all(len(part) <= 4096 for part in parts)
    assert " ".join(parts) == SCRIPT["lang"][0]["text"]
    assert all("parse_mode" not in call.params for call in scripted_bridge.telegram.calls("sendMessage", 3002))


def test_a_payload_longer_than_64_bytes_survives_the_button(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    scripted_bridge.telegram.send_text(3003, "groep")
    question = scripted_bridge.reply(3003, "Welke groep?")
    data = question.buttons[0]["callback_data"]
    assert len(data.encode()) <= 64
    scripted_bridge.telegram.press_button(3003, data)
    scripted_bridge.reply(3003, "echo: /choose_group")
    assert any(body["message"] == LONG_PAYLOAD for body in scripted.received)


def test_a_long_payload_button_sent_by_another_process_works_after_a_restart(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    """The scheduled sender (or this bridge before a restart) stored the payload: the button still leads to it."""
    engine = make_engine(f"sqlite:///{scripted_bridge.log.parent / 'lichtpunt.db'}")
    key = LongPayloads(engine).key_for(LONG_PAYLOAD + " ")  # stored by "another process"
    engine.dispose()
    scripted_bridge.telegram.press_button(3101, key, keyboard=[[{"text": "Amsterdam-Noord", "callback_data": key}]])
    scripted_bridge.reply(3101, "echo: /choose_group")
    assert any(body["message"] == LONG_PAYLOAD + " " and body["sender"] == "telegram:3101" for body in scripted.received)


def test_a_button_whose_long_payload_was_forgotten_sends_its_title_as_words(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    forgotten = "#" + "0" * 32  # a key this bridge never stored (deleted since, or another installation's)
    scripted_bridge.telegram.press_button(3104, forgotten, keyboard=[[{"text": "Amsterdam-Noord", "callback_data": forgotten}]])
    assert scripted_bridge.reply(3104, "echo: Amsterdam-Noord")
    assert [body["message"] for body in scripted.received if body["sender"] == "telegram:3104"] == ["Amsterdam-Noord"]


def test_button_data_no_button_of_ours_offered_goes_to_rasa_as_words(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    """A modified client can put anything in a callback: only data of a button under that message is a payload."""
    keyboard = [[{"text": "Een oefening", "callback_data": "/request_exercise"}]]
    scripted_bridge.telegram.press_button(3107, "/delete_my_data", keyboard=keyboard)
    scripted_bridge.reply(3107, "echo: delete_my_data")
    scripted_bridge.telegram.press_button(3107, "/request_exercise", keyboard=keyboard)
    scripted_bridge.reply(3107, "echo: /request_exercise")
    assert [body["message"] for body in scripted.received if body["sender"] == "telegram:3107"] == [
        "delete_my_data", "/request_exercise"]


def test_messages_that_arrive_together_are_answered_in_order_per_chat_and_other_chats_do_not_wait(
    scripted_bridge: Bridge,
) -> None:
    telegram = scripted_bridge.telegram
    telegram.send_text(3105, "eerst even wachten")  # Rasa takes 1.5 s over this one
    telegram.send_text(3105, "dan dit")
    telegram.send_text(3105, "en als laatste dit")
    telegram.send_text(3106, "ik ben iemand anders")
    expected = ["echo: eerst even wachten", "echo: dan dit", "echo: en als laatste dit"]
    assert eventually(lambda: len(telegram.texts(3105)) == 3, timeout=30), scripted_bridge.log_tail()
    assert telegram.texts(3105) == expected, "one turn at a time per chat, in the order they were written"
    calls = telegram.calls("sendMessage", ok=True)
    other = next(i for i, call in enumerate(calls) if call.chat_id == 3106)
    first = next(i for i, call in enumerate(calls) if call.chat_id == 3105)
    assert other < first, "another chat is answered while the slow turn is still waiting for Rasa"


def test_my_data_arrives_as_a_json_document_after_the_summary(scripted_bridge: Bridge) -> None:
    engine = make_engine(f"sqlite:///{scripted_bridge.log.parent / 'lichtpunt.db'}")
    with session_scope(engine) as session:
        session.add(Download(token="tok-" + "x" * 20, sender_id="telegram:3103", filename="mijn.json",
                             content='{"profile": {"language": "nl"}}', expires_at=utcnow() + timedelta(minutes=5)))
    engine.dispose()
    scripted_bridge.telegram.send_text(3103, "mijn gegevens")
    document = scripted_bridge.telegram.wait_for("sendDocument", 3103)
    assert document.params["document"] == "<file mijn.json>"
    assert json.loads(document.params["document_bytes"]) == {"profile": {"language": "nl"}}
    assert scripted_bridge.telegram.texts(3103) == ["Dit weet ik van je."]
    [text_call] = scripted_bridge.telegram.calls("sendMessage", 3103, ok=True)
    calls = scripted_bridge.telegram.calls(chat_id=3103, ok=True)
    assert calls.index(text_call) < calls.index(document), "the summary first, then the file"


def test_a_chart_the_bot_drew_is_uploaded_as_a_photo_with_its_summary(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3102, "voortgang")
    photo = scripted_bridge.telegram.wait_for("sendPhoto", 3102)
    assert photo.params["photo"].startswith("<file")
    assert photo.params["caption"] == "Je deed 3 oefeningen."
    texts = scripted_bridge.telegram.texts(3102)
    assert texts == ["Je deed 3 oefeningen."]


def test_metadata_and_sender_reach_rasa(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    scripted_bridge.telegram.send_text(3004, "hallo daar", language_code="en")
    scripted_bridge.reply(3004, "echo: hallo daar")
    body = next(body for body in scripted.received if body["sender"] == "telegram:3004")
    assert body["metadata"] == {"channel": "telegram", "language": "en", "chat_type": "private"}


def test_slow_rasa_gets_the_kind_unavailable_message(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3005, "traag", language_code="en")
    scripted_bridge.reply(3005, telegram_text("unavailable", "en"), timeout=30)


def test_no_reply_from_rasa_counts_as_unavailable(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3006, "stil")
    scripted_bridge.reply(3006, telegram_text("unavailable", "nl"), timeout=30)


def test_crisis_language_gets_the_helplines_even_when_rasa_says_nothing(scripted_bridge: Bridge) -> None:
    scripted_bridge.telegram.send_text(3010, "ik wil niet meer leven")
    call = scripted_bridge.reply(3010, crisis_reply("ik wil niet meer leven", "nl")[:40], timeout=30)
    assert call.text == crisis_reply("ik wil niet meer leven", "nl")


def test_words_after_a_command_are_never_dropped(scripted_bridge: Bridge, scripted: ScriptedRasa) -> None:
    scripted_bridge.telegram.send_text(3011, "/help ik wil niet meer leven")
    scripted_bridge.reply(3011, crisis_reply("ik wil niet meer leven", "nl")[:40], timeout=30)
    bodies = [body["message"] for body in scripted.received if body["sender"] == "telegram:3011"]
    assert bodies == ["ik wil niet meer leven"]


@pytest.mark.parametrize("message, chat", [("kapot", 3012), ("geen json", 3013), ("verkeerde vorm", 3014)])
def test_a_broken_answer_from_rasa_gets_the_kind_unavailable_message(scripted_bridge: Bridge, message: str, chat: int) -> None:
    scripted_bridge.telegram.send_text(chat, message)
    call = scripted_bridge.reply(chat, telegram_text("unavailable", "nl"), timeout=30)
    assert call.text == telegram_text("unavailable", "nl")


def test_server_errors_are_retried_with_backoff(scripted_bridge: Bridge) -> None:
    telegram = scripted_bridge.telegram
    telegram.fail_next("sendMessage", 500, times=2, chat_id=3007)
    telegram.send_text(3007, "hoi")
    scripted_bridge.reply(3007, "echo: hoi", timeout=30)
    statuses = [call.status for call in telegram.calls("sendMessage", 3007, ok=None)]
    assert statuses == [500, 500, 200]


# ---- against the real Rasa and action servers ----


def test_commands_are_registered_in_dutch_and_english(bridge: Bridge) -> None:
    commands = bridge.telegram.commands
    assert [entry["command"] for entry in commands[""]] == list(COMMANDS)
    assert [entry["command"] for entry in commands["en"]] == [name for name, _ in command_list("en")]
    assert "forget" in [entry["command"] for entry in commands["en"]]
    assert commands[""][0]["description"] != commands["en"][0]["description"]


def test_a_lonely_message_gets_the_acknowledgement_and_choices(bridge: Bridge) -> None:
    bridge.telegram.send_text(1001, "ik voel me zo alleen")
    bridge.reply(1001, ACKNOWLEDGEMENT, timeout=120)
    question = bridge.telegram.wait_for("sendMessage", 1001, lambda call: bool(call.buttons), timeout=30)
    choices = {button["text"]: button["callback_data"] for button in question.buttons}
    assert choices == QUESTION_BUTTONS
    typing = bridge.telegram.wait_for("sendChatAction", 1001)
    assert typing.params["action"] == "typing"
    assert typing.at < question.at


def test_a_button_press_round_trips(bridge: Bridge) -> None:
    bridge.telegram.send_text(1002, "ik voel me zo alleen")
    bridge.telegram.wait_for("sendMessage", 1002, lambda call: bool(call.buttons), timeout=90)
    pressed = bridge.telegram.press_button(1002, "/answer_both", message_id=None)["callback_query"]
    bridge.reply(1002, first_sentence("utter_lonely_both"))
    answered = bridge.telegram.wait_for(
        "answerCallbackQuery", where=lambda call: call.params["callback_query_id"] == pressed["id"]
    )
    assert answered.status == 200
    edited = bridge.telegram.wait_for("editMessageReplyMarkup", 1002)
    assert edited.params["message_id"] == pressed["message"]["message_id"], "the keyboard of the question goes away"


def test_taal_switches_to_english(bridge: Bridge) -> None:
    bridge.telegram.send_text(1003, "/taal")
    bridge.reply(1003, "Sure, let's talk in English.")


def test_the_english_alias_works_too(bridge: Bridge) -> None:
    bridge.telegram.send_text(1004, "/language")
    bridge.reply(1004, "Sure, let's talk in English.")


def test_an_unknown_command_is_not_passed_to_rasa_as_an_intent(bridge: Bridge) -> None:
    bridge.telegram.send_text(1005, "/delete_my_data")
    bridge.reply(1005, telegram_text("unknown_command", "nl"))


def test_a_sticker_gets_a_friendly_reply_in_the_persons_language(bridge: Bridge) -> None:
    bridge.telegram.send_sticker(1006, language_code="en")
    bridge.reply(1006, telegram_text("not_text", "en"))
    bridge.telegram.send_photo(1007, language_code="nl")
    bridge.reply(1007, telegram_text("not_text", "nl"))
    bridge.telegram.send_location(1007, language_code="nl")
    eventually(lambda: len(bridge.telegram.texts(1007)) == 2)
    assert bridge.telegram.texts(1007) == [telegram_text("not_text", "nl")] * 2


def test_an_edited_message_gets_a_friendly_reply(bridge: Bridge) -> None:
    bridge.telegram.edit_text(1008, "ik voel me zo alleen", language_code="nl")
    bridge.reply(1008, telegram_text("edited", "nl"))


def test_group_and_channel_chats_are_pointed_to_a_private_chat(bridge: Bridge) -> None:
    expected = telegram_text("private_only", "nl", bot="LichtpuntTestBot")
    bridge.telegram.send_group_text(-1009, "ik voel me zo alleen")
    bridge.reply(-1009, expected)
    bridge.telegram.send_group_text(-1000000001010, "/start", chat_type="supergroup")
    bridge.reply(-1000000001010, expected)
    bridge.telegram.post_in_channel(-1000000001011, "hallo")
    bridge.reply(-1000000001011, telegram_text("private_only", "nl", bot="LichtpuntTestBot"))
    for chat_id in (-1009, -1000000001010, -1000000001011):
        assert not bridge.telegram.calls("sendChatAction", chat_id), "a group message went to Rasa"


def test_rasa_stopped_mid_conversation_gets_the_kind_message_and_the_bridge_keeps_running(
    bridge: Bridge, rasa_proxy: RasaProxy
) -> None:
    bridge.telegram.send_text(1012, "ik voel me zo alleen")
    bridge.reply(1012, ACKNOWLEDGEMENT, timeout=90)
    rasa_proxy.close()
    try:
        bridge.telegram.send_text(1012, "ben je daar nog?")
        bridge.reply(1012, telegram_text("unavailable", "nl"), timeout=40)
    finally:
        rasa_proxy.open()
    bridge.telegram.send_text(1013, "ik voel me zo alleen")
    bridge.reply(1013, ACKNOWLEDGEMENT, timeout=90)
    assert bridge.process.poll() is None


def test_flood_control_is_retried_after_retry_after(bridge: Bridge) -> None:
    telegram = bridge.telegram
    telegram.fail_next("sendMessage", 429, retry_after=2, chat_id=1014)
    telegram.send_sticker(1014)
    delivered = bridge.reply(1014, telegram_text("not_text", "nl"), timeout=30)
    refused = telegram.calls("sendMessage", 1014, ok=False)
    assert [call.status for call in refused] == [429]
    assert delivered.at - refused[0].at >= 1.9


def test_a_blocked_bot_marks_the_user_inactive(bridge: Bridge, servers: Servers) -> None:
    engine = make_engine(servers.app_database_url)
    UserStore(engine).record_consent("telegram", "1015")  # someone with a profile (they agreed to the notice)
    engine.dispose()
    bridge.telegram.send_text(1015, "ik voel me zo alleen")
    bridge.reply(1015, ACKNOWLEDGEMENT, timeout=90)
    assert user_active(servers, 1015) is True
    bridge.telegram.fail_next("sendMessage", 403, times=10, chat_id=1015)
    bridge.telegram.send_text(1015, "Allebei")
    assert eventually(lambda: user_active(servers, 1015) is False, timeout=60), bridge.log_tail()
    assert bridge.process.poll() is None


def test_someone_without_a_profile_who_blocks_the_bot_gets_none(bridge: Bridge, servers: Servers) -> None:
    bridge.telegram.fail_next("sendMessage", 403, times=10, chat_id=1016)
    bridge.telegram.send_text(1016, "ik voel me zo alleen")
    handled = "chat 1016 blocked the bot"
    assert eventually(lambda: handled in bridge.log.read_text(errors="replace"), timeout=90), bridge.log_tail()
    assert user_active(servers, 1016) is None, "blocking creates no profile"


# ---- webhook mode ----


def test_webhook_is_registered_with_its_secret(webhook_bridge: Bridge) -> None:
    webhook = webhook_bridge.telegram.webhook
    assert webhook["url"].endswith("/telegram")
    assert webhook["secret_token"] == SECRET


def test_webhook_rejects_requests_without_the_secret(webhook_bridge: Bridge) -> None:
    telegram = webhook_bridge.telegram
    update = telegram.webhook_update("message", telegram.message(2001, text="ik voel me zo alleen"))
    url = telegram.webhook["url"]
    assert requests.post(url, json=update, timeout=10).status_code == 403
    assert telegram.push_webhook(update, secret="guessed").status_code == 403
    # An accepted update for the same chat afterwards: once its reply is there, the rejected ones had their chance.
    accepted = telegram.webhook_update("message", telegram.message(2001, "nl", sticker=STICKER))
    assert telegram.push_webhook(accepted).status_code == 200
    webhook_bridge.reply(2001, telegram_text("not_text", "nl"))
    assert [call.text for call in telegram.calls("sendMessage", 2001)] == [telegram_text("not_text", "nl")]


def test_webhook_accepts_telegrams_requests_with_the_secret(webhook_bridge: Bridge) -> None:
    telegram = webhook_bridge.telegram
    response = telegram.push_webhook(telegram.webhook_update("message", telegram.message(2002, "en", sticker=STICKER)))
    assert response.status_code == 200
    webhook_bridge.reply(2002, telegram_text("not_text", "en"))
    update = telegram.webhook_update("message", telegram.message(2003, text="ik voel me zo alleen"))
    assert telegram.push_webhook(update).status_code == 200
    webhook_bridge.reply(2003, ACKNOWLEDGEMENT, timeout=90)


# ---- delivery edge cases of the one sending module (bot/channels/telegram_send.py) ----


class Attempts:
    """A Telegram call that fails with the given errors first, then succeeds; counts the tries."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.tries = list(errors), 0

    async def __call__(self) -> str:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


async def test_flood_control_asking_for_too_long_a_wait_gives_up_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from telegram.error import RetryAfter

    from bot.channels import telegram_send

    waited = []
    monkeypatch.setattr(telegram_send.asyncio, "sleep", lambda seconds: waited.append(seconds) or _done())
    too_long = Attempts(RetryAfter(int(telegram_send.MAX_RETRY_AFTER) + 1))
    with pytest.raises(RetryAfter):
        await telegram_send.deliver(too_long)
    assert (too_long.tries, waited) == (1, [])
    short = Attempts(RetryAfter(3))
    assert await telegram_send.deliver(short) == "sent"
    assert (short.tries, waited) == (2, [3.0])


async def test_a_bad_request_is_not_tried_again_but_a_time_out_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from telegram.error import BadRequest, TimedOut

    from bot.channels import telegram_send

    monkeypatch.setattr(telegram_send.asyncio, "sleep", lambda seconds: _done())
    refused = Attempts(BadRequest("Message text is empty"))
    with pytest.raises(BadRequest):
        await telegram_send.deliver(refused)
    assert refused.tries == 1
    flaky = Attempts(TimedOut(), TimedOut())
    assert await telegram_send.deliver(flaky) == "sent" and flaky.tries == 3
    down = Attempts(*[TimedOut()] * (len(telegram_send.RETRY_PAUSES) + 1))
    with pytest.raises(TimedOut):
        await telegram_send.deliver(down)
    assert down.tries == len(telegram_send.RETRY_PAUSES) + 1


async def _done() -> None:
    return None
