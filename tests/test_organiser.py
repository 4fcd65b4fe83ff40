"""The organiser's side: the command line (`python -m bot groups|enrolments`) and the /organiser pages."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bot.storage.db as db
from bot.settings import get_settings
from bot.storage import UserStore, make_engine
from bot.storage.course import CourseStore
from tests.conftest import ROOT

BOM = "\ufeff".encode("utf-8")
COLUMNS = ["id", "first_name", "contact", "group_id", "group", "region", "status", "channel", "note",
           "created_at", "updated_at"]


@pytest.fixture
def course(database_url: str) -> Iterator[CourseStore]:
    engine = make_engine(database_url)
    yield CourseStore(engine)
    engine.dispose()


def enrol(store: CourseStore, name: str, contact: str, **values: Any) -> int:
    user = UserStore(store.engine).record_consent(values.pop("channel", "web"), f"{name}-{contact}")
    return store.enrol(user.id, name, contact, "web", **values)


def sample(store: CourseStore) -> Dict[str, int]:
    """A group with two people in it (one with a note a spreadsheet would run), and one person waiting."""
    group = store.add_group(title="Zwolle dinsdag", place="Zwolle, Buurthuis De Kroon", region="80",
                            start_date=date(2027, 2, 2), weekday=1, start_time="19:30", capacity=8)
    return {
        "group": group,
        "zoe": enrol(store, "Zoë", "zoe@example.nl", group_id=group, note="=1+1"),
        "jorg": enrol(store, "Jörg", "+31612345678", group_id=group, note="Graag één keer bellen, ’s avonds"),
        "wim": enrol(store, "Wim", "wim@example.nl", region="35", note="-"),
    }


def stored_rows(store: CourseStore) -> List[Dict[str, str]]:
    """What the database holds, as the organiser's spreadsheet should show it (all text, empty for none)."""
    titles = {group.id: group.title for group in store.groups()}
    rows = []
    for enrolment in store.enrolments():
        row = {key: "" if value is None else str(value) for key, value in enrolment.as_row().items()}
        row["group"] = titles[enrolment.group_id] if enrolment.group_id else "wachtlijst"
        rows.append({column: row[column] for column in COLUMNS})
    return rows


def neutralised(rows: List[Dict[str, str]]) -> List[Dict[str, str]]:
    """The stored rows with each cell a spreadsheet would run as a formula prefixed with a quote."""
    return [{key: "'" + value if value[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"\+[0-9]+", value) else value
             for key, value in row.items()} for row in rows]


# ---- the command line ----

class Cli:
    def __init__(self, database_url: str, var_dir: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": database_url, "LICHTPUNT_VAR_DIR": str(var_dir),
                    "PYTHONIOENCODING": "utf-8"}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=self.env, capture_output=True,
                              timeout=120)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode("utf-8")

    def refused(self, code: int, *args: str) -> str:
        done = self.run(*args)
        stderr = done.stderr.decode("utf-8")
        assert done.returncode == code, (done.stdout, stderr)
        assert "Traceback" not in stderr
        return stderr


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    return Cli(database_url, tmp_path / "var")


def test_groups_add_list_edit_close(cli: Cli, course: CourseStore) -> None:
    added = cli.ok("groups", "add", "--title", "Zwolle dinsdag", "--start", "2027-02-02", "--place",
                   "Zwolle, Buurthuis De Kroon", "--region", "80", "--weekday", "1", "--start-time", "19:30",
                   "--capacity", "8", "--price", "€ 95", "--teacher", "Anja")
    group_id = int(re.fullmatch(r"added group (\d+)\n", added).group(1))
    online = int(cli.ok("groups", "add", "--title", "Online", "--start", "2027-01-10", "--online").split()[-1])
    group = course.group(group_id)
    assert (group.title, group.place, group.region, group.start_date, group.weekday, group.start_time) == (
        "Zwolle dinsdag", "Zwolle, Buurthuis De Kroon", "80", date(2027, 2, 2), 1, "19:30")
    assert (group.capacity, group.price, group.teacher, group.status, group.online) == (8, "€ 95", "Anja", "open", False)
    assert course.group(online).online is True and course.group(online).capacity == 12

    enrol(course, "Zoë", "zoe@example.nl", group_id=group_id)
    listed = cli.ok("groups", "list").splitlines()
    assert len(listed) == 2
    assert "Online" in listed[0]  # the earliest start first
    assert "Zwolle dinsdag" in listed[1] and "7/8" in listed[1] and "open" in listed[1] and "dinsdag 19:30" in listed[1]

    assert cli.ok("groups", "edit", str(group_id), "--capacity", "10", "--place", "Zwolle, De Kroon") == (
        f"group {group_id} changed\n")
    group = course.group(group_id)
    assert (group.capacity, group.place, group.title, group.free) == (10, "Zwolle, De Kroon", "Zwolle dinsdag", 9)

    assert cli.ok("groups", "close", str(group_id)) == f"group {group_id} closed\n"
    assert course.group(group_id).status == "closed"
    assert re.search(rf"^\s*{group_id}\s+closed\s", cli.ok("groups", "list"), re.MULTILINE)


@pytest.mark.parametrize(
    "args, code, says",
    [
        (["groups", "add", "--start", "2027-02-01"], 2, "--title"),
        (["groups", "add", "--title", "Zwolle"], 2, "--start"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-13-01"], 2, "YYYY-MM-DD"),
        (["groups", "add", "--title", "Zwolle", "--start", "1 februari"], 2, "YYYY-MM-DD"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--capacity", "0"], 2, "capacity must be 1-50"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--capacity", "51"], 2, "capacity must be 1-50"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--weekday", "7"], 2, "weekday"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--start-time", "19:30 uur"], 2, "HH:MM"),
        (["groups", "add", "--title", "Z" * 121, "--start", "2027-02-01"], 2, "at most 120"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--capacity", "acht"], 2, "invalid int"),
        (["groups", "add", "--title", "Zwolle", "--start", "2027-02-01", "--status", "vol"], 2, "invalid choice"),
        (["groups", "edit", "--capacity", "8"], 2, "needs the group's id"),
        (["groups", "close"], 2, "needs the group's id"),
        (["groups", "remove", "1"], 2, "invalid choice"),
    ],
)
def test_bad_group_input_is_refused_clearly_and_stores_nothing(cli: Cli, course: CourseStore, args: List[str],
                                                               code: int, says: str) -> None:
    assert says in cli.refused(code, *args)
    assert course.groups() == []


def test_editing_or_closing_a_group_that_does_not_exist(cli: Cli, course: CourseStore) -> None:
    group_id = course.add_group(title="Zwolle", start_date=date(2027, 2, 1), capacity=8)
    missing = str(group_id + 1)
    assert f"there is no group {missing}" in cli.refused(1, "groups", "edit", missing, "--capacity", "9")
    assert f"there is no group {missing}" in cli.refused(1, "groups", "close", missing)
    assert "capacity must be 1-50" in cli.refused(2, "groups", "edit", str(group_id), "--capacity", "0")
    group = course.group(group_id)
    assert (group.capacity, group.status) == (8, "open")
    assert len(course.groups()) == 1


def test_enrolments_export_csv_is_the_stored_rows(cli: Cli, course: CourseStore) -> None:
    sample(course)
    output = cli.run("enrolments", "export", "--format", "csv")
    assert output.returncode == 0, output.stderr.decode()
    assert output.stdout.startswith(BOM)  # so a spreadsheet reads "Zoë" as Zoë
    reader = csv.DictReader(io.StringIO(output.stdout.decode("utf-8-sig"), newline=""))
    assert reader.fieldnames == COLUMNS
    exported = list(reader)
    assert exported == neutralised(stored_rows(course))
    by_name = {row["first_name"]: row for row in exported}
    assert set(by_name) == {"Zoë", "Jörg", "Wim"}
    assert by_name["Zoë"]["note"] == "'=1+1"  # shown as text, never computed
    assert by_name["Jörg"]["note"] == "Graag één keer bellen, ’s avonds"
    assert by_name["Jörg"]["contact"] == "+31612345678"  # a phone number is no formula
    assert by_name["Wim"]["group"] == "wachtlijst" and by_name["Wim"]["region"] == "35"
    assert by_name["Zoë"]["group"] == "Zwolle dinsdag"


def test_enrolments_export_json_show_and_list(cli: Cli, course: CourseStore) -> None:
    ids = sample(course)
    exported = json.loads(cli.ok("enrolments", "export", "--format", "json"))
    expected = [{key: (value or None) for key, value in row.items()} for row in stored_rows(course)]
    for row in expected:
        row["id"] = int(row["id"])
        row["group_id"] = int(row["group_id"]) if row["group_id"] else None
    assert exported == expected  # JSON is for programs: no quotes added to notes
    assert {row["first_name"]: row["note"] for row in exported}["Zoë"] == "=1+1"

    shown = cli.ok("enrolments", "show", str(ids["jorg"]))
    assert f"id: {ids['jorg']}\n" in shown
    assert "first_name: Jörg\n" in shown and "contact: +31612345678\n" in shown
    assert f"group_id: {ids['group']}\n" in shown and "status: new\n" in shown
    assert "no such enrolment" in cli.refused(1, "enrolments", "show", str(max(ids.values()) + 1))

    listed = cli.ok("enrolments", "list").splitlines()
    assert len(listed) == 3
    assert "Zoë" in listed[0] and f"group {ids['group']}" in listed[0]
    assert "Wim" in listed[2] and "waiting list 35" in listed[2]


def test_enrolments_set_status(cli: Cli, course: CourseStore) -> None:
    ids = sample(course)
    assert cli.ok("enrolments", "set-status", str(ids["zoe"]), "contacted") == f"enrolment {ids['zoe']}: contacted\n"
    assert course.enrolment(ids["zoe"]).status == "contacted"
    assert "new, contacted, placed, cancelled" in cli.refused(2, "enrolments", "set-status", str(ids["zoe"]), "gebeld")
    assert "no such enrolment" in cli.refused(1, "enrolments", "set-status", str(max(ids.values()) + 1), "placed")
    assert course.enrolment(ids["zoe"]).status == "contacted"
    cli.ok("enrolments", "set-status", str(ids["wim"]), "cancelled")
    assert course.group(ids["group"]).free == 6  # Wim waited: cancelling him frees no place in the group
    cli.ok("enrolments", "set-status", str(ids["zoe"]), "cancelled")
    assert course.group(ids["group"]).free == 7


def test_export_of_no_enrolments_is_just_the_header(cli: Cli) -> None:
    output = cli.run("enrolments", "export")
    assert output.returncode == 0
    assert output.stdout == BOM + (",".join(COLUMNS) + "\r\n").encode()
    assert json.loads(cli.ok("enrolments", "export", "--format", "json")) == []


# ---- the organiser pages ----

TOKEN = "organiser-secret-1234"


@asynccontextmanager
async def organiser_pages(monkeypatch: pytest.MonkeyPatch, database_url: str, var_dir: Path,
                          token: Optional[str] = TOKEN) -> AsyncIterator[TestClient]:
    """The website app (bot.channels.web.create_app) with these settings, through aiohttp's test client."""
    from bot.channels.web import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LICHTPUNT_VAR_DIR", str(var_dir))
    if token is None:
        monkeypatch.delenv("ORGANISER_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ORGANISER_TOKEN", token)
    monkeypatch.setattr(db, "_default_engine", None)  # restored afterwards
    get_settings.cache_clear()
    client = TestClient(TestServer(create_app(rasa_url="http://127.0.0.1:9")))
    try:
        await client.start_server()
        yield client
    finally:
        await client.close()
        if db._default_engine is not None:
            db._default_engine.dispose()
        get_settings.cache_clear()  # the next reader sees the environment as monkeypatch restores it


@pytest.fixture
async def pages(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> AsyncIterator[TestClient]:
    async with organiser_pages(monkeypatch, database_url, tmp_path / "var") as client:
        yield client


def bearer(token: str = TOKEN) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def assert_shut(response, *secrets: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status == 401
    body = await response.text()
    assert "name='token'" in body  # the login form
    for secret in secrets:
        assert secret not in body
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
    return body


async def test_the_app_answers_when_the_host_header_has_a_port(pages: TestClient) -> None:
    """Browsers send "Host: localhost:8000". With aiohttp 3.9.5 and yarl >= 1.13, building request.url fails then,
    and a mounted sub-app (these pages) makes the router build it: /api/health, /organiser and every unknown path
    answered 500 (aio-libs/aiohttp#9435; Rasa 3.6 keeps aiohttp < 3.10, so yarl must stay < 1.13)."""
    for path, status in (("/api/health", 200), ("/organiser/", 401), ("/nergens", 404)):
        response = await pages.get(path, headers={"Host": f"localhost:{pages.port}"})
        assert response.status == status, path


async def test_without_a_token_the_pages_stay_shut(pages: TestClient, course: CourseStore) -> None:
    ids = sample(course)
    await assert_shut(await pages.get("/organiser/"), "Zoë", "zoe@example.nl", "Zwolle dinsdag")
    await assert_shut(await pages.get("/organiser"), "Zoë")
    csv_response = await pages.get("/organiser/enrolments.csv")
    await assert_shut(csv_response, "zoe@example.nl")
    await assert_shut(await pages.post(f"/organiser/enrolments/{ids['zoe']}/status", data={"status": "placed"}))
    assert course.enrolment(ids["zoe"]).status == "new"


async def test_a_wrong_token_is_refused(pages: TestClient, course: CourseStore) -> None:
    ids = sample(course)
    login = await pages.post("/organiser/login", data={"token": "guess"}, allow_redirects=False)
    body = await assert_shut(login, "Zoë")
    assert "Dat token klopt niet" in body
    assert "Set-Cookie" not in login.headers
    await assert_shut(await pages.get("/organiser/", headers=bearer("guess")), "Zoë")
    await assert_shut(await pages.get("/organiser/", headers=bearer(TOKEN + "x")), "Zoë")
    await assert_shut(await pages.get("/organiser/", headers={"Authorization": TOKEN}), "Zoë")  # no "Bearer "
    await assert_shut(await pages.get("/organiser/", headers={"Cookie": "lichtpunt_organiser=guess"}), "Zoë")
    await assert_shut(await pages.post(f"/organiser/enrolments/{ids['zoe']}/status", data={"status": "placed"},
                                       headers=bearer("guess")))
    assert course.enrolment(ids["zoe"]).status == "new"


async def test_with_no_token_configured_nobody_gets_in(monkeypatch: pytest.MonkeyPatch, database_url: str,
                                                       tmp_path: Path, course: CourseStore) -> None:
    sample(course)
    async with organiser_pages(monkeypatch, database_url, tmp_path / "var", token=None) as client:
        for given in ("", "None", "x"):
            login = await client.post("/organiser/login", data={"token": given}, allow_redirects=False)
            await assert_shut(login, "Zoë")
            assert "Set-Cookie" not in login.headers
        await assert_shut(await client.get("/organiser/", headers={"Authorization": "Bearer "}), "Zoë")
        await assert_shut(await client.get("/organiser/", headers={"Cookie": "lichtpunt_organiser="}), "Zoë")
        await assert_shut(await client.get("/organiser/enrolments.csv", headers=bearer("")), "zoe@example.nl")
    async with organiser_pages(monkeypatch, database_url, tmp_path / "var", token="") as client:
        await assert_shut(await client.get("/organiser/", headers={"Authorization": "Bearer "}), "Zoë")


async def test_login_sets_an_http_only_cookie_and_shows_groups_and_enrolments(pages: TestClient,
                                                                              course: CourseStore) -> None:
    ids = sample(course)
    course.add_group(title="Utrecht maandag", start_date=date(2027, 3, 1), capacity=1, status="full")
    login = await pages.post("/organiser/login", data={"token": TOKEN}, allow_redirects=False)
    assert login.status == 303
    assert login.headers["Location"] == "/organiser/"
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith(f"lichtpunt_organiser={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/organiser" in cookie

    page = await pages.get("/organiser/")  # the cookie from the login goes along
    assert page.status == 200
    body = await page.text()
    assert page.headers["Cache-Control"] == "no-store"
    assert "Zwolle dinsdag" in body and "6 van 8 plaatsen vrij" in body
    assert "Utrecht maandag" in body and "1 van 1 plaatsen vrij (full)" in body
    for shown in ("Zoë", "zoe@example.nl", "=1+1", "Jörg", "+31612345678", "Graag één keer bellen, ’s avonds",
                  "Wachtlijst", "Wim", "wim@example.nl", "35"):
        assert shown in body, shown
    zwolle, waiting = body.split("Zwolle dinsdag", 1)[1], body.split("Wachtlijst", 1)[1]
    assert "Zoë" in zwolle.split("</section>")[0] and "Wim" not in zwolle.split("</section>")[0]
    assert "Wim" in waiting and "Zoë" not in waiting
    assert f"action='/organiser/enrolments/{ids['zoe']}/status'" in body
    assert "href='/organiser/enrolments.csv'" in body


async def test_a_bearer_header_opens_the_pages_too(pages: TestClient, course: CourseStore) -> None:
    sample(course)
    page = await pages.get("/organiser/", headers=bearer())
    assert page.status == 200
    assert "Zoë" in await page.text()


async def test_a_status_change_is_stored(pages: TestClient, course: CourseStore) -> None:
    ids = sample(course)
    changed = await pages.post(f"/organiser/enrolments/{ids['jorg']}/status", data={"status": "placed"},
                               headers=bearer(), allow_redirects=False)
    assert changed.status == 303 and changed.headers["Location"] == "/organiser/"
    assert course.enrolment(ids["jorg"]).status == "placed"
    assert course.enrolment(ids["zoe"]).status == "new"
    body = await (await pages.get("/organiser/", headers=bearer())).text()
    assert f"<select id='status-{ids['jorg']}' name='status'>" in body
    jorg_select = body.split(f"<select id='status-{ids['jorg']}' name='status'>", 1)[1].split("</select>")[0]
    assert "<option value='placed' selected>" in jorg_select

    cancelled = await pages.post(f"/organiser/enrolments/{ids['jorg']}/status", data={"status": "cancelled"},
                                 headers=bearer(), allow_redirects=False)
    assert cancelled.status == 303
    assert "7 van 8 plaatsen vrij" in await (await pages.get("/organiser/", headers=bearer())).text()

    unknown_status = await pages.post(f"/organiser/enrolments/{ids['zoe']}/status", data={"status": "<b>weg</b>"},
                                      headers=bearer())
    assert unknown_status.status == 400
    assert "&lt;b&gt;weg&lt;/b&gt;" in await unknown_status.text()
    assert course.enrolment(ids["zoe"]).status == "new"
    missing = await pages.post(f"/organiser/enrolments/{max(ids.values()) + 1}/status", data={"status": "placed"},
                               headers=bearer())
    assert missing.status == 404


async def test_the_csv_download(pages: TestClient, course: CourseStore) -> None:
    sample(course)
    download = await pages.get("/organiser/enrolments.csv", headers=bearer())
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="aanmeldingen-\d{4}-\d{2}-\d{2}\.csv"',
                        download.headers["Content-Disposition"])
    data = await download.read()
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == neutralised(stored_rows(course))
    assert {row["first_name"]: row["note"] for row in rows}["Zoë"] == "'=1+1"


async def test_names_and_notes_are_shown_escaped(pages: TestClient, course: CourseStore) -> None:
    group = course.add_group(title="<b>Zwolle</b>", start_date=date(2027, 2, 2))
    enrol(course, "<script>alert(1)</script>", "x@example.nl", group_id=group, note="<img src=x onerror=alert(2)>")
    enrol(course, "Wim", "wim@example.nl", region="<i>35</i>")
    body = await (await pages.get("/organiser/", headers=bearer())).text()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(2)&gt;" in body
    assert "<b>Zwolle</b>" not in body and "&lt;b&gt;Zwolle&lt;/b&gt;" in body
    assert "<i>35</i>" not in body and "&lt;i&gt;35&lt;/i&gt;" in body


async def test_organiser_responses_carry_no_cors_header(pages: TestClient, course: CourseStore) -> None:
    sample(course)
    api = await pages.get("/api/health")
    assert api.headers["Access-Control-Allow-Origin"] == "*"  # the widget's API does, so the check below means something
    responses = [
        await pages.get("/organiser/"),
        await pages.get("/organiser/", headers=bearer()),
        await pages.get("/organiser/enrolments.csv", headers=bearer()),
        await pages.post("/organiser/login", data={"token": TOKEN}, allow_redirects=False),
        await pages.options("/organiser/", headers={"Origin": "https://elders.example",
                                                    "Access-Control-Request-Method": "POST"}),
    ]
    for response in responses:
        assert not any(name.lower().startswith("access-control-") for name in response.headers), response.url
    page = responses[1]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "note",
    ["=HYPERLINK(\"http://evil.example\",\"klik\")", "+31+1", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
)
def test_no_cell_of_the_csv_starts_a_formula(course: CourseStore, note: str) -> None:
    from bot.organiser import export_csv

    enrol(course, note, note, region=note[:40], note=note)  # the store takes any text: the export must not run it
    rows = list(csv.DictReader(io.StringIO(export_csv(course).decode("utf-8-sig"), newline="")))
    assert len(rows) == 1
    for column in ("first_name", "contact", "region", "note"):
        assert rows[0][column] == "'" + (note if column != "region" else note[:40])


async def test_the_organiser_adds_a_group_on_the_page_and_the_waiting_list_there_hears_of_it(
    pages: TestClient, course: CourseStore
) -> None:
    from bot.outbox import Outbox

    waiting = UserStore(course.engine).record_consent("telegram", "4321").id
    course.enrol(waiting, "Sanne", "sanne@example.nl", "telegram", region="80")
    form = {"title": "Zwolle dinsdag", "place": "Zwolle, De Kroon", "region": "80", "start_date": "2027-02-02",
            "start_time": "19:30", "capacity": "10", "weekday": "1", "price": "€ 95", "teacher": "Anne"}
    added = await pages.post("/organiser/groups", data=form, headers=bearer(), allow_redirects=False)
    assert added.status == 303
    [group] = course.groups()
    assert (group.title, group.region, group.capacity, group.weekday, group.start_time, group.price) == (
        "Zwolle dinsdag", "80", 10, 1, "19:30", "€ 95")
    assert [row.kind for row in _outbox_rows(course)] == ["group_open"]
    bad = await pages.post("/organiser/groups", data={**form, "start_date": "morgen"}, headers=bearer())
    assert bad.status == 400 and "startdatum" in await bad.text()
    assert len(course.groups()) == 1, "a refused group is not stored"
    closed = await pages.post(f"/organiser/groups/{group.id}/status", data={"status": "closed"}, headers=bearer(),
                              allow_redirects=False)
    assert closed.status == 303 and course.group(group.id).status == "closed"
    assert (await pages.post(f"/organiser/groups/{group.id}/status", data={"status": "weg"}, headers=bearer())).status == 400
    shut = await pages.post("/organiser/groups", data=form)
    assert shut.status == 401 and len(course.groups()) == 1
    assert Outbox(course.engine).counts()["pending"] == 1, "told once"


def _outbox_rows(course: CourseStore):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.storage import session_scope
    from bot.storage.models import OutboxMessage

    with session_scope(course.engine) as session:
        return list(session.execute(select(OutboxMessage)).scalars())


# ---- the page per running group (bot/organiser_cohorts.py) ----


async def test_a_group_page_plans_moves_and_cancels_sessions_and_shows_participants(pages: TestClient,
                                                                                     course: CourseStore) -> None:
    from bot.storage.cohorts import CohortStore
    from bot.storage.exercises import ExerciseStore

    group_id = course.add_group(title="Deventer woensdag", start_date=date(2030, 3, 6), teacher="Anna")
    overview = await (await pages.get("/organiser/", headers=bearer())).text()
    assert f"/organiser/groups/{group_id}" in overview
    empty = await (await pages.get(f"/organiser/groups/{group_id}", headers=bearer())).text()
    assert "Nog geen bijeenkomsten gepland" in empty

    planned = await pages.post(f"/organiser/groups/{group_id}/sessions", data={"first": "2030-03-06T19:30"},
                               headers=bearer(), allow_redirects=False)
    assert planned.status == 303
    cohorts = CohortStore(course.engine)
    cohort = cohorts.cohort(group_id)
    assert [one.starts_local.day for one in cohort.sessions] == [6, 13, 20, 27, 3, 10, 17, 24]
    moved = await pages.post(f"/organiser/groups/{group_id}/sessions/2",
                             data={"starts": "2030-03-14T20:00", "action": "move"}, headers=bearer(), allow_redirects=False)
    cancelled = await pages.post(f"/organiser/groups/{group_id}/sessions/3", data={"action": "cancel"},
                                 headers=bearer(), allow_redirects=False)
    details = await pages.post(f"/organiser/groups/{group_id}/details",
                               data={"teacher_contact": "anna@example.org", "link": "", "timezone": "Europe/Amsterdam"},
                               headers=bearer(), allow_redirects=False)
    assert moved.status == cancelled.status == details.status == 303
    cohort = cohorts.cohort(group_id)
    assert cohort.sessions[1].starts_local.isoformat() == "2030-03-14T20:00:00" and cohort.sessions[2].cancelled
    assert cohort.teacher_contact == "anna@example.org"

    users = UserStore(course.engine)
    sharing, private = users.record_consent("web", "p-1").id, users.record_consent("web", "p-2").id
    cohorts.join(sharing, group_id, "Zoë", share_checkins=True)
    cohorts.join(private, group_id, "<b>Jorg</b>", share_checkins=False)
    cohorts.note_absence(private, cohort.sessions[3].id)
    ExerciseStore(course.engine).save_checkin(sharing, 8, date(2030, 3, 8))
    ExerciseStore(course.engine).save_checkin(private, 4, date(2030, 3, 8))
    page = await (await pages.get(f"/organiser/groups/{group_id}", headers=bearer())).text()
    assert cohort.join_code in page and "do 14-03-2030 20:00" in page and "vervalt" in page
    assert "Zoë" in page and "&lt;b&gt;Jorg&lt;/b&gt;" in page and "<b>Jorg</b>" not in page
    assert "W10: 8" in page  # Zoë agreed: her own answer
    assert "W10: 4" not in page and "alleen in het groepsgemiddelde" in page  # Jorg did not
    assert "gemiddeld 6.0 (2 antwoorden)" in page and "<svg role='img'" in page  # the aggregated trend
    sessions_table = page.split("<h2>Bijeenkomsten</h2>", 1)[1].split("</table>", 1)[0]
    assert "&lt;b&gt;Jorg&lt;/b&gt;" in sessions_table.split("<tr><td>4</td>", 1)[1].split("</tr>", 1)[0]


async def test_a_group_page_refuses_bad_input_with_a_reason_and_keeps_the_sessions(pages: TestClient,
                                                                                    course: CourseStore) -> None:
    from bot.storage.cohorts import CohortStore

    group_id = course.add_group(title="Online", start_date=date(2030, 3, 6), online=True)
    bad_first = await pages.post(f"/organiser/groups/{group_id}/sessions", data={"first": "volgende week"},
                                 headers=bearer(), allow_redirects=False)
    assert bad_first.status == 400 and "geen datum met tijd" in await bad_first.text()
    await pages.post(f"/organiser/groups/{group_id}/sessions", data={"first": "2030-03-06T19:30"}, headers=bearer())
    bad_move = await pages.post(f"/organiser/groups/{group_id}/sessions/2", data={"starts": "", "action": "move"},
                                headers=bearer(), allow_redirects=False)
    bad_zone = await pages.post(f"/organiser/groups/{group_id}/details", data={"timezone": "Mars/Olympus"},
                                headers=bearer(), allow_redirects=False)
    no_session = await pages.post(f"/organiser/groups/{group_id}/sessions/9", data={"action": "cancel"},
                                  headers=bearer(), allow_redirects=False)
    no_group = await pages.get("/organiser/groups/999", headers=bearer())
    bad_invite = await pages.post(f"/organiser/groups/{group_id}/invite", data={"enrolment": "x"},
                                  headers=bearer(), allow_redirects=False)
    assert (bad_move.status, bad_zone.status, no_session.status, no_group.status, bad_invite.status) == (400, 400, 404, 404, 400)
    assert "unknown time zone" in await bad_zone.text()
    assert len(CohortStore(course.engine).cohort(group_id).held) == 8
    shut = await pages.get(f"/organiser/groups/{group_id}")
    await assert_shut(shut, CohortStore(course.engine).cohort(group_id).join_code)
