"""The organiser's page per running group (/organiser/groups/{id}): sessions (plan, move, cancel), the join code,
the teacher's details, participants, absences, course messages sent / failed / paused, and the check-in trend
(aggregated; a participant's own answers only when they agreed). Part of the organiser sub-application."""
from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Callable, Dict, List

from aiohttp import web

from bot.cohorts import CoursePlanner, invite, local_moment, trend
from bot.content import weekday_name
from bot.storage.cohorts import Cohort, CohortStore, SESSIONS


def add_routes(app: web.Application) -> None:
    app.router.add_get("/groups/{id:\\d+}", cohort_page)
    app.router.add_post("/groups/{id:\\d+}/sessions", start_sessions)
    app.router.add_post("/groups/{id:\\d+}/sessions/{number:\\d+}", change_session)
    app.router.add_post("/groups/{id:\\d+}/details", change_details)
    app.router.add_post("/groups/{id:\\d+}/invite", invite_enrolment)


def _store(request: web.Request) -> CohortStore:
    from bot.organiser import STORE

    return CohortStore(request.app[STORE].engine)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    from bot.organiser import _page as page

    return page(title, body, status)


def _back(group_id: int) -> web.HTTPSeeOther:
    from bot.organiser import PREFIX

    return web.HTTPSeeOther(location=f"{PREFIX}/groups/{group_id}")


def _replan(store: CohortStore, group_id: int) -> None:
    CoursePlanner(store.engine).plan(group_id=group_id)


def _when(moment: datetime) -> str:
    return f"{weekday_name(moment.weekday(), 'nl')[:2]} {moment:%d-%m-%Y %H:%M}"  # "do 14-03-2030 20:00"


async def cohort_page(request: web.Request, problem: str = "", status: int = 200) -> web.Response:
    from bot.organiser import PREFIX, STORE

    group_id = int(request.match_info["id"])
    store = _store(request)
    cohort = store.cohort(group_id)
    if cohort is None:
        return _page("Niet gevonden", "<p role='alert'>Die groep bestaat niet (meer).</p>", status=404)
    base = f"{PREFIX}/groups/{group_id}"
    alert = f"<p role='alert'>{html.escape(problem)}</p>" if problem else ""
    parts = [alert, f"<p><a href='{PREFIX}/'>← Alle groepen</a></p>", _details(cohort, base)]
    if cohort.sessions:
        parts += [_sessions(cohort, store, base), _participants(cohort, store), _trend(cohort, store)]
        enrolments = [e for e in request.app[STORE].enrolments() if e.status != "cancelled"]
        parts.append(_invite_form(enrolments, base))
    parts.append(_start_form(cohort, base))
    return _page(f"Groep: {cohort.title}", "".join(parts), status)


def _details(cohort: Cohort, base: str) -> str:
    code = (f"<p>Code om mee te doen: <strong class='code'>{html.escape(cohort.join_code)}</strong> "
            "(deelnemers sturen hem naar de bot)</p>") if cohort.join_code else "<p>Nog geen bijeenkomsten gepland, dus nog geen code.</p>"
    fields = [("link", "Link voor online bijeenkomsten", cohort.link or "", "url", "maxlength='300'"),
              ("teacher_contact", f"Hoe deelnemers docent {html.escape(cohort.teacher or '')} bereiken (telefoon of e-mail)",
               cohort.teacher_contact or "", "text", "maxlength='200'"),
              ("timezone", "Tijdzone", cohort.timezone, "text", "required maxlength='64'")]
    inputs = "".join(
        f"<p><label for='d-{name}'>{label}</label><br><input id='d-{name}' name='{name}' type='{kind}' "
        f"value='{html.escape(value, quote=True)}' {extra}></p>" for name, label, value, kind, extra in fields
    )
    return (f"<section><h2>Gegevens</h2>{code}<form method='post' action='{base}/details'>{inputs}"
            "<p><button type='submit'>Opslaan</button></p></form></section>")


def _sessions(cohort: Cohort, store: CohortStore, base: str) -> str:
    absent: Dict[int, List[str]] = {}
    for row in store.absences(cohort.group_id):
        absent.setdefault(row["session"], []).append(row["first_name"])
    rows = []
    for one in cohort.sessions:
        state = "vervalt" if one.cancelled else "gaat door"
        names = ", ".join(html.escape(name) for name in absent.get(one.number, [])) or "—"
        move = (f"<form method='post' action='{base}/sessions/{one.number}'>"
                f"<label class='sr' for='move-{one.number}'>Nieuwe datum en tijd voor bijeenkomst {one.number}</label>"
                f"<input id='move-{one.number}' name='starts' type='datetime-local' value='{one.starts_local:%Y-%m-%dT%H:%M}'> "
                "<button type='submit' name='action' value='move'>Verzetten</button> "
                f"<button type='submit' name='action' value='cancel'>Laten vervallen</button></form>")
        rows.append(f"<tr><td>{one.number}</td><td>{_when(one.starts_local)}</td><td>{state}</td><td>{names}</td><td>{move}</td></tr>")
    head = ("<tr><th scope='col'>#</th><th scope='col'>Wanneer</th><th scope='col'>Status</th>"
            "<th scope='col'>Kan niet komen</th><th scope='col'>Wijzigen</th></tr>")
    return f"<section><h2>Bijeenkomsten</h2><table>{head}{''.join(rows)}</table></section>"


NUDGE_LABELS = {"on": "aan", "paused": "gepauzeerd", "stopped": "gestopt"}
STATE_LABELS = (("sent", "verstuurd"), ("pending", "gepland"), ("failed", "mislukt"), ("cancelled", "vervallen"))


def _participants(cohort: Cohort, store: CohortStore) -> str:
    people = store.participants(cohort.group_id)
    counts = store.nudge_counts(cohort.group_id)
    summary = ", ".join(f"{label}: {counts.get(state, 0)}" for state, label in STATE_LABELS)
    paused = sum(1 for person in people if person.nudges != "on")
    answers = store.checkins(cohort.group_id)
    if not people:
        table = "<p>Nog niemand heeft de code gebruikt.</p>"
    else:
        head = ("<tr><th scope='col'>Voornaam</th><th scope='col'>Meegedaan sinds</th>"
                "<th scope='col'>Berichtjes</th><th scope='col'>Eigen weekcijfers</th></tr>")
        rows = []
        for person in people:
            own = answers.get(person.user_id, {})
            scores = (", ".join(f"{week[-3:]}: {score}" for week, score in sorted(own.items())) or "—") if person.share_checkins \
                else "alleen in het groepsgemiddelde"
            rows.append(f"<tr><td>{html.escape(person.first_name)}</td><td>{person.joined_at:%d-%m-%Y}</td>"
                        f"<td>{NUDGE_LABELS.get(person.nudges, person.nudges)}</td><td>{html.escape(scores)}</td></tr>")
        table = f"<table>{head}{''.join(rows)}</table>"
    return (f"<section><h2>Deelnemers ({len(people)})</h2>{table}"
            f"<p>Berichtjes tussen de bijeenkomsten: {summary}. Gepauzeerd of gestopt: {paused}.</p></section>")


def _trend(cohort: Cohort, store: CohortStore) -> str:
    rows = trend(cohort, store.checkins(cohort.group_id))
    if not rows:
        return "<section><h2>Weekcijfers van de groep</h2><p>Nog geen antwoorden.</p></section>"
    return f"<section><h2>Weekcijfers van de groep</h2>{trend_svg(rows)}</section>"


def trend_svg(rows: List[tuple], width: int = 320, height: int = 120) -> str:
    """A small line chart of the weekly group mean (0-10, lower is less lonely), with a text alternative."""
    step = (width - 40) / max(len(rows) - 1, 1)
    points = [(20 + index * step, 10 + (10 - mean_score) * (height - 30) / 10) for index, (_, mean_score, _) in enumerate(rows)]
    line = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
    dots = "".join(f"<circle cx='{x:.0f}' cy='{y:.0f}' r='3'/>" for x, y in points)
    described = "; ".join(f"week {week[-2:]}: gemiddeld {score} ({count} antwoorden)" for week, score, count in rows)
    return (f"<svg role='img' aria-label='Gemiddeld weekcijfer (0-10, lager is minder eenzaam): {html.escape(described)}' "
            f"viewBox='0 0 {width} {height}' width='{width}' height='{height}' class='trend'>"
            f"<polyline fill='none' stroke='#2f5d50' stroke-width='2' points='{line}'/>"
            f"<g fill='#2f5d50'>{dots}</g></svg><p>{html.escape(described)}</p>")


def _invite_form(enrolments: List[Any], base: str) -> str:
    if not enrolments:
        return ""
    options = "".join(f"<option value='{e.id}'>{html.escape(e.first_name)} ({html.escape(e.contact)})</option>"
                      for e in enrolments)
    return (f"<section><h2>Aanmelding in deze groep plaatsen</h2><form method='post' action='{base}/invite'>"
            f"<label for='invite'>Aanmelding</label> <select id='invite' name='enrolment'>{options}</select> "
            "<button type='submit'>Plaatsen en de code sturen</button></form></section>")


def _start_form(cohort: Cohort, base: str) -> str:
    first = cohort.sessions[0].starts_local.strftime("%Y-%m-%dT%H:%M") if cohort.sessions else ""
    heading = "Alle bijeenkomsten opnieuw plannen" if cohort.sessions else "Bijeenkomsten plannen"
    return (f"<section><h2>{heading}</h2><form method='post' action='{base}/sessions'>"
            f"<p><label for='first'>Eerste bijeenkomst (daarna {SESSIONS - 1} keer wekelijks op dezelfde tijd)</label><br>"
            f"<input id='first' name='first' type='datetime-local' required value='{first}'></p>"
            "<p><button type='submit'>Plannen</button></p></form></section>")


async def _change(request: web.Request, change: Callable[[CohortStore], bool], missing: str) -> web.StreamResponse:
    """Apply an organiser's change; a reason on the page when it is refused, then the messages re-planned."""
    group_id = int(request.match_info["id"])
    store = _store(request)
    try:
        found = change(store)
    except ValueError as problem:
        return await cohort_page(request, str(problem), status=400)
    if not found:
        return _page("Niet gevonden", f"<p role='alert'>{missing}</p>", status=404)
    _replan(store, group_id)
    raise _back(group_id)


async def start_sessions(request: web.Request) -> web.StreamResponse:
    first = str((await request.post()).get("first", ""))

    def start(store: CohortStore) -> bool:
        try:
            store.start(int(request.match_info["id"]), local_moment(first))
        except LookupError:
            return False
        return True

    return await _change(request, start, "Die groep bestaat niet (meer).")


async def change_session(request: web.Request) -> web.StreamResponse:
    group_id, number = int(request.match_info["id"]), int(request.match_info["number"])
    form = await request.post()
    if form.get("action") == "cancel":
        return await _change(request, lambda store: store.cancel(group_id, number), "Die bijeenkomst bestaat niet.")
    return await _change(request, lambda store: store.move(group_id, number, local_moment(str(form.get("starts", "")))),
                         "Die bijeenkomst bestaat niet.")


async def change_details(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {name: (str(form.get(name, "")).strip() or None) for name in ("link", "teacher_contact")}
    values["timezone"] = str(form.get("timezone", "")).strip() or "Europe/Amsterdam"
    return await _change(request, lambda store: store.set_details(int(request.match_info["id"]), **values),
                         "Die groep bestaat niet (meer).")


async def invite_enrolment(request: web.Request) -> web.StreamResponse:
    group_id = int(request.match_info["id"])
    text = str((await request.post()).get("enrolment", ""))
    store = _store(request)
    if not text.isdigit() or not invite(store.engine, int(text), group_id):
        return await cohort_page(request, "Die aanmelding of groep bestaat niet (meer).", status=400)
    raise _back(group_id)
