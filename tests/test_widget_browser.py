"""The chat widget in a real browser (Debian's chromium, driven by Playwright) against the real bot.

Chromium comes from apt (scripts/ensure_chromium.sh), never from `playwright install`. Without it these tests
skip on a laptop and fail in CI (CI=true).
"""
from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot.content import helplines
from bot.storage import UserStore, make_engine, session_scope
from bot.storage.models import WebInbox
from tests.conftest import IN_CI, ROOT, Servers, domain_response, first_sentence
from tests.webserver import WebServer, start_web_server, stop_web_server, web_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
BOT_REPLY_MS = 60_000  # one bot turn, generous for a busy 2-core machine
UI_MS = 10_000  # anything the widget does on its own

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def first_line(name: str, language: str = "nl") -> str:
    """The first sentence of a response, as the bot says it."""
    variant = next(v for v in RESPONSES[name] if ("condition" in v) == (language == "en"))
    return variant["text"].split("\n")[0].split(". ")[0]


GREETING = first_line("utter_greet")
GREETING_EN = first_line("utter_greet", "en")
ACKNOWLEDGEMENT = first_sentence("utter_acknowledge_loneliness")
BOTH_ANSWER = first_sentence("utter_lonely_both")


@pytest.fixture(scope="session", autouse=True)
def chromium_installed() -> None:
    """Checked before the bot starts, so a missing browser costs no time."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def web(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    log = tmp_path_factory.mktemp("web") / "web.log"
    with web_server(servers.rasa_url, log, servers.env) as server:
        yield server


def new_page(browser: Browser, errors: List[str], width: int = 1280, height: int = 800, locale: str = "nl-NL") -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) with a Dutch browser; fails on any script error."""
    errors: List[str] = []
    page = new_page(browser, errors)
    yield page
    page.context.close()
    assert not errors, f"script errors on the page: {errors}"


def bot_says(page: Page, text: str) -> Locator:
    return page.locator(".lp-log .lp-bot").filter(has_text=text)


def open_chat(page: Page, url: str, label: str = "Open de chat met Lichtpunt") -> None:
    page.goto(url)
    page.get_by_role("button", name=label).click()
    expect(page.get_by_role("dialog")).to_be_visible(timeout=UI_MS)


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def wait_until_idle(page: Page) -> None:
    expect(page.locator(".lp-typing")).to_be_hidden(timeout=BOT_REPLY_MS)


def settle(page: Page) -> None:
    """No request in flight and no typing indicator: the conversation has stopped moving."""
    page.wait_for_load_state("networkidle", timeout=BOT_REPLY_MS)
    wait_until_idle(page)


def visible_on_top(page: Page, name: str) -> bool:
    """The button is what a person sees at its centre (not covered, not off-screen)."""
    box = page.get_by_role("button", name=name, exact=True).bounding_box()
    if not box:
        return False
    return page.evaluate(
        """([x, y, name]) => {
            const host = document.querySelector('lichtpunt-chat');
            const el = (host && host.shadowRoot ? host.shadowRoot : document).elementFromPoint(x, y);
            const button = el && el.closest('button');
            return !!button && (button.getAttribute('aria-label') || button.textContent).trim() === name;
        }""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, name],
    )


def active_in_widget(page: Page) -> str:
    """What has focus inside the widget: 'launcher', 'input', another class name, or '' when outside."""
    return page.evaluate(
        """() => {
            const host = document.querySelector('lichtpunt-chat');
            const el = host && host.shadowRoot && host.shadowRoot.activeElement;
            if (!el) return '';
            if (el.classList.contains('lp-launcher')) return 'launcher';
            if (el.id === 'lp-input') return 'input';
            return el.className || el.tagName.toLowerCase();
        }"""
    )


# ---- the conversation ----

def test_loneliness_acknowledged_and_quick_reply_answered(page: Page, web: WebServer) -> None:
    open_chat(page, web.url)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)

    send(page, "ik voel me eenzaam")
    expect(page.locator(".lp-user").filter(has_text="ik voel me eenzaam")).to_be_visible(timeout=UI_MS)
    expect(bot_says(page, ACKNOWLEDGEMENT)).to_be_visible(timeout=BOT_REPLY_MS)
    # The acknowledgement lands in the live region screen readers follow.
    expect(page.get_by_role("log").get_by_text(ACKNOWLEDGEMENT)).to_be_visible()

    both = page.get_by_role("button", name="Allebei", exact=True)
    expect(both).to_be_visible(timeout=BOT_REPLY_MS)
    assert both.evaluate("el => el.tagName") == "BUTTON"
    both.click()
    expect(page.locator(".lp-user").filter(has_text="Allebei")).to_be_visible(timeout=UI_MS)
    expect(bot_says(page, BOTH_ANSWER)).to_be_visible(timeout=BOT_REPLY_MS)
    # Once answered, the old quick replies are gone.
    expect(page.get_by_role("button", name=domain_response("utter_ask_loneliness_kind")["buttons"][1]["title"])).to_have_count(0)


def test_html_from_the_user_is_shown_as_text(page: Page, web: WebServer) -> None:
    payload = '<img src=x onerror="window.__xss=1">'
    open_chat(page, web.url)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    send(page, payload)
    bubble = page.locator(".lp-user .lp-text").last
    expect(bubble).to_have_text(payload, timeout=UI_MS)
    wait_until_idle(page)
    expect(page.locator(".lp-bot").nth(1)).to_be_visible(timeout=BOT_REPLY_MS)  # the bot answered something
    page.wait_for_timeout(300)  # a broken image would fire onerror by now
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0


def test_keyboard_only(page: Page, web: WebServer) -> None:
    page.goto(web.url)
    for _ in range(30):
        page.keyboard.press("Tab")
        if active_in_widget(page) == "launcher":
            break
    assert active_in_widget(page) == "launcher", "Tab never reached the chat launcher"

    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible(timeout=UI_MS)
    assert active_in_widget(page) == "input", "opening the chat should put the focus in the message box"
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)

    page.keyboard.type("ik voel me eenzaam")
    page.keyboard.press("Enter")
    expect(bot_says(page, ACKNOWLEDGEMENT)).to_be_visible(timeout=BOT_REPLY_MS)
    expect(page.get_by_role("button", name="Allebei", exact=True)).to_be_visible(timeout=BOT_REPLY_MS)
    wait_until_idle(page)

    # Quick replies work from the keyboard too: Shift+Tab from the box reaches them, Enter picks one.
    assert active_in_widget(page) == "input"
    focused_text = "() => document.querySelector('lichtpunt-chat').shadowRoot.activeElement?.textContent"
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(focused_text) == "Allebei":
            break
    assert page.evaluate(focused_text) == "Allebei", "Shift+Tab from the message box never reached the quick replies"
    page.keyboard.press("Enter")
    expect(bot_says(page, BOTH_ANSWER)).to_be_visible(timeout=BOT_REPLY_MS)

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden(timeout=UI_MS)
    assert active_in_widget(page) == "launcher", "closing the chat should give the focus back to the launcher"


def test_help_link_shows_the_numbers_from_the_content_file(page: Page, web: WebServer) -> None:
    lines = helplines()
    page.goto(web.url)
    page.get_by_role("button", name="Hulp nodig?").click()  # visible even while the chat is closed
    help_panel = page.locator("#lp-help")
    expect(help_panel).to_be_visible(timeout=UI_MS)
    for number in (lines["crisis"]["phone"], lines["crisis"]["phone_free"], lines["emergency"]["phone"], lines["listening"]["phone"]):
        expect(help_panel).to_contain_text(number, timeout=UI_MS)
    free = lines["crisis"]["phone_free"]
    expect(help_panel.get_by_role("link", name=free)).to_have_attribute("href", "tel:" + re.sub(r"[^0-9+]", "", free))
    # Escape closes the help first, then the chat.
    page.keyboard.press("Escape")
    expect(help_panel).to_be_hidden(timeout=UI_MS)
    expect(page.get_by_role("button", name="Hulp nodig?", expanded=False)).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden(timeout=UI_MS)


def test_language_switch_changes_widget_page_and_bot(browser: Browser, web: WebServer) -> None:
    errors: List[str] = []
    page = new_page(browser, errors, locale="en-GB")
    try:
        open_chat(page, web.url, label="Open the chat with Lichtpunt")  # English from navigator.language
        expect(bot_says(page, GREETING_EN)).to_be_visible(timeout=BOT_REPLY_MS)
        expect(page.get_by_role("button", name="Send your message")).to_be_visible()

        page.get_by_role("dialog").get_by_role("button", name="Nederlands", exact=True).click()
        expect(bot_says(page, "Prima, we praten Nederlands.")).to_be_visible(timeout=BOT_REPLY_MS)
        expect(page.get_by_role("button", name="Verstuur je bericht")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Even praten over eenzaamheid")
        assert page.evaluate("localStorage.getItem('lichtpunt.language')") == "nl"
    finally:
        page.context.close()
    assert not errors, errors


def test_conversation_survives_a_reload_and_start_over_begins_anew(page: Page, web: WebServer) -> None:
    open_chat(page, web.url)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    first_id = page.evaluate("localStorage.getItem('lichtpunt.conversation')")
    assert re.fullmatch(r"[0-9a-f]{32}", first_id)

    page.reload()
    assert page.evaluate("localStorage.getItem('lichtpunt.conversation')") == first_id
    page.get_by_role("button", name="Open de chat met Lichtpunt").click()
    expect(bot_says(page, GREETING)).to_be_visible(timeout=UI_MS)
    settle(page)  # a second greeting, if the widget asked again, would have arrived by now
    expect(bot_says(page, GREETING)).to_have_count(1)  # shown again, not asked again

    page.get_by_role("button", name="Opnieuw beginnen met een nieuw gesprek").click()
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    settle(page)
    expect(bot_says(page, GREETING)).to_have_count(1)
    assert page.evaluate("localStorage.getItem('lichtpunt.conversation')") != first_id


def test_a_scheduled_message_waits_in_the_inbox_and_is_shown_once(page: Page, web: WebServer, servers: Servers) -> None:
    """The dispatcher put today's exercise in this conversation's inbox: the widget shows it when opened,
    once, also after a reload, and its button works."""
    open_chat(page, web.url)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    settle(page)
    conversation = page.evaluate("localStorage.getItem('lichtpunt.conversation')")
    engine = make_engine(servers.app_database_url)
    user = UserStore(engine).record_consent("web", conversation)
    waiting = [{"text": "Je oefening van vandaag: Even genieten (3 min)",
                "buttons": [{"title": "Later", "payload": "/exercise_later"}]}]
    with session_scope(engine) as session:
        session.add(WebInbox(user_id=user.id, messages=waiting))
    engine.dispose()

    page.get_by_role("button", name="Sluit de chat").click()
    page.get_by_role("button", name="Open de chat met Lichtpunt").click()
    expect(bot_says(page, "Je oefening van vandaag")).to_be_visible(timeout=UI_MS)
    page.reload()
    page.get_by_role("button", name="Open de chat met Lichtpunt").click()
    expect(bot_says(page, "Je oefening van vandaag")).to_be_visible(timeout=UI_MS)
    settle(page)
    expect(bot_says(page, "Je oefening van vandaag")).to_have_count(1)
    page.get_by_role("button", name="Later", exact=True).click()
    expect(bot_says(page, first_line("utter_exercise_later"))).to_be_visible(timeout=BOT_REPLY_MS)


def test_the_organiser_logs_in_and_changes_a_status_with_the_keyboard(page: Page, servers: Servers, tmp_path: Path) -> None:
    from datetime import date

    from bot.storage.course import CourseStore

    engine = make_engine(servers.app_database_url)
    course = CourseStore(engine)
    group_id = course.add_group(title="Deventer donderdag", place="Deventer", region="74", start_date=date(2027, 4, 1), capacity=9)
    user = UserStore(engine).record_consent("web", "organiser-test-person")
    enrolment_id = course.enrol(user.id, "Noortje", "noortje@example.nl", "web", group_id=group_id)  # not a load test name
    with web_server(servers.rasa_url, tmp_path / "web.log", {**servers.env, "ORGANISER_TOKEN": "geheim-token-123"}) as server:
        page.goto(server.url + "/organiser/")
        expect(page.get_by_role("heading", name="Organisator")).to_be_visible(timeout=UI_MS)
        expect(page.get_by_text("Noortje")).to_have_count(0)  # nothing shown without the token
        page.get_by_label("Organisator-token").fill("geheim-token-123")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=re.compile("Deventer donderdag.*8 van 9 plaatsen vrij"))).to_be_visible(timeout=UI_MS)
        status = page.get_by_label("Status van Noortje")
        status.focus()
        status.select_option("contacted")
        page.keyboard.press("Tab")  # to "Opslaan"
        with page.expect_navigation(timeout=UI_MS):  # saved, then back to the list as the server now has it
            page.keyboard.press("Enter")
        expect(page.get_by_label("Status van Noortje")).to_have_value("contacted", timeout=UI_MS)
    assert course.enrolment(enrolment_id).status == "contacted"
    engine.dispose()


def test_unreachable_server_keeps_the_message_and_offers_a_retry(browser: Browser, servers: Servers, tmp_path: Path) -> None:
    errors: List[str] = []
    server = start_web_server(servers.rasa_url, tmp_path / "web.log", servers.env)
    page = new_page(browser, errors)
    try:
        open_chat(page, server.url)
        expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)

        stop_web_server(server)
        send(page, "ik voel me eenzaam")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("niet bereikbaar", timeout=BOT_REPLY_MS)
        expect(page.locator(".lp-user.lp-unsent")).to_contain_text("ik voel me eenzaam")
        expect(page.locator(".lp-unsent-note")).to_have_text("Nog niet verstuurd")

        server = start_web_server(servers.rasa_url, tmp_path / "web.log", servers.env, port=server.port)
        alert.get_by_role("button", name="Opnieuw proberen").click()
        expect(bot_says(page, ACKNOWLEDGEMENT)).to_be_visible(timeout=BOT_REPLY_MS)
        expect(alert).to_be_hidden()
        expect(page.locator(".lp-unsent")).to_have_count(0)
    finally:
        page.context.close()
        stop_web_server(server)
    assert not errors, errors


def test_too_long_message_comes_back_into_the_box_with_the_reason(page: Page, web: WebServer) -> None:
    open_chat(page, web.url)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    wait_until_idle(page)
    long_text = "Ik wil veel vertellen. " * 100
    send(page, long_text)
    expect(page.get_by_role("alert")).to_contain_text("te lang", timeout=UI_MS)
    expect(page.get_by_role("textbox")).to_have_value(long_text)
    expect(page.locator(".lp-user")).to_have_count(0)


@pytest.fixture()
def other_site(web: WebServer) -> Iterator[str]:
    """Somebody else's page (another origin) that embeds the widget with one script tag."""
    body = (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Buurthuis</title></head>"
        "<body><h1>Buurthuis De Linde</h1>"
        f"<script src='{web.url}/widget.js' data-server='{web.url}' data-language='nl' defer></script></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server wants
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_one_script_tag_on_another_site(page: Page, other_site: str) -> None:
    """Any page can embed the widget; it talks to our server across origins (CORS)."""
    open_chat(page, other_site)
    expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
    send(page, "ik voel me eenzaam")
    expect(bot_says(page, ACKNOWLEDGEMENT)).to_be_visible(timeout=BOT_REPLY_MS)


def test_images_are_shown_inline_and_only_from_the_web(page: Page, web: WebServer) -> None:
    """Bot images (like the progress chart) render as <img>; other URL schemes never do."""
    page.goto(web.url)
    page.evaluate(
        """() => sessionStorage.setItem('lichtpunt.transcript', JSON.stringify([
            {from: 'bot', text: 'Zo ging je week.', image: '/favicon.svg'},
            {from: 'bot', text: 'Dit niet.', image: 'javascript:window.__xss=1'},
        ]))"""
    )
    page.reload()
    page.get_by_role("button", name="Open de chat met Lichtpunt").click()
    images = page.locator(".lp-log img")
    expect(images).to_have_count(1, timeout=UI_MS)
    assert images.get_attribute("src") == f"{web.url}/favicon.svg"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.element_handle(), timeout=UI_MS)
    expect(bot_says(page, "Dit niet.")).to_be_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_my_data_is_a_download_link_to_the_json_file_and_only_ours(page: Page, web: WebServer) -> None:
    open_chat(page, web.url)
    send(page, "/mijngegevens")
    link = page.locator(".lp-log a.lp-download")
    expect(link).to_have_count(1, timeout=BOT_REPLY_MS)
    href = link.get_attribute("href")
    assert re.fullmatch(re.escape(web.url) + r"/api/download/[A-Za-z0-9_-]{16,64}", href), href
    assert link.get_attribute("download").endswith(".json") and link.get_attribute("download") in link.inner_text()
    record = page.request.get(href).json()
    assert record["profile"] is None and record["conversation"][0]["from"] in ("you", "lichtpunt"), record  # the greeting so far
    page.evaluate(  # a link that is not our own server's never becomes a link, even from a tampered transcript
        """() => sessionStorage.setItem('lichtpunt.transcript', JSON.stringify([
            {from: 'bot', text: 'Hier.', download: {url: 'https://example.org/x.json', filename: 'x.json'}},
        ]))"""
    )
    page.reload()
    page.get_by_role("button", name="Open de chat met Lichtpunt").click()
    expect(bot_says(page, "Hier.")).to_be_visible(timeout=UI_MS)
    expect(page.locator(".lp-log a.lp-download")).to_have_count(0)


# ---- small screens and contrast ----

CONTRAST = """
(selectors) => {
  const root = document.querySelector('lichtpunt-chat').shadowRoot;
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement || (el.getRootNode() && el.getRootNode().host)) {
      const value = getComputedStyle(el).backgroundColor;
      const parts = rgb(value);
      if (parts.length < 4 || parts[3] > 0.9) return parts.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const result = {};
  for (const selector of selectors) {
    const el = root.querySelector(selector);
    if (!el) { result[selector] = null; continue; }
    const a = luminance(rgb(getComputedStyle(el).color).slice(0, 3));
    const b = luminance(background(el));
    result[selector] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return result;
}
"""
TEXT_ELEMENTS = [
    ".lp-title", ".lp-subtitle", ".lp-lang-button[aria-pressed='true']", ".lp-lang-button[aria-pressed='false']",
    ".lp-help-toggle", ".lp-restart", ".lp-bot .lp-text", ".lp-user .lp-text", ".lp-reply", ".lp-send", ".lp-input",
]


FINISHED_TRANSITIONS = """
() => Promise.all(document.querySelector('lichtpunt-chat').shadowRoot.getAnimations()
  .filter((animation) => animation.effect && animation.effect.getTiming().iterations !== Infinity)
  .map((animation) => animation.finished.catch(() => null)))
"""


def test_works_at_360px_with_aa_contrast_and_screenshot(browser: Browser, web: WebServer) -> None:
    errors: List[str] = []
    page = new_page(browser, errors, width=360, height=740)
    try:
        page.goto(web.url)
        expect(page.get_by_role("button", name="Open de chat met Lichtpunt")).to_be_visible(timeout=UI_MS)
        page.evaluate(FINISHED_TRANSITIONS)  # colours fade in when the stylesheet arrives: measure what stays
        contrast = page.evaluate(CONTRAST, [".lp-launcher", ".lp-help-pill"])
        page.get_by_role("button", name="Open de chat met Lichtpunt").click()
        expect(bot_says(page, GREETING)).to_be_visible(timeout=BOT_REPLY_MS)
        send(page, "ik voel me eenzaam")
        expect(page.get_by_role("button", name="Allebei", exact=True)).to_be_visible(timeout=BOT_REPLY_MS)
        wait_until_idle(page)

        contrast.update(page.evaluate(CONTRAST, TEXT_ELEMENTS))
        too_low = {selector: ratio for selector, ratio in contrast.items() if ratio is None or ratio < 4.5}
        assert not too_low, f"text below WCAG AA contrast (4.5:1) or missing: {too_low}"

        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways at 360 px"
        panel = page.get_by_role("dialog").bounding_box()
        assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 360
        for name in ("Allebei", "Mensen genoeg, toch alleen", "Verstuur je bericht", "Sluit de chat", "Hulp nodig?"):
            box = page.get_by_role("button", name=name, exact=True).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, f"{name} does not fit at 360 px"

        for name in ("Allebei", "Mensen genoeg, toch alleen", "Verstuur je bericht"):
            assert visible_on_top(page, name), f"{name} is covered or off-screen at 360 px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-360.png"))  # for a person to look at; the checks are above
    finally:
        page.context.close()
    assert not errors, errors
