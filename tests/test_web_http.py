"""The website server over HTTP: bad input gets a 4xx with a reason (never a 500), Rasa down gets a kind 503."""
from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator

import pytest
import requests
from aiohttp.test_utils import TestClient, TestServer

from bot import content
from bot.channels.safety_net import crisis_reply
from bot.channels.web import (
    MAX_MESSAGE_CHARS, BadRequest, OfferedPayloads, RateLimit, RateLimits, create_app, rasa_text, reply_for_widget,
)
from bot.content import helplines
from bot.storage import db
from tests.conftest import Servers, domain_response, free_port
from tests.fake_rasa import ScriptedRasa
from tests.webserver import WebServer, web_server


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The web server pointed at a Rasa URL nobody listens on."""
    log = tmp_path_factory.mktemp("web") / "web.log"
    with web_server(f"http://127.0.0.1:{free_port()}", log) as server:
        yield server


@pytest.fixture(scope="module")
def online(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The web server in front of the real Rasa and action server."""
    log = tmp_path_factory.mktemp("web") / "web.log"
    with web_server(servers.rasa_url, log, servers.env) as server:
        yield server


BROKEN = {
    "stil": [],  # an action failed and Rasa said nothing
    "ik wil niet meer leven": [],
    "kapot": (500, "Internal Server Error"),
    "geen json": (200, "<html>not json</html>"),
    "verkeerde vorm": (200, '{"text": "a dict, not a list"}'),
}


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The web server in front of a stand-in Rasa that answers badly on purpose."""
    rasa = ScriptedRasa(BROKEN).start()
    log = tmp_path_factory.mktemp("web") / "web.log"
    try:
        with web_server(rasa.url, log) as server:
            yield server
    finally:
        assert rasa.server is not None
        rasa.server.stop()


def conversation_id() -> str:
    return uuid.uuid4().hex


def post_chat(server: WebServer, body: Any) -> requests.Response:
    return requests.post(f"{server.url}/api/chat", json=body, timeout=90)


def assert_refused(response: requests.Response, status: int, error: str) -> Dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["error"] == error
    assert isinstance(data["reason"], str) and len(data["reason"]) > 10
    return data


# ---- the server starts the way the Procfile starts it ----

def test_prints_where_the_chat_is(offline: WebServer) -> None:
    assert f"Lichtpunt chat: http://localhost:{offline.port}" in offline.output()


# ---- bad input ----

@pytest.mark.parametrize(
    "raw",
    [b"{bad", b"", b"{\"message\": ", b"\xff\xfe\x00", b"NaN-ish", b"[" * 60_000],
    ids=["broken", "empty", "cut-off", "not-utf8", "not-json", "deeply-nested"],
)
def test_malformed_json_is_400(offline: WebServer, raw: bytes) -> None:
    response = requests.post(
        f"{offline.url}/api/chat", data=raw, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert_refused(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [[], ["hallo"], "hallo", 42, True])
def test_json_that_is_not_an_object_is_400(offline: WebServer, body: Any) -> None:
    assert_refused(post_chat(offline, body), 400, "not_an_object")


@pytest.mark.parametrize("message", ["", "   ", "\n\t  \n", None])
def test_empty_or_whitespace_message_is_400_with_a_reason(offline: WebServer, message: Any) -> None:
    body: Dict[str, Any] = {"conversation_id": conversation_id()}
    if message is not None:
        body["message"] = message
    data = assert_refused(post_chat(offline, body), 400, "empty_message")
    assert "leeg" in data["reason"]


def test_empty_message_reason_follows_the_language(offline: WebServer) -> None:
    data = assert_refused(
        post_chat(offline, {"conversation_id": conversation_id(), "message": " ", "language": "en-GB"}),
        400,
        "empty_message",
    )
    assert "empty" in data["reason"]


@pytest.mark.parametrize("message", [42, ["hallo"], {"text": "hallo"}, True])
def test_message_that_is_not_text_is_400(offline: WebServer, message: Any) -> None:
    assert_refused(post_chat(offline, {"conversation_id": conversation_id(), "message": message}), 400, "not_text")


def test_too_long_message_is_413_with_a_reason(offline: WebServer) -> None:
    body = {"conversation_id": conversation_id(), "message": "a" * (MAX_MESSAGE_CHARS + 1)}
    data = assert_refused(post_chat(offline, body), 413, "message_too_long")
    assert str(MAX_MESSAGE_CHARS) in data["reason"]


def test_message_at_the_limit_is_accepted(offline: WebServer) -> None:
    """Exactly the limit passes the checks (and then meets the missing Rasa: 503, not 413)."""
    body = {"conversation_id": conversation_id(), "message": "a" * MAX_MESSAGE_CHARS}
    assert post_chat(offline, body).status_code == 503


def test_huge_body_is_413_not_500(offline: WebServer) -> None:
    body = {"conversation_id": conversation_id(), "message": "a" * 200_000}
    assert_refused(post_chat(offline, body), 413, "body_too_large")


@pytest.mark.parametrize(
    "bad_id", [None, "", "short", "a b c d e f g h", "../../etc/passwd", "x" * 65, 12345678, ["abcdefgh"], "abcdefgh12\n"]
)
def test_bad_conversation_id_is_400(offline: WebServer, bad_id: Any) -> None:
    body: Dict[str, Any] = {"message": "hallo"}
    if bad_id is not None:
        body["conversation_id"] = bad_id
    assert_refused(post_chat(offline, body), 400, "bad_conversation_id")


@pytest.mark.parametrize("payload", ["hallo", "<script>alert(1)</script>", "/greet\n/crisis", "/affirm\n", "/", 7, "/x{" + "a" * 300 + "}"])
def test_bad_button_payload_is_400(offline: WebServer, payload: Any) -> None:
    assert_refused(post_chat(offline, {"conversation_id": conversation_id(), "payload": payload}), 400, "bad_payload")


def test_message_and_payload_together_is_400(offline: WebServer) -> None:
    body = {"conversation_id": conversation_id(), "message": "hoi", "payload": "/greet"}
    assert_refused(post_chat(offline, body), 400, "message_and_payload")


def test_rasa_unreachable_is_503_with_a_kind_reason(offline: WebServer) -> None:
    nl = assert_refused(post_chat(offline, {"conversation_id": conversation_id(), "message": "hallo"}), 503, "rasa_unavailable")
    assert "niet verloren" in nl["reason"]
    en = assert_refused(
        post_chat(offline, {"conversation_id": conversation_id(), "message": "hello", "language": "en"}),
        503,
        "rasa_unavailable",
    )
    assert "isn't lost" in en["reason"]


def test_a_lone_surrogate_is_cleaned_not_a_500(online: WebServer) -> None:
    body = '{"conversation_id": "%s", "message": "hallo \\ud800", "language": "nl"}' % conversation_id()
    response = requests.post(f"{online.url}/api/chat", data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["messages"], "the conversation goes on"


@pytest.mark.parametrize("message", ["stil", "kapot", "geen json", "verkeerde vorm"])
def test_a_silent_or_broken_rasa_gets_a_kind_503_never_an_empty_200(scripted: WebServer, message: str) -> None:
    data = assert_refused(post_chat(scripted, {"conversation_id": conversation_id(), "message": message}), 503, "rasa_unavailable")
    assert data["reason"] == content.channel_text("web", "rasa_unavailable", "nl")


def test_a_silent_rasa_still_answers_crisis_language(scripted: WebServer) -> None:
    response = post_chat(scripted, {"conversation_id": conversation_id(), "message": "ik wil niet meer leven"})
    assert response.status_code == 200
    assert response.json()["messages"] == [{"text": crisis_reply("ik wil niet meer leven", "nl")}]


def test_rasa_down_still_answers_crisis_language_with_the_helplines(offline: WebServer) -> None:
    for message, language in (("ik wil dood", "nl"), ("I want to kill myself", "en")):
        response = post_chat(offline, {"conversation_id": conversation_id(), "message": message, "language": language})
        assert response.status_code == 200
        assert response.json()["messages"] == [{"text": crisis_reply(message, language)}]
    assert content.helplines()["crisis"]["chat_url"] in crisis_reply("I want to kill myself", "en")


# ---- routes ----

def test_unknown_api_route_is_json_404(offline: WebServer) -> None:
    response = requests.get(f"{offline.url}/api/does-not-exist", timeout=10)
    assert_refused(response, 404, "not_found")


def test_unknown_page_is_404(offline: WebServer) -> None:
    assert requests.get(f"{offline.url}/no/such/page", timeout=10).status_code == 404


def test_get_on_chat_is_405_not_500(offline: WebServer) -> None:
    assert_refused(requests.get(f"{offline.url}/api/chat", timeout=10), 405, "method_not_allowed")


def test_helplines_come_from_the_content_file(offline: WebServer) -> None:
    response = requests.get(f"{offline.url}/api/helplines", timeout=10)
    assert response.status_code == 200
    assert response.json() == helplines()
    expected = helplines()
    for number in (expected["crisis"]["phone"], expected["crisis"]["phone_free"], expected["listening"]["phone"]):
        assert number in response.text


def test_widget_files_are_served_with_their_types(offline: WebServer) -> None:
    script = requests.get(f"{offline.url}/widget.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "customElements.define" in script.text
    style = requests.get(f"{offline.url}/widget.css", timeout=10)
    assert style.status_code == 200 and style.headers["Content-Type"].startswith("text/css")


def test_demo_page_has_the_one_line_embed(offline: WebServer) -> None:
    page = requests.get(f"{offline.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<script src="/widget.js"' in page.text
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_widget_code_never_uses_html_strings() -> None:
    source = (Path(__file__).resolve().parent.parent / "bot" / "channels" / "web_static" / "widget.js").read_text()
    for dangerous in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert dangerous not in source


def test_helpline_numbers_are_not_hard_coded_in_the_static_files() -> None:
    static = Path(__file__).resolve().parent.parent / "bot" / "channels" / "web_static"
    lines = helplines()
    numbers = [lines["crisis"]["phone_free"], lines["listening"]["phone"], lines["emergency"]["phone"]]
    for path in static.iterdir():
        content = path.read_text(encoding="utf-8")
        for number in numbers:
            assert number not in content, f"{path.name} hard-codes {number}; it belongs in helplines.yml"


def test_cors_preflight_for_widgets_on_other_sites(offline: WebServer) -> None:
    response = requests.options(
        f"{offline.url}/api/chat",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


# ---- what goes to Rasa ----

@pytest.mark.parametrize(
    "typed, sent",
    [
        ("hallo", "hallo"),
        ("  ik voel me eenzaam \n", "ik voel me eenzaam"),
        ("/vergeet", "/delete_my_data"),
        ("/Taal", "/switch_language"),
        ("/help", "/ask_help"),
        ("/forget", "/delete_my_data"),
        ("/onbekend", "onbekend"),
        ("/hulp bij iets", "hulp bij iets"),
        ("//crisis", "crisis"),
        ("/\t/crisis", "crisis"),
        ("/\n/delete_my_data", "delete_my_data"),
        ('/\xa0/greet{"x": 1}', 'greet{"x": 1}'),
        ("/help I want to kill myself", "I want to kill myself"),
        ("/help\nik wil niet meer leven", "ik wil niet meer leven"),
        ("/help ik voel me vandaag zo alleen", "ik voel me vandaag zo alleen"),
        ("/oefening graag", "/request_exercise"),
        ("/taal en", '/switch_language{"language": "en"}'),
        ('/switch_language{"language": "en"}', 'switch_language{"language": "en"}'),
    ],
)
def test_typed_slash_text_never_reaches_rasa_as_a_raw_intent(typed: str, sent: str) -> None:
    assert rasa_text({"message": typed}) == sent


def test_only_what_the_widget_shows_is_passed_on() -> None:
    reply = {"recipient_id": "web:x", "text": "Hoi", "buttons": [{"title": "Ja", "payload": "/affirm"}, {"title": 1}],
             "image": "javascript:alert(1)", "custom": {"x": 1}}
    assert reply_for_widget(reply) == {"text": "Hoi", "buttons": [{"title": "Ja", "payload": "/affirm"}]}
    assert reply_for_widget({"image": "https://example.org/chart.png"}) == {"image": "https://example.org/chart.png"}
    assert reply_for_widget({"custom": {"x": 1}}) is None
    assert reply_for_widget("not a dict") is None


def test_an_offered_button_payload_is_passed_as_it_is() -> None:
    memory = OfferedPayloads()
    memory.remember("c1", [{"text": "Vraag", "buttons": [{"title": "Allebei", "payload": "/answer_both"}]}])
    assert rasa_text({"payload": "/answer_both"}, memory.offered("c1")) == "/answer_both"
    assert rasa_text({"payload": '/switch_language{"language": "en"}'}, memory.offered("c1")) == '/switch_language{"language": "en"}'
    assert rasa_text({"payload": "/greet"}, memory.offered("c1")) == "/greet"


@pytest.mark.parametrize("forged, sent", [("/crisis", "crisis"), ("/answer_both", "answer_both"), ('/greet{"a": 1}', 'greet{"a": 1}')])
def test_a_payload_nobody_offered_goes_as_words_not_as_an_intent(forged: str, sent: str) -> None:
    memory = OfferedPayloads()
    memory.remember("c1", [{"text": "Vraag", "buttons": [{"title": "Ja", "payload": "/affirm"}]}])
    assert rasa_text({"payload": forged}, memory.offered("c1")) == sent
    assert rasa_text({"payload": forged}, memory.offered("another conversation")) == sent


def test_the_payload_memory_is_bounded() -> None:
    memory = OfferedPayloads(limit=2)
    for name in ("a", "b", "c"):
        memory.remember(name, [{"buttons": [{"title": "x", "payload": f"/{name}"}]}])
    assert "/a" not in memory.offered("a") and "/c" in memory.offered("c")


def test_only_a_slash_is_empty() -> None:
    with pytest.raises(BadRequest) as refused:
        rasa_text({"message": " / "})
    assert refused.value.code == "empty_message"


# ---- the happy path, against the real bot ----

def test_chat_reaches_the_real_bot(online: WebServer, servers: Servers) -> None:
    conversation = conversation_id()
    response = post_chat(online, {"conversation_id": conversation, "message": "ik voel me eenzaam", "language": "nl"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["conversation_id"] == conversation
    assert data["messages"][0]["text"] == domain_response("utter_acknowledge_loneliness")["text"]
    shown = [button for message in data["messages"] for button in message.get("buttons", [])]
    assert shown == domain_response("utter_ask_loneliness_kind")["buttons"]

    answer = post_chat(online, {"conversation_id": conversation, "payload": "/answer_both", "language": "nl"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["messages"][0]["text"] == domain_response("utter_lonely_both")["text"]


def test_sender_and_language_metadata_reach_the_bot(online: WebServer, servers: Servers) -> None:
    """Rasa gets the conversation as sender "web:<conversation id>", with the widget's channel and language."""
    conversation = conversation_id()
    response = post_chat(online, {"conversation_id": conversation, "payload": "/greet", "language": "en-GB"})
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["text"] == domain_response("utter_greet", language="en")["text"]
    tracker = requests.get(f"{servers.rasa_url}/conversations/web:{conversation}/tracker",
                           params={"token": servers.token}, timeout=10).json()
    user_events = [event for event in tracker["events"] if event["event"] == "user"]
    assert len(user_events) == 1
    assert {k: user_events[0]["metadata"][k] for k in ("channel", "language")} == {"channel": "web", "language": "en"}


def test_slash_command_becomes_its_intent(online: WebServer) -> None:
    response = post_chat(online, {"conversation_id": conversation_id(), "message": "/help", "language": "nl"})
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["text"].startswith("Ik ben een chatbot.")


def test_unknown_slash_command_still_gets_an_answer(online: WebServer) -> None:
    response = post_chat(online, {"conversation_id": conversation_id(), "message": "/blabla", "language": "nl"})
    assert response.status_code == 200, response.text
    assert response.json()["messages"], "the bot should answer something kind, not nothing"


# ---- rate limits (in process, with a clock the test turns; the echoing stand-in for Rasa answers) ----

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def echo_rasa() -> Iterator[ScriptedRasa]:
    rasa = ScriptedRasa({}).start()  # answers "echo: <message>"
    yield rasa
    assert rasa.server is not None
    rasa.server.stop()


@asynccontextmanager
async def limited(rasa: ScriptedRasa, clock: Clock, per_conversation: float = 3, per_ip: float = 100,
                  trusted_proxy: bool = False) -> AsyncIterator[TestClient]:
    """The web app with small limits, through aiohttp's test client (every request comes from 127.0.0.1)."""
    engine = db._default_engine  # the app makes one for the organiser pages (unused here): leave none behind
    client = TestClient(TestServer(create_app(rasa.url, RateLimits(per_conversation, per_ip, trusted_proxy, clock))))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        if db._default_engine is not engine and db._default_engine is not None:
            db._default_engine.dispose()
        db._default_engine = engine


async def say(client: TestClient, conversation: str, message: str, language: str = "nl", **headers: str) -> Any:
    response = await client.post("/api/chat", json={"conversation_id": conversation, "message": message,
                                                     "language": language}, headers=headers)
    return response.status, dict(response.headers), await response.json()


def assert_limited(answer: Any, retry_after: int, language: str = "nl") -> None:
    status, headers, data = answer
    assert status == 429, data
    assert headers["Retry-After"] == str(retry_after)
    assert data == {"error": "rate_limited", "reason": content.channel_text("web", "rate_limited", language)}


async def test_the_message_after_the_limit_is_429_with_retry_after_and_a_reason(echo_rasa: ScriptedRasa) -> None:
    async with limited(echo_rasa, Clock(), per_conversation=3) as client:
        conversation = conversation_id()
        for turn in range(3):
            status, _, data = await say(client, conversation, f"bericht {turn}")
            assert status == 200 and data["messages"] == [{"text": f"echo: bericht {turn}"}]
        assert_limited(await say(client, conversation, "nog een"), retry_after=20)  # 3 a minute: one per 20 s
        assert_limited(await say(client, conversation, "one more", language="en"), retry_after=20, language="en")
    assert not any(body["message"] in ("nog een", "one more") for body in echo_rasa.received), "refused means not sent"


async def test_another_conversation_is_not_affected(echo_rasa: ScriptedRasa) -> None:
    async with limited(echo_rasa, Clock(), per_conversation=2) as client:
        busy, quiet = conversation_id(), conversation_id()
        for _ in range(2):
            assert (await say(client, busy, "hoi"))[0] == 200
        assert (await say(client, busy, "hoi"))[0] == 429
        assert (await say(client, quiet, "hoi"))[0] == 200


async def test_the_ip_limit_counts_across_conversations(echo_rasa: ScriptedRasa) -> None:
    async with limited(echo_rasa, Clock(), per_conversation=100, per_ip=4) as client:
        for _ in range(4):
            assert (await say(client, conversation_id(), "hoi"))[0] == 200
        assert_limited(await say(client, conversation_id(), "hoi"), retry_after=15)
        # X-Forwarded-For is written by the client here: not trusted unless WEB_TRUSTED_PROXY says so
        assert (await say(client, conversation_id(), "hoi", **{"X-Forwarded-For": "203.0.113.9"}))[0] == 429


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(echo_rasa: ScriptedRasa) -> None:
    async with limited(echo_rasa, Clock(), per_conversation=100, per_ip=1, trusted_proxy=True) as client:
        first = {"X-Forwarded-For": "198.51.100.1, 203.0.113.1"}  # the proxy appended the last one
        assert (await say(client, conversation_id(), "hoi", **first))[0] == 200
        assert (await say(client, conversation_id(), "hoi", **{"X-Forwarded-For": "198.51.100.1, 203.0.113.1"}))[0] == 429
        assert (await say(client, conversation_id(), "hoi", **{"X-Forwarded-For": "203.0.113.2"}))[0] == 200


async def test_after_the_wait_a_message_is_accepted_again(echo_rasa: ScriptedRasa) -> None:
    clock = Clock()
    async with limited(echo_rasa, clock, per_conversation=3) as client:
        conversation = conversation_id()
        for _ in range(3):
            assert (await say(client, conversation, "hoi"))[0] == 200
        assert_limited(await say(client, conversation, "hoi"), retry_after=20)
        clock.now += 15
        assert_limited(await say(client, conversation, "hoi"), retry_after=5)  # refused messages cost nothing
        clock.now += 5
        status, _, data = await say(client, conversation, "weer terug")
        assert status == 200 and data["messages"] == [{"text": "echo: weer terug"}]
        assert (await say(client, conversation, "hoi"))[0] == 429, "one message back per 20 s, not the whole minute"
        clock.now += 60
        for _ in range(3):
            assert (await say(client, conversation, "hoi"))[0] == 200


@pytest.mark.parametrize("message, language", [("ik wil niet meer leven", "nl"), ("I want to kill myself", "en")])
async def test_crisis_language_over_the_limit_still_gets_the_helplines(
    echo_rasa: ScriptedRasa, message: str, language: str
) -> None:
    async with limited(echo_rasa, Clock(), per_conversation=1, per_ip=2) as client:
        conversation = conversation_id()
        assert (await say(client, conversation, "hoi", language))[0] == 200
        assert (await say(client, conversation, "hoi", language))[0] == 429
        status, _, data = await say(client, conversation, message, language)
        assert status == 200, data
        assert data["messages"] == [{"text": crisis_reply(message, language)}]
        assert content.helplines()["crisis"]["phone_free"] in data["messages"][0]["text"]
        assert (await say(client, conversation_id(), "hoi", language))[0] == 200  # the second of the IP's two
        status, _, data = await say(client, conversation_id(), message, language)  # the IP is over its limit too
        assert status == 200 and data["messages"] == [{"text": crisis_reply(message, language)}]


def test_the_limiter_forgets_the_longest_unused_keys() -> None:
    clock = Clock()
    limit = RateLimit(1, clock, max_keys=2)
    for key in ("a", "b", "c"):
        limit.take(key)
    assert limit.wait("a") == 0 and limit.wait("c") == pytest.approx(60)
    assert len(limit._buckets) == 2


def test_the_limits_come_from_the_settings(tmp_path: Path) -> None:
    """WEB_RATE_PER_CONVERSATION reaches the server process: Rasa is down (503) but each try counts."""
    env = {**os.environ, "WEB_RATE_PER_CONVERSATION": "2"}
    with web_server(f"http://127.0.0.1:{free_port()}", tmp_path / "web.log", env) as server:
        conversation = conversation_id()
        for _ in range(2):
            assert post_chat(server, {"conversation_id": conversation, "message": "hallo"}).status_code == 503
        response = post_chat(server, {"conversation_id": conversation, "message": "hallo"})
        assert_refused(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Access-Control-Expose-Headers"] == "Retry-After"  # the widget may live elsewhere
        crisis = post_chat(server, {"conversation_id": conversation, "message": "ik wil dood"})
        assert crisis.status_code == 200 and crisis.json()["messages"] == [{"text": crisis_reply("ik wil dood", "nl")}]


def test_my_data_is_a_download_link_that_gives_the_json_file(online: WebServer) -> None:
    conversation = conversation_id()
    first = post_chat(online, {"conversation_id": conversation, "message": "ik voel me vaak alleen", "language": "nl"})
    answered = len(first.json()["messages"])
    replies = post_chat(online, {"conversation_id": conversation, "message": "/mijngegevens", "language": "nl"}).json()["messages"]
    # what was said before this turn: the person's message and the bot's answers (this turn is saved after it)
    assert replies[0]["text"] == content.message("export_no_profile", "nl", messages=1 + answered)
    offered = replies[-1]["download"]
    assert offered["url"].startswith("api/download/") and offered["filename"].endswith(".json")
    response = requests.get(f"{online.url}/{offered['url']}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{offered["filename"]}"'
    record = response.json()
    assert record["profile"] is None
    assert record["conversation"][0] == {**record["conversation"][0], "from": "you", "text": "ik voel me vaak alleen"}


@pytest.mark.parametrize("token", ["x" * 30, "short", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "a" * 65])
def test_an_unknown_or_malformed_download_link_is_404_with_a_reason(offline: WebServer, token: str) -> None:
    response = requests.get(f"{offline.url}/api/download/{token}", timeout=30)
    assert_refused(response, 404, "download_gone")


def test_logs_hold_no_message_texts_or_contact_details(online: WebServer, servers: Servers) -> None:
    """What people write stays out of every log at INFO: Rasa's, the action server's and the web server's."""
    conversation, secret = conversation_id(), f"mijn geheim {uuid.uuid4().hex[:12]}"
    post_chat(online, {"conversation_id": conversation, "message": f"ik voel me alleen, {secret}", "language": "nl"})
    post_chat(online, {"conversation_id": conversation, "message": "mijn mail is geheim.adres@example.nl", "language": "nl"})
    post_chat(online, {"conversation_id": conversation, "message": "/mijngegevens", "language": "nl"})
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in servers.var_dir.glob("*.log")}
    logs["web.log"] = online.output()
    assert {"rasa.log", "actions.log", "web.log"} <= set(logs)
    for name, text in logs.items():
        assert secret.split()[-1] not in text and "geheim.adres" not in text, name
