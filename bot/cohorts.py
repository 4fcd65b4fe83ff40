"""Course participants between sessions: which messages, when, and the two-month outcome check.

`course_plan` turns a running group's sessions into one participant's messages (bot/content/nudges.yml):
the day after a session "what did you enjoy?", a small assignment mid-week, a reminder the day before the next
session, the weekly 0-10 check-in on Sundays, and after the last week a closing message. Times are local to the
participant and never inside the quiet hours (they wait until the morning). `CoursePlanner` keeps the outbox in
line with that plan: moving or cancelling a session, pausing or stopping re-plans pending messages (no
duplicates, nothing stale), and the same row is never sent twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import mean
from typing import Dict, Iterable, List, Optional, Set

from sqlalchemy import select
from sqlalchemy.engine import Engine
from zoneinfo import ZoneInfo

from bot.content import nudges
from bot.storage.cohorts import Cohort, CohortStore, local_to_utc
from bot.storage.db import session_scope
from bot.storage.exercises import iso_week
from bot.storage.models import Absence, Participant, Subscription, User, as_utc, utcnow

CHECKIN_TIME = "19:00"  # Sunday evening, as for daily-exercise subscribers
BETTER_BY = 1.0  # the last two weeks' mean at least this much lower (0-10, lower is less lonely) counts as better


@dataclass(frozen=True)
class Planned:
    kind: str  # nudge, course_checkin, closing (bot.storage.cohorts.COURSE_KINDS)
    slot: str  # "w3-mid", "2027-W06", "closing"
    local_date: date
    due: datetime  # UTC


def local_moment(text: str) -> datetime:
    """"2027-02-01T19:30" (a datetime-local field, or typed with a space) -> a wall-clock datetime."""
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise ValueError(f"'{text}' is geen datum met tijd (jjjj-mm-dd uu:mm)") from None


def out_of_quiet_hours(moment: datetime, start: time, end: time) -> datetime:
    """A local time moved to the end of the quiet hours when it falls inside them (21:30-08:30 crosses midnight)."""
    at = moment.time()
    crosses = start > end
    inside = (at >= start or at < end) if crosses else (start <= at < end)
    if not inside:
        return moment
    day = moment.date() + timedelta(days=1) if crosses and at >= start else moment.date()
    return datetime.combine(day, end)


def course_plan(
    cohort: Cohort,
    zone: str,
    quiet: tuple,
    absent: Iterable[int] = (),
    checkins: bool = True,
    paused_until: Optional[date] = None,
) -> List[Planned]:
    """Every course message for one participant of `cohort` (local times in `zone`), however far ahead."""
    content = nudges()
    times, mid_days = content["times"], int(content["mid_days"])
    held = cohort.held
    absent = set(absent)
    plan: List[Planned] = []

    def add(kind: str, slot: str, day: date, at: str) -> None:
        local = out_of_quiet_hours(datetime.combine(day, time.fromisoformat(at)), *quiet)
        if paused_until is not None and local.date() < paused_until:
            return
        plan.append(Planned(kind, slot, local.date(), local_to_utc(local, zone)))

    for index, one in enumerate(held):
        day = _in_zone(cohort, one.starts_local, zone).date()
        add("nudge", f"w{one.number}-before", day - timedelta(days=1), times["before"])
        following = held[index + 1] if index + 1 < len(held) else None
        if following is None:
            continue  # after the last session the closing message comes instead
        if one.number not in absent:
            add("nudge", f"w{one.number}-after", day + timedelta(days=1), times["after"])
        mid = day + timedelta(days=mid_days)
        if mid < _in_zone(cohort, following.starts_local, zone).date() - timedelta(days=1):
            add("nudge", f"w{one.number}-mid", mid, times["mid"])
    if not held:
        return plan
    first = _in_zone(cohort, held[0].starts_local, zone).date()
    last = _in_zone(cohort, held[-1].starts_local, zone).date()
    sunday = first + timedelta(days=6 - first.weekday())
    while checkins and sunday <= last + timedelta(days=6 - last.weekday()):
        add("course_checkin", iso_week(sunday), sunday, CHECKIN_TIME)
        sunday += timedelta(weeks=1)
    closing = max(last + timedelta(days=1), last + timedelta(days=7 - last.weekday()))  # after the last check-in
    add("closing", "closing", closing, times["after"])
    return plan


def _in_zone(cohort: Cohort, local: datetime, zone: str) -> datetime:
    """A session's wall-clock time where the group meets, as wall-clock time in the participant's zone."""
    return local_to_utc(local, cohort.timezone).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def outcome(cohort: Cohort, answers: Dict[str, int]) -> str:
    """The article's own test after two months: "better", "no_change", or "no_answers" (nothing to compare)."""
    held = cohort.held
    if len(held) < 2:
        return "no_answers"
    first_weeks = {iso_week(one.starts_local.date()) for one in held[:2]}
    last_weeks = {iso_week(one.starts_local.date()) for one in held[-2:]}
    first = [score for week, score in answers.items() if week in first_weeks]
    last = [score for week, score in answers.items() if week in last_weeks]
    if not first or not last:
        return "no_answers"
    return "better" if mean(last) <= mean(first) - BETTER_BY else "no_change"


class CoursePlanner:
    def __init__(self, engine: Engine, quiet: Optional[tuple] = None) -> None:
        self.engine = engine
        self.store = CohortStore(engine)
        if quiet is None:
            from bot.settings import get_settings

            settings = get_settings()
            quiet = (time.fromisoformat(settings.quiet_hours_start), time.fromisoformat(settings.quiet_hours_end))
        self.quiet = quiet

    def plan(self, now: Optional[datetime] = None, group_id: Optional[int] = None, user_id: Optional[int] = None) -> int:
        """Bring every participant's pending course messages in line with their group (or one group / person).

        Returns how many rows are new or revived."""
        from bot.outbox import Outbox

        now = as_utc(now or utcnow())
        outbox = Outbox(self.engine)
        changed = 0
        cohorts: Dict[int, Optional[Cohort]] = {}
        for person in self._participants(group_id, user_id):
            if person["group_id"] not in cohorts:
                cohorts[person["group_id"]] = self.store.cohort(person["group_id"])
            cohort = cohorts[person["group_id"]]
            wanted: List[Planned] = []
            if cohort is not None and person["active"] and person["nudges"] != "stopped" and cohort.status != "closed":
                zone = person["timezone"] or cohort.timezone
                paused = person["paused_until"] if person["nudges"] == "paused" else None
                wanted = course_plan(cohort, zone, self.quiet, person["absent"], not person["subscribed"], paused)
            changed += outbox.replace_planned(person["user_id"], COURSE_PLANNED, wanted, now)
        return changed

    def _participants(self, group_id: Optional[int], user_id: Optional[int]) -> List[dict]:
        query = (
            select(Participant.user_id, Participant.group_id, Participant.nudges, Participant.paused_until, User.active,
                   Subscription.timezone, Subscription.active)
            .join(User, User.id == Participant.user_id)
            .outerjoin(Subscription, Subscription.user_id == Participant.user_id)
        )
        if group_id is not None:
            query = query.where(Participant.group_id == group_id)
        if user_id is not None:
            query = query.where(Participant.user_id == user_id)
        with session_scope(self.engine) as session:
            rows = session.execute(query).all()
            absences = _absent_sessions(session, [row[0] for row in rows])
        return [
            dict(user_id=row[0], group_id=row[1], nudges=row[2], paused_until=row[3], active=bool(row[4]),
                 timezone=row[5], subscribed=bool(row[6]), absent=absences.get(row[0], set()))
            for row in rows
        ]


COURSE_PLANNED = ("nudge", "course_checkin", "closing")  # the kinds the planner owns (an invite is sent once)


def _absent_sessions(session, user_ids: List[int]) -> Dict[int, Set[int]]:  # type: ignore[no-untyped-def]
    from bot.storage.models import CourseSession

    if not user_ids:
        return {}
    found: Dict[int, Set[int]] = {}
    query = (
        select(Absence.user_id, CourseSession.number)
        .join(CourseSession, CourseSession.id == Absence.session_id)
        .where(Absence.user_id.in_(user_ids))
    )
    for user_id, number in session.execute(query):
        found.setdefault(int(user_id), set()).add(int(number))
    return found


def invite(engine: Engine, enrolment_id: int, group_id: int) -> bool:
    """The organiser places an enrolment in a running group: linked, and the person gets the code (once)."""
    from bot.outbox import Outbox

    user_id = CohortStore(engine).link_enrolment(enrolment_id, group_id)
    if user_id is None:
        return False
    Outbox(engine).notify([user_id], "invite", f"invite-{group_id}")
    return True


def trend(cohort: Cohort, answers: Dict[int, Dict[str, int]]) -> List[tuple]:
    """The group's weekly mean check-in over the course weeks: [(iso week, mean, how many answered)]."""
    if not cohort.held:
        return []
    weeks: List[str] = []
    day = cohort.held[0].starts_local.date()
    while day <= cohort.held[-1].starts_local.date() + timedelta(days=6):
        if iso_week(day) not in weeks:
            weeks.append(iso_week(day))
        day += timedelta(days=1)
    rows = []
    for week in weeks:
        scores = [person[week] for person in answers.values() if week in person]
        if scores:
            rows.append((week, round(float(mean(scores)), 1), len(scores)))
    return rows
