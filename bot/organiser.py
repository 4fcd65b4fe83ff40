"""The organiser's side of the course: exports for a spreadsheet, and the organiser web pages.

The pages are their own aiohttp sub-application, mounted at /organiser (never under /api/, which allows any
origin), behind ORGANISER_TOKEN from settings: a login form sets an HttpOnly cookie, or a bearer header works.
"""
from __future__ import annotations

import csv
import hmac
import html
import io
import json
import re
from datetime import date
from typing import Any, Dict, List, Optional

from aiohttp import web

from bot.content import weekday_name
from bot.organiser_cohorts import add_routes as add_cohort_routes
from bot.storage.course import ENROLMENT_STATUSES, CourseStore, EnrolmentView, Group

EXPORT_COLUMNS = ("id", "first_name", "contact", "group_id", "group", "region", "status", "channel", "note",
                  "created_at", "updated_at")


def export_rows(store: CourseStore) -> List[Dict[str, Any]]:
    titles = {group.id: group.title for group in store.groups()}
    rows = []
    for enrolment in store.enrolments():
        row = enrolment.as_row()
        row["group"] = titles.get(enrolment.group_id, "") if enrolment.group_id else "wachtlijst"
        rows.append({column: row.get(column) for column in EXPORT_COLUMNS})
    return rows


def export_csv(store: CourseStore) -> bytes:
    """UTF-8 with a BOM (so a spreadsheet reads the accents right), a header, one row per enrolment."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(store):
        writer.writerow({key: _cell("" if value is None else str(value)) for key, value in row.items()})
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")


def _cell(value: str) -> str:
    """A value a spreadsheet must not run as a formula ("=HYPERLINK(...)" typed as a note)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"\+[0-9]{6,15}", value):
        return "'" + value  # a phone number in E.164 ("+31612345678") is no formula and stays as it is
    return value


def export_json(store: CourseStore) -> str:
    return json.dumps(export_rows(store), ensure_ascii=False, indent=2)


def describe_group(group: Group, language: str = "nl") -> str:
    where = group.place or ("online" if group.online else "")
    when = f"{weekday_name(group.weekday, language)} " if group.weekday is not None else ""
    when += group.start_time or ""
    start = group.start_date.isoformat()
    parts = [group.title, where, f"{'vanaf' if language == 'nl' else 'from'} {start}", when.strip()]
    return " · ".join(part for part in parts if part)


# ---- the organiser pages ----

STORE = web.AppKey("course_store", CourseStore)
TOKEN = web.AppKey("organiser_token", str)
COOKIE = "lichtpunt_organiser"
PREFIX = "/organiser"  # where bot/channels/web.py mounts these pages


def create_organiser_app(store: CourseStore, token: Optional[str]) -> web.Application:
    app = web.Application(middlewares=[_require_token])
    app[STORE] = store
    app[TOKEN] = token or ""
    app.router.add_get("", overview)
    app.router.add_get("/", overview)
    app.router.add_post("/login", login)
    app.router.add_post("/enrolments/{id:\\d+}/status", change_status)
    app.router.add_post("/groups", add_group)
    app.router.add_post("/groups/{id:\\d+}/status", change_group_status)
    app.router.add_get("/enrolments.csv", download_csv)
    app.router.add_get("/style.css", stylesheet)
    add_cohort_routes(app)  # running groups: sessions, code, participants (bot/organiser_cohorts.py)
    return app


def _authorised(request: web.Request) -> bool:
    expected = request.app[TOKEN]
    if not expected:
        return False  # no token configured: the pages stay shut
    given = request.cookies.get(COOKIE) or ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header[len("Bearer "):]
    return hmac.compare_digest(given.encode(), expected.encode())


@web.middleware
async def _require_token(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if request.path in (f"{PREFIX}/login", f"{PREFIX}/style.css") or _authorised(request):
        response = await handler(request)
    else:
        response = _page("Organisator", _login_form(request), status=401)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    given = str(form.get("token", ""))
    expected = request.app[TOKEN]
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _page("Organisator", "<p role='alert'>Dat token klopt niet.</p>" + _login_form(request), status=401)
    response = web.HTTPSeeOther(location=_base(request) + "/")
    response.set_cookie(COOKIE, given, httponly=True, samesite="Strict", path=_base(request) or "/")
    return response


async def overview(request: web.Request) -> web.Response:
    store = request.app[STORE]
    groups = store.groups()
    enrolments = store.enrolments()
    sections = []
    for group in groups:
        members = [e for e in enrolments if e.group_id == group.id]
        title = f"{html.escape(describe_group(group))} — {group.free} van {group.capacity} plaatsen vrij ({html.escape(group.status)})"
        running = f"<p><a href='{PREFIX}/groups/{group.id}'>Bijeenkomsten, code en deelnemers</a></p>"
        sections.append(f"<section><h2>{title}</h2>{running}{_group_status_form(group)}{_table(request, members)}</section>")
    waiting = [e for e in enrolments if e.group_id is None]
    sections.append(f"<section><h2>Wachtlijst</h2>{_table(request, waiting, show_region=True)}</section>")
    body = (f"<p><a href='{_base(request)}/enrolments.csv'>Download alle aanmeldingen (CSV)</a></p>" + "".join(sections)
            + _group_form())
    return _page("Aanmeldingen Creatief Leven", body)


GROUP_STATUS_LABELS = {"open": "open", "full": "vol", "closed": "gesloten"}


def _group_status_form(group: Group) -> str:
    options = "".join(
        f"<option value='{s}'{' selected' if s == group.status else ''}>{label}</option>" for s, label in GROUP_STATUS_LABELS.items()
    )
    return (
        f"<form method='post' action='{PREFIX}/groups/{group.id}/status'>"
        f"<label for='group-{group.id}'>Groep is</label> <select id='group-{group.id}' name='status'>{options}</select> "
        "<button type='submit'>Opslaan</button></form>"
    )


def _group_form(problem: str = "") -> str:
    days = "".join(f"<option value='{i}'>{weekday_name(i, 'nl')}</option>" for i in range(7))
    fields = [
        ("title", "Naam van de groep", "text", "required maxlength='120'"),
        ("place", "Plaats en locatie (leeg bij online)", "text", "maxlength='200'"),
        ("region", "Regio (provincie of eerste twee cijfers van de postcode)", "text", "maxlength='40'"),
        ("start_date", "Startdatum", "date", "required"),
        ("start_time", "Begintijd", "time", ""),
        ("capacity", "Aantal plaatsen", "number", "min='1' max='50' value='12'"),
        ("price", "Prijs zoals deelnemers hem lezen (leeg: vraag de organisator)", "text", "maxlength='120'"),
        ("teacher", "Voornaam docent", "text", "maxlength='80'"),
    ]
    inputs = "".join(
        f"<p><label for='new-{name}'>{label}</label><br><input id='new-{name}' name='{name}' type='{kind}' {extra}></p>"
        for name, label, kind, extra in fields
    )
    alert = f"<p role='alert'>{html.escape(problem)}</p>" if problem else ""
    return (
        f"<section><h2>Nieuwe groep</h2>{alert}<form method='post' action='{PREFIX}/groups'>{inputs}"
        f"<p><label for='new-weekday'>Dag</label><br><select id='new-weekday' name='weekday'><option value=''>—</option>{days}</select></p>"
        "<p><input id='new-online' name='online' type='checkbox' value='1'> <label for='new-online'>Online</label></p>"
        "<p><button type='submit'>Groep toevoegen</button></p></form></section>"
    )


def group_values(form: Any) -> Dict[str, Any]:
    """A group from the organiser's form; ValueError with a reason a person can act on."""
    values: Dict[str, Any] = {}
    for name in ("title", "place", "region", "start_time", "price", "teacher"):
        text = str(form.get(name, "")).strip()
        if text:
            values[name] = text
    try:
        values["start_date"] = date.fromisoformat(str(form.get("start_date", "")).strip())
    except ValueError:
        raise ValueError("De startdatum ontbreekt of klopt niet (jjjj-mm-dd).")
    for name, low, high in (("capacity", 1, 50), ("weekday", 0, 6)):
        text = str(form.get(name, "")).strip()
        if text:
            if not text.isdigit() or not low <= int(text) <= high:
                raise ValueError(f"{name} moet een getal van {low} tot {high} zijn.")
            values[name] = int(text)
    values["online"] = bool(form.get("online"))
    return values


def tell_waiting_list(store: CourseStore, group_id: int) -> int:
    """A group opens in a region: everyone waiting there gets one message (the scheduled sender sends it)."""
    from bot.outbox import Outbox

    group = store.group(group_id)
    if group is None or not group.bookable or not group.region:
        return 0
    waiting = [row.user_id for row in store.waiting_in(group.region)]
    return Outbox(store.engine).notify(waiting, "group_open", f"group-{group_id}")


async def add_group(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    try:
        group_id = store.add_group(**group_values(await request.post()))
    except ValueError as problem:
        return _page("Groep niet opgeslagen", _group_form(str(problem)), status=400)
    tell_waiting_list(store, group_id)
    raise web.HTTPSeeOther(location=PREFIX + "/")


async def change_group_status(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    status = str((await request.post()).get("status", ""))
    group_id = int(request.match_info["id"])
    try:
        changed = store.edit_group(group_id, status=status)
    except ValueError as problem:
        return _page("Fout", f"<p role='alert'>{html.escape(str(problem))}</p>", status=400)
    if not changed:
        return _page("Niet gevonden", "<p role='alert'>Die groep bestaat niet (meer).</p>", status=404)
    tell_waiting_list(store, group_id)
    raise web.HTTPSeeOther(location=PREFIX + "/")


async def change_status(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in ENROLMENT_STATUSES:
        return _page("Fout", f"<p role='alert'>Onbekende status: {html.escape(status)}</p>", status=400)
    if not request.app[STORE].set_status(int(request.match_info["id"]), status):
        return _page("Niet gevonden", "<p role='alert'>Die aanmelding bestaat niet (meer).</p>", status=404)
    raise web.HTTPSeeOther(location=_base(request) + "/")


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=STYLE, content_type="text/css")


async def download_csv(request: web.Request) -> web.Response:
    return web.Response(
        body=export_csv(request.app[STORE]),
        headers={"Content-Type": "text/csv; charset=utf-8",
                 "Content-Disposition": f'attachment; filename="aanmeldingen-{date.today().isoformat()}.csv"'},
    )


def _base(request: web.Request) -> str:
    return PREFIX


def _table(request: web.Request, rows: List[EnrolmentView], show_region: bool = False) -> str:
    if not rows:
        return "<p>Nog niemand.</p>"
    head = "<tr><th scope='col'>Naam</th><th scope='col'>Contact</th>" + ("<th scope='col'>Regio</th>" if show_region else "")
    head += "<th scope='col'>Notitie</th><th scope='col'>Status</th></tr>"
    lines = []
    for row in rows:
        options = "".join(
            f"<option value='{s}'{' selected' if s == row.status else ''}>{s}</option>" for s in ENROLMENT_STATUSES
        )
        status_form = (
            f"<form method='post' action='{_base(request)}/enrolments/{row.id}/status'>"
            f"<label class='sr' for='status-{row.id}'>Status van {html.escape(row.first_name)}</label>"
            f"<select id='status-{row.id}' name='status'>{options}</select> <button type='submit'>Opslaan</button></form>"
        )
        region = f"<td>{html.escape(row.region or '')}</td>" if show_region else ""
        lines.append(
            f"<tr><td>{html.escape(row.first_name)}</td><td>{html.escape(row.contact)}</td>{region}"
            f"<td>{html.escape(row.note or '')}</td><td>{status_form}</td></tr>"
        )
    return f"<table>{head}{''.join(lines)}</table>"


def _login_form(request: web.Request) -> str:
    return (
        f"<form method='post' action='{_base(request)}/login'><p><label for='token'>Organisator-token</label> "
        "<input id='token' name='token' type='password' autocomplete='current-password' required> "
        "<button type='submit'>Inloggen</button></p></form>"
    )


def _page(title: str, body: str, status: int = 200) -> web.Response:
    page = (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='{PREFIX}/style.css'></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return web.Response(text=page, status=status, content_type="text/html")


STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1d2430;background:#fbfaf7;line-height:1.5}
main{max-width:60rem;margin:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #d9d4c7;vertical-align:top}
button,select,input{font:inherit;padding:.3rem .5rem}button{background:#2f5d50;color:#fff;border:0;border-radius:.3rem}
:focus-visible{outline:3px solid #c77d00;outline-offset:2px}.sr{position:absolute;left:-9999px}
@media (max-width:40rem){table,tr,td,th{display:block}th{display:none}td{border:0;padding:.15rem 0}tr{border-bottom:1px solid #d9d4c7;padding:.5rem 0}}
"""
